//! `perfgate baseline list|show|reset|accept|audit`: the on-call actions, audited.

use super::print;
use crate::cli::BaselineAction;
use crate::engine::config::Config;
use crate::engine::error::{Error, Result};
use crate::engine::inspect::{self, BaselineView};
use crate::engine::manage;
use crate::engine::report::fmt_num;
use crate::engine::store::{self, Store};

fn health_str(v: &BaselineView) -> String {
    match &v.health {
        Some(h) => format!(
            "{:.2}{}",
            h.score,
            if h.advises_refresh() { " refresh" } else { "" }
        ),
        None => "-".into(),
    }
}

fn list_line(v: &BaselineView) -> String {
    let [n, mean, std, med] = v.stat_cells();
    let state = if v.frozen {
        "frozen (open alert)".to_string()
    } else if v.building > 0 {
        format!("building ({} more)", v.building)
    } else if v.report_only {
        "report only".into()
    } else {
        "active".into()
    };
    let prec = v.quality.as_ref().map_or("-".into(), |q| q.precision_pct());
    format!(
        "{:<44} {:>4} {:>11} {:>10} {:>11} {:>12} {:>5} {:<24} {}\n",
        v.metric,
        n,
        mean,
        std,
        med,
        health_str(v),
        prec,
        state,
        v.last_update.as_deref().unwrap_or("-")
    )
}

/// `config`: the `--config` given, for the actions that write to it.
pub fn baseline(
    store: &mut dyn Store,
    cfg: &Config,
    action: BaselineAction,
    config: Option<&std::path::Path>,
) -> Result<i32> {
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
                "{:<44} {:>4} {:>11} {:>10} {:>11} {:>12} {:>5} {:<24} {}\n",
                "metric", "n", "mean", "std", "median", "health", "prec", "state", "last update"
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
            let target = reset_target("reset", metric, all)?;
            let who = store::actor();
            let latest = manage::reset(store, &target, &who, &reason)?;
            print(&format!(
                "baseline of {} reset by {who}: history up to run #{latest} no longer counts; {} new runs rebuild it\n",
                manage::target_name(&target),
                cfg.min_baseline_samples
            ));
            Ok(0)
        }
        BaselineAction::Undo {
            metric,
            all,
            reason,
        } => {
            let target = reset_target("undo", metric, all)?;
            let who = store::actor();
            let done = manage::undo(store, &target, &who, &reason)?;
            let reopened = match done.reopened.as_slice() {
                [] => String::new(),
                ids => format!(
                    "; alert(s) {} open again",
                    ids.iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            print(&format!(
                "baseline of {} restored by {who}: the reset by {} at {} is taken back, its history counts again{reopened}\n",
                manage::target_name(&target),
                done.event.who,
                done.event.at,
            ));
            Ok(0)
        }
        BaselineAction::Accept { metric, reason } => {
            let who = store::actor();
            let done = manage::accept(store, &metric, &who, &reason)?;
            print(&format!("{metric}: {done} by {who}\n"));
            Ok(0)
        }
        BaselineAction::ReportOnly {
            metric,
            off,
            reason,
        } => {
            let known = store.metric_names()?;
            if !known.contains(&metric) && !metric.contains('*') {
                return Err(manage::unknown_metric(&metric, &known));
            }
            let loaded = super::load_config(config)?;
            let who = store::actor();
            manage::set_report_only(store, &loaded.path, &metric, !off, &who, &reason)?;
            print(&if off {
                format!(
                    "{metric}: judged again; a confirmed regression fails the build (by {who})\n"
                )
            } else {
                format!(
                    "{metric}: report only; shown and alerted at low severity, never fails the build (by {who}; written to {})\n",
                    loaded.path.display()
                )
            });
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
            if h.advises_refresh() {
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
            "  trend {} ({:+.3} .. {:+.3} {}/{})\n",
            t.describe(),
            t.ci_low,
            t.ci_high,
            v.unit,
            t.per
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
    if let Some(q) = &v.quality {
        s += &format!(
            "  alert quality: precision {} over {} alert(s) ({}); {:.0}% without a triage answer\n",
            q.precision_text(),
            q.alerts,
            q.states_text(),
            q.untriaged_share * 100.0
        );
    }
    if v.report_only {
        s += "  report only: shown and alerted at low severity, never fails a build\n";
    }
    s
}

/// The metric a reset or an undo is for: the one named, or `*` with --all.
fn reset_target(verb: &str, metric: Option<String>, all: bool) -> Result<String> {
    match (metric, all) {
        (_, true) => Ok("*".to_string()),
        (Some(m), false) => Ok(m),
        (None, false) => Err(Error::Usage(format!(
            "baseline {verb}: name a METRIC or pass --all"
        ))),
    }
}
