//! Database scenarios. SQLite runs through rusqlite: each iteration inside a
//! transaction that is rolled back (unless `commit: true`), so a performance test
//! never changes data; connection time is measured on a fresh connection, apart
//! from the queries; warm-up iterations are excluded.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ScenarioOutput;
use crate::config::{DatabaseScenario, expand_env};
use crate::live::{LiveHub, ScenarioPhase};

/// The file of a `sqlite://path` / `sqlite:path` URL.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

fn run_sqlite(path: &str, s: &DatabaseScenario, cancel: &CancellationToken) -> ScenarioOutput {
    let query = s.query.clone();
    let iterations = s.iterations.unwrap_or(100).max(1);
    let warmup = (iterations / 10).clamp(1, 10);
    let t0 = Instant::now();
    // Never created: a mistyped path would otherwise be measured as an empty database.
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_URI
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let ro = (flags - rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        | rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    // A read-only file still serves a scenario that only reads.
    let conn = match rusqlite::Connection::open_with_flags(path, flags)
        .or_else(|e| rusqlite::Connection::open_with_flags(path, ro).map_err(|_| e))
    {
        Ok(c) => c,
        Err(e) => {
            return ScenarioOutput::failed(format!(
                "cannot open the SQLite database {path:?}: {e} (it must exist; perfgate never creates it)"
            ));
        }
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
    let metrics = query_metrics(connection_ms, &hist, rows);
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

pub async fn run(
    s: &DatabaseScenario,
    live: &LiveHub,
    cancel: &CancellationToken,
) -> ScenarioOutput {
    // Secrets may come from the environment; the expanded URL is never printed.
    let url = match expand_env(&s.connection_string) {
        Ok(u) => u,
        Err(e) => return ScenarioOutput::failed(format!("connection_string {e}")),
    };
    live.update_scenario(&s.name, |l| {
        l.kind = crate::config::ScenarioType::Database;
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
            let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
            let password = password_of(&url);
            let mut out = match scheme.as_str() {
                "postgres" | "postgresql" => run_postgres(&url, s, cancel).await,
                "mysql" | "mariadb" => {
                    run_mysql(&url.replacen("mariadb://", "mysql://", 1), s, cancel).await
                }
                _ => ScenarioOutput::failed(format!(
                    "connection_string scheme {scheme:?} is not supported; expected postgresql://, mysql://, mariadb:// or sqlite://"
                )),
            };
            // Database errors can echo parts of the URL: never the password.
            if let Some(pw) = password.filter(|p| !p.is_empty()) {
                for m in [&mut out.error, &mut out.note].into_iter().flatten() {
                    *m = m.replace(&pw, "***");
                }
            }
            out
        }
    };
    let out = no_success(out);
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

/// A database scenario's metrics: the connection's time, and the queries' (in
/// microseconds in `hist`) once one succeeded.
fn query_metrics(connection_ms: f64, hist: &Histogram<u64>, rows: u64) -> BTreeMap<String, f64> {
    let mut metrics = BTreeMap::from([("connection_time_ms".to_string(), connection_ms)]);
    if !hist.is_empty() {
        metrics.insert("query_time_mean_ms".into(), hist.mean() / 1000.0);
        metrics.insert(
            "query_time_p95_ms".into(),
            hist.value_at_quantile(0.95) as f64 / 1000.0,
        );
        metrics.insert("row_count".into(), rows as f64);
    }
    metrics
}

/// A scenario whose every query failed has measured nothing: it fails the run with
/// the database's first error (as an API scenario with no successful response does),
/// and its connection time never becomes a baseline sample.
fn no_success(mut out: ScenarioOutput) -> ScenarioOutput {
    let measured = out.metrics.contains_key("query_time_mean_ms");
    let failed = out.errors.values().sum::<u64>();
    if out.error.is_none() && !out.interrupted && !measured && failed > 0 {
        let why = out.note.take().unwrap_or_default();
        out.error = Some(format!("no successful query in {failed} attempt(s): {why}"));
    }
    out
}

/// The password of a `scheme://user:password@host/db` URL, if any.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('@').next().filter(|_| rest.contains('@'))?;
    Some(userinfo.split_once(':')?.1.to_string())
}

/// Which database server answered, for the plan-cost query.
#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    Postgres,
    MySql,
}

/// One SQL server scenario through sqlx: a fresh connection timed on its own, warm-up
/// iterations, then `iterations` split across `concurrency` connections, each inside
/// a transaction rolled back unless `commit: true`.
macro_rules! sqlx_runner {
    ($name:ident, $conn:ty, $flavor:expr) => {
        async fn $name(
            url: &str,
            s: &DatabaseScenario,
            cancel: &CancellationToken,
        ) -> ScenarioOutput {
            use sqlx::Connection;
            let timeout = std::time::Duration::from_secs_f64(s.timeout.unwrap_or(30.0));
            let t0 = Instant::now();
            let mut conn = match tokio::time::timeout(timeout, <$conn>::connect(url)).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    return ScenarioOutput::failed(format!("cannot connect: {}", sqlx_message(&e)))
                }
                Err(_) => return ScenarioOutput::failed("cannot connect: timed out".to_string()),
            };
            let connection_ms = t0.elapsed().as_secs_f64() * 1000.0;
            let query = s.query.clone();
            let iterations = s.iterations.unwrap_or(100).max(1);
            let warmup = (iterations / 10).clamp(1, 10);
            let workers = s.concurrency.unwrap_or(1).max(1) as u64;
            let commit = s.commit == Some(true);
            // Plan cost, without executing the query.
            let plan_cost = {
                use sqlx::Row;
                let sql = match $flavor {
                    Flavor::Postgres => format!("EXPLAIN (FORMAT JSON) {query}"),
                    Flavor::MySql => format!("EXPLAIN FORMAT=JSON {query}"),
                };
                match sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                {
                    Err(e) => Err(format!("EXPLAIN failed: {}", sqlx_message(&e))),
                    Ok(row) => {
                        let v: Option<serde_json::Value> = match $flavor {
                            Flavor::Postgres => row.try_get::<serde_json::Value, _>(0).ok(),
                            Flavor::MySql => row
                                .try_get::<String, _>(0)
                                .ok()
                                .and_then(|t| serde_json::from_str(&t).ok()),
                        };
                        v.ok_or_else(|| "EXPLAIN gave no JSON".to_string())
                            .and_then(|v| plan_cost_of(&v, $flavor))
                    }
                }
            };
            let mut conns = vec![conn];
            for _ in 1..workers {
                match <$conn>::connect(url).await {
                    Ok(c) => conns.push(c),
                    Err(e) => {
                        return ScenarioOutput::failed(format!(
                            "cannot open connection {}: {}",
                            conns.len() + 1,
                            sqlx_message(&e)
                        ));
                    }
                }
            }
            let mut tasks = Vec::new();
            for (w, mut c) in conns.into_iter().enumerate() {
                let (query, cancel) = (query.clone(), cancel.clone());
                let share = iterations / workers + u64::from((w as u64) < iterations % workers);
                let warm = if w == 0 { warmup } else { 0 };
                tasks.push(tokio::spawn(async move {
                    let mut hist = Histogram::<u64>::new(3).expect("valid histogram");
                    let (mut rows, mut errors, mut first_error) = (0u64, 0u64, None::<String>);
                    for i in 0..(warm + share) {
                        if cancel.is_cancelled() {
                            break;
                        }
                        let start = Instant::now();
                        let r = tokio::time::timeout(timeout, async {
                            let mut tx = c.begin().await?;
                            let n = sqlx::query(sqlx::AssertSqlSafe(query.clone()))
                                .fetch_all(&mut *tx)
                                .await?
                                .len() as u64;
                            if commit {
                                tx.commit().await?
                            } else {
                                tx.rollback().await?
                            }
                            Ok::<u64, sqlx::Error>(n)
                        })
                        .await;
                        let micros = start.elapsed().as_micros() as u64;
                        match r {
                            Ok(Ok(n)) if i >= warm => {
                                let _ = hist.record(micros.max(1));
                                rows = n;
                            }
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => {
                                errors += 1;
                                first_error.get_or_insert_with(|| {
                                    format!("query failed: {}", sqlx_message(&e))
                                });
                            }
                            Err(_) => {
                                errors += 1;
                                first_error.get_or_insert_with(|| "query timed out".to_string());
                            }
                        }
                    }
                    let _ = c.close().await;
                    (hist, rows, errors, first_error)
                }));
            }
            let mut hist = Histogram::<u64>::new(3).expect("valid histogram");
            let (mut rows, mut error_count, mut first_error) = (0u64, 0u64, None);
            for t in tasks {
                if let Ok((h, r, e, f)) = t.await {
                    let _ = hist.add(&h);
                    rows = rows.max(r);
                    error_count += e;
                    if first_error.is_none() {
                        first_error = f;
                    }
                }
            }
            let mut metrics = query_metrics(connection_ms, &hist, rows);
            let mut note = first_error;
            match plan_cost {
                Ok(c) => {
                    metrics.insert("plan_cost".into(), c);
                }
                Err(why) => {
                    note.get_or_insert(format!("plan_cost is absent: {why}"));
                }
            }
            let mut errors = BTreeMap::new();
            if error_count > 0 {
                errors.insert("query".to_string(), error_count);
            }
            ScenarioOutput {
                requests: hist.len() + error_count,
                metrics,
                errors,
                note,
                interrupted: cancel.is_cancelled(),
                ..Default::default()
            }
        }
    };
}

sqlx_runner!(run_postgres, sqlx::PgConnection, Flavor::Postgres);
sqlx_runner!(run_mysql, sqlx::MySqlConnection, Flavor::MySql);

/// The database's own message, or the kind of failure; never the URL.
fn sqlx_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Io(_) => "connection failed (refused or unreachable)".into(),
        sqlx::Error::Tls(_) => "TLS negotiation failed".into(),
        sqlx::Error::Configuration(_) => "the connection string is not valid".into(),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        sqlx::Error::Protocol(p) => format!("protocol error: {p}"),
        other => other
            .to_string()
            .split(':')
            .next()
            .unwrap_or("error")
            .to_string(),
    }
}

/// PostgreSQL: EXPLAIN (FORMAT JSON) total cost; MySQL: EXPLAIN FORMAT=JSON query
/// cost (MariaDB reports none).
fn plan_cost_of(v: &serde_json::Value, flavor: Flavor) -> Result<f64, String> {
    let cost = match flavor {
        Flavor::Postgres => v[0]["Plan"]["Total Cost"].as_f64(),
        Flavor::MySql => v["query_block"]["cost_info"]["query_cost"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .or_else(|| v["query_block"]["cost_info"]["query_cost"].as_f64()),
    };
    cost.ok_or_else(|| "the server's EXPLAIN reports no cost (MariaDB does not)".to_string())
}
