//! The Triage detail: what changed together, since when, and which commits. Built
//! when it opens (store facts were read with the alerts; git runs once, read-only),
//! never per frame.

use super::app::{App, Modal, TriageRow};
use crate::engine::outcome::SuspectRange;
use crate::engine::report::fmt_num;
use crate::engine::store::Alert;

/// Most commits listed from the suspect range.
const MAX_COMMITS: usize = 50;

pub fn detail(app: &App, row: TriageRow) -> Modal {
    let members: Vec<&Alert> = match row {
        TriageRow::Group(g) => app.members(g),
        TriageRow::Alert(k) => app.alerts.get(k).into_iter().collect(),
    };
    let Some(lead) = members.first() else {
        return Modal::None;
    };
    let scenario = lead.metric.split('.').next().unwrap_or(&lead.metric);
    let title = format!(
        " g{}: {} {} in {} ",
        lead.group(),
        members.len(),
        lead.kind,
        scenario
    );
    let mut lines = vec![format!(
        "runs #{}..#{}, state {}",
        lead.opened_run_id, lead.last_run_id, lead.state
    )];
    for a in &members {
        lines.push(format!(
            "  #{:<4} {:<44} {:<9} {} -> {} ({:+.1}%)",
            a.id,
            a.metric,
            a.severity,
            fmt_num(a.baseline),
            fmt_num(a.value),
            a.change_pct
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
    Modal::TriageDetail { title, lines }
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
