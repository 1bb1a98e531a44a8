//! `perfgate triage list|set`: alert states, recorded with who and why.

use super::print;
use crate::cli::TriageAction;
use crate::engine::error::{Error, Result};
use crate::engine::model::TriageState;
use crate::engine::store::{self, Store};

pub fn triage(store: &mut dyn Store, action: TriageAction) -> Result<i32> {
    match action {
        TriageAction::List { all } => {
            let mut s = format!(
                "{:<5} {:<44} {:<9} {:<14} {:>9} {:>7}  {}\n",
                "id", "metric", "severity", "state", "change", "z", "updated"
            );
            for a in store.alerts(!all)? {
                s += &format!(
                    "#{:<4} {:<44} {:<9} {:<14} {:>+8.1}% {:>+7.2}  {} by {}{}\n",
                    a.id,
                    a.metric,
                    a.severity,
                    a.state,
                    a.change_pct,
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
            print(&s);
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
            store.set_alert_state(id, state, &who, &reason)?;
            print(&format!("alert #{id} is now {state} (by {who})\n"));
            Ok(0)
        }
    }
}
