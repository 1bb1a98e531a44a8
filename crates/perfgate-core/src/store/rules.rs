//! The store's business rules, written once above both backends: what opening an
//! alert, changing its triage state and resetting or accepting a baseline do to the
//! history. A backend only provides [`Tx`], one SQL statement per method, inside one
//! write transaction; the contract suite (tests/store_contract.rs) runs every case
//! against SQLite and PostgreSQL.

use crate::error::{Error, Result};
use crate::model::{BaselineAction, TriageState};

use super::Alert;

/// A row of `baseline_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineEvent {
    /// Its id (an undo names the reset it takes back by it).
    pub id: i64,
    /// What was done.
    pub action: BaselineAction,
    /// The run it took effect at.
    pub since_run: i64,
    /// When, as stored.
    pub at: String,
    /// Who did it.
    pub who: String,
    /// Why.
    pub reason: String,
}

/// What undoing a reset did.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoneReset {
    /// The reset taken back.
    pub event: BaselineEvent,
    /// The alerts it had closed, open again.
    pub reopened: Vec<i64>,
}

/// The statements of one write transaction. Dropped without commit, it rolls back.
pub trait Tx {
    /// Serialise changes to one metric across writers (PostgreSQL takes an advisory
    /// lock; SQLite's immediate transaction already holds the database).
    fn lock_metric(&mut self, metric: &str) -> Result<()>;
    /// The newest open alert of a metric.
    fn open_alert_id(&mut self, metric: &str) -> Result<Option<i64>>;
    /// An alert's metric, where its change began ([`super::Alert::change_from`]),
    /// the first run of its current level ([`super::Alert::level_from`]) and its last
    /// run.
    fn alert_target(&mut self, id: i64) -> Result<Option<(String, i64, i64, i64)>>;
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
    /// The newest reset or accept recorded for exactly `metric` (`*`: of every
    /// metric) that no undo took back.
    fn last_baseline_event(&mut self, metric: &str) -> Result<Option<BaselineEvent>>;
    /// The newest run's id (a run still going included), 0 for none.
    fn newest_run(&mut self) -> Result<i64>;
    /// The alerts of `metric` (`*`: of every metric) in `state` whose last change
    /// was made by `who` for `reason` at `at` or later, oldest first.
    fn changed_since(
        &mut self,
        metric: &str,
        state: TriageState,
        who: &str,
        reason: &str,
        at: &str,
    ) -> Result<Vec<i64>>;
    /// Clear the suspect marks of a metric's values from run `first_run` through
    /// `last_run`.
    fn clear_suspect(&mut self, metric: &str, first_run: i64, last_run: i64) -> Result<()>;
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

/// What [`set_alert_state`] does to the baseline besides the state, for messages.
pub fn state_effect(state: TriageState) -> &'static str {
    match state {
        TriageState::Accepted => "; its level is the new baseline",
        TriageState::Invalid => "; its runs count as baseline again",
        _ => "",
    }
}

/// Set an alert's triage state, audited. Accepting it makes the new level the
/// baseline from its first run on (where the change began, or where the move that
/// escalated it did); calling it invalid (a false alarm) lets all its runs count as
/// baseline samples.
pub fn set_alert_state(
    tx: &mut dyn Tx,
    id: i64,
    state: TriageState,
    who: &str,
    reason: &str,
) -> Result<()> {
    let Some((metric, change_from, level_from, last_run)) = tx.alert_target(id)? else {
        return Err(Error::Usage(format!("alert {id} does not exist")));
    };
    tx.lock_metric(&metric)?;
    tx.set_state(id, state, who, reason)?;
    match state {
        TriageState::Accepted => {
            tx.insert_baseline_event(&metric, BaselineAction::Accept, level_from - 1, who, reason)?;
            tx.clear_suspect(&metric, level_from, i64::MAX)?;
        }
        // A false alarm's runs are the metric's own noise (a second mode, a busy
        // host): the baseline learns them, rather than leaving them out (and a long
        // one out of every window, blinding the metric until it rebuilds).
        TriageState::Invalid => tx.clear_suspect(&metric, change_from, last_run)?,
        _ => {}
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
            tx.clear_suspect(metric, since_run + 1, i64::MAX)?;
            TriageState::Accepted
        }
        BaselineAction::Reset => TriageState::Fixed,
        BaselineAction::Undo => {
            return Err(Error::Usage(
                "an undo names the reset it takes back: use undo_reset".into(),
            ));
        }
    };
    tx.close_open(
        metric,
        closing,
        who,
        &format!("baseline {action}: {reason}"),
    )?;
    tx.audit(who, &format!("baseline {action}"), metric, reason)
}

/// Take back the newest reset of `metric` (`*`: the newest reset of every metric),
/// as long as no run has been judged since (those runs were judged against the
/// rebuilding baseline, and taking the reset back would mix them into the old
/// one): its history counts again and the alerts it closed are open again,
/// untriaged. An accept is not taken back this way (it cleared the new level's
/// suspect marks): reset, or accept again. Audited.
pub fn undo_reset(tx: &mut dyn Tx, metric: &str, who: &str, reason: &str) -> Result<UndoneReset> {
    tx.lock_metric(metric)?;
    let Some(event) = tx.last_baseline_event(metric)? else {
        return Err(Error::Usage(format!(
            "baseline undo: {metric} has no reset to take back"
        )));
    };
    if event.action != BaselineAction::Reset {
        return Err(Error::Usage(format!(
            "baseline undo: the last change to {metric} was an {} by {} at {}, which cannot be undone; reset it, or accept again",
            event.action, event.who, event.at
        )));
    }
    let newest = tx.newest_run()?;
    if newest > event.since_run {
        return Err(Error::Usage(format!(
            "baseline undo: runs #{}..#{newest} were judged against the baseline rebuilt after the reset by {} at {}; taking it back now would mix them into the old one. Reset again, or accept the current level",
            event.since_run + 1,
            event.who,
            event.at
        )));
    }
    let closed_for = format!("baseline {}: {}", event.action, event.reason);
    let reopened = tx.changed_since(
        metric,
        TriageState::Fixed,
        &event.who,
        &closed_for,
        &event.at,
    )?;
    let why = format!("baseline reset undone: {reason}");
    for &id in &reopened {
        tx.set_state(id, TriageState::Untriaged, who, &why)?;
    }
    tx.insert_baseline_event(metric, BaselineAction::Undo, event.id, who, reason)?;
    tx.audit(
        who,
        "baseline undo",
        metric,
        &format!(
            "took back the reset by {} at {} ({}); {reason}",
            event.who, event.at, event.reason
        ),
    )?;
    Ok(UndoneReset { event, reopened })
}

/// Name a run (`perfgate save-baseline NAME`), audited.
pub fn save_named_run(tx: &mut dyn Tx, name: &str, run_id: i64, who: &str) -> Result<()> {
    tx.name_run(name, run_id, who)?;
    tx.audit(who, "save-baseline", name, &format!("run #{run_id}"))
}
