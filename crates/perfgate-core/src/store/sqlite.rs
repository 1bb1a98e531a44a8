//! The embedded store: SQLite in WAL mode with versioned migrations.
//!
//! A store from a newer perfgate, or a file that is not a database, is refused
//! before anything is written to it.

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::error::{Error, Result};

/// How long opening the store waits on other processes' locks.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Switch the store to WAL (a no-op once any process has). The switch needs the
/// file to itself, and SQLite answers "locked" at once, without waiting on the
/// busy handler, when another process opening the store at the same moment holds
/// its read lock (a deadlock it will not wait out): so this waits and tries
/// again, up to the busy timeout.
fn enable_wal(conn: &Connection) -> rusqlite::Result<()> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            r => return r,
        }
    }
}

/// Each entry migrates from version i to i+1.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    pid INTEGER NOT NULL
);
CREATE TABLE scenario_results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    note TEXT,
    errors_json TEXT NOT NULL,
    requests INTEGER NOT NULL,
    histogram BLOB,
    PRIMARY KEY (run_id, scenario)
);
CREATE TABLE metric_values (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    scenario TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    z REAL,
    severity TEXT,
    suspect INTEGER NOT NULL DEFAULT 0,
    kind TEXT,
    PRIMARY KEY (run_id, metric)
);
CREATE INDEX metric_values_metric ON metric_values(metric, run_id);
CREATE TABLE baseline_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    metric TEXT NOT NULL,
    action TEXT NOT NULL,
    since_run INTEGER NOT NULL,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    metric TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_run_id INTEGER NOT NULL,
    last_run_id INTEGER NOT NULL,
    value REAL NOT NULL,
    baseline REAL NOT NULL,
    z REAL NOT NULL,
    change_pct REAL NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX alerts_metric ON alerts(metric, state);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL
);
"#,
    // 2: the judgement's context, so a stored run re-renders exactly.
    r#"
ALTER TABLE metric_values ADD COLUMN baseline_n INTEGER;
ALTER TABLE metric_values ADD COLUMN baseline_mean REAL;
ALTER TABLE metric_values ADD COLUMN baseline_std REAL;
ALTER TABLE metric_values ADD COLUMN baseline_median REAL;
ALTER TABLE metric_values ADD COLUMN baseline_robust_std REAL;
ALTER TABLE metric_values ADD COLUMN change_pct REAL;
ALTER TABLE metric_values ADD COLUMN verdict TEXT;
ALTER TABLE metric_values ADD COLUMN rule TEXT;
"#,
    // 3: names for runs (`perfgate save-baseline NAME`), for A/B comparisons.
    r#"
CREATE TABLE named_runs (
    name TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    at TEXT NOT NULL,
    who TEXT NOT NULL
);
"#,
    // 4: alerts sent, for throttling and dedup across separate CI runs.
    r#"
CREATE TABLE alert_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    metric TEXT NOT NULL,
    severity TEXT NOT NULL,
    channels TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE INDEX alert_log_metric ON alert_log(metric, severity, sent_at);
"#,
    // 5: sharded runs share a group that `perfgate merge` combines.
    r#"
ALTER TABLE runs ADD COLUMN run_group TEXT;
CREATE INDEX runs_group ON runs(run_group);
"#,
    // 6: alert groups and the suspect range (last good run, first bad run).
    r#"
ALTER TABLE alerts ADD COLUMN group_id INTEGER;
ALTER TABLE alerts ADD COLUMN good_run_id INTEGER;
ALTER TABLE alerts ADD COLUMN bad_run_id INTEGER;
"#,
    // 7: alert quality per rule; report-only metrics never fail a build.
    r#"
ALTER TABLE alerts ADD COLUMN rule TEXT;
ALTER TABLE metric_values ADD COLUMN report_only INTEGER NOT NULL DEFAULT 0;
"#,
    // 8: an escalated alert's level: where the further move began, and its run.
    r#"
ALTER TABLE alerts ADD COLUMN level_run_id INTEGER;
ALTER TABLE alerts ADD COLUMN level_raised_run_id INTEGER;
"#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

fn db_err(path: &Path, what: &str, e: rusqlite::Error) -> Error {
    let hint = repair_hint(&e);
    Error::Store(format!("{}: {what} failed: {e}{hint}", path.display()))
}

/// A damaged file (not a foreign one): say what gets the history back, not only
/// that it failed.
fn repair_hint(e: &rusqlite::Error) -> &'static str {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) {
        "; `perfgate store repair` backs it up and rebuilds it from every readable row"
    } else {
        ""
    }
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let exists = path.exists();
        if !exists && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Store(format!(
                    "{}: cannot create the store's directory {} ({e})",
                    path.display(),
                    dir.display()
                ))
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(path, "opening the store", e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| db_err(path, "setting the busy timeout", e))?;
        // Read before writing anything: a foreign or newer file must stay untouched.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| unusable(path, "perfgate store", &e))?;
        if version > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "{}: store schema version {version} is newer than this perfgate understands ({SCHEMA_VERSION}); upgrade perfgate. The file was left as it was",
                path.display()
            )));
        }
        if exists && version == 0 {
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(|e| unusable(path, "perfgate store", &e))?;
            // Another perfgate may have just created the schema: look again.
            let again: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap_or(0);
            if tables > 0 && again == 0 {
                return Err(Error::Store(format!(
                    "{}: is an SQLite database but not a perfgate store; it was left as it was",
                    path.display()
                )));
            }
        }
        enable_wal(&conn).map_err(|e| db_err(path, "enabling WAL", e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| db_err(path, "setting synchronous", e))?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
        };
        tracing::debug!(path = %path.display(), version, "store opened");
        if exists && version > 0 && version < SCHEMA_VERSION {
            // An older store is upgraded, but only after a copy of it is kept.
            let backup = backup_path(path, &format!("v{version}"));
            store
                .conn
                .execute("VACUUM INTO ?1", [backup.display().to_string()])
                .map_err(|e| db_err(path, "backing up before the schema upgrade", e))?;
            eprintln!(
                "perfgate: {}: upgrading the store from schema {version} to {SCHEMA_VERSION}; a copy of the old one is at {}",
                path.display(),
                backup.display()
            );
        }
        store.migrate(version)?;
        store.mark_stale_runs()?;
        Ok(store)
    }

    /// Every pending migration in one transaction: other processes see the schema
    /// either before or after, never half-way (so a partial version always means a
    /// store written by an older perfgate).
    fn migrate(&mut self, from: i64) -> Result<()> {
        if from >= SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_err(&self.path, "starting a migration", e))?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db_err(&self.path, "reading the schema version", e))?;
        for sql in MIGRATIONS.iter().skip(now.max(0) as usize) {
            tx.execute_batch(sql)
                .map_err(|e| db_err(&self.path, "migrating the schema", e))?;
        }
        if now < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(|e| db_err(&self.path, "recording the schema version", e))?;
        }
        tx.commit()
            .map_err(|e| db_err(&self.path, "committing the migration", e))
    }

    /// Runs left `running` by a process that no longer exists were interrupted hard.
    fn mark_stale_runs(&mut self) -> Result<()> {
        let stale: Vec<(i64, i64)> = {
            let mut st = self
                .conn
                .prepare("SELECT id, pid FROM runs WHERE status = ?1")
                .map_err(|e| db_err(&self.path, "reading runs", e))?;
            st.query_map([RunStatus::Running], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| db_err(&self.path, "reading runs", e))?
        };
        for (id, pid) in stale {
            if !process_alive(pid) {
                self.conn
                    .execute(
                        "UPDATE runs SET status = ?1 WHERE id = ?2 AND status = ?3",
                        params![RunStatus::Incomplete, id, RunStatus::Running],
                    )
                    .map_err(|e| db_err(&self.path, "marking an interrupted run", e))?;
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn integrity_ok(&self) -> Result<bool> {
        let r: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| db_err(&self.path, "integrity check", e))?;
        Ok(r == "ok")
    }
}

/// `<store>.backup-<tag>-<timestamp>` beside the store.
pub fn backup_path(path: &Path, tag: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    path.with_file_name(format!(
        "{name}.backup-{tag}-{stamp}-{}",
        std::process::id()
    ))
}

/// What `perfgate store check` found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub integrity: String,
    pub version: i64,
    /// None when the runs table cannot be read.
    pub runs: Option<i64>,
}

/// A store that cannot be read as `what`, left as it was.
fn unusable(path: &Path, what: &str, e: &rusqlite::Error) -> Error {
    let hint = repair_hint(e);
    Error::Store(format!(
        "{}: is not a usable {what} ({e}); it was left as it was{hint}",
        path.display()
    ))
}

/// Read-only health check: nothing is written, whatever the file holds.
pub fn check(path: &Path) -> Result<CheckReport> {
    if !path.exists() {
        return Err(Error::Store(format!("{}: no such store", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| db_err(path, "opening the store read-only", e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| unusable(path, "SQLite database", &e))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| format!("unreadable: {e}"));
    let runs = conn
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .ok();
    Ok(CheckReport {
        integrity,
        version,
        runs,
    })
}

/// `perfgate store export FILE`: a consistent, compacted copy of the store (SQLite's
/// `VACUUM INTO`), safe while runs write; a file to keep where caches do not evict
/// it (a dedicated git branch, an artifact store). Refuses to overwrite.
pub fn export(path: &Path, to: &Path) -> Result<CheckReport> {
    if to.exists() {
        return Err(Error::Usage(format!(
            "{}: already exists; export never overwrites",
            to.display()
        )));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| db_err(path, "opening the store read-only", e))?;
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])
        .map_err(|e| db_err(path, "exporting", e))?;
    check(to)
}

/// `perfgate store import FILE`: take an exported history as the store. The file
/// must pass the integrity check and hold a schema this perfgate understands; the
/// store it replaces is backed up first. Returns the backup (if there was a store)
/// and what the imported file holds.
pub fn import(path: &Path, from: &Path) -> Result<(Option<PathBuf>, CheckReport)> {
    let r = check(from)?;
    if r.integrity != "ok" {
        return Err(Error::Usage(format!(
            "{}: integrity check failed ({}); nothing imported",
            from.display(),
            r.integrity
        )));
    }
    if r.version > SCHEMA_VERSION || r.runs.is_none() {
        return Err(Error::Usage(format!(
            "{}: schema version {} is not one this perfgate reads (up to {SCHEMA_VERSION}); nothing imported",
            from.display(),
            r.version
        )));
    }
    let backup = if path.exists() {
        let b = backup_path(path, "import");
        std::fs::copy(path, &b)
            .map_err(|e| Error::Store(format!("{}: backing up: {e}", path.display())))?;
        Some(b)
    } else {
        None
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Store(format!("{}: {e}", dir.display())))?;
    }
    // Copied beside the store, then renamed over it: a crash leaves one or the other.
    let tmp = path.with_extension("importing");
    std::fs::copy(from, &tmp)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::Store(format!("{}: importing: {e}", path.display())))?;
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", path.display()));
    }
    // Opening migrates an older export to the current schema.
    drop(SqliteStore::open(path)?);
    Ok((backup, r))
}

/// Rows recovered per table by a repair (None: the table could not be read).
pub type Recovered = Vec<(String, Option<i64>)>;

/// `perfgate store repair`: back the file up first, then copy every row that can
/// still be read into a fresh store and put it in place. Returns (backup, rows
/// recovered per table).
pub fn repair(path: &Path) -> Result<(PathBuf, Recovered)> {
    if !path.exists() {
        return Err(Error::Store(format!("{}: no such store", path.display())));
    }
    let backup = backup_path(path, "repair");
    std::fs::copy(path, &backup).map_err(|e| {
        Error::Store(format!(
            "{}: cannot back up to {} ({e}); nothing was changed",
            path.display(),
            backup.display()
        ))
    })?;
    for ext in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{ext}", path.display()));
        if side.exists() {
            let _ = std::fs::copy(&side, format!("{}{ext}", backup.display()));
        }
    }
    let fresh_path = path.with_file_name(format!(
        "{}.repairing",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&fresh_path);
    {
        let fresh = SqliteStore::open(&fresh_path)?;
        if let Err(e) = fresh
            .conn
            .execute("ATTACH DATABASE ?1 AS old", [backup.display().to_string()])
        {
            // Nothing readable to rebuild from: leave no half-made store behind.
            drop(fresh);
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", fresh_path.display()));
            }
            return Err(Error::Store(format!(
                "{}: cannot be read at all ({e}): its first page, which holds the schema, is damaged, so no row can be recovered; the store was left as it was (a copy is at {})",
                path.display(),
                backup.display()
            )));
        }
        let mut recovered = Vec::new();
        for table in [
            "runs",
            "scenario_results",
            "metric_values",
            "baseline_events",
            "alerts",
            "audit_log",
            "named_runs",
            "alert_log",
        ] {
            // Columns both sides have, so older stores repair too.
            let cols: Vec<String> = fresh
                .conn
                .prepare(&format!(
                    "SELECT name FROM old.pragma_table_info('{table}')"
                ))
                .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect())
                .unwrap_or_default();
            if cols.is_empty() {
                continue;
            }
            let list = cols.join(", ");
            let n = fresh
                .conn
                .execute(
                    &format!(
                        "INSERT OR IGNORE INTO main.{table} ({list}) SELECT {list} FROM old.{table}"
                    ),
                    [],
                )
                .map(|n| n as i64)
                .ok();
            recovered.push((table.to_string(), n));
        }
        fresh
            .conn
            .execute("DETACH DATABASE old", [])
            .map_err(|e| db_err(path, "finishing the repair", e))?;
        drop(fresh);
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        std::fs::rename(&fresh_path, path).map_err(|e| {
            Error::Store(format!(
                "{}: cannot put the repaired store in place ({e}); the backup is {}",
                path.display(),
                backup.display()
            ))
        })?;
        Ok((backup, recovered))
    }
}

fn process_alive(pid: i64) -> bool {
    if pid as u32 == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without a cheap check, leave the run as it is.
        true
    }
}

fn alert_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: r.get(0)?,
        metric: r.get(1)?,
        kind: r.get(2)?,
        severity: r.get(3)?,
        state: r.get(4)?,
        opened_run_id: r.get(5)?,
        last_run_id: r.get(6)?,
        value: r.get(7)?,
        baseline: r.get(8)?,
        z: r.get(9)?,
        change_pct: r.get(10)?,
        updated_at: r.get(11)?,
        updated_by: r.get(12)?,
        reason: r.get(13)?,
        group_id: r.get(14)?,
        good_run_id: r.get(15)?,
        bad_run_id: r.get(16)?,
        rule: r.get(17)?,
        level: r
            .get::<_, Option<i64>>(18)?
            .zip(r.get::<_, Option<i64>>(19)?),
    })
}

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        started_at: r.get(1)?,
        finished_at: r.get(2)?,
        status: r.get(3)?,
        verdict: r.get(4)?,
        commit: r.get(5)?,
        branch: r.get(6)?,
        config_fingerprint: r.get(7)?,
        host: r.get(8)?,
        mode: r.get(9)?,
    })
}

impl Store for SqliteStore {
    fn begin_run(&mut self, meta: &RunMeta) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, status, commit_sha, branch, config_fingerprint, config_path, host, mode, pid, run_group)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    meta.started_at,
                    RunStatus::Running,
                    meta.commit,
                    meta.branch,
                    meta.config_fingerprint,
                    meta.config_path,
                    meta.host,
                    meta.mode,
                    std::process::id() as i64,
                    meta.run_group
                ],
            )
            .map_err(|e| db_err(&self.path, "recording the run", e))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(
        &mut self,
        run_id: i64,
        status: RunStatus,
        verdict: Verdict,
        scenarios: &[ScenarioRow],
        metrics: &[MetricRow],
    ) -> Result<()> {
        let path = self.path.clone();
        let e = |e| db_err(&path, "storing the run", e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        {
            let mut st = tx
                .prepare(
                    "INSERT OR REPLACE INTO scenario_results (run_id, scenario, kind, status, error, note, errors_json, requests, histogram)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            for s in scenarios {
                st.execute(params![
                    run_id,
                    s.scenario,
                    s.kind,
                    s.status,
                    s.error,
                    s.note,
                    s.errors_json,
                    s.requests as i64,
                    s.histogram
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT OR REPLACE INTO metric_values (run_id, scenario, metric, value, unit, z, severity, suspect, kind,
                         baseline_n, baseline_mean, baseline_std, baseline_median, change_pct, verdict, rule, baseline_robust_std, report_only)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                )
                .map_err(e)?;
            for m in metrics {
                st.execute(params![
                    run_id,
                    m.scenario,
                    m.metric,
                    m.value,
                    m.unit,
                    m.z,
                    m.severity,
                    m.suspect,
                    m.kind,
                    m.baseline_n.map(|n| n as i64),
                    m.baseline_mean,
                    m.baseline_std,
                    m.baseline_median,
                    m.change_pct,
                    m.verdict,
                    m.rule,
                    m.baseline_robust_std,
                    m.report_only
                ])
                .map_err(e)?;
            }
        }
        tx.execute(
            "UPDATE runs SET status = ?1, verdict = ?2, finished_at = ?3 WHERE id = ?4",
            params![status, verdict, now_string(), run_id],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLS} FROM runs ORDER BY id DESC LIMIT ?1"
            ))
            .map_err(|e| db_err(&self.path, "listing runs", e))?;
        st.query_map([limit as i64], run_from_row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, "listing runs", e))
    }

    fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        self.conn
            .query_row(
                &format!("SELECT {RUN_COLS} FROM runs WHERE id = ?1"),
                [id],
                run_from_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, "reading a run", e))
    }

    fn run_metrics(&self, run_id: i64) -> Result<Vec<MetricRow>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT scenario, metric, value, unit, z, severity, suspect, kind, baseline_n, baseline_mean, baseline_std,
                        baseline_median, change_pct, verdict, rule, baseline_robust_std, report_only
                 FROM metric_values WHERE run_id = ?1 ORDER BY rowid",
            )
            .map_err(|e| db_err(&self.path, "reading metrics", e))?;
        st.query_map([run_id], |r| {
            Ok(MetricRow {
                scenario: r.get(0)?,
                metric: r.get(1)?,
                value: r.get(2)?,
                unit: r.get(3)?,
                z: r.get(4)?,
                severity: r.get(5)?,
                suspect: r.get(6)?,
                kind: r.get(7)?,
                baseline_n: r.get::<_, Option<i64>>(8)?.map(|n| n as usize),
                baseline_mean: r.get(9)?,
                baseline_std: r.get(10)?,
                baseline_median: r.get(11)?,
                change_pct: r.get(12)?,
                verdict: r.get(13)?,
                rule: r.get(14)?,
                baseline_robust_std: r.get(15)?,
                report_only: r.get(16)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| db_err(&self.path, "reading metrics", e))
    }

    fn run_scenarios(&self, run_id: i64) -> Result<Vec<ScenarioRow>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT scenario, kind, status, error, note, errors_json, requests, histogram FROM scenario_results WHERE run_id = ?1 ORDER BY rowid",
            )
            .map_err(|e| db_err(&self.path, "reading scenarios", e))?;
        st.query_map([run_id], |r| {
            Ok(ScenarioRow {
                scenario: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                error: r.get(3)?,
                note: r.get(4)?,
                errors_json: r.get(5)?,
                requests: r.get::<_, i64>(6)? as u64,
                histogram: r.get(7)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| db_err(&self.path, "reading scenarios", e))
    }

    fn metric_names(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT metric FROM metric_values ORDER BY metric")
            .map_err(|e| db_err(&self.path, "listing metrics", e))?;
        st.query_map([], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, "listing metrics", e))
    }

    fn history_between(
        &self,
        metric: &str,
        after_run: i64,
        before_run: i64,
        limit: usize,
        exclude_run: Option<i64>,
    ) -> Result<Vec<HistoryPoint>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT m.run_id, r.started_at, m.value, m.suspect FROM metric_values m JOIN runs r ON r.id = m.run_id
                 WHERE m.metric = ?1 AND m.run_id > ?2 AND m.run_id < ?6 AND r.status = ?3 AND m.run_id != ?4
                 ORDER BY m.run_id DESC LIMIT ?5",
            )
            .map_err(|e| db_err(&self.path, "reading history", e))?;
        let mut v: Vec<HistoryPoint> = st
            .query_map(
                params![
                    metric,
                    after_run,
                    RunStatus::Complete,
                    exclude_run.unwrap_or(-1),
                    limit as i64,
                    before_run
                ],
                |r| {
                    Ok(HistoryPoint {
                        run_id: r.get(0)?,
                        at: r.get(1)?,
                        value: r.get(2)?,
                        suspect: r.get(3)?,
                    })
                },
            )
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, "reading history", e))?;
        v.reverse();
        Ok(v)
    }

    fn baseline_epoch(&self, metric: &str) -> Result<i64> {
        self.conn
            .query_row(&super::epoch_sql("?1"), [metric], |r| r.get(0))
            .map_err(|e| db_err(&self.path, "reading baseline events", e))
    }

    fn write(
        &mut self,
        what: &str,
        f: &mut dyn FnMut(&mut dyn rules::Tx) -> Result<i64>,
    ) -> Result<i64> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_err(path, what, e))?;
        let mut t = SqliteTx { tx, path };
        let out = f(&mut t)?;
        t.tx.commit().map_err(|e| db_err(path, what, e))?;
        Ok(out)
    }

    fn alerts(&self, open_only: bool) -> Result<Vec<Alert>> {
        let sql = if open_only {
            format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE state IN {OPEN_STATES_SQL} ORDER BY id DESC"
            )
        } else {
            format!("SELECT {ALERT_COLS} FROM alerts ORDER BY id DESC LIMIT 500")
        };
        let mut st = self
            .conn
            .prepare(&sql)
            .map_err(|e| db_err(&self.path, "listing alerts", e))?;
        st.query_map([], alert_from_row)
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, "listing alerts", e))
    }

    fn open_alert(&self, metric: &str) -> Result<Option<Alert>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {ALERT_COLS} FROM alerts WHERE metric = ?1 AND state IN {OPEN_STATES_SQL} ORDER BY id DESC LIMIT 1"
                ),
                [metric],
                alert_from_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, "reading alerts", e))
    }

    fn last_recovered_alert(&self, metric: &str) -> Result<Option<Alert>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {ALERT_COLS} FROM alerts WHERE metric = ?1 AND kind = ?2 AND state = ?3 AND updated_by = ?4 ORDER BY id DESC LIMIT 1"
                ),
                params![
                    metric,
                    AlertKind::Regression.as_str(),
                    TriageState::Fixed.as_str(),
                    super::SELF_ACTOR
                ],
                alert_from_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, "reading alerts", e))
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut st = self
            .conn
            .prepare("SELECT id, at, who, action, target, reason FROM audit_log ORDER BY id DESC LIMIT ?1")
            .map_err(|e| db_err(&self.path, "reading the audit log", e))?;
        st.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                who: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                reason: r.get(5)?,
            })
        })
        .and_then(|r| r.collect())
        .map_err(|e| db_err(&self.path, "reading the audit log", e))
    }

    fn named_run(&self, name: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT run_id FROM named_runs WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, "reading run names", e))
    }

    fn group_shards(&self, group: &str) -> Result<Vec<i64>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM runs WHERE run_group = ?1 AND status = ?2 ORDER BY id")
            .map_err(|e| db_err(&self.path, "reading the run group", e))?;
        st.query_map(params![group, RunStatus::Shard], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| db_err(&self.path, "reading the run group", e))
    }

    fn severities_sent_since(&self, metric: &str, since_unix: i64) -> Result<Vec<String>> {
        let read = || -> rusqlite::Result<Vec<String>> {
            let mut q = self.conn.prepare(
                "SELECT DISTINCT severity FROM alert_log WHERE metric = ?1 AND sent_at >= ?2",
            )?;
            q.query_map(params![metric, since_unix], |r| r.get(0))?
                .collect()
        };
        read().map_err(|e| db_err(&self.path, "reading the alert log", e))
    }

    fn alerts_sent_since(&self, since_unix: i64) -> Result<usize> {
        self.conn
            .query_row(
                "SELECT count(*) FROM alert_log WHERE sent_at >= ?1",
                [since_unix],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| db_err(&self.path, "reading the alert log", e))
    }

    fn record_alert_sent(
        &mut self,
        metric: &str,
        severity: &str,
        channels: &str,
        run_id: i64,
        at_unix: i64,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO alert_log (metric, severity, channels, run_id, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![metric, severity, channels, run_id, at_unix],
            )
            .map(|_| ())
            .map_err(|e| db_err(&self.path, "recording a sent alert", e))
    }

    fn latest_run_id(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM runs", [], |r| r.get(0))
            .map_err(|e| db_err(&self.path, "reading runs", e))
    }
}

/// One write transaction of [`rules`] on SQLite.
struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    path: &'a Path,
}

impl SqliteTx<'_> {
    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<()> {
        self.tx
            .execute(sql, p)
            .map(|_| ())
            .map_err(|e| db_err(self.path, "writing", e))
    }
}

impl rules::Tx for SqliteTx<'_> {
    fn lock_metric(&mut self, _metric: &str) -> Result<()> {
        Ok(()) // the immediate transaction holds the write lock already
    }

    fn open_alert_id(&mut self, metric: &str) -> Result<Option<i64>> {
        self.tx
            .query_row(
                &format!(
                    "SELECT id FROM alerts WHERE metric = ?1 AND state IN {OPEN_STATES_SQL} ORDER BY id DESC LIMIT 1"
                ),
                [metric],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(self.path, "reading alerts", e))
    }

    fn alert_target(&mut self, id: i64) -> Result<Option<(String, i64, i64, i64)>> {
        self.tx
            .query_row(
                "SELECT metric, COALESCE(bad_run_id, opened_run_id), COALESCE(level_run_id, bad_run_id, opened_run_id), last_run_id FROM alerts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| db_err(self.path, "reading alerts", e))
    }

    fn insert_alert(&mut self, a: &Alert) -> Result<i64> {
        self.exec(
            "INSERT INTO alerts (metric, kind, severity, state, opened_run_id, last_run_id, value, baseline, z, change_pct, updated_at, updated_by, reason, group_id, good_run_id, bad_run_id, rule)
             VALUES (?1, ?2, ?3, 'untriaged', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '', ?12, ?13, ?14, ?15)",
            params![a.metric, a.kind, a.severity, a.opened_run_id, a.last_run_id, a.value, a.baseline, a.z, a.change_pct, now_string(), actor(), a.group_id, a.good_run_id, a.bad_run_id, a.rule],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn refresh_alert(&mut self, id: i64, a: &Alert) -> Result<()> {
        self.exec(
            "UPDATE alerts SET last_run_id = ?1, severity = ?2, value = ?3, baseline = ?4, z = ?5, change_pct = ?6,
             level_run_id = COALESCE(?8, level_run_id), level_raised_run_id = COALESCE(?9, level_raised_run_id) WHERE id = ?7",
            params![a.last_run_id, a.severity, a.value, a.baseline, a.z, a.change_pct, id, a.level.map(|l| l.0), a.level.map(|l| l.1)],
        )
    }

    fn set_state(&mut self, id: i64, state: TriageState, who: &str, reason: &str) -> Result<()> {
        self.exec(
            "UPDATE alerts SET state = ?1, updated_at = ?2, updated_by = ?3, reason = ?4 WHERE id = ?5",
            params![state, now_string(), who, reason, id],
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
            &format!(
                "UPDATE alerts SET state = ?1, updated_at = ?2, updated_by = ?3, reason = ?4
                 WHERE (metric = ?5 OR ?5 = '*') AND state IN {OPEN_STATES_SQL}"
            ),
            params![state, now_string(), who, reason, metric],
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
            "INSERT INTO baseline_events (metric, action, since_run, at, who, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![metric, action, since_run, now_string(), who, reason],
        )
    }

    fn last_baseline_event(&mut self, metric: &str) -> Result<Option<rules::BaselineEvent>> {
        self.tx
            .query_row(
                &format!(
                    "SELECT id, action, since_run, at, who, reason FROM baseline_events e
                     WHERE metric = ?1 AND {EFFECTIVE_EVENT_SQL} ORDER BY id DESC LIMIT 1"
                ),
                [metric],
                |r| {
                    Ok(rules::BaselineEvent {
                        id: r.get(0)?,
                        action: r.get(1)?,
                        since_run: r.get(2)?,
                        at: r.get(3)?,
                        who: r.get(4)?,
                        reason: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(|e| db_err(self.path, "reading baseline events", e))
    }

    fn newest_run(&mut self) -> Result<i64> {
        self.tx
            .query_row("SELECT COALESCE(MAX(id), 0) FROM runs", [], |r| r.get(0))
            .map_err(|e| db_err(self.path, "reading runs", e))
    }

    fn changed_since(
        &mut self,
        metric: &str,
        state: TriageState,
        who: &str,
        reason: &str,
        at: &str,
    ) -> Result<Vec<i64>> {
        let mut st = self
            .tx
            .prepare(
                "SELECT id FROM alerts WHERE (metric = ?1 OR ?1 = '*') AND state = ?2
                 AND updated_by = ?3 AND reason = ?4 AND updated_at >= ?5 ORDER BY id",
            )
            .map_err(|e| db_err(self.path, "reading alerts", e))?;
        st.query_map(params![metric, state, who, reason, at], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| db_err(self.path, "reading alerts", e))
    }

    fn clear_suspect(&mut self, metric: &str, first_run: i64, last_run: i64) -> Result<()> {
        self.exec(
            "UPDATE metric_values SET suspect = 0 WHERE metric = ?1 AND run_id BETWEEN ?2 AND ?3",
            params![metric, first_run, last_run],
        )
    }

    fn name_run(&mut self, name: &str, run_id: i64, who: &str) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO named_runs (name, run_id, at, who) VALUES (?1, ?2, ?3, ?4)",
            params![name, run_id, now_string(), who],
        )
    }

    fn audit(&mut self, who: &str, action: &str, target: &str, reason: &str) -> Result<()> {
        self.exec(
            "INSERT INTO audit_log (at, who, action, target, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now_string(), who, action, target, reason],
        )
    }
}
