//! `perfgate runs`: the stored runs, newest first.

use super::print;
use crate::engine::error::Result;
use crate::engine::store::Store;

pub fn runs(store: &dyn Store, limit: usize) -> Result<i32> {
    let mut s = format!(
        "{:<6} {:<26} {:<12} {:<11} {:<10} {:<12} {}\n",
        "run", "started", "status", "verdict", "mode", "commit", "branch"
    );
    for r in store.runs(limit)? {
        s += &format!(
            "#{:<5} {:<26} {:<12} {:<11} {:<10} {:<12} {}\n",
            r.id,
            r.started_at,
            r.status.as_str(),
            r.verdict.map_or("-", |v| v.as_str()),
            r.mode,
            r.commit
                .as_deref()
                .map(|c| &c[..c.len().min(10)])
                .unwrap_or("-"),
            r.branch.as_deref().unwrap_or("-")
        );
    }
    print(&s);
    Ok(0)
}
