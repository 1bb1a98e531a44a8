//! A compact summary for pull-request comments and GITHUB_STEP_SUMMARY.

use super::fmt_num;
use crate::model::Verdict;
use crate::outcome::RunOutcome;

/// Escape text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(o: &RunOutcome) -> String {
    // A shard judges nothing: its verdict is the merged run's.
    if let Some(sh) = &o.shard {
        return format!(
            "## ⏳ perfgate: shard {} of {} (run #{})\n\nStored for run group `{}`; judged when `perfgate merge --run-group {}` combines the group.\n",
            sh.index + 1,
            sh.count,
            o.run_id,
            cell(&sh.run_group),
            cell(&sh.run_group)
        );
    }
    let icon = match o.status {
        Verdict::Pass => "✅",
        Verdict::Regression => "❌",
        Verdict::Error => "⚠️",
    };
    let mut out = format!("## {icon} perfgate: {} (run #{})\n\n", o.status, o.run_id);
    out += &format!(
        "Commit `{}` on `{}`, config `{}`, {} metric(s), {} regression(s), {} improvement(s).\n\n",
        cell(o.commit.as_deref().unwrap_or("-")),
        cell(o.branch.as_deref().unwrap_or("-")),
        o.config_fingerprint,
        o.metrics.len(),
        o.regressions.len(),
        o.improvements.len()
    );
    if let Some(n) = o.saturation_note() {
        out += &format!("> ⚠️ {}\n\n", cell(&n));
    }
    if !o.regressions.is_empty() {
        // `why` is the rule that confirmed it, or for an A/B comparison its
        // evidence (both runs' intervals and the rank test): what a reviewer checks.
        out += "### Regressions\n\n| metric | value | baseline | change | z | severity | why | triage | suspect range |\n|---|---:|---:|---:|---:|---|---|---|---|\n";
        for r in &o.regressions {
            // With the unit the metric was measured in (a value alone reads as ms).
            let unit = o
                .metrics
                .iter()
                .find(|m| m.name == r.metric && !m.unit.is_empty())
                .map_or(String::new(), |m| format!(" {}", cell(&m.unit)));
            out += &format!(
                "| {} | {}{unit} | {} ± {}{unit} | {} | {} | **{}** | {} | {} | {} |\n",
                cell(&r.metric),
                fmt_num(r.value),
                fmt_num(r.baseline_mean),
                fmt_num(r.baseline_std),
                crate::metrics::change_label(r.change_pct),
                r.size().trim_start_matches("z "),
                r.severity,
                cell(&r.rule),
                cell(&if r.report_only {
                    format!(
                        "{} (report only)",
                        r.triage_state.map_or("", |t| t.as_str())
                    )
                } else {
                    r.triage_state.map_or("", |t| t.as_str()).to_string()
                }),
                cell(
                    &r.suspect_range
                        .as_ref()
                        .map(|s| s.describe())
                        .unwrap_or_default()
                )
            );
        }
        out += "\n";
    }
    out += "<details><summary>All metrics</summary>\n\n| metric | value | baseline median | change | verdict |\n|---|---:|---:|---:|---|\n";
    for m in &o.metrics {
        out += &format!(
            "| {} | {} {} | {} | {} | {} |\n",
            cell(&m.name),
            fmt_num(m.value),
            cell(&m.unit),
            m.baseline
                .as_ref()
                .map(|b| fmt_num(b.median))
                .unwrap_or_else(|| "-".into()),
            m.change_pct
                .map(crate::metrics::change_label)
                .unwrap_or_else(|| "-".into()),
            m.verdict_label()
        );
    }
    out += "\n</details>\n";
    out
}
