//! The on-call actions on baselines, written once for every front-end: reset (and
//! taking a reset back), accept, report-only and applying `perfgate tune`'s
//! proposals, each recorded with who and why (the store keeps the audit log).

use crate::error::{Error, Result};
use crate::model::{BaselineAction, TriageState};
use crate::store::Store;

/// What accepting a metric's current level did.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// An open alert was accepted: its level (from `since_run`) is the new baseline.
    Alert {
        /// The accepted alert.
        alert_id: i64,
        /// First run of the accepted level.
        since_run: i64,
    },
    /// No alert was open: the latest run starts the new baseline.
    LatestRun {
        /// The run that starts the new baseline.
        run_id: i64,
    },
}

impl std::fmt::Display for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accepted::Alert {
                alert_id,
                since_run,
            } => write!(
                f,
                "the level since run #{since_run} is the new baseline (alert #{alert_id} accepted)"
            ),
            Accepted::LatestRun { run_id } => {
                write!(f, "the latest run #{run_id} starts the new baseline")
            }
        }
    }
}

/// The accept rule: accept the open alert when there is one (its runs become the
/// baseline), else let the latest run start a new baseline.
pub fn accept(st: &mut dyn Store, metric: &str, who: &str, reason: &str) -> Result<Accepted> {
    known(st, metric)?;
    match st.open_alert(metric)? {
        Some(a) => {
            st.set_alert_state(a.id, TriageState::Accepted, who, reason)?;
            Ok(Accepted::Alert {
                alert_id: a.id,
                since_run: a.level_from(),
            })
        }
        None => {
            let latest = st.latest_run_id()?;
            st.baseline_event(metric, BaselineAction::Accept, latest - 1, who, reason)?;
            Ok(Accepted::LatestRun { run_id: latest })
        }
    }
}

/// Reset one metric's baseline (or every one with `*`): history up to the latest run
/// no longer counts. Returns that run's id.
pub fn reset(st: &mut dyn Store, target: &str, who: &str, reason: &str) -> Result<i64> {
    if target != "*" {
        known(st, target)?;
    }
    let latest = st.latest_run_id()?;
    st.baseline_event(target, BaselineAction::Reset, latest, who, reason)?;
    Ok(latest)
}

/// Take back the newest reset of one metric's baseline (or of every one with `*`)
/// before any run was judged after it: the on-call way out of resetting the wrong
/// metric. See [`crate::store::rules::undo_reset`].
pub fn undo(
    st: &mut dyn Store,
    target: &str,
    who: &str,
    reason: &str,
) -> Result<crate::store::rules::UndoneReset> {
    if target != "*" {
        known(st, target)?;
    }
    st.undo_reset(target, who, reason)
}

/// A reset's or an undo's target for people: `*` is every metric.
pub fn target_name(target: &str) -> &str {
    if target == "*" {
        "every metric"
    } else {
        target
    }
}

fn known(st: &dyn Store, metric: &str) -> Result<()> {
    let known = st.metric_names()?;
    if known.iter().any(|m| m == metric) {
        return Ok(());
    }
    Err(unknown_metric(metric, &known))
}

/// Make a metric report-only (or judge it again): written as a `detection_overrides`
/// entry in the config file, audited. A report-only metric is shown and alerted at
/// low severity but never fails a build.
pub fn set_report_only(
    st: &mut dyn Store,
    config: &std::path::Path,
    metric: &str,
    on: bool,
    who: &str,
    reason: &str,
) -> Result<()> {
    let change = crate::config::DetectionOverride {
        report_only: Some(on),
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        ..Default::default()
    };
    crate::config::edit::write_overrides(
        config,
        &std::collections::BTreeMap::from([(metric.to_string(), change)]),
    )?;
    let action = if on {
        "report-only on"
    } else {
        "report-only off"
    };
    st.record_change(who, action, metric, reason)
}

/// Write `perfgate tune`'s changed proposals as `detection_overrides`, each audited
/// with its before/after evidence. Returns the metrics written.
pub fn apply_tuning(
    st: &mut dyn Store,
    config: &std::path::Path,
    tunings: &[crate::quality::tune::MetricTuning],
    who: &str,
) -> Result<Vec<String>> {
    let evidence = |t: &crate::quality::tune::MetricTuning| {
        format!(
            "perfgate tune: false alarms {:.2} -> {:.2} per 100 runs, caught {} -> {} of {}",
            t.before.false_alarms_per_100,
            t.after.false_alarms_per_100,
            t.before.caught,
            t.after.caught,
            t.real_changes
        )
    };
    let changes: std::collections::BTreeMap<String, crate::config::DetectionOverride> = tunings
        .iter()
        .filter(|t| t.changed)
        .map(|t| (t.metric.clone(), t.proposed.as_override(evidence(t))))
        .collect();
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    crate::config::edit::write_overrides(config, &changes)?;
    for t in tunings.iter().filter(|t| t.changed) {
        st.record_change(who, "tune apply", &t.metric, &t.proposed.describe())?;
    }
    Ok(changes.into_keys().collect())
}

/// "metric X has no history; did you mean Y?"
pub fn unknown_metric(metric: &str, known: &[String]) -> Error {
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(metric, k), k))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Error::Usage(match best {
        Some((_, k)) => format!("metric {metric:?} has no history; did you mean {k:?}?"),
        None => format!(
            "metric {metric:?} has no history; `perfgate baseline list` shows the known metrics"
        ),
    })
}
