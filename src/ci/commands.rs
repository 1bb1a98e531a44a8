//! Headless subcommands: backtest, baseline management, history, runs, triage.

use std::io::Write;
use std::path::Path;

use crate::cli::{BaselineAction, TriageAction};
use crate::engine::backtest;
use crate::engine::config::Config;
use crate::engine::detect::Settings;
use crate::engine::error::{Error, Result};
use crate::engine::inspect::{self, BaselineView};
use crate::engine::manage;
use crate::engine::report::fmt_num;
use crate::engine::store::{self, Store};

fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

pub fn backtest(
    input: &Path,
    format: &str,
    output: Option<&Path>,
    cfg: Option<&Config>,
) -> Result<i32> {
    if format != "json" {
        return Err(Error::Usage(format!(
            "--format {format:?} is not available for backtest; expected json"
        )));
    }
    let text = std::fs::read_to_string(input).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot be read ({e}); expected a CSV file metric,run,value",
            input.display()
        ))
    })?;
    let settings = cfg.map(Settings::from_config).unwrap_or_default();
    let report = backtest::backtest(&text, &input.display().to_string(), &settings)?;
    let json = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    match output {
        Some(p) => std::fs::write(p, json)
            .map_err(|e| Error::Usage(format!("--output {}: cannot write ({e})", p.display())))?,
        None => print(&json),
    }
    Ok(0)
}

fn health_str(v: &BaselineView) -> String {
    match &v.health {
        Some(h) => format!(
            "{:.2}{}",
            h.score,
            if h.score < crate::engine::baseline::HEALTH_REFRESH_BELOW {
                " refresh"
            } else {
                ""
            }
        ),
        None => "-".into(),
    }
}

fn list_line(v: &BaselineView) -> String {
    let (n, mean, std, med) = match &v.stats {
        Some(s) => (
            s.n.to_string(),
            fmt_num(s.mean),
            fmt_num(s.std),
            fmt_num(s.median),
        ),
        None => ("0".into(), "-".into(), "-".into(), "-".into()),
    };
    let state = if v.frozen {
        "frozen (open alert)".to_string()
    } else if v.building > 0 {
        format!("building ({} more)", v.building)
    } else {
        "active".into()
    };
    format!(
        "{:<44} {:>4} {:>11} {:>10} {:>11} {:>12} {:<24} {}\n",
        v.metric,
        n,
        mean,
        std,
        med,
        health_str(v),
        state,
        v.last_update.as_deref().unwrap_or("-")
    )
}

pub fn baseline(store: &mut dyn Store, cfg: &Config, action: BaselineAction) -> Result<i32> {
    match action {
        BaselineAction::List { json } => {
            let views = inspect::baseline_views(store, cfg)?;
            if json {
                print(&(serde_json::to_string_pretty(&views).unwrap_or_default() + "\n"));
                return Ok(0);
            }
            if views.is_empty() {
                print(
                    "no baselines yet: run `perfgate --ci --establish-baselines` to record history\n",
                );
                return Ok(0);
            }
            let mut s = format!(
                "{:<44} {:>4} {:>11} {:>10} {:>11} {:>12} {:<24} {}\n",
                "metric", "n", "mean", "std", "median", "health", "state", "last update"
            );
            for v in &views {
                s += &list_line(v);
            }
            print(&s);
            Ok(0)
        }
        BaselineAction::Show { metric } => {
            let known = store.metric_names()?;
            if !known.contains(&metric) {
                return Err(crate::engine::manage::unknown_metric(&metric, &known));
            }
            let v = inspect::baseline_view(store, cfg, &metric)?;
            print(&show(&v));
            Ok(0)
        }
        BaselineAction::Reset {
            metric,
            all,
            reason,
        } => {
            let target = match (metric, all) {
                (_, true) => "*".to_string(),
                (Some(m), false) => m,
                (None, false) => {
                    return Err(Error::Usage(
                        "baseline reset: name a METRIC or pass --all".into(),
                    ));
                }
            };
            let who = store::actor();
            let latest = manage::reset(store, &target, &who, &reason)?;
            print(&format!(
                "baseline of {} reset by {who}: history up to run #{latest} no longer counts; {} new runs rebuild it\n",
                if target == "*" {
                    "every metric"
                } else {
                    &target
                },
                cfg.min_baseline_samples
            ));
            Ok(0)
        }
        BaselineAction::Accept { metric, reason } => {
            let who = store::actor();
            let done = manage::accept(store, &metric, &who, &reason)?;
            print(&format!("{metric}: {done} by {who}\n"));
            Ok(0)
        }
        BaselineAction::Audit { limit } => {
            let mut s = String::new();
            for a in store.audit(limit)? {
                s += &format!(
                    "{}  {:<12} {:<22} {:<40} {}\n",
                    a.at, a.who, a.action, a.target, a.reason
                );
            }
            if s.is_empty() {
                s = "audit log is empty\n".into();
            }
            print(&s);
            Ok(0)
        }
    }
}

pub fn show(v: &BaselineView) -> String {
    let mut s = format!(
        "{}  ({}, {} is better)\n",
        v.metric,
        v.unit,
        match v.direction {
            crate::engine::metrics::Direction::Lower => "lower",
            crate::engine::metrics::Direction::Higher => "higher",
        }
    );
    match &v.stats {
        Some(b) => {
            s += &format!(
                "  samples {} ({} outliers)  mean {}  std {}  median {}  robust std {}\n  p5 {}  p25 {}  p75 {}  p95 {}  min {}  max {}\n",
                b.n,
                b.outliers,
                fmt_num(b.mean),
                fmt_num(b.std),
                fmt_num(b.median),
                fmt_num(b.robust_std),
                fmt_num(b.p5),
                fmt_num(b.p25),
                fmt_num(b.p75),
                fmt_num(b.p95),
                fmt_num(b.min),
                fmt_num(b.max)
            );
        }
        None => s += "  no baseline samples yet\n",
    }
    if v.building > 0 {
        s += &format!(
            "  building: {} more run(s) before it is judged\n",
            v.building
        );
    }
    if let Some(h) = &v.health {
        s += &format!(
            "  health {:.2}{}  (count {:.2}, freshness {:.2}, quietness {:.2}, stability {:.2}, cleanliness {:.2})\n",
            h.score,
            if h.score < crate::engine::baseline::HEALTH_REFRESH_BELOW {
                " — below 0.7: refresh advised"
            } else {
                ""
            },
            h.count,
            h.freshness,
            h.quietness,
            h.stability,
            h.cleanliness
        );
        for r in &h.reasons {
            s += &format!("    - {r}\n");
        }
    }
    if let Some(t) = &v.trend {
        s += &format!(
            "  trend {} {:+.3}/day (95% CI {:+.3} .. {:+.3}, {:+.2}%/day, {} samples)\n",
            t.arrow(),
            t.slope_per_day,
            t.ci_low,
            t.ci_high,
            t.pct_per_day,
            t.samples
        );
    }
    if let Some(a) = &v.open_alert {
        s += &format!(
            "  open alert #{} ({}, {}) since run #{}: baseline frozen\n",
            a.id, a.severity, a.state, a.opened_run_id
        );
    }
    if !v.change_points.is_empty() {
        let runs: Vec<String> = v
            .change_points
            .iter()
            .filter_map(|&i| v.history.get(i).map(|p| format!("#{}", p.run_id)))
            .collect();
        s += &format!("  change points at runs {}\n", runs.join(", "));
    }
    s
}

pub fn history(store: &dyn Store, cfg: &Config, metric: &str, format: &str) -> Result<i32> {
    let known = store.metric_names()?;
    if !known.contains(&metric.to_string()) {
        return Err(crate::engine::manage::unknown_metric(metric, &known));
    }
    let v = inspect::baseline_view(store, cfg, metric)?;
    if format == "json" {
        print(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
        return Ok(0);
    }
    let mut s = show(&v);
    s += "  run      at                         value        mark\n";
    for (i, p) in v.history.iter().enumerate() {
        let mark = if v.change_points.contains(&i) {
            "◆ change point"
        } else if p.suspect {
            "suspect"
        } else {
            ""
        };
        s += &format!(
            "  #{:<6} {:<26} {:>12}  {}\n",
            p.run_id,
            p.at,
            fmt_num(p.value),
            mark
        );
    }
    print(&s);
    Ok(0)
}

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
            r.status,
            r.verdict.as_deref().unwrap_or("-"),
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
            store.set_alert_state(id, &state, &who, &reason)?;
            print(&format!("alert #{id} is now {state} (by {who})\n"));
            Ok(0)
        }
    }
}

/// `perfgate compare`: side-by-side table (text) or any report format; returns
/// whether B regressed.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    st: &dyn Store,
    cfg: &Config,
    label: &str,
    a: &str,
    b: &str,
    noise_pct: f64,
    formats: &[String],
    output: Option<&std::path::PathBuf>,
) -> Result<bool> {
    use crate::engine::compare;
    if !(noise_pct.is_finite() && noise_pct >= 0.0) {
        return Err(Error::Usage(
            "--noise-pct: expected a percentage >= 0".into(),
        ));
    }
    let (ia, ib) = (compare::resolve(st, a)?, compare::resolve(st, b)?);
    let c = compare::compare(st, ia, ib, noise_pct)?;
    let outcome = compare::as_outcome(st, label, &c)?;
    let regressed = c.metrics.iter().any(|m| m.verdict == "regression");
    let fmts = super::parse_formats(formats, output)?;
    let ctx = crate::engine::report::context(st, cfg, &outcome, &fmts);
    if let Some(out) = output {
        for p in crate::engine::report::write_all(&outcome, out, &fmts, &ctx)? {
            eprintln!("report written: {}", p.display());
        }
        return Ok(regressed);
    }
    for f in &fmts {
        if *f == crate::engine::report::Format::Text {
            print(&compare_table(&c));
        } else {
            print(&crate::engine::report::render(&outcome, *f, &ctx));
        }
    }
    Ok(regressed)
}

pub fn compare_table(c: &crate::engine::compare::Comparison) -> String {
    let w = c
        .metrics
        .iter()
        .map(|m| m.metric.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = format!(
        "A = run #{}, B = run #{}, noise threshold {}%\n{:<w$}  {:>12}  {:>12}  {:>8}  {:<12}  {}\n",
        c.run_a, c.run_b, c.noise_pct, "metric", "A", "B", "change", "verdict", "why"
    );
    for m in &c.metrics {
        let verdict = match m.verdict.as_str() {
            "none" => "no significant change".to_string(),
            v => v.to_string(),
        };
        s += &format!(
            "{:<w$}  {:>12}  {:>12}  {:>+7.1}%  {:<12}  {}\n",
            m.metric,
            fmt_num(m.a),
            fmt_num(m.b),
            m.change_pct,
            verdict,
            m.why
        );
    }
    let n = c
        .metrics
        .iter()
        .filter(|m| m.verdict == "regression")
        .count();
    s += &if n == 0 {
        "no significant change beyond noise\n".to_string()
    } else {
        format!("{n} regression(s) beyond noise\n")
    };
    s
}
