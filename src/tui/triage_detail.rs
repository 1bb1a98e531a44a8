//! The Triage detail: what changed together, since when, and which commits. Built
//! when it opens (store facts were read with the alerts; git runs once, read-only),
//! never per frame.

use super::app::{App, Modal, TriageRow};
use crate::engine::metrics::change_label;
use crate::engine::outcome::SuspectRange;
use crate::engine::report::{self, fmt_num};
use crate::engine::store::{Alert, Store};

/// Most commits listed from the suspect range.
const MAX_COMMITS: usize = 50;

/// The alerts a Triage row stands for.
pub fn members(app: &App, row: TriageRow) -> Vec<&Alert> {
    match row {
        TriageRow::Group(g) => app.members(g),
        TriageRow::Alert(k) => app.alerts.get(k).into_iter().collect(),
    }
}

pub fn detail(app: &App, row: TriageRow, st: &dyn Store) -> Modal {
    let members = members(app, row);
    let Some(lead) = members.first() else {
        return Modal::None;
    };
    let scenario = lead.metric.split('.').next().unwrap_or(&lead.metric);
    let title = format!(
        " g{}: {}: {} {}(s) ",
        lead.group(),
        scenario,
        members.len(),
        lead.kind,
    );
    let mut lines = vec![format!("seen in {}, state {}", lead.runs(), lead.state)];
    // Alert ids and run ids both read `#N`: the header says which these are.
    lines.push(format!(
        "  {:<5} {:<44} {:<9} baseline -> value (change, z, rule)",
        "alert", "metric", "severity"
    ));
    for a in &members {
        // How far out, and which rule confirmed it: the first question of triage.
        let by = a.rule.map(|r| format!(", by {r}")).unwrap_or_default();
        let escalated = a
            .escalation_note()
            .map(|n| format!("; {n}"))
            .unwrap_or_default();
        lines.push(format!(
            "  #{:<4} {:<44} {:<9} {} -> {} ({}, z {:+.2}{by}{escalated})",
            a.id,
            a.metric,
            a.severity,
            fmt_num(a.baseline),
            fmt_num(a.value),
            change_label(a.change_pct),
            a.z
        ));
    }
    lines.push(String::new());
    match app.ranges.get(&lead.id) {
        Some(r) => {
            lines.push(format!("suspect range {}", r.describe()));
            lines.extend(commits(r));
        }
        None => lines.push("suspect range: not recorded for this alert".into()),
    }
    if members.iter().any(|a| a.metric.contains("response_time")) {
        lines.push(String::new());
        let bad = app
            .ranges
            .get(&lead.id)
            .map_or(lead.opened_run_id, |r| r.bad_run);
        lines.extend(distribution(st, scenario, bad));
    }
    Modal::TriageDetail {
        title,
        lines,
        scroll: 0,
    }
}

/// The bad run's latency percentiles against the baseline runs', from the stored
/// HdrHistograms, with a bar for each.
fn distribution(st: &dyn Store, scenario: &str, bad: i64) -> Vec<String> {
    let rows = match report::stored::before_after(st, scenario, bad) {
        Ok(Some(rows)) => rows,
        Ok(None) => return vec!["latency distribution: no stored histograms to compare".into()],
        Err(e) => return vec![format!("latency distribution: {e}")],
    };
    let top = rows.iter().map(|r| r.1.max(r.2)).fold(1e-9, f64::max);
    let bar = |v: f64| "█".repeat(((v / top) * 30.0).round() as usize);
    let mut out = vec![format!(
        "latency of run #{bad} against the baseline runs (ms):  before | after"
    )];
    for (p, before, after) in rows.iter().filter(|r| (50.0..100.0).contains(&r.0)) {
        out.push(format!(
            "  p{:<6} {:>9} -> {:>9}  {:<30} {}",
            p,
            fmt_num(*before),
            fmt_num(*after),
            bar(*before),
            bar(*after)
        ));
    }
    out
}

/// `git log --oneline good..bad` when perfgate runs inside the repository.
fn commits(r: &SuspectRange) -> Vec<String> {
    commits_in(std::path::Path::new("."), r)
}

fn commits_in(repo: &std::path::Path, r: &SuspectRange) -> Vec<String> {
    let (Some(good), Some(bad)) = (&r.good_commit, &r.bad_commit) else {
        return vec!["(no commits recorded with these runs)".into()];
    };
    let safe = |c: &str| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric());
    if !safe(good) || !safe(bad) {
        return vec!["(the recorded commits are not git ids)".into()];
    }
    if good == bad {
        return vec![
            "(same commit: the change is not in the code; look at the environment)".into(),
        ];
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "log",
            "--oneline",
            "--no-decorate",
            &format!("--max-count={MAX_COMMITS}"),
            &format!("{good}..{bad}"),
        ])
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut v: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
            if v.is_empty() {
                v.push("(no commits between them)".into());
            } else {
                v.insert(0, format!("commits ({}):", v.len()));
            }
            v
        }
        _ => vec!["(git log unavailable: not inside the repository?)".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        let o = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git runs (apt-get install git)");
        assert!(o.status.success(), "git {args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    #[test]
    fn the_suspect_range_lists_the_commits_between_good_and_bad() {
        let d = tempfile::tempdir().unwrap();
        git(d.path(), &["init", "-q"]);
        let commit = |msg: &str| {
            git(
                d.path(),
                &[
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "commit",
                    "-q",
                    "--allow-empty",
                    "-m",
                    msg,
                ],
            );
            git(d.path(), &["rev-parse", "HEAD"])
        };
        let good = commit("good: baseline");
        commit("add a cache");
        let bad = commit("call the slow service");
        let r = SuspectRange {
            good_run: Some(12),
            bad_run: 13,
            good_commit: Some(good.clone()),
            bad_commit: Some(bad.clone()),
        };
        let lines = commits_in(d.path(), &r);
        assert_eq!(lines[0], "commits (2):", "{lines:?}");
        assert!(lines[1].ends_with("call the slow service"), "{lines:?}");
        assert!(lines[2].ends_with("add a cache"), "{lines:?}");
        let same = SuspectRange {
            bad_commit: Some(good.clone()),
            ..r.clone()
        };
        assert!(commits_in(d.path(), &same)[0].contains("same commit"));
        let odd = SuspectRange {
            good_commit: Some("--output=/tmp/x".into()),
            ..r
        };
        assert!(commits_in(d.path(), &odd)[0].contains("not git ids"));
    }
}
