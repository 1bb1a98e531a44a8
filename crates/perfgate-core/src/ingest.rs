//! Results from other tools turned into a run that the normal gate judges:
//! hyperfine `--export-json`, k6 `--summary-export`, criterion `estimates.json`,
//! and generic CSV `metric,value[,unit]`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{ScenarioConfig, ScenarioType};
use crate::error::{Error, Result};
use crate::scenario::ScenarioOutput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Hyperfine,
    K6,
    Criterion,
    Csv,
}

impl Source {
    pub fn parse(s: &str) -> Option<Source> {
        match s.to_ascii_lowercase().as_str() {
            "hyperfine" => Some(Source::Hyperfine),
            "k6" => Some(Source::K6),
            "criterion" => Some(Source::Criterion),
            "csv" => Some(Source::Csv),
            _ => None,
        }
    }
    fn default_scenario(self) -> &'static str {
        match self {
            Source::Hyperfine => "hyperfine",
            Source::K6 => "k6",
            Source::Criterion => "criterion",
            Source::Csv => "csv",
        }
    }
}

/// Lower-case `[a-z0-9_]` for metric and scenario names.
pub fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let t = out.trim_matches('_').to_string();
    if t.is_empty() { "x".into() } else { t }
}

fn bad(file: &Path, field: &str, expected: &str) -> Error {
    Error::Usage(format!("{}: field `{field}` {expected}", file.display()))
}

fn num(v: &Value, file: &Path, field: &str) -> Result<f64> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| bad(file, field, "is missing or not a number; expected a number"))
}

fn read_json(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("{}: cannot be read ({e})", file.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}: (line {}, column {}) is not valid JSON: {e}",
            file.display(),
            e.line(),
            e.column()
        ))
    })
}

/// hyperfine: seconds → milliseconds for mean, median, stddev, min, max, user, system.
fn hyperfine(
    file: &Path,
    metrics: &mut BTreeMap<String, f64>,
    confirm: &mut BTreeMap<String, f64>,
) -> Result<()> {
    let v = read_json(file)?;
    let results = v["results"]
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            bad(
                file,
                "results",
                "is missing or empty; expected hyperfine's --export-json output",
            )
        })?;
    let many = results.len() > 1;
    for (i, r) in results.iter().enumerate() {
        let prefix = if many {
            format!(
                "{}_",
                sanitize(r["command"].as_str().unwrap_or(&format!("command{i}")))
            )
        } else {
            String::new()
        };
        for key in ["mean", "median", "stddev", "min", "max", "user", "system"] {
            if r.get(key).is_some_and(|x| !x.is_null()) {
                let secs = num(&r[key], file, &format!("results[{i}].{key}"))?;
                let name = if matches!(key, "user" | "system") {
                    format!("{prefix}{key}_time_ms")
                } else {
                    format!("{prefix}time_{key}_ms")
                };
                metrics.insert(name, secs * 1000.0);
            }
        }
        // The second half of the timed runs is an independent observation.
        if let Some(times) = r["times"].as_array() {
            let t: Vec<f64> = times
                .iter()
                .filter_map(Value::as_f64)
                .filter(|x| x.is_finite())
                .collect();
            if t.len() >= 4 {
                let mut half = t[t.len() / 2..].to_vec();
                confirm.insert(
                    format!("{prefix}time_mean_ms"),
                    half.iter().sum::<f64>() / half.len() as f64 * 1000.0,
                );
                half.sort_by(f64::total_cmp);
                confirm.insert(
                    format!("{prefix}time_median_ms"),
                    crate::baseline::median(&half) * 1000.0,
                );
            }
        }
        if !metrics
            .keys()
            .any(|k| k.starts_with(&prefix) && k.ends_with("time_mean_ms"))
        {
            return Err(bad(
                file,
                &format!("results[{i}].mean"),
                "is missing; expected seconds",
            ));
        }
    }
    Ok(())
}

/// k6 `--summary-export`: http_req_duration (ms), http_reqs rate, http_req_failed rate.
fn k6(file: &Path, metrics: &mut BTreeMap<String, f64>) -> Result<()> {
    let v = read_json(file)?;
    let m = v.get("metrics").and_then(Value::as_object).ok_or_else(|| {
        bad(
            file,
            "metrics",
            "is missing; expected k6's --summary-export JSON",
        )
    })?;
    if let Some(d) = m.get("http_req_duration") {
        for (k, name) in [
            ("avg", "response_time_mean_ms"),
            ("med", "response_time_p50_ms"),
            ("p(90)", "response_time_p90_ms"),
            ("p(95)", "response_time_p95_ms"),
            ("p(99)", "response_time_p99_ms"),
            ("max", "response_time_max_ms"),
        ] {
            if let Some(x) = d.get(k).filter(|x| !x.is_null()) {
                metrics.insert(
                    name.into(),
                    num(x, file, &format!("metrics.http_req_duration.{k}"))?,
                );
            }
        }
    }
    if let Some(rate) = m.get("http_reqs").and_then(|r| r.get("rate")) {
        metrics.insert(
            "throughput_rps".into(),
            num(rate, file, "metrics.http_reqs.rate")?,
        );
    }
    if let Some(f) = m.get("http_req_failed") {
        // Rate metrics export `value` (fraction failed).
        if let Some(x) = f.get("value").or_else(|| f.get("rate")) {
            metrics.insert(
                "error_rate_pct".into(),
                num(x, file, "metrics.http_req_failed.value")? * 100.0,
            );
        }
    }
    if let Some(it) = m.get("iteration_duration").and_then(|d| d.get("avg")) {
        metrics.insert(
            "iteration_duration_mean_ms".into(),
            num(it, file, "metrics.iteration_duration.avg")?,
        );
    }
    if metrics.is_empty() {
        return Err(bad(
            file,
            "metrics.http_req_duration",
            "is missing; expected k6 HTTP metrics",
        ));
    }
    Ok(())
}

/// criterion `.../<bench>/new/estimates.json`: nanoseconds; the bench name comes
/// from the path.
fn criterion(
    file: &Path,
    metrics: &mut BTreeMap<String, f64>,
    confirm: &mut BTreeMap<String, f64>,
) -> Result<()> {
    let v = read_json(file)?;
    let mut parts: Vec<&str> = file.iter().filter_map(|c| c.to_str()).collect();
    parts.pop(); // estimates.json
    if matches!(parts.last(), Some(&"new") | Some(&"base")) {
        parts.pop();
    }
    let bench = sanitize(parts.last().copied().unwrap_or("bench"));
    for key in ["mean", "median", "std_dev", "slope"] {
        match v.get(key) {
            Some(Value::Null) | None if key == "slope" || key == "std_dev" => {}
            Some(e) => {
                let x = num(&e["point_estimate"], file, &format!("{key}.point_estimate"))?;
                metrics.insert(format!("{bench}_{key}_ns"), x);
                // The conservative end of criterion's 95% interval confirms a slowdown.
                if let Some(lb) = e["confidence_interval"]["lower_bound"]
                    .as_f64()
                    .filter(|x| x.is_finite())
                {
                    confirm.insert(format!("{bench}_{key}_ns"), lb);
                }
            }
            None => {
                return Err(bad(
                    file,
                    key,
                    "is missing; expected criterion's estimates.json",
                ));
            }
        }
    }
    Ok(())
}

/// Generic CSV: `metric,value[,unit]`; a `scenario.metric` name keeps its scenario.
fn csv_rows(
    file: &Path,
    per_scenario: &mut BTreeMap<String, BTreeMap<String, f64>>,
    default: &str,
) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("{}: cannot be read ({e})", file.display())))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 1;
        let rec = rec.map_err(|e| {
            Error::Usage(format!(
                "{}: line {line}: is not valid CSV ({e})",
                file.display()
            ))
        })?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let name = rec.get(0).unwrap_or("");
        let raw = rec.get(1).unwrap_or("");
        if i == 0 && name.eq_ignore_ascii_case("metric") {
            continue;
        }
        let value: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{}: line {line}: column `value` is {raw:?}; expected a finite number",
                    file.display()
                ))
            })?;
        let unit = rec
            .get(2)
            .map(sanitize)
            .filter(|u| !u.is_empty() && u != "x");
        let (scen, metric) = match name.split_once('.') {
            Some((s, m)) => (sanitize(s), sanitize(m)),
            None => (default.to_string(), sanitize(name)),
        };
        let metric = match unit {
            Some(u) if !metric.ends_with(&format!("_{u}")) => format!("{metric}_{u}"),
            _ => metric,
        };
        per_scenario.entry(scen).or_default().insert(metric, value);
    }
    Ok(())
}

/// Read every file into scenarios ready for `run::execute`.
pub fn load(
    source: Source,
    files: &[std::path::PathBuf],
    scenario: Option<&str>,
) -> Result<Vec<(ScenarioConfig, ScenarioOutput)>> {
    if files.is_empty() {
        return Err(Error::Usage("ingest: name at least one FILE".into()));
    }
    let default = scenario
        .map(sanitize)
        .unwrap_or_else(|| source.default_scenario().into());
    let mut per_scenario: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut confirm: BTreeMap<String, f64> = BTreeMap::new();
    for f in files {
        match source {
            Source::Csv => csv_rows(f, &mut per_scenario, &default)?,
            _ => {
                let m = per_scenario.entry(default.clone()).or_default();
                match source {
                    Source::Hyperfine => hyperfine(f, m, &mut confirm)?,
                    Source::K6 => k6(f, m)?,
                    Source::Criterion => criterion(f, m, &mut confirm)?,
                    Source::Csv => unreachable!("handled above"),
                }
            }
        }
    }
    if per_scenario.values().all(|m| m.is_empty()) {
        return Err(Error::Usage(
            "ingest: the files hold no metric values".into(),
        ));
    }
    Ok(per_scenario
        .into_iter()
        .map(|(name, metrics)| {
            let confirmation = (name == default && !confirm.is_empty()).then(|| confirm.clone());
            (
                ScenarioConfig {
                    name,
                    kind: ScenarioType::Ingested,
                    ..Default::default()
                },
                ScenarioOutput {
                    requests: metrics.len() as u64,
                    metrics,
                    confirmation,
                    ..Default::default()
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize("sleep 0.01"), "sleep_0_01");
        assert_eq!(sanitize("Fib/20"), "fib_20");
        assert_eq!(sanitize("!!"), "x");
    }
}
