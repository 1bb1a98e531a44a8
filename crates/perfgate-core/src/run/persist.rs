//! Stage 5, persist: the run's results and final status in one transaction, then its
//! alerts opened or refreshed, and alerts whose metric recovered closed as fixed.

use super::judge::Judged;
use super::verdict::Verdict;
use crate::detect::{self, Settings};
use crate::error::Result;
use std::collections::HashMap;

use crate::model::{AlertKind, DetectionRule, TriageState};
use crate::report::stored::resolve_range;
use crate::store::{Alert, Store};

pub fn persist(
    store: &mut dyn Store,
    run_id: i64,
    judged: &mut Judged,
    verdict: &Verdict,
    settings: &Settings,
) -> Result<()> {
    store.finish_run(
        run_id,
        verdict.run_status,
        verdict.status,
        &verdict.scenario_rows,
        &judged.rows,
    )?;
    // Changes confirmed in this run, scenario and direction form one group, led
    // by its first new alert.
    let mut leads: HashMap<(String, AlertKind), i64> = HashMap::new();
    for r in judged.regressions.iter_mut() {
        let open = store.open_alert(&r.metric)?;
        let key = (crate::metrics::scenario_of(&r.metric).to_string(), r.kind);
        let (good, bad) = match &open {
            Some(a) => (a.good_run_id, a.change_from()),
            None => suspect_range(store, &r.metric, run_id, r.onset, settings)?,
        };
        // An escalation starts the alert's level again where the further move began.
        let level = match (&open, r.detected_by) {
            (Some(_), Some(DetectionRule::Escalation)) => {
                Some((runs_back(store, &r.metric, run_id, r.onset)?, run_id))
            }
            _ => None,
        };
        let group_id = match &open {
            Some(a) => a.group_id,
            None => leads.get(&key).copied(),
        };
        let id = match &open {
            // A run the CUSUM confirms only from its memory of the alert's runs is
            // none of them: the alert keeps its last run and its figures.
            Some(a) if !detect::extends_alert(r.suspect, a.rule) => a.id,
            _ => store.upsert_alert(&Alert {
                id: 0,
                metric: r.metric.clone(),
                kind: r.kind,
                severity: r.severity,
                state: TriageState::Untriaged,
                opened_run_id: open.as_ref().map(|a| a.opened_run_id).unwrap_or(run_id),
                last_run_id: run_id,
                value: r.value,
                baseline: r.baseline_median,
                z: r.z_score,
                change_pct: r.change_pct,
                updated_at: String::new(),
                updated_by: String::new(),
                reason: String::new(),
                group_id,
                good_run_id: good,
                bad_run_id: Some(bad),
                rule: r.detected_by,
                level,
            })?,
        };
        let group = group_id.unwrap_or(id);
        if open.is_none() {
            leads.entry(key).or_insert(id);
        }
        r.alert_id = Some(id);
        r.group = Some(group);
        r.suspect_range = Some(resolve_range(store, good, bad)?);
    }
    if !verdict.interrupted {
        close_recovered(store, settings)?;
    }
    Ok(())
}

/// An alert closes itself as `fixed` once its metric recovered ([`detect::recovered`]:
/// `persistence + 1` clean runs after it, back within a sigma of the baseline, or
/// `persistence` at its centre, or near it when the alert's level stood far off).
fn close_recovered(store: &mut dyn Store, settings: &Settings) -> Result<()> {
    // Each run's metrics read once, however many of its metrics have open alerts.
    let mut metrics_of: HashMap<i64, Vec<crate::store::MetricRow>> = HashMap::new();
    for a in store.alerts(true)? {
        let mut recent = store.history(
            &a.metric,
            a.opened_run_id - 1,
            settings.persistence + 1,
            None,
        )?;
        // Only runs after the alert's last one speak of a recovery.
        recent.retain(|p| p.run_id > a.last_run_id);
        if recent.len() < settings.persistence.max(1) {
            continue;
        }
        // The alert's own runs, from where its level began to its last one.
        let level = store.history_between(
            &a.metric,
            a.level_from() - 1,
            a.last_run_id + 1,
            settings.window,
            None,
        )?;
        let sign = crate::metrics::Direction::of(&a.metric).bad_sign();
        let mut z_of = |p: &crate::store::HistoryPoint| -> Result<f64> {
            if let std::collections::hash_map::Entry::Vacant(e) = metrics_of.entry(p.run_id) {
                e.insert(store.run_metrics(p.run_id)?);
            }
            let z = metrics_of[&p.run_id]
                .iter()
                .find(|m| m.metric == a.metric)
                .and_then(|m| m.z);
            Ok(z.unwrap_or(0.0) * sign)
        };
        let zs = recent.iter().map(&mut z_of).collect::<Result<Vec<_>>>()?;
        let level = level.iter().map(&mut z_of).collect::<Result<Vec<_>>>()?;
        let suspect: Vec<bool> = recent.iter().map(|p| p.suspect).collect();
        if detect::recovered(&zs, &suspect, settings.persistence, &level) {
            store.set_alert_state(
                a.id,
                TriageState::Fixed,
                crate::store::SELF_ACTOR,
                "recovered: recent runs are back within the baseline",
            )?;
        }
    }
    Ok(())
}

/// The run `n` runs of `metric` before `run_id` (itself for 0, or the oldest there is).
fn runs_back(store: &dyn Store, metric: &str, run_id: i64, n: usize) -> Result<i64> {
    let before = store.history(metric, 0, n, Some(run_id))?;
    Ok(before
        .iter()
        .filter(|p| p.run_id < run_id)
        .map(|p| p.run_id)
        .next()
        .filter(|_| n > 0)
        .unwrap_or(run_id))
}

/// The last good run and the first bad run of a new regression: the bad run opens
/// the change, the earlier of the streak of suspect runs that ends with this one
/// and the detector's onset (`onset` runs back: a CUSUM climbs from under the
/// threshold), never in a recovered alert's runs nor in the runs that recovered it
/// ([`crate::inspect::after_recovered_alert`]); the good run is the run before it.
fn suspect_range(
    store: &dyn Store,
    metric: &str,
    run_id: i64,
    onset: usize,
    s: &Settings,
) -> Result<(Option<i64>, i64)> {
    let back = (s.cusum_span + s.persistence).max(onset) + 2;
    let hist: Vec<_> = store
        .history(metric, 0, back, Some(run_id))?
        .into_iter()
        .filter(|p| p.run_id < run_id)
        .collect();
    let floor = crate::inspect::after_recovered_alert(store, metric, &hist, s.persistence)?;
    let mut bad = run_id;
    let mut good = None;
    for (i, p) in hist.iter().enumerate().rev() {
        let back = hist.len() - 1 - i;
        if good.is_none() && i >= floor && (p.suspect || back < onset) {
            bad = p.run_id;
        } else {
            good = Some(p.run_id);
            break;
        }
    }
    Ok((good, bad))
}
