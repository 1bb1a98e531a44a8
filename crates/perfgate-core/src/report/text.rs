//! The summary table `--ci` prints to stdout.

use super::fmt_num;
use crate::model::{MetricVerdict, Verdict};
use crate::outcome::RunOutcome;

pub fn render(o: &RunOutcome, color: bool) -> String {
    let paint = |code: &str, s: String| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    };
    let mut out = String::new();
    out += &format!(
        "perfgate run #{}  {}  commit {}  branch {}  config {}\n",
        o.run_id,
        o.started_at,
        o.commit
            .as_deref()
            .map(|c| &c[..c.len().min(10)])
            .unwrap_or("-"),
        o.branch.as_deref().unwrap_or("-"),
        o.config_fingerprint
    );
    if let Some(n) = o.saturation_note() {
        out += &format!("  ! {n}\n");
    }
    for s in &o.scenarios {
        if let Some(e) = &s.error {
            out += &format!("  ! {}: {}\n", s.name, e);
        } else if let Some(n) = &s.note {
            out += &format!("  · {}: {}\n", s.name, n);
        }
        if !s.errors.is_empty() {
            let parts: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out += &format!(
                "  · {}: {} requests, errors: {}\n",
                s.name,
                s.requests,
                parts.join(", ")
            );
        }
    }
    let w = o
        .metrics
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    out += &format!(
        "{:<w$}  {:>12}  {:>12}  {:>8}  {:>8}  {:<9}  {}\n",
        "metric", "value", "baseline", "change", "z", "severity", "verdict"
    );
    for m in &o.metrics {
        let base = m
            .baseline
            .as_ref()
            .map(|b| fmt_num(b.median))
            .unwrap_or_else(|| "-".into());
        let change = m
            .change_pct
            .map(crate::metrics::change_label)
            .unwrap_or_else(|| "-".into());
        let z = m
            .z_score
            .map(|z| format!("{z:+.2}"))
            .unwrap_or_else(|| "-".into());
        let verdict = match m.verdict {
            MetricVerdict::Regression | MetricVerdict::Threshold => {
                paint("31;1", m.verdict.to_string())
            }
            MetricVerdict::Improvement => paint("32", m.verdict.to_string()),
            MetricVerdict::Suspect if m.suspect_worse() == Some(false) => m.verdict_label(),
            MetricVerdict::Suspect | MetricVerdict::Silenced => paint("33", m.verdict_label()),
            _ => m.verdict.to_string(),
        };
        out += &format!(
            "{:<w$}  {:>12}  {:>12}  {:>8}  {:>8}  {:<9}  {}\n",
            m.name,
            format!("{} {}", fmt_num(m.value), m.unit),
            base,
            change,
            z,
            m.severity.map(|s| s.as_str()).unwrap_or("-"),
            verdict
        );
    }
    let status = match o.status {
        Verdict::Pass => paint("32;1", "PASS".into()),
        Verdict::Regression => paint("31;1", "REGRESSION".into()),
        Verdict::Error => paint("33;1", "ERROR".into()),
    };
    // A shard judges nothing: its verdict is the merged run's.
    if let Some(sh) = &o.shard {
        return out
            + &format!(
                "SHARD {} of {}: stored for run group {:?}, judged when merged (perfgate merge --run-group {})\n",
                sh.index + 1,
                sh.count,
                sh.run_group,
                sh.run_group
            );
    }
    out += &format!(
        "{status}: {} regression(s), {} failing, {} improvement(s){}{}\n",
        o.regressions.len(),
        o.failing,
        o.improvements.len(),
        if o.establish_baselines {
            " — stored as baseline history"
        } else {
            ""
        },
        if o.interrupted {
            " — run interrupted, partial results saved"
        } else {
            ""
        },
    );
    out
}
