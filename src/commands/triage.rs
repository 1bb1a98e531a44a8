//! `perfgate triage list|set`: alert states, recorded with who and why.

use super::print;
use crate::cli::TriageAction;
use crate::engine::error::{Error, Result};
use crate::engine::metrics::change_label;
use crate::engine::model::TriageState;
use crate::engine::report::stored::suspect_range;
use crate::engine::store::{self, Alert, Store, rules};

pub fn triage(store: &mut dyn Store, action: TriageAction) -> Result<i32> {
    match action {
        TriageAction::List { all } => {
            print(&list(store, all)?);
            Ok(0)
        }
        TriageAction::Set { id, state, reason } => {
            let who = store::actor();
            let state = TriageState::parse(&state).ok_or_else(|| {
                Error::Usage(format!(
                    "triage state {state:?} is unknown; expected one of {}",
                    TriageState::names()
                ))
            })?;
            let target = id.trim().trim_start_matches('#');
            let number = |t: &str| {
                t.parse::<i64>().map_err(|_| {
                    Error::Usage(format!(
                        "{id:?} is neither an alert id (7) nor a group (g7)"
                    ))
                })
            };
            if let Some(g) = target.strip_prefix('g') {
                let n = store.set_group_state(number(g)?, state, &who, &reason)?;
                print(&format!(
                    "group g{g}: {n} alert(s) now {state} (by {who}){}\n",
                    rules::state_effect(state)
                ));
            } else {
                let id = number(target)?;
                store.set_alert_state(id, state, &who, &reason)?;
                print(&format!(
                    "alert #{id} is now {state} (by {who}){}\n",
                    rules::state_effect(state)
                ));
            }
            Ok(0)
        }
    }
}

/// Alerts by group: a group line (scenario, direction, suspect range) with its
/// metrics below it.
fn list(store: &dyn Store, all: bool) -> Result<String> {
    let alerts = store.alerts(!all)?;
    let mut groups: Vec<(i64, Vec<&Alert>)> = Vec::new();
    for a in &alerts {
        match groups.iter_mut().find(|(g, _)| *g == a.group()) {
            Some((_, members)) => members.push(a),
            None => groups.push((a.group(), vec![a])),
        }
    }
    let mut s = String::new();
    for (g, members) in &groups {
        let lead = members[0];
        let range = suspect_range(store, lead)?
            .map(|r| format!("  suspect range {}", r.describe()))
            .unwrap_or_default();
        s += &format!(
            "g{g}  {} {} in {}, {} metric(s), seen in {}{range}\n",
            lead.state,
            lead.kind,
            lead.metric.split('.').next().unwrap_or(&lead.metric),
            members.len(),
            lead.runs()
        );
        for a in members {
            let escalated = a
                .escalation_note()
                .map(|n| format!("; {n}"))
                .unwrap_or_default();
            s += &format!(
                "  #{:<7} {:<44} {:<9} {:<14} {:>9} {:>+7.2}  {} by {}{escalated}{}\n",
                a.id,
                a.metric,
                a.severity,
                a.state,
                change_label(a.change_pct),
                a.z,
                a.updated_at,
                a.updated_by,
                if a.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.reason)
                }
            );
        }
    }
    if s.is_empty() {
        return Ok("no alerts\n".into());
    }
    // Alert ids (#7) and run ids (#7) look alike: the header says which is which.
    let header = format!(
        "  {:<8} {:<44} {:<9} {:<14} {:>9} {:>7}  updated\n",
        "alert", "metric", "severity", "state", "change", "z"
    );
    Ok(header + &s)
}
