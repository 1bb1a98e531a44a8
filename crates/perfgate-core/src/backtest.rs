//! `perfgate backtest`: replay a metric history (CSV `metric,run,value[,direction]`,
//! runs in order) through the same detector the CI gate uses.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::detect::{Kind, Replay, Settings};
use crate::error::{Error, Result};
use crate::metrics::Direction;
use crate::model::{AlertKind, Severity};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacktestAlert {
    pub metric: String,
    /// The run as written in the input (a number when it parses as one).
    pub run: serde_json::Value,
    pub severity: Severity,
    pub kind: AlertKind,
    pub z_score: f64,
    pub change_pct: f64,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacktestReport {
    /// Metrics replayed.
    pub metrics: usize,
    /// Values replayed: each metric's runs, summed over the metrics.
    pub runs: usize,
    /// Runs judged (each metric's runs after its first `min_baseline_samples`).
    pub checks: usize,
    /// Runs judged as regressions (every run of an open regression counts; in CI
    /// each of them would fail the build until the alert is triaged).
    pub regression_runs: usize,
    pub alerts: Vec<BacktestAlert>,
}

struct Series {
    dir: Option<Direction>,
    points: Vec<(serde_json::Value, f64)>,
}

/// Parse the history CSV; errors name the file, line and column.
fn parse(text: &str, file: &str) -> Result<BTreeMap<String, Series>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut cols = (0usize, 1usize, 2usize, Some(3usize));
    let mut order: Vec<String> = Vec::new();
    let mut out: BTreeMap<String, Series> = BTreeMap::new();
    // Where each metric's runs were given, and its last numbered run: a run given
    // twice or out of order would be replayed as history it never was.
    let mut seen: std::collections::HashMap<(String, String), usize> = Default::default();
    let mut last: std::collections::HashMap<String, (i64, usize)> = Default::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 1;
        let rec =
            rec.map_err(|e| Error::Usage(format!("{file}: line {line}: is not valid CSV ({e})")))?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        if i == 0 {
            let lower: Vec<String> = rec.iter().map(|f| f.to_ascii_lowercase()).collect();
            if lower.iter().any(|f| f == "metric") && lower.iter().any(|f| f == "value") {
                let pos = |n: &str| lower.iter().position(|f| f == n);
                cols = (
                    pos("metric").unwrap_or(0),
                    pos("run").ok_or_else(|| {
                        Error::Usage(format!("{file}: line 1: header has no `run` column; expected metric,run,value[,direction]"))
                    })?,
                    pos("value").unwrap_or(2),
                    pos("direction"),
                );
                continue;
            }
        }
        let get = |c: usize, name: &str| {
            rec.get(c).ok_or_else(|| {
                Error::Usage(format!(
                    "{file}: line {line}: column `{name}` is missing; expected metric,run,value[,direction]"
                ))
            })
        };
        let metric = get(cols.0, "metric")?.to_string();
        if metric.is_empty() {
            return Err(Error::Usage(format!(
                "{file}: line {line}: column `metric` is empty; expected a metric name"
            )));
        }
        let run_s = get(cols.1, "run")?;
        if let Some(first) = seen.insert((metric.clone(), run_s.to_string()), line) {
            return Err(Error::Usage(format!(
                "{file}: line {line}: run {run_s} of {metric} is already given at line {first}; expected each run once"
            )));
        }
        if let Ok(n) = run_s.parse::<i64>()
            && let Some((prev, at)) = last.insert(metric.clone(), (n, line))
            && n < prev
        {
            return Err(Error::Usage(format!(
                "{file}: line {line}: run {n} of {metric} comes after run {prev} (line {at}); expected runs in order, oldest first"
            )));
        }
        let run = run_s
            .parse::<i64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(run_s));
        let raw = get(cols.2, "value")?;
        let value = crate::ingest::csv_value(raw, file, line)?;
        let dir = match cols.3.and_then(|c| rec.get(c)).filter(|d| !d.is_empty()) {
            Some(d) => Some(Direction::parse(d).ok_or_else(|| {
                Error::Usage(format!(
                    "{file}: line {line}: column `direction` is {d:?}; expected `lower` or `higher`"
                ))
            })?),
            None => None,
        };
        let entry = out.entry(metric.clone()).or_insert_with(|| {
            order.push(metric.clone());
            Series {
                dir: None,
                points: Vec::new(),
            }
        });
        if dir.is_some() {
            entry.dir = dir;
        }
        entry.points.push((run, value));
    }
    // An empty replay would read as a clean bill of health.
    if out.is_empty() {
        return Err(Error::Usage(format!(
            "{file}: has no rows; expected a CSV file metric,run,value[,direction], one row per run"
        )));
    }
    Ok(out)
}

/// Replay a history CSV.
pub fn backtest(text: &str, file: &str, settings: &Settings) -> Result<BacktestReport> {
    Ok(replay(&parse(text, file)?, settings))
}

/// Replay the store's own history of every metric matching `glob` (all when None),
/// each run judged only on the runs before it, as `perfgate tune` replays it.
pub fn from_store(
    st: &dyn crate::store::Store,
    glob: Option<&str>,
    settings: &Settings,
) -> Result<BacktestReport> {
    let mut series = BTreeMap::new();
    for metric in st.metric_names()? {
        if glob.is_some_and(|g| !crate::config::threshold::glob(g, &metric)) {
            continue;
        }
        let points = st
            .history(&metric, 0, 100_000, None)?
            .into_iter()
            .map(|p| (serde_json::Value::from(p.run_id), p.value))
            .collect();
        series.insert(metric, Series { dir: None, points });
    }
    Ok(replay(&series, settings))
}

fn replay(series: &BTreeMap<String, Series>, settings: &Settings) -> BacktestReport {
    let mut report = BacktestReport {
        metrics: series.len(),
        runs: 0,
        checks: 0,
        regression_runs: 0,
        alerts: Vec::new(),
    };
    for (metric, s) in series {
        let dir = s.dir.unwrap_or_else(|| Direction::of(metric));
        let per_metric = settings.for_metric(metric);
        let mut replay = Replay::new(&per_metric, dir);
        report.runs += s.points.len();
        for (run, value) in &s.points {
            let Some((j, opened)) = replay.push(*value) else {
                continue;
            };
            report.checks += 1;
            if j.confirmed == Some(Kind::Regression) {
                report.regression_runs += 1;
            }
            // One alert per change: later runs of the same regression refresh it.
            if let Some(kind) = opened {
                report.alerts.push(BacktestAlert {
                    metric: metric.clone(),
                    run: run.clone(),
                    severity: j.severity.unwrap_or(Severity::Low),
                    kind: kind.into(),
                    z_score: (j.z * 1000.0).round() / 1000.0,
                    change_pct: (j.change_pct * 100.0).round() / 100.0,
                    rule: j.rule.unwrap_or_default(),
                });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_line() {
        let e = backtest(
            "metric,run,value\na_ms,1,abc\n",
            "h.csv",
            &Settings::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("h.csv: line 2"), "{e}");
        let e = backtest("a_ms,1,2,sideways\n", "h.csv", &Settings::default()).unwrap_err();
        assert!(e.to_string().contains("direction"), "{e}");
        // A run given twice, or runs out of order (two exports concatenated), would
        // be replayed as history it never was. Other metrics may reuse run ids, and
        // named runs have no order to check.
        let e = backtest(
            "a_ms,1,2\nb_ms,1,2\na_ms,1,3\n",
            "h.csv",
            &Settings::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("h.csv: line 3: run 1 of a_ms is already given at line 1"),
            "{e}"
        );
        let e = backtest("a_ms,2,2\na_ms,1,3\n", "h.csv", &Settings::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: run 1 of a_ms comes after run 2 (line 1)"),
            "{e}"
        );
        assert!(backtest("a_ms,v2,2\na_ms,v1,3\n", "h.csv", &Settings::default()).is_ok());
        // A file with no rows (a failed export) is no clean replay.
        for empty in ["", "metric,run,value\n", "\n\n"] {
            let e = backtest(empty, "h.csv", &Settings::default()).unwrap_err();
            assert!(e.to_string().contains("h.csv: has no rows"), "{e}");
        }
    }

    #[test]
    fn a_step_is_reported_once_confirmed() {
        let mut csv = String::from("metric,run,value\n");
        for i in 0..40 {
            csv += &format!(
                "api.response_time_p95_ms,{i},{}\n",
                100.0 + [1.0, -1.0, 2.0, -2.0, 0.0][i % 5]
            );
        }
        for i in 40..45 {
            csv += &format!("api.response_time_p95_ms,{i},130\n");
        }
        let r = backtest(&csv, "h.csv", &Settings::default()).unwrap();
        assert_eq!(r.checks, 25);
        let first = r.alerts.first().expect("an alert");
        assert_eq!(first.run, serde_json::json!(41));
        assert_eq!(first.kind, AlertKind::Regression);
        assert_eq!(first.severity, Severity::Critical);
        assert_eq!(r.alerts.len(), 1, "one alert for one change");
        assert_eq!(r.regression_runs, 4);
    }
}
