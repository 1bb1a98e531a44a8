//! Database scenarios. SQLite runs through rusqlite: each iteration inside a
//! transaction that is rolled back (unless `commit: true`), so a performance test
//! never changes data; connection time is measured on a fresh connection, apart
//! from the queries; warm-up iterations are excluded.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ScenarioOutput;
use crate::engine::config::{ScenarioConfig, expand_env};
use crate::engine::live::{LiveHub, ScenarioPhase};

/// The file of a `sqlite://path` / `sqlite:path` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

fn run_sqlite(path: &str, s: &ScenarioConfig, cancel: &CancellationToken) -> ScenarioOutput {
    let query = s.query.clone().unwrap_or_default();
    let iterations = s.iterations.unwrap_or(100).max(1);
    let warmup = (iterations / 10).clamp(1, 10);
    let t0 = Instant::now();
    let conn = match rusqlite::Connection::open(path) {
        Ok(c) => c,
        Err(e) => return ScenarioOutput::failed(format!("cannot open the SQLite database: {e}")),
    };
    let connection_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut hist = Histogram::<u64>::new(3).expect("valid histogram");
    let mut errors = BTreeMap::new();
    let mut first_error: Option<String> = None;
    let mut rows = 0u64;
    for i in 0..(warmup + iterations) {
        if cancel.is_cancelled() {
            break;
        }
        let start = Instant::now();
        let result = (|| -> rusqlite::Result<u64> {
            conn.execute_batch("BEGIN")?;
            let n = {
                let mut st = conn.prepare_cached(&query)?;
                let mut r = st.query([])?;
                let mut n = 0u64;
                while r.next()?.is_some() {
                    n += 1;
                }
                n
            };
            Ok(n)
        })();
        // Roll back whatever happened, unless the scenario asked to keep its writes.
        let end = if s.commit == Some(true) && result.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        let _ = conn.execute_batch(end);
        let micros = start.elapsed().as_micros() as u64;
        match result {
            Ok(n) if i >= warmup => {
                let _ = hist.record(micros.max(1));
                rows = n;
            }
            Ok(_) => {}
            Err(e) => {
                *errors.entry("query".to_string()).or_insert(0) += 1;
                first_error.get_or_insert_with(|| format!("query failed: {e}"));
            }
        }
    }
    let mut metrics = BTreeMap::new();
    metrics.insert("connection_time_ms".into(), connection_ms);
    if !hist.is_empty() {
        metrics.insert("query_time_mean_ms".into(), hist.mean() / 1000.0);
        metrics.insert(
            "query_time_p95_ms".into(),
            hist.value_at_quantile(0.95) as f64 / 1000.0,
        );
        metrics.insert("row_count".into(), rows as f64);
    }
    let note = match first_error {
        Some(e) => Some(e),
        None => Some("plan_cost is absent: SQLite reports no query plan cost".into()),
    };
    ScenarioOutput {
        requests: hist.len() + errors.values().sum::<u64>(),
        metrics,
        errors,
        note,
        interrupted: cancel.is_cancelled(),
        ..Default::default()
    }
}

pub async fn run(s: &ScenarioConfig, live: &LiveHub, cancel: &CancellationToken) -> ScenarioOutput {
    // Secrets may come from the environment; the expanded URL is never printed.
    let url = match expand_env(s.connection_string.as_deref().unwrap_or("")) {
        Ok(u) => u,
        Err(e) => return ScenarioOutput::failed(format!("connection_string {e}")),
    };
    live.update_scenario(&s.name, |l| {
        l.kind = "database".into();
        l.phase = ScenarioPhase::Running;
    });
    let out = match sqlite_path(&url) {
        Some(path) => {
            let (path, s, cancel) = (path.to_string(), s.clone(), cancel.clone());
            tokio::task::spawn_blocking(move || run_sqlite(&path, &s, &cancel))
                .await
                .unwrap_or_else(|e| {
                    ScenarioOutput::failed(format!("database scenario failed: {e}"))
                })
        }
        None => {
            let scheme = url.split("://").next().unwrap_or("");
            ScenarioOutput::failed(format!(
                "connection_string scheme {scheme:?} is not supported in this build; expected sqlite://PATH (PostgreSQL and MySQL arrive with the sqlx driver)"
            ))
        }
    };
    live.update_scenario(&s.name, |l| {
        l.phase = if out.error.is_some() {
            ScenarioPhase::Failed
        } else {
            ScenarioPhase::Done
        };
        l.requests = out.requests;
    });
    out
}
