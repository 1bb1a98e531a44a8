//! The store's business rules, written once above both backends: what opening an
//! alert, changing its triage state and resetting or accepting a baseline do to the
//! history. A backend only provides [`Tx`], one SQL statement per method, inside one
//! write transaction; the contract suite (tests/store_contract.rs) runs every case
//! against SQLite and PostgreSQL.

use crate::error::{Error, Result};
use crate::model::{BaselineAction, TriageState};

use super::Alert;

/// The statements of one write transaction. Dropped without commit, it rolls back.
pub trait Tx {
    /// Serialise changes to one metric across writers (PostgreSQL takes an advisory
    /// lock; SQLite's immediate transaction already holds the database).
    fn lock_metric(&mut self, metric: &str) -> Result<()>;
    /// The newest open alert of a metric.
    fn open_alert_id(&mut self, metric: &str) -> Result<Option<i64>>;
    /// An alert's metric and first run.
    fn alert_target(&mut self, id: i64) -> Result<Option<(String, i64)>>;
    /// A new alert row, `untriaged`, opened by the current actor.
    fn insert_alert(&mut self, a: &Alert) -> Result<i64>;
    /// The newest level of an open alert (run, severity, value, baseline, z, change).
    fn refresh_alert(&mut self, id: i64, a: &Alert) -> Result<()>;
    /// One alert's state.
    fn set_state(&mut self, id: i64, state: TriageState, who: &str, reason: &str) -> Result<()>;
    /// Every open alert of a metric (`*`: of all metrics) to `state`.
    fn close_open(
        &mut self,
        metric: &str,
        state: TriageState,
        who: &str,
        reason: &str,
    ) -> Result<()>;
    /// A row of `baseline_events`.
    fn insert_baseline_event(
        &mut self,
        metric: &str,
        action: BaselineAction,
        since_run: i64,
        who: &str,
        reason: &str,
    ) -> Result<()>;
    /// Clear the suspect marks of a metric's values from run `first_run` on.
    fn clear_suspect_from(&mut self, metric: &str, first_run: i64) -> Result<()>;
    /// Point a run name at a run (a name names one run).
    fn name_run(&mut self, name: &str, run_id: i64, who: &str) -> Result<()>;
    /// A row of the audit log.
    fn audit(&mut self, who: &str, action: &str, target: &str, reason: &str) -> Result<()>;
}

/// Open a new alert or refresh the open one of the same metric: one open alert per
/// metric, whatever the number of runs that see the regression.
pub fn upsert_alert(tx: &mut dyn Tx, a: &Alert) -> Result<i64> {
    tx.lock_metric(&a.metric)?;
    match tx.open_alert_id(&a.metric)? {
        Some(id) => {
            tx.refresh_alert(id, a)?;
            Ok(id)
        }
        None => tx.insert_alert(a),
    }
}

/// Set an alert's triage state, audited. Accepting it makes the new level the
/// baseline from the alert's first run on.
pub fn set_alert_state(
    tx: &mut dyn Tx,
    id: i64,
    state: TriageState,
    who: &str,
    reason: &str,
) -> Result<()> {
    let Some((metric, opened)) = tx.alert_target(id)? else {
        return Err(Error::Usage(format!("alert {id} does not exist")));
    };
    tx.lock_metric(&metric)?;
    tx.set_state(id, state, who, reason)?;
    if state == TriageState::Accepted {
        tx.insert_baseline_event(&metric, BaselineAction::Accept, opened - 1, who, reason)?;
        tx.clear_suspect_from(&metric, opened)?;
    }
    tx.audit(
        who,
        &format!("alert {state}"),
        &format!("#{id} {metric}"),
        reason,
    )
}

/// Reset (`since_run` = newest run: history up to it leaves the baseline) or accept
/// (`since_run` = the run before the new level, whose suspect marks are cleared).
/// Either way the metric's open alerts are resolved: `fixed` by a reset, `accepted`
/// by an accept.
pub fn baseline_event(
    tx: &mut dyn Tx,
    metric: &str,
    action: BaselineAction,
    since_run: i64,
    who: &str,
    reason: &str,
) -> Result<()> {
    tx.lock_metric(metric)?;
    tx.insert_baseline_event(metric, action, since_run, who, reason)?;
    let closing = match action {
        BaselineAction::Accept => {
            // The new level becomes history the baseline may learn from.
            tx.clear_suspect_from(metric, since_run + 1)?;
            TriageState::Accepted
        }
        BaselineAction::Reset => TriageState::Fixed,
    };
    tx.close_open(
        metric,
        closing,
        who,
        &format!("baseline {action}: {reason}"),
    )?;
    tx.audit(who, &format!("baseline {action}"), metric, reason)
}

/// Name a run (`perfgate save-baseline NAME`), audited.
pub fn save_named_run(tx: &mut dyn Tx, name: &str, run_id: i64, who: &str) -> Result<()> {
    tx.name_run(name, run_id, who)?;
    tx.audit(who, "save-baseline", name, &format!("run #{run_id}"))
}
