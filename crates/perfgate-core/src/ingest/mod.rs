//! Results from other tools turned into a run that the normal gate judges: k6 (the
//! end-of-test summary, the older summary export), hyperfine `--export-json`,
//! criterion (`estimates.json` or the whole `target/criterion` folder), the
//! benchmark harnesses' own files (pytest-benchmark, Google Benchmark, `go test
//! -bench`, JMH, Bencher Metric Format) and generic CSV `metric,value[,unit]`.
//! `auto` tells them apart by their content.

mod harness;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{IngestedScenario, ScenarioConfig};
use crate::error::{Error, Result};
use crate::scenario::ScenarioOutput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Hyperfine,
    K6,
    Criterion,
    Csv,
    PytestBenchmark,
    GoogleBenchmark,
    GoBench,
    Jmh,
    Bmf,
    /// Recognised from each file's content.
    Auto,
}

/// Every format by name, for `--format` and its errors.
pub const FORMATS: &str =
    "auto, k6, hyperfine, criterion, pytest-benchmark, google-benchmark, go-bench, jmh, bmf, csv";

impl Source {
    pub fn parse(s: &str) -> Option<Source> {
        match s.to_ascii_lowercase().as_str() {
            "hyperfine" => Some(Source::Hyperfine),
            "k6" => Some(Source::K6),
            "criterion" => Some(Source::Criterion),
            "csv" => Some(Source::Csv),
            "pytest-benchmark" | "pytest" => Some(Source::PytestBenchmark),
            "google-benchmark" | "gbench" => Some(Source::GoogleBenchmark),
            "go-bench" | "go" => Some(Source::GoBench),
            "jmh" => Some(Source::Jmh),
            "bmf" | "bencher" => Some(Source::Bmf),
            "auto" => Some(Source::Auto),
            _ => None,
        }
    }

    /// The format's name as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Hyperfine => "hyperfine",
            Source::K6 => "k6",
            Source::Criterion => "criterion",
            Source::Csv => "csv",
            Source::PytestBenchmark => "pytest-benchmark",
            Source::GoogleBenchmark => "google-benchmark",
            Source::GoBench => "go-bench",
            Source::Jmh => "jmh",
            Source::Bmf => "bmf",
            Source::Auto => "auto",
        }
    }

    fn default_scenario(self) -> String {
        self.name().replace('-', "_")
    }

    /// The format a file's content looks like, if any.
    pub fn detect(file: &Path) -> Option<Source> {
        if file.is_dir() {
            return (!harness::criterion_dir(file).is_empty()).then_some(Source::Criterion);
        }
        let text = std::fs::read_to_string(file).ok()?;
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            let go = text
                .lines()
                .any(|l| l.starts_with("Benchmark") && l.contains("ns/op"));
            return if go {
                Some(Source::GoBench)
            } else if text.lines().next().is_some_and(|l| l.contains(',')) {
                Some(Source::Csv)
            } else {
                None
            };
        };
        let first_bench = v["benchmarks"].get(0);
        Some(if first_bench.is_some_and(|b| b.get("stats").is_some()) {
            Source::PytestBenchmark
        } else if first_bench
            .is_some_and(|b| b.get("real_time").is_some() || b.get("time_unit").is_some())
        {
            Source::GoogleBenchmark
        } else if v.get(0).is_some_and(|b| b.get("primaryMetric").is_some()) {
            Source::Jmh
        } else if v["results"]
            .get(0)
            .is_some_and(|r| r.get("command").is_some())
        {
            Source::Hyperfine
        } else if v["metrics"].get("http_req_duration").is_some()
            || v["metrics"].get("http_reqs").is_some()
        {
            Source::K6
        } else if v
            .get("mean")
            .is_some_and(|m| m.get("point_estimate").is_some())
        {
            Source::Criterion
        } else if v.as_object().is_some_and(|o| {
            !o.is_empty()
                && o.values().all(|m| {
                    m.as_object()
                        .is_some_and(|ms| ms.values().all(|x| x.get("value").is_some()))
                })
        }) {
            Source::Bmf
        } else {
            return None;
        })
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

/// The non-empty array at `field` of a tool's JSON, else an error naming the field and
/// the output expected.
fn non_empty<'a>(v: &'a Value, file: &Path, field: &str, expected: &str) -> Result<&'a [Value]> {
    v.as_array()
        .filter(|a| !a.is_empty())
        .map(Vec::as_slice)
        .ok_or_else(|| {
            bad(
                file,
                field,
                &format!("is missing or empty; expected {expected}"),
            )
        })
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
    let results = non_empty(
        &v["results"],
        file,
        "results",
        "hyperfine's --export-json output",
    )?;
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
            "is missing; expected k6's JSON summary (end-of-test summary or --summary-export)",
        )
    })?;
    // The end-of-test summary (`handleSummary`'s data, recent k6's JSON summary) nests
    // each metric's figures under `values`; the older --summary-export does not.
    let fig = |name: &str| m.get(name).map(|x| x.get("values").unwrap_or(x));
    if let Some(d) = fig("http_req_duration") {
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
    if let Some(rate) = fig("http_reqs").and_then(|r| r.get("rate")) {
        metrics.insert(
            "throughput_rps".into(),
            num(rate, file, "metrics.http_reqs.rate")?,
        );
    }
    if let Some(f) = fig("http_req_failed") {
        // Rate metrics export `value` (fraction failed).
        if let Some(x) = f.get("value").or_else(|| f.get("rate")) {
            metrics.insert(
                "error_rate_pct".into(),
                num(x, file, "metrics.http_req_failed.value")? * 100.0,
            );
        }
    }
    if let Some(it) = fig("iteration_duration").and_then(|d| d.get("avg")) {
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
    // Where each metric was given: a second value would silently replace the first.
    let mut given: BTreeMap<(String, String), usize> = BTreeMap::new();
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
        let value = csv_value(raw, &file.display().to_string(), line)?;
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
        // A time, size, rate or share below zero is a broken export, not a run: it
        // would enter the baseline as the best run ever seen.
        let quantity = crate::metrics::unit_of(&metric);
        if value < 0.0 && !quantity.is_empty() {
            return Err(Error::Usage(format!(
                "{}: line {line}: metric `{scen}.{metric}` is {raw}; expected a number >= 0 \
                 (a quantity in {quantity})",
                file.display()
            )));
        }
        if let Some(first) = given.insert((scen.clone(), metric.clone()), line) {
            return Err(Error::Usage(format!(
                "{}: line {line}: metric `{scen}.{metric}` is already given at line {first}; \
                 expected one value per metric (one file is one run: aggregate repetitions first)",
                file.display()
            )));
        }
        per_scenario.entry(scen).or_default().insert(metric, value);
    }
    Ok(())
}

fn one_file(
    source: Source,
    f: &Path,
    per_scenario: &mut BTreeMap<String, BTreeMap<String, f64>>,
    confirm: &mut BTreeMap<String, f64>,
    default: &str,
) -> Result<()> {
    if source == Source::Csv {
        return csv_rows(f, per_scenario, default);
    }
    let m = per_scenario.entry(default.to_string()).or_default();
    match source {
        Source::Hyperfine => hyperfine(f, m, confirm),
        Source::K6 => k6(f, m),
        Source::Criterion if f.is_dir() => {
            let files = harness::criterion_dir(f);
            if files.is_empty() {
                return Err(bad(
                    f,
                    "new/estimates.json",
                    "is found nowhere below; expected criterion's target/criterion folder",
                ));
            }
            files.iter().try_for_each(|e| criterion(e, m, confirm))
        }
        Source::Criterion => criterion(f, m, confirm),
        Source::PytestBenchmark => harness::pytest(f, m, confirm),
        Source::GoogleBenchmark => harness::google(f, m, confirm),
        Source::GoBench => harness::go(f, m, confirm),
        Source::Jmh => harness::jmh(f, m, confirm),
        Source::Bmf => harness::bmf(f, m, confirm),
        Source::Csv | Source::Auto => unreachable!("resolved by the caller"),
    }
}

/// A CSV file's `value` column: a finite number, or an error naming file and line.
pub(crate) fn csv_value(raw: &str, file: &str, line: usize) -> Result<f64> {
    raw.parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            Error::Usage(format!(
                "{file}: line {line}: column `value` is {raw:?}; expected a finite number"
            ))
        })
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
    let mut per_scenario: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut confirm: BTreeMap<String, f64> = BTreeMap::new();
    let mut default = String::new();
    // Which file gave each metric: two files naming one metric would otherwise keep
    // only the last one's value, silently.
    let mut from: BTreeMap<(String, String), &std::path::Path> = BTreeMap::new();
    for f in files {
        if let Err(e) = std::fs::metadata(f) {
            return Err(Error::Usage(format!(
                "{}: cannot be read ({e})",
                f.display()
            )));
        }
        let source = match source {
            Source::Auto => Source::detect(f).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: not a format perfgate recognises; expected one of {FORMATS}",
                    f.display()
                ))
            })?,
            s => s,
        };
        default = scenario
            .map(sanitize)
            .unwrap_or_else(|| source.default_scenario());
        let mut mine: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        one_file(source, f, &mut mine, &mut confirm, &default).map_err(|e| {
            // A file of another format says which one it looks like.
            match Source::detect(f).filter(|d| *d != source) {
                Some(d) => Error::Usage(format!(
                    "{e}; the file looks like {} output (--format {})",
                    d.name(),
                    d.name()
                )),
                None => e,
            }
        })?;
        for (scen, metrics) in mine {
            for (metric, value) in metrics {
                if let Some(other) = from.insert((scen.clone(), metric.clone()), f) {
                    return Err(Error::Usage(format!(
                        "{}: metric `{scen}.{metric}` is also given by {}; expected each \
                         metric from one file (ingest each file as its own run)",
                        f.display(),
                        other.display()
                    )));
                }
                per_scenario
                    .entry(scen.clone())
                    .or_default()
                    .insert(metric, value);
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
                ScenarioConfig::Ingested(IngestedScenario { name }),
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
