//! Where history lives. A small interface so that a shared PostgreSQL store can
//! sit beside the embedded SQLite one.

mod names;
pub mod postgres;
pub mod rules;
pub mod sqlite;

use serde::Serialize;

use crate::config::ScenarioType;
use crate::model::{
    AlertKind, BaselineAction, DetectionRule, MetricVerdict, RunMode, RunStatus, ScenarioStatus,
    Severity, TriageState, Verdict,
};

use crate::error::Result;

pub use sqlite::SqliteStore;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunMeta {
    pub started_at: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub config_fingerprint: String,
    pub config_path: String,
    pub host: String,
    /// What started the run.
    pub mode: RunMode,
    /// Sharded load: the group whose shards `perfgate merge` combines.
    pub run_group: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub verdict: Option<Verdict>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub config_fingerprint: String,
    pub host: String,
    pub mode: RunMode,
}

/// One metric value of a run, with the judgement made when it was stored.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MetricRow {
    pub scenario: String,
    pub metric: String,
    pub value: f64,
    pub unit: String,
    pub z: Option<f64>,
    pub severity: Option<Severity>,
    /// Beyond the suspect threshold in the bad direction: kept out of baselines.
    pub suspect: bool,
    /// `regression`, `improvement` or none.
    pub kind: Option<AlertKind>,
    pub baseline_n: Option<usize>,
    pub baseline_mean: Option<f64>,
    pub baseline_std: Option<f64>,
    pub baseline_median: Option<f64>,
    pub baseline_robust_std: Option<f64>,
    pub change_pct: Option<f64>,
    pub verdict: Option<MetricVerdict>,
    pub rule: Option<String>,
    /// Judged under a report-only override: never fails a build.
    pub report_only: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ScenarioRow {
    pub scenario: String,
    pub kind: ScenarioType,
    pub status: ScenarioStatus,
    pub error: Option<String>,
    pub note: Option<String>,
    pub errors_json: String,
    pub requests: u64,
    #[serde(skip)]
    pub histogram: Option<Vec<u8>>,
}

/// One value of a metric's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    pub run_id: i64,
    pub at: String,
    pub value: f64,
    pub suspect: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub metric: String,
    pub kind: AlertKind,
    pub severity: Severity,
    pub state: TriageState,
    pub opened_run_id: i64,
    pub last_run_id: i64,
    pub value: f64,
    pub baseline: f64,
    pub z: f64,
    pub change_pct: f64,
    pub updated_at: String,
    pub updated_by: String,
    pub reason: String,
    /// The alert group (changes confirmed in the same run, scenario and direction):
    /// the id of its first alert; None for an alert that leads its own group.
    pub group_id: Option<i64>,
    /// The suspect range: the last good run before the change...
    pub good_run_id: Option<i64>,
    /// ...and the first bad run.
    pub bad_run_id: Option<i64>,
    /// The rule that raised it (None for alerts stored before rules were recorded).
    pub rule: Option<DetectionRule>,
    /// Where its current level begins and the run that raised it, once a further
    /// move escalated it (None until then: the level is the change's own).
    pub level: Option<(i64, i64)>,
}

/// The `runs` columns, in the order both stores' row readers take them by index.
const RUN_COLS: &str = "id, started_at, finished_at, status, verdict, commit_sha, branch, config_fingerprint, host, mode";

/// The `alerts` columns, in the order both stores' row readers take them by index.
const ALERT_COLS: &str = "id, metric, kind, severity, state, opened_run_id, last_run_id, value, baseline, z, change_pct, updated_at, updated_by, reason, group_id, good_run_id, bad_run_id, rule, level_run_id, level_raised_run_id";

/// Who changes an alert's state when perfgate does it itself (an alert that closes
/// as recovered): not a person's triage decision.
pub const SELF_ACTOR: &str = "perfgate";

impl Alert {
    /// What triage said of it: real (Some(true)), a false alarm (Some(false)), or
    /// nothing yet, which includes an alert perfgate closed itself as recovered
    /// (a burst that passed may still have been noise).
    pub fn triage_outcome(&self) -> Option<bool> {
        if self.updated_by == SELF_ACTOR {
            return None;
        }
        self.state.true_alarm()
    }

    /// The group this alert belongs to (its own id when it leads one).
    pub fn group(&self) -> i64 {
        self.group_id.unwrap_or(self.id)
    }

    /// The runs it was seen in, for people: `#6`, or `#6..#9` once later runs kept it
    /// open.
    pub fn runs(&self) -> String {
        if self.opened_run_id == self.last_run_id {
            format!("#{}", self.opened_run_id)
        } else {
            format!("#{}..#{}", self.opened_run_id, self.last_run_id)
        }
    }

    /// Where the change began (the suspect range's bad run), which may be before
    /// the run that confirmed it: its baseline ends there.
    pub fn change_from(&self) -> i64 {
        self.bad_run_id.unwrap_or(self.opened_run_id)
    }

    /// The first run of its current level: where the change began, or where the
    /// further move that escalated it began.
    pub fn level_from(&self) -> i64 {
        self.level.map_or(self.change_from(), |l| l.0)
    }

    /// For people, when a further move escalated it: `escalated in #9, level since
    /// #8`.
    pub fn escalation_note(&self) -> Option<String> {
        self.level
            .map(|(from, raised)| format!("escalated in #{raised}, level since #{from}"))
    }

    /// The run that raised its level: the one that opened it, or its last
    /// escalation. The runs from `level_from` to it always count as the level.
    pub fn level_raised(&self) -> i64 {
        self.level.map_or(self.opened_run_id, |l| l.1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub reason: String,
}

/// The open states as an SQL list, for both backends' queries: the one place the
/// open rule ([`TriageState::is_open`]) is spelled in SQL.
pub const OPEN_STATES_SQL: &str = "('untriaged','acknowledged','investigating')";

/// The baseline events (aliased `e`) that count, for both backends' queries: resets
/// and accepts that no undo took back (an undo's `since_run` is the id of its reset).
pub const EFFECTIVE_EVENT_SQL: &str = "e.action <> 'undo' AND NOT EXISTS \
     (SELECT 1 FROM baseline_events u WHERE u.action = 'undo' AND u.since_run = e.id)";

/// A metric's baseline epoch for both backends (`param` is the metric's placeholder,
/// `?1` or `$1`): the run the newest effective event (its own or a `*` one) starts
/// after. The newest, not the largest: accepting the latest run's level right after
/// a reset at that run makes it the first sample, as the accept says.
pub fn epoch_sql(param: &str) -> String {
    format!(
        "SELECT COALESCE((SELECT since_run FROM baseline_events e \
         WHERE (metric = {param} OR metric = '*') AND {EFFECTIVE_EVENT_SQL} \
         ORDER BY id DESC LIMIT 1), 0)"
    )
}

pub trait Store: Send {
    /// Record that a run started (committed at once, status `running`).
    fn begin_run(&mut self, meta: &RunMeta) -> Result<i64>;
    /// Store a run's results and final status in one transaction.
    fn finish_run(
        &mut self,
        run_id: i64,
        status: RunStatus,
        verdict: Verdict,
        scenarios: &[ScenarioRow],
        metrics: &[MetricRow],
    ) -> Result<()>;
    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>>;
    fn run(&self, id: i64) -> Result<Option<RunRecord>>;
    fn run_metrics(&self, run_id: i64) -> Result<Vec<MetricRow>>;
    fn run_scenarios(&self, run_id: i64) -> Result<Vec<ScenarioRow>>;
    fn metric_names(&self) -> Result<Vec<String>>;
    /// Complete runs' values of a metric after `after_run` (exclusive), oldest first,
    /// at most `limit` most recent, excluding `exclude_run`.
    fn history(
        &self,
        metric: &str,
        after_run: i64,
        limit: usize,
        exclude_run: Option<i64>,
    ) -> Result<Vec<HistoryPoint>> {
        self.history_between(metric, after_run, i64::MAX, limit, exclude_run)
    }
    /// [`Store::history`] of the runs before `before_run` (exclusive) only.
    fn history_between(
        &self,
        metric: &str,
        after_run: i64,
        before_run: i64,
        limit: usize,
        exclude_run: Option<i64>,
    ) -> Result<Vec<HistoryPoint>>;
    /// History only counts after this run id (set by reset / accept).
    fn baseline_epoch(&self, metric: &str) -> Result<i64>;
    fn alerts(&self, open_only: bool) -> Result<Vec<Alert>>;
    fn open_alert(&self, metric: &str) -> Result<Option<Alert>>;
    /// The metric's newest regression alert that perfgate closed itself as
    /// recovered (`fixed` by [`SELF_ACTOR`], and triaged by no one since).
    fn last_recovered_alert(&self, metric: &str) -> Result<Option<Alert>>;
    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>>;
    fn latest_run_id(&self) -> Result<i64>;
    fn named_run(&self, name: &str) -> Result<Option<i64>>;
    /// Severities of the alerts for this metric that went out at or after `since_unix`.
    fn severities_sent_since(&self, metric: &str, since_unix: i64) -> Result<Vec<String>>;
    /// Alerts sent at or after `since_unix`, across all metrics.
    fn alerts_sent_since(&self, since_unix: i64) -> Result<usize>;
    /// Completed shard runs of a run group, oldest first.
    fn group_shards(&self, group: &str) -> Result<Vec<i64>>;
    fn record_alert_sent(
        &mut self,
        metric: &str,
        severity: &str,
        channels: &str,
        run_id: i64,
        at_unix: i64,
    ) -> Result<()>;

    /// Run `f` in one write transaction, committed when it returns `Ok`; `what` names
    /// the change in errors. The rules of [`rules`] are the only callers.
    fn write(
        &mut self,
        what: &str,
        f: &mut dyn FnMut(&mut dyn rules::Tx) -> Result<i64>,
    ) -> Result<i64>;

    /// Reset or accept a metric's baseline ([`rules::baseline_event`]).
    fn baseline_event(
        &mut self,
        metric: &str,
        action: BaselineAction,
        since_run: i64,
        who: &str,
        reason: &str,
    ) -> Result<()> {
        self.write("recording the baseline change", &mut |tx| {
            rules::baseline_event(tx, metric, action, since_run, who, reason).map(|()| 0)
        })
        .map(drop)
    }

    /// Take back the newest reset of a metric (`*`: of every metric) before any run
    /// was judged after it ([`rules::undo_reset`]).
    fn undo_reset(&mut self, metric: &str, who: &str, reason: &str) -> Result<rules::UndoneReset> {
        let mut done = None;
        self.write("taking back the baseline reset", &mut |tx| {
            done = Some(rules::undo_reset(tx, metric, who, reason)?);
            Ok(0)
        })?;
        done.ok_or_else(|| crate::error::Error::Store("the undo recorded nothing".into()))
    }

    /// Open a new alert or refresh the open one for the same metric.
    fn upsert_alert(&mut self, a: &Alert) -> Result<i64> {
        self.write("recording the alert", &mut |tx| rules::upsert_alert(tx, a))
    }

    /// Set an alert's triage state ([`rules::set_alert_state`]).
    fn set_alert_state(
        &mut self,
        id: i64,
        state: TriageState,
        who: &str,
        reason: &str,
    ) -> Result<()> {
        self.write("changing the alert", &mut |tx| {
            rules::set_alert_state(tx, id, state, who, reason).map(|()| 0)
        })
        .map(drop)
    }

    /// Set the triage state of every alert of a group in one transaction, each
    /// audited ([`rules::set_alert_state`]). Returns the members changed.
    fn set_group_state(
        &mut self,
        group: i64,
        state: TriageState,
        who: &str,
        reason: &str,
    ) -> Result<usize> {
        let members: Vec<i64> = self
            .alerts(false)?
            .iter()
            .filter(|a| a.group() == group)
            .map(|a| a.id)
            .collect();
        if members.is_empty() {
            return Err(crate::error::Error::Usage(format!(
                "alert group g{group} does not exist"
            )));
        }
        self.write("changing the alert group", &mut |tx| {
            for &id in &members {
                rules::set_alert_state(tx, id, state, who, reason)?;
            }
            Ok(members.len() as i64)
        })
        .map(|n| n as usize)
    }

    /// Record evidence about an alert in the audit log (a confirming re-run).
    fn record_evidence(
        &mut self,
        alert_id: i64,
        metric: &str,
        who: &str,
        what: &str,
    ) -> Result<()> {
        self.write("recording the evidence", &mut |tx| {
            tx.audit(
                who,
                "alert evidence",
                &format!("#{alert_id} {metric}"),
                what,
            )
            .map(|()| 0)
        })
        .map(drop)
    }

    /// Record a change made outside the store (a config setting) in the audit log.
    fn record_change(&mut self, who: &str, action: &str, target: &str, why: &str) -> Result<()> {
        self.write("recording the change", &mut |tx| {
            tx.audit(who, action, target, why).map(|()| 0)
        })
        .map(drop)
    }

    /// Name a run (`perfgate save-baseline NAME`), audited.
    fn save_named_run(&mut self, name: &str, run_id: i64, who: &str) -> Result<()> {
        self.write("saving the run name", &mut |tx| {
            rules::save_named_run(tx, name, run_id, who).map(|()| 0)
        })
        .map(drop)
    }
}

pub fn now_string() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Who did it: the CI actor, else the local user (from the environment, else the
/// account the process runs as: a container or a cron job sets no `USER`, and an
/// audit log of "unknown" says nothing).
pub fn actor() -> String {
    for var in [
        "PERFGATE_USER",
        "GITHUB_ACTOR",
        "GITLAB_USER_LOGIN",
        "USER",
        "LOGNAME",
        "USERNAME",
    ] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return v;
        }
    }
    // The account cannot change while the process runs: read once.
    static ACCOUNT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ACCOUNT
        .get_or_init(process_account)
        .clone()
        .unwrap_or_else(|| "unknown".into())
}

/// The account name of the user owning this process, from `/etc/passwd`.
#[cfg(target_os = "linux")]
fn process_account() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    account_of(&std::fs::read_to_string("/etc/passwd").ok()?, uid)
}

#[cfg(not(target_os = "linux"))]
fn process_account() -> Option<String> {
    None
}

/// The name of `uid` in a passwd file's text (`name:x:uid:...` lines).
pub fn account_of(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// Whether a store location is a PostgreSQL URL.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgresql://") || location.starts_with("postgres://")
}

/// Open the store a config points at: a `postgresql://` URL (environment variables
/// allowed) or an SQLite file path.
pub fn open(tracking_db: &str) -> Result<Box<dyn Store>> {
    let url = if tracking_db.contains("${") {
        crate::config::expand_env(tracking_db)
            .map_err(|e| crate::error::Error::Usage(format!("tracking_db {e}")))?
    } else {
        tracking_db.to_string()
    };
    if is_postgres(&url) {
        return Ok(Box::new(postgres::PgStore::open(&url)?));
    }
    // Any other URL (mysql://, sqlite://) would be taken for a file name, and its
    // password printed in "no store here yet".
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(crate::error::Error::Usage(format!(
            "{}: a store is a SQLite file path or a postgres:// URL, not {scheme}://",
            label(&url)
        )));
    }
    Ok(Box::new(SqliteStore::open(std::path::Path::new(&url))?))
}

/// A store location as shown to people (passwords masked).
pub fn label(location: &str) -> String {
    postgres::mask(location)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_read_from_passwd_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# note\nci:x:1001:1001::/home/ci:/bin/sh\n";
        assert_eq!(account_of(passwd, 1001).as_deref(), Some("ci"));
        assert_eq!(account_of(passwd, 0).as_deref(), Some("root"));
        assert_eq!(account_of(passwd, 7), None);
    }

    #[test]
    fn state_names_and_the_open_list_follow_the_enum() {
        let names: Vec<&str> = TriageState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names[0], "untriaged");
        let open: Vec<String> = TriageState::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| format!("'{s}'"))
            .collect();
        assert_eq!(OPEN_STATES_SQL, format!("({})", open.join(",")));
    }
}
