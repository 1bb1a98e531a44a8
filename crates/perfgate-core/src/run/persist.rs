//! Stage 5, persist: the run's results and final status in one transaction, then its
//! alerts opened or refreshed, and alerts whose metric recovered closed as fixed.

use super::judge::Judged;
use super::verdict::Verdict;
use crate::detect::Settings;
use crate::error::Result;
use crate::model::TriageState;
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
    for r in judged.regressions.iter_mut() {
        let open = store.open_alert(&r.metric)?;
        let id = store.upsert_alert(&Alert {
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
        })?;
        r.alert_id = Some(id);
    }
    if !verdict.interrupted {
        close_recovered(store, settings)?;
    }
    Ok(())
}

/// An alert closes itself as `fixed` after `persistence + 1` clean runs.
fn close_recovered(store: &mut dyn Store, settings: &Settings) -> Result<()> {
    for a in store.alerts(true)? {
        let recent = store.history(
            &a.metric,
            a.opened_run_id - 1,
            settings.persistence + 1,
            None,
        )?;
        if recent.len() > settings.persistence
            && recent.iter().all(|p| !p.suspect)
            && recent.iter().all(|p| p.run_id > a.last_run_id)
        {
            store.set_alert_state(
                a.id,
                TriageState::Fixed,
                "perfgate",
                "recovered: recent runs are back within the baseline",
            )?;
        }
    }
    Ok(())
}
