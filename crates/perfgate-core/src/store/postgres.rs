//! The shared store for many CI runners: PostgreSQL through sqlx, behind the same
//! `Store` interface as SQLite. Migrations run in a transaction under an advisory
//! lock; baseline and triage changes take a per-metric advisory lock, so writers on
//! many machines never interleave a reset with an accept.
//!
//! The `Store` interface is synchronous (the SQLite store is); calls are bridged
//! onto the multi-threaded runtime with `block_in_place`.

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Row};
use std::future::Future;

use super::*;
use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    verdict TEXT,
    commit_sha TEXT,
    branch TEXT,
    config_fingerprint TEXT NOT NULL,
    config_path TEXT NOT NULL,
    host TEXT NOT NULL,
    mode TEXT NOT NULL,
    pid BIGINT NOT NULL
);
CREATE TABLE scenario_results (
    run_id BIGINT NOT NULL REFERENCES runs(id),
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    note TEXT,
    errors_json TEXT NOT NULL,
    requests BIGINT NOT NULL,
    histogram BYTEA,
    PRIMARY KEY (run_id, scenario)
);
CREATE TABLE metric_values (
    run_id BIGINT NOT NULL REFERENCES runs(id),
    scenario TEXT NOT NULL,
    metric TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    z DOUBLE PRECISION,
    severity TEXT,
    suspect BOOLEAN NOT NULL DEFAULT FALSE,
    kind TEXT,
    baseline_n BIGINT,
    baseline_mean DOUBLE PRECISION,
    baseline_std DOUBLE PRECISION,
    baseline_median DOUBLE PRECISION,
    change_pct DOUBLE PRECISION,
    verdict TEXT,
    rule TEXT,
    baseline_robust_std DOUBLE PRECISION,
    PRIMARY KEY (run_id, metric)
);
CREATE INDEX metric_values_metric ON metric_values(metric, run_id);
CREATE TABLE baseline_events (
    id BIGSERIAL PRIMARY KEY,
    metric TEXT NOT NULL,
    action TEXT NOT NULL,
    since_run BIGINT NOT NULL,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_run_id BIGINT NOT NULL,
    last_run_id BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    z DOUBLE PRECISION NOT NULL,
    change_pct DOUBLE PRECISION NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX alerts_metric ON alerts(metric, state);
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE named_runs (
    name TEXT PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    at TEXT NOT NULL,
    who TEXT NOT NULL
);
CREATE TABLE alert_log (
    id BIGSERIAL PRIMARY KEY,
    metric TEXT NOT NULL,
    severity TEXT NOT NULL,
    channels TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX alert_log_metric ON alert_log(metric, severity, sent_at);
"#,
    r#"
ALTER TABLE runs ADD COLUMN run_group TEXT;
CREATE INDEX runs_group ON runs(run_group);
"#,
    r#"
ALTER TABLE alerts ADD COLUMN group_id BIGINT;
ALTER TABLE alerts ADD COLUMN good_run_id BIGINT;
ALTER TABLE alerts ADD COLUMN bad_run_id BIGINT;
"#,
    r#"
ALTER TABLE alerts ADD COLUMN rule TEXT;
ALTER TABLE metric_values ADD COLUMN report_only BOOLEAN NOT NULL DEFAULT FALSE;
"#,
    r#"
ALTER TABLE alerts ADD COLUMN level_run_id BIGINT;
ALTER TABLE alerts ADD COLUMN level_raised_run_id BIGINT;
"#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A stable key for `pg_advisory_xact_lock`.
const MIGRATION_LOCK: i64 = 0x7065_7266_6761_7465; // "perfgate"

pub struct PgStore {
    pool: PgPool,
    /// The URL with the password masked, for messages.
    label: String,
}

/// Run a future to completion from the synchronous `Store` interface.
fn block<F: Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// How long the first connection may take: an address that drops packets would
/// otherwise hold the command for the kernel's SYN retries (minutes).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Mask the password of a URL for messages.
pub fn mask(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((u, _)) => format!("{}{u}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore> {
        let label = mask(url);
        let err = |what: &str, e: sqlx::Error| store_err(&label, what, &e);
        // The pool retries a refused connection until its acquire timeout and then
        // says only "timed out": one direct attempt first tells the real cause
        // (refused, authentication, no such database) at once.
        block(async {
            use sqlx::Connection;
            let first = tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect(url));
            match first.await {
                Ok(c) => c?.close().await,
                Err(_) => Err(sqlx::Error::PoolTimedOut),
            }
        })
        .map_err(|e| err("connecting", e))?;
        let pool = block(
            PgPoolOptions::new()
                .max_connections(4)
                // Connect and every wait for a connection end in bounded time.
                .acquire_timeout(std::time::Duration::from_secs(30))
                .connect(url),
        )
        .map_err(|e| err("connecting", e))?;
        let store = PgStore { pool, label };
        store.migrate()?;
        Ok(store)
    }

    /// Apply pending migrations under an advisory lock; refuse a newer schema.
    pub fn migrate(&self) -> Result<()> {
        block(async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await?;
            sqlx::query("CREATE TABLE IF NOT EXISTS perfgate_schema (version BIGINT NOT NULL)").execute(&mut *tx).await?;
            let v: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM perfgate_schema").fetch_one(&mut *tx).await?;
            let v = v.unwrap_or(0);
            if v > SCHEMA_VERSION {
                return Ok(Some(v));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
                sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO perfgate_schema (version) VALUES ($1)").bind(i as i64 + 1).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(None)
        })
        .map_err(|e| store_err(&self.label, "migrating the schema", &e))
        .and_then(|newer| match newer {
            Some(v) => Err(Error::Store(format!(
                "{}: store schema version {v} is newer than this perfgate understands ({SCHEMA_VERSION}); upgrade perfgate",
                self.label
            ))),
            None => Ok(()),
        })
    }
}

fn store_err(label: &str, what: &str, e: &sqlx::Error) -> Error {
    let why = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Io(_) => "connection refused or unreachable".into(),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        sqlx::Error::Configuration(_) => "the URL is not valid".into(),
        sqlx::Error::RowNotFound => "no such row".into(),
        _ => "request failed".into(),
    };
    Error::Store(format!("{label}: {what} failed: {why}"))
}

fn run_from(r: &PgRow) -> std::result::Result<RunRecord, sqlx::Error> {
    Ok(RunRecord {
        id: r.try_get(0)?,
        started_at: r.try_get(1)?,
        finished_at: r.try_get(2)?,
        status: r.try_get(3)?,
        verdict: r.try_get(4)?,
        commit: r.try_get(5)?,
        branch: r.try_get(6)?,
        config_fingerprint: r.try_get(7)?,
        host: r.try_get(8)?,
        mode: r.try_get(9)?,
    })
}

fn alert_from(r: &PgRow) -> std::result::Result<Alert, sqlx::Error> {
    Ok(Alert {
        id: r.try_get(0)?,
        metric: r.try_get(1)?,
        kind: r.try_get(2)?,
        severity: r.try_get(3)?,
        state: r.try_get(4)?,
        opened_run_id: r.try_get(5)?,
        last_run_id: r.try_get(6)?,
        value: r.try_get(7)?,
        baseline: r.try_get(8)?,
        z: r.try_get(9)?,
        change_pct: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        updated_by: r.try_get(12)?,
        reason: r.try_get(13)?,
        group_id: r.try_get(14)?,
        good_run_id: r.try_get(15)?,
        bad_run_id: r.try_get(16)?,
        rule: r.try_get(17)?,
        level: r
            .try_get::<Option<i64>, _>(18)?
            .zip(r.try_get::<Option<i64>, _>(19)?),
    })
}

const OPEN: &str = super::OPEN_STATES_SQL;

impl Store for PgStore {
    fn begin_run(&mut self, meta: &RunMeta) -> Result<i64> {
        block(
            sqlx::query_scalar(
                "INSERT INTO runs (started_at, status, commit_sha, branch, config_fingerprint, config_path, host, mode, pid, run_group)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(&meta.started_at)
            .bind(RunStatus::Running)
            .bind(&meta.commit)
            .bind(&meta.branch)
            .bind(&meta.config_fingerprint)
            .bind(&meta.config_path)
            .bind(&meta.host)
            .bind(meta.mode)
            .bind(std::process::id() as i64)
            .bind(&meta.run_group)
            .fetch_one(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "recording the run", &e))
    }

    fn finish_run(
        &mut self,
        run_id: i64,
        status: RunStatus,
        verdict: Verdict,
        scenarios: &[ScenarioRow],
        metrics: &[MetricRow],
    ) -> Result<()> {
        block(async {
            let mut tx = self.pool.begin().await?;
            for s in scenarios {
                sqlx::query(
                    "INSERT INTO scenario_results (run_id, scenario, kind, status, error, note, errors_json, requests, histogram)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (run_id, scenario) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, error = EXCLUDED.error,
                       note = EXCLUDED.note, errors_json = EXCLUDED.errors_json, requests = EXCLUDED.requests, histogram = EXCLUDED.histogram",
                )
                .bind(run_id)
                .bind(&s.scenario)
                .bind(s.kind)
                .bind(s.status)
                .bind(&s.error)
                .bind(&s.note)
                .bind(&s.errors_json)
                .bind(s.requests as i64)
                .bind(&s.histogram)
                .execute(&mut *tx)
                .await?;
            }
            for m in metrics {
                sqlx::query(
                    "INSERT INTO metric_values (run_id, scenario, metric, value, unit, z, severity, suspect, kind, baseline_n, baseline_mean,
                       baseline_std, baseline_median, change_pct, verdict, rule, baseline_robust_std, report_only)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                     ON CONFLICT (run_id, metric) DO NOTHING",
                )
                .bind(run_id)
                .bind(&m.scenario)
                .bind(&m.metric)
                .bind(m.value)
                .bind(&m.unit)
                .bind(m.z)
                .bind(m.severity)
                .bind(m.suspect)
                .bind(m.kind)
                .bind(m.baseline_n.map(|n| n as i64))
                .bind(m.baseline_mean)
                .bind(m.baseline_std)
                .bind(m.baseline_median)
                .bind(m.change_pct)
                .bind(m.verdict)
                .bind(&m.rule)
                .bind(m.baseline_robust_std)
                .bind(m.report_only)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE runs SET status = $1, verdict = $2, finished_at = $3 WHERE id = $4")
                .bind(status)
                .bind(verdict)
                .bind(now_string())
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
        .map_err(|e| store_err(&self.label, "storing the run", &e))
    }

    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>> {
        block(async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM runs ORDER BY id DESC LIMIT $1"
            )))
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(run_from)
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
        .map_err(|e| store_err(&self.label, "listing runs", &e))
    }

    fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        block(async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {RUN_COLS} FROM runs WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(run_from).transpose()
        })
        .map_err(|e| store_err(&self.label, "reading a run", &e))
    }

    fn run_metrics(&self, run_id: i64) -> Result<Vec<MetricRow>> {
        block(async {
            let rows = sqlx::query(
                "SELECT scenario, metric, value, unit, z, severity, suspect, kind, baseline_n, baseline_mean, baseline_std,
                        baseline_median, change_pct, verdict, rule, baseline_robust_std, report_only
                 FROM metric_values WHERE run_id = $1 ORDER BY ctid",
            )
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(MetricRow {
                        scenario: r.try_get(0)?,
                        metric: r.try_get(1)?,
                        value: r.try_get(2)?,
                        unit: r.try_get(3)?,
                        z: r.try_get(4)?,
                        severity: r.try_get(5)?,
                        suspect: r.try_get(6)?,
                        kind: r.try_get(7)?,
                        baseline_n: r.try_get::<Option<i64>, _>(8)?.map(|n| n as usize),
                        baseline_mean: r.try_get(9)?,
                        baseline_std: r.try_get(10)?,
                        baseline_median: r.try_get(11)?,
                        change_pct: r.try_get(12)?,
                        verdict: r.try_get(13)?,
                        rule: r.try_get(14)?,
                        baseline_robust_std: r.try_get(15)?,
                        report_only: r.try_get(16)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
        .map_err(|e| store_err(&self.label, "reading metrics", &e))
    }

    fn run_scenarios(&self, run_id: i64) -> Result<Vec<ScenarioRow>> {
        block(async {
            let rows = sqlx::query(
                "SELECT scenario, kind, status, error, note, errors_json, requests, histogram FROM scenario_results WHERE run_id = $1 ORDER BY ctid",
            )
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ScenarioRow {
                        scenario: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        status: r.try_get(2)?,
                        error: r.try_get(3)?,
                        note: r.try_get(4)?,
                        errors_json: r.try_get(5)?,
                        requests: r.try_get::<i64, _>(6)? as u64,
                        histogram: r.try_get(7)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
        .map_err(|e| store_err(&self.label, "reading scenarios", &e))
    }

    fn metric_names(&self) -> Result<Vec<String>> {
        block(
            sqlx::query_scalar("SELECT DISTINCT metric FROM metric_values ORDER BY metric")
                .fetch_all(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "listing metrics", &e))
    }

    fn history_between(
        &self,
        metric: &str,
        after_run: i64,
        before_run: i64,
        limit: usize,
        exclude_run: Option<i64>,
    ) -> Result<Vec<HistoryPoint>> {
        block(async {
            let rows = sqlx::query(
                "SELECT m.run_id, r.started_at, m.value, m.suspect FROM metric_values m JOIN runs r ON r.id = m.run_id
                 WHERE m.metric = $1 AND m.run_id > $2 AND m.run_id < $6 AND r.status = $3 AND m.run_id != $4
                 ORDER BY m.run_id DESC LIMIT $5",
            )
            .bind(metric)
            .bind(after_run)
            .bind(RunStatus::Complete)
            .bind(exclude_run.unwrap_or(-1))
            .bind(limit as i64)
            .bind(before_run)
            .fetch_all(&self.pool)
            .await?;
            let mut v: Vec<HistoryPoint> = rows
                .iter()
                .map(|r| Ok(HistoryPoint { run_id: r.try_get(0)?, at: r.try_get(1)?, value: r.try_get(2)?, suspect: r.try_get(3)? }))
                .collect::<std::result::Result<_, sqlx::Error>>()?;
            v.reverse();
            Ok(v)
        })
        .map_err(|e| store_err(&self.label, "reading history", &e))
    }

    fn baseline_epoch(&self, metric: &str) -> Result<i64> {
        block(
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(super::epoch_sql("$1")))
                .bind(metric)
                .fetch_one(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "reading baseline events", &e))
    }

    fn write(
        &mut self,
        what: &str,
        f: &mut dyn FnMut(&mut dyn rules::Tx) -> Result<i64>,
    ) -> Result<i64> {
        let label = self.label.as_str();
        let tx = block(self.pool.begin()).map_err(|e| store_err(label, what, &e))?;
        let mut t = PgTx { tx, label };
        let out = f(&mut t)?;
        block(t.tx.commit()).map_err(|e| store_err(label, what, &e))?;
        Ok(out)
    }

    fn alerts(&self, open_only: bool) -> Result<Vec<Alert>> {
        let sql = if open_only {
            format!("SELECT {ALERT_COLS} FROM alerts WHERE state IN {OPEN} ORDER BY id DESC")
        } else {
            format!("SELECT {ALERT_COLS} FROM alerts ORDER BY id DESC LIMIT 500")
        };
        block(async {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(alert_from)
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
        .map_err(|e| store_err(&self.label, "listing alerts", &e))
    }

    fn open_alert(&self, metric: &str) -> Result<Option<Alert>> {
        block(async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE metric = $1 AND state IN {OPEN} ORDER BY id DESC LIMIT 1"
            )))
            .bind(metric)
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(alert_from).transpose()
        })
        .map_err(|e| store_err(&self.label, "reading alerts", &e))
    }

    fn last_recovered_alert(&self, metric: &str) -> Result<Option<Alert>> {
        block(async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE metric = $1 AND kind = $2 AND state = $3 AND updated_by = $4 ORDER BY id DESC LIMIT 1"
            )))
            .bind(metric)
            .bind(AlertKind::Regression.as_str())
            .bind(TriageState::Fixed.as_str())
            .bind(super::SELF_ACTOR)
            .fetch_optional(&self.pool)
            .await?;
            row.as_ref().map(alert_from).transpose()
        })
        .map_err(|e| store_err(&self.label, "reading alerts", &e))
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        block(async {
            let rows = sqlx::query("SELECT id, at, who, action, target, reason FROM audit_log ORDER BY id DESC LIMIT $1")
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        id: r.try_get(0)?,
                        at: r.try_get(1)?,
                        who: r.try_get(2)?,
                        action: r.try_get(3)?,
                        target: r.try_get(4)?,
                        reason: r.try_get(5)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
        .map_err(|e| store_err(&self.label, "reading the audit log", &e))
    }

    fn latest_run_id(&self) -> Result<i64> {
        block(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0)::BIGINT FROM runs")
                .fetch_one(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "reading runs", &e))
    }

    fn named_run(&self, name: &str) -> Result<Option<i64>> {
        block(
            sqlx::query_scalar("SELECT run_id FROM named_runs WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "reading run names", &e))
    }

    fn group_shards(&self, group: &str) -> Result<Vec<i64>> {
        block(
            sqlx::query_scalar(
                "SELECT id FROM runs WHERE run_group = $1 AND status = $2 ORDER BY id",
            )
            .bind(group)
            .bind(RunStatus::Shard)
            .fetch_all(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "reading the run group", &e))
    }

    fn severities_sent_since(&self, metric: &str, since_unix: i64) -> Result<Vec<String>> {
        block(
            sqlx::query_scalar(
                "SELECT DISTINCT severity FROM alert_log WHERE metric = $1 AND sent_at >= $2",
            )
            .bind(metric)
            .bind(since_unix)
            .fetch_all(&self.pool),
        )
        .map_err(|e| store_err(&self.label, "reading the alert log", &e))
    }

    fn alerts_sent_since(&self, since_unix: i64) -> Result<usize> {
        block(
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM alert_log WHERE sent_at >= $1")
                .bind(since_unix)
                .fetch_one(&self.pool),
        )
        .map(|n| n as usize)
        .map_err(|e| store_err(&self.label, "reading the alert log", &e))
    }

    fn record_alert_sent(
        &mut self,
        metric: &str,
        severity: &str,
        channels: &str,
        run_id: i64,
        at_unix: i64,
    ) -> Result<()> {
        block(
            sqlx::query("INSERT INTO alert_log (metric, severity, channels, run_id, sent_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(metric)
                .bind(severity)
                .bind(channels)
                .bind(run_id)
                .bind(at_unix)
                .execute(&self.pool),
        )
        .map(|_| ())
        .map_err(|e| store_err(&self.label, "recording a sent alert", &e))
    }
}

/// Tables in dependency order, with their columns (the same on both stores).
const COPY_TABLES: &[(&str, &[&str])] = &[
    (
        "runs",
        &[
            "id",
            "started_at",
            "finished_at",
            "status",
            "verdict",
            "commit_sha",
            "branch",
            "config_fingerprint",
            "config_path",
            "host",
            "mode",
            "pid",
            "run_group",
        ],
    ),
    (
        "scenario_results",
        &[
            "run_id",
            "scenario",
            "kind",
            "status",
            "error",
            "note",
            "errors_json",
            "requests",
            "histogram",
        ],
    ),
    (
        "metric_values",
        &[
            "run_id",
            "scenario",
            "metric",
            "value",
            "unit",
            "z",
            "severity",
            "suspect",
            "kind",
            "baseline_n",
            "baseline_mean",
            "baseline_std",
            "baseline_median",
            "change_pct",
            "verdict",
            "rule",
            "baseline_robust_std",
            "report_only",
        ],
    ),
    (
        "baseline_events",
        &["id", "metric", "action", "since_run", "at", "who", "reason"],
    ),
    (
        "alerts",
        &[
            "id",
            "metric",
            "kind",
            "severity",
            "state",
            "opened_run_id",
            "last_run_id",
            "value",
            "baseline",
            "z",
            "change_pct",
            "updated_at",
            "updated_by",
            "reason",
            "group_id",
            "good_run_id",
            "bad_run_id",
            "rule",
            "level_run_id",
            "level_raised_run_id",
        ],
    ),
    (
        "audit_log",
        &["id", "at", "who", "action", "target", "reason"],
    ),
    ("named_runs", &["name", "run_id", "at", "who"]),
    (
        "alert_log",
        &["id", "metric", "severity", "channels", "run_id", "sent_at"],
    ),
];

/// One row read from the SQLite store.
type SqliteRow = Vec<rusqlite::types::Value>;

/// `perfgate store copy`: every row of an SQLite store into an empty PostgreSQL
/// store, ids kept, in one transaction. Returns rows copied per table.
pub fn copy_from_sqlite(
    sqlite_path: &std::path::Path,
    pg: &PgStore,
) -> Result<Vec<(String, usize)>> {
    // Open (and migrate) the source through the normal path so its schema is current.
    drop(super::SqliteStore::open(sqlite_path)?);
    let src = rusqlite::Connection::open_with_flags(
        sqlite_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| Error::Store(format!("{}: cannot be read ({e})", sqlite_path.display())))?;
    let existing: i64 = block(sqlx::query_scalar("SELECT count(*) FROM runs").fetch_one(&pg.pool))
        .map_err(|e| store_err(&pg.label, "checking the target", &e))?;
    if existing > 0 {
        return Err(Error::Usage(format!(
            "{}: already holds {existing} runs; copy needs an empty store",
            pg.label
        )));
    }
    let mut counts = Vec::new();
    let mut tables: Vec<(&str, &[&str], Vec<SqliteRow>)> = Vec::new();
    for (table, cols) in COPY_TABLES {
        let sql = format!("SELECT {} FROM {table}", cols.join(", "));
        let mut st = src.prepare(&sql).map_err(|e| {
            Error::Store(format!(
                "{}: reading {table} failed ({e})",
                sqlite_path.display()
            ))
        })?;
        let rows: Vec<SqliteRow> = st
            .query_map([], |r| {
                (0..cols.len())
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect()
            })
            .and_then(|it| it.collect())
            .map_err(|e| {
                Error::Store(format!(
                    "{}: reading {table} failed ({e})",
                    sqlite_path.display()
                ))
            })?;
        tables.push((table, cols, rows));
    }
    block(async {
        let mut tx = pg.pool.begin().await?;
        for (table, cols, rows) in &tables {
            let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES ({})", cols.join(", "), placeholders.join(", "));
            for row in rows {
                let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
                for (col, v) in cols.iter().zip(row) {
                    use rusqlite::types::Value as V;
                    q = match v {
                        V::Null => match *col {
                            "histogram" => q.bind(None::<Vec<u8>>),
                            "z" | "baseline_mean" | "baseline_std" | "baseline_median" | "change_pct" | "baseline_robust_std" => q.bind(None::<f64>),
                            "baseline_n" | "group_id" | "good_run_id" | "bad_run_id" | "level_run_id"
                            | "level_raised_run_id" => q.bind(None::<i64>),
                            _ => q.bind(None::<String>),
                        },
                        V::Integer(i) if matches!(*col, "suspect" | "report_only") => q.bind(*i != 0),
                        V::Integer(i) => q.bind(*i),
                        V::Real(f) => q.bind(*f),
                        V::Text(t) => q.bind(t.clone()),
                        V::Blob(b) => q.bind(b.clone()),
                    };
                }
                q.execute(&mut *tx).await?;
            }
            if cols[0] == "id" {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
                )))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await
    })
    .map_err(|e| store_err(&pg.label, "copying", &e))?;
    for (table, _, rows) in &tables {
        counts.push((table.to_string(), rows.len()));
    }
    Ok(counts)
}

/// One write transaction of [`rules`] on PostgreSQL.
struct PgTx<'a> {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    label: &'a str,
}

type PgArgs = sqlx::postgres::PgArguments;

impl PgTx<'_> {
    fn exec(&mut self, q: sqlx::query::Query<'_, sqlx::Postgres, PgArgs>) -> Result<()> {
        block(q.execute(&mut *self.tx))
            .map(drop)
            .map_err(|e| store_err(self.label, "writing", &e))
    }

    fn one<T>(
        &mut self,
        q: sqlx::query::QueryScalar<'_, sqlx::Postgres, T, PgArgs>,
    ) -> Result<Option<T>>
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        block(q.fetch_optional(&mut *self.tx)).map_err(|e| store_err(self.label, "reading", &e))
    }
}

impl rules::Tx for PgTx<'_> {
    fn lock_metric(&mut self, metric: &str) -> Result<()> {
        // Serialises baseline and triage changes of one metric across every writer.
        self.exec(
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(metric.to_string()),
        )
    }

    fn open_alert_id(&mut self, metric: &str) -> Result<Option<i64>> {
        self.one(
            sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT id FROM alerts WHERE metric = $1 AND state IN {OPEN} ORDER BY id DESC LIMIT 1"
            )))
            .bind(metric.to_string()),
        )
    }

    fn alert_target(&mut self, id: i64) -> Result<Option<(String, i64, i64, i64)>> {
        block(
            sqlx::query_as(
                "SELECT metric, COALESCE(bad_run_id, opened_run_id), COALESCE(level_run_id, bad_run_id, opened_run_id), last_run_id FROM alerts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *self.tx),
        )
        .map_err(|e| store_err(self.label, "reading alerts", &e))
    }

    fn insert_alert(&mut self, a: &Alert) -> Result<i64> {
        let id = self.one(
            sqlx::query_scalar(
                "INSERT INTO alerts (metric, kind, severity, state, opened_run_id, last_run_id, value, baseline, z, change_pct, updated_at, updated_by, reason, group_id, good_run_id, bad_run_id, rule)
                 VALUES ($1, $2, $3, 'untriaged', $4, $5, $6, $7, $8, $9, $10, $11, '', $12, $13, $14, $15) RETURNING id",
            )
            .bind(a.metric.clone())
            .bind(a.kind.as_str())
            .bind(a.severity.as_str())
            .bind(a.opened_run_id)
            .bind(a.last_run_id)
            .bind(a.value)
            .bind(a.baseline)
            .bind(a.z)
            .bind(a.change_pct)
            .bind(now_string())
            .bind(actor())
            .bind(a.group_id)
            .bind(a.good_run_id)
            .bind(a.bad_run_id)
            .bind(a.rule),
        )?;
        id.ok_or_else(|| {
            Error::Store(format!(
                "{}: recording the alert returned no id",
                self.label
            ))
        })
    }

    fn refresh_alert(&mut self, id: i64, a: &Alert) -> Result<()> {
        self.exec(
            sqlx::query(
                "UPDATE alerts SET last_run_id = $1, severity = $2, value = $3, baseline = $4, z = $5, change_pct = $6,
                 level_run_id = COALESCE($8, level_run_id), level_raised_run_id = COALESCE($9, level_raised_run_id) WHERE id = $7",
            )
                .bind(a.last_run_id)
                .bind(a.severity.as_str())
                .bind(a.value)
                .bind(a.baseline)
                .bind(a.z)
                .bind(a.change_pct)
                .bind(id)
                .bind(a.level.map(|l| l.0))
                .bind(a.level.map(|l| l.1)),
        )
    }

    fn set_state(&mut self, id: i64, state: TriageState, who: &str, reason: &str) -> Result<()> {
        self.exec(
            sqlx::query("UPDATE alerts SET state = $1, updated_at = $2, updated_by = $3, reason = $4 WHERE id = $5")
                .bind(state.as_str())
                .bind(now_string())
                .bind(who.to_string())
                .bind(reason.to_string())
                .bind(id),
        )
    }

    fn close_open(
        &mut self,
        metric: &str,
        state: TriageState,
        who: &str,
        reason: &str,
    ) -> Result<()> {
        self.exec(
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE alerts SET state = $1, updated_at = $2, updated_by = $3, reason = $4 WHERE (metric = $5 OR $5 = '*') AND state IN {OPEN}"
            )))
            .bind(state.as_str())
            .bind(now_string())
            .bind(who.to_string())
            .bind(reason.to_string())
            .bind(metric.to_string()),
        )
    }

    fn insert_baseline_event(
        &mut self,
        metric: &str,
        action: BaselineAction,
        since_run: i64,
        who: &str,
        reason: &str,
    ) -> Result<()> {
        self.exec(
            sqlx::query("INSERT INTO baseline_events (metric, action, since_run, at, who, reason) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(metric.to_string())
                .bind(action.as_str())
                .bind(since_run)
                .bind(now_string())
                .bind(who.to_string())
                .bind(reason.to_string()),
        )
    }

    fn last_baseline_event(&mut self, metric: &str) -> Result<Option<rules::BaselineEvent>> {
        let row: Option<(i64, String, i64, String, String, String)> = block(
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT id, action, since_run, at, who, reason FROM baseline_events e
                 WHERE metric = $1 AND {} ORDER BY id DESC LIMIT 1",
                super::EFFECTIVE_EVENT_SQL
            )))
            .bind(metric.to_string())
            .fetch_optional(&mut *self.tx),
        )
        .map_err(|e| store_err(self.label, "reading baseline events", &e))?;
        row.map(|(id, action, since_run, at, who, reason)| {
            let action = BaselineAction::parse(&action).ok_or_else(|| {
                Error::Store(format!(
                    "{}: baseline event #{id} has an unknown action {action:?}",
                    self.label
                ))
            })?;
            Ok(rules::BaselineEvent {
                id,
                action,
                since_run,
                at,
                who,
                reason,
            })
        })
        .transpose()
    }

    fn newest_run(&mut self) -> Result<i64> {
        Ok(self
            .one(sqlx::query_scalar(
                "SELECT COALESCE(MAX(id), 0)::BIGINT FROM runs",
            ))?
            .unwrap_or(0))
    }

    fn changed_since(
        &mut self,
        metric: &str,
        state: TriageState,
        who: &str,
        reason: &str,
        at: &str,
    ) -> Result<Vec<i64>> {
        block(
            sqlx::query_scalar(
                "SELECT id FROM alerts WHERE (metric = $1 OR $1 = '*') AND state = $2
                 AND updated_by = $3 AND reason = $4 AND updated_at COLLATE \"C\" >= $5 ORDER BY id",
            )
            .bind(metric.to_string())
            .bind(state.as_str())
            .bind(who.to_string())
            .bind(reason.to_string())
            .bind(at.to_string())
            .fetch_all(&mut *self.tx),
        )
        .map_err(|e| store_err(self.label, "reading alerts", &e))
    }

    fn clear_suspect(&mut self, metric: &str, first_run: i64, last_run: i64) -> Result<()> {
        self.exec(
            sqlx::query(
                "UPDATE metric_values SET suspect = FALSE WHERE metric = $1 AND run_id BETWEEN $2 AND $3",
            )
            .bind(metric.to_string())
            .bind(first_run)
            .bind(last_run),
        )
    }

    fn name_run(&mut self, name: &str, run_id: i64, who: &str) -> Result<()> {
        self.exec(
            sqlx::query(
                "INSERT INTO named_runs (name, run_id, at, who) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET run_id = EXCLUDED.run_id, at = EXCLUDED.at, who = EXCLUDED.who",
            )
            .bind(name.to_string())
            .bind(run_id)
            .bind(now_string())
            .bind(who.to_string()),
        )
    }

    fn audit(&mut self, who: &str, action: &str, target: &str, reason: &str) -> Result<()> {
        self.exec(
            sqlx::query("INSERT INTO audit_log (at, who, action, target, reason) VALUES ($1, $2, $3, $4, $5)")
                .bind(now_string())
                .bind(who.to_string())
                .bind(action.to_string())
                .bind(target.to_string())
                .bind(reason.to_string()),
        )
    }
}
