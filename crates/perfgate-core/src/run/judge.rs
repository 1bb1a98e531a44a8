//! Stage 3, judge: every metric of every scenario that ran against its baseline; a
//! lone suspect scenario is re-run at once so one run can confirm or clear it.

use tokio_util::sync::CancellationToken;

use super::measure::Outputs;
use super::{
    BaselineSummary, MetricContext, MetricReport, RegressionReport, RunOptions, metric_context,
};
use crate::config::{Config, ScenarioConfig};
use crate::detect::Severity;
use crate::detect::{self, Judgement, Kind, Settings};
use crate::error::Result;
use crate::live::{EngineEvent, LiveHub, ScenarioPhase};
use crate::metrics::{Direction, metric_name, unit_of};
use crate::model::{AlertKind, DetectionRule, MetricVerdict, TriageState};
use crate::scenario::{self, ScenarioOutput};
use crate::store::{MetricRow, Store};

/// What judging produced: one report and one stored row per metric, and the
/// confirmed changes.
#[derive(Default)]
pub struct Judged {
    pub metrics: Vec<MetricReport>,
    pub rows: Vec<MetricRow>,
    pub regressions: Vec<RegressionReport>,
    pub improvements: Vec<RegressionReport>,
}

/// One metric's value with its first judgement and the history it was judged on.
struct Observed {
    name: String,
    value: f64,
    judgement: Option<Judgement>,
    ctx: MetricContext,
}

/// Everything a judge needs besides the outputs.
pub struct Judge<'a> {
    pub cfg: &'a Config,
    pub settings: &'a Settings,
    pub opts: &'a RunOptions,
    pub run_id: i64,
    pub live: &'a LiveHub,
    pub cancel: &'a CancellationToken,
}

impl Judge<'_> {
    pub async fn judge(&self, store: &mut dyn Store, outputs: &Outputs) -> Result<Judged> {
        let mut judged = Judged::default();
        // A failed scenario's figures are reported, never judged or stored as history.
        for (sc, out) in outputs.iter().filter(|(_, o)| o.error.is_none()) {
            let observed = self.observe(&*store, sc, out)?;
            let confirmation = self.confirm(sc, out, &observed).await;
            for o in observed {
                self.record(&mut judged, sc, o, confirmation.as_ref());
            }
        }
        Ok(judged)
    }

    fn observe(
        &self,
        store: &dyn Store,
        sc: &ScenarioConfig,
        out: &ScenarioOutput,
    ) -> Result<Vec<Observed>> {
        let mut observed = Vec::new();
        for (short, &value) in &out.metrics {
            let name = metric_name(sc.name(), short);
            let ctx = metric_context(store, self.settings, &name, Some(self.run_id))?;
            let settings = judging_settings(self.settings, &name, &ctx);
            let dir = Direction::of(&name);
            let judgement = if self.opts.establish_baselines || self.opts.shard.is_some() {
                None
            } else {
                detect::judge_with(&settings, &ctx.base, &ctx.aside, &ctx.recent, value, dir)
                    .map(|j| escalate(&settings, j, &ctx, dir))
            };
            match &judgement {
                Some(j) => tracing::debug!(
                    metric = %name, value, baseline_n = j.baseline.n, mean = j.baseline.mean,
                    std = j.baseline.std, z = j.z, change_pct = j.change_pct,
                    suspect = ?j.suspect, confirmed = ?j.confirmed, "judged"
                ),
                None => tracing::debug!(
                    metric = %name, value, baseline_n = ctx.base.len(),
                    "not judged (baseline building)"
                ),
            }
            observed.push(Observed {
                name,
                value,
                judgement,
                ctx,
            });
        }
        Ok(observed)
    }

    /// A second observation for a scenario with an unconfirmed suspect regression: a
    /// re-run, or the tool's own confirming data for ingested results.
    async fn confirm(
        &self,
        sc: &ScenarioConfig,
        out: &ScenarioOutput,
        observed: &[Observed],
    ) -> Option<ScenarioOutput> {
        let lone_suspect =
            |j: &Judgement| j.suspect == Some(Kind::Regression) && j.confirmed.is_none();
        if !observed
            .iter()
            .any(|o| o.judgement.as_ref().is_some_and(lone_suspect))
        {
            return None;
        }
        let mut confirmation = None;
        if self.opts.ingested.is_empty()
            && self.settings.persistence > 1
            && self.cfg.detection.confirm_reruns > 0
            && !self.cancel.is_cancelled()
        {
            for _ in 0..self.cfg.detection.confirm_reruns {
                self.live
                    .emit(EngineEvent::Confirming {
                        scenario: sc.name().to_string(),
                    })
                    .await;
                self.live
                    .update_scenario(sc.name(), |l| l.phase = ScenarioPhase::Confirming);
                let again = scenario::run(self.cfg, sc, self.live, self.cancel, None).await;
                let still = observed.iter().any(|o| {
                    let short = o.name.rsplit('.').next().unwrap_or(&o.name);
                    match (&o.judgement, again.metrics.get(short)) {
                        (Some(j), Some(&v2)) if lone_suspect(j) => {
                            let mut recent = o.ctx.recent.clone();
                            recent.push(o.value);
                            let dir = Direction::of(&o.name);
                            let settings = judging_settings(self.settings, &o.name, &o.ctx);
                            detect::judge_with(
                                &settings,
                                &o.ctx.base,
                                &o.ctx.aside,
                                &recent,
                                v2,
                                dir,
                            )
                            .is_some_and(|j2| j2.suspect == Some(Kind::Regression))
                        }
                        _ => false,
                    }
                });
                confirmation = Some(again);
                if !still {
                    break;
                }
            }
        }
        // Ingested results confirm from their own data (a second half of the
        // iterations, or a confidence bound) when the tool provides it.
        confirmation.or_else(|| {
            out.confirmation.as_ref().map(|c| ScenarioOutput {
                metrics: c.clone(),
                ..Default::default()
            })
        })
    }

    /// A confirmation observation extends the sequence the rule sees. Returns the
    /// judgement, the confirming value, and whether that value cleared the
    /// suspicion (no longer suspect the same way): a slow run whose confirmation
    /// is as slow but not yet enough to confirm stays suspect, never "cleared".
    fn with_confirmation(
        &self,
        o: &Observed,
        confirmation: Option<&ScenarioOutput>,
    ) -> (Option<Judgement>, Option<f64>, bool) {
        let short = o.name.rsplit('.').next().unwrap_or(&o.name);
        match (
            &o.judgement,
            confirmation.and_then(|c| c.metrics.get(short)),
        ) {
            (Some(j0), Some(&v2)) if j0.suspect.is_some() && j0.confirmed.is_none() => {
                let mut recent = o.ctx.recent.clone();
                recent.push(o.value);
                let dir = Direction::of(&o.name);
                let settings = judging_settings(self.settings, &o.name, &o.ctx);
                match detect::judge_with(&settings, &o.ctx.base, &o.ctx.aside, &recent, v2, dir) {
                    Some(Judgement {
                        confirmed: Some(kind),
                        rule,
                        ..
                    }) if j0.suspect == Some(kind) => {
                        let mut j = j0.clone();
                        let rule = rule.unwrap_or_default();
                        let (by, how) = if self.opts.ingested.is_empty() {
                            (DetectionRule::Rerun, "confirmed by a re-run")
                        } else {
                            (
                                DetectionRule::ToolSpread,
                                "confirmed by the tool's own spread",
                            )
                        };
                        j.confirm(kind, by, format!("{rule} ({how})"), &settings);
                        (Some(j), Some(v2), false)
                    }
                    j2 => {
                        let still = j2.is_some_and(|j2| j2.suspect == j0.suspect);
                        (o.judgement.clone(), Some(v2), !still)
                    }
                }
            }
            _ => (o.judgement.clone(), None, false),
        }
    }

    fn record(
        &self,
        out: &mut Judged,
        sc: &ScenarioConfig,
        o: Observed,
        confirmation: Option<&ScenarioOutput>,
    ) {
        let (j, conf_value, cleared) = self.with_confirmation(&o, confirmation);
        let report_only = self.settings.for_metric(&o.name).report_only;
        let mut report = metric_report(sc, &o, j.as_ref(), cleared, self.opts);
        if let Some(j) = &j
            && let Some(kind) = j.confirmed
        {
            let mut r = regression_report(&o, j, kind, conf_value);
            r.report_only = report_only;
            match kind {
                Kind::Regression => out.regressions.push(r),
                Kind::Improvement => out.improvements.push(r),
            }
        }
        if report.verdict == MetricVerdict::Regression
            && open_state(&o).is_some_and(TriageState::is_silenced)
        {
            report.verdict = MetricVerdict::Silenced;
        }
        let mut row = metric_row(&report, j.as_ref());
        row.report_only = report_only;
        out.rows.push(row);
        out.metrics.push(report);
    }
}

/// A metric's settings as the replay judges it: against an open alert's frozen
/// baseline, which may be a few samples short of `min_baseline_samples`.
fn judging_settings(s: &Settings, metric: &str, ctx: &MetricContext) -> Settings {
    let s = s.for_metric(metric);
    if ctx.open_alert.is_some() {
        s.frozen()
    } else {
        s
    }
}

/// A suspect regression while the metric's regression alert is open escalates it
/// when the metric moved again against the alert's own level, or the burst that
/// raised it went and a change stayed ([`detect::escalation`]): the rule says so and
/// the severity rises a band above the alert's, so the channels hear of it.
fn escalate(s: &Settings, mut j: Judgement, ctx: &MetricContext, dir: Direction) -> Judgement {
    let Some(alert) = &ctx.open_alert else {
        return j;
    };
    if alert.kind != AlertKind::Regression {
        return j;
    }
    if let Some((k, rule)) =
        detect::escalation(s, &j, &ctx.since_change, ctx.level_at, ctx.level_min, dir)
    {
        j.escalate(s, k, rule);
        // A report-only metric's changes stay low, escalated or not.
        if !s.report_only {
            j.severity = Some(
                j.severity
                    .unwrap_or(Severity::Low)
                    .max(alert.severity.raised()),
            );
        }
    }
    j
}

/// The triage state of the metric's open alert, when it has one.
fn open_state(o: &Observed) -> Option<TriageState> {
    o.ctx.open_alert.as_ref().map(|a| a.state)
}

fn metric_report(
    sc: &ScenarioConfig,
    o: &Observed,
    j: Option<&Judgement>,
    cleared: bool,
    opts: &RunOptions,
) -> MetricReport {
    let verdict = match j {
        None if opts.establish_baselines => MetricVerdict::Baseline,
        None => MetricVerdict::Building,
        Some(j) => match (j.confirmed, j.suspect) {
            (Some(Kind::Regression), _) => MetricVerdict::Regression,
            (Some(Kind::Improvement), _) => MetricVerdict::Improvement,
            (None, Some(_)) if cleared => MetricVerdict::Cleared,
            (None, Some(_)) => MetricVerdict::Suspect,
            _ => MetricVerdict::Ok,
        },
    };
    MetricReport {
        name: o.name.clone(),
        scenario: sc.name().to_string(),
        value: o.value,
        unit: unit_of(&o.name).to_string(),
        direction: Direction::of(&o.name),
        baseline: j.map(|j| BaselineSummary {
            n: j.baseline.kept(),
            mean: j.baseline.mean,
            std: j.baseline.std,
            median: j.baseline.median,
            robust_std: j.baseline.robust_std,
        }),
        z_score: j.map(|j| j.z),
        change_pct: j.map(|j| j.change_pct),
        // A magnitude label belongs to a confirmed change only: "critical" beside an
        // "ok" verdict reads as an alarm that is not one.
        severity: j.filter(|j| j.confirmed.is_some()).and_then(|j| j.severity),
        verdict,
        rule: j.and_then(|j| j.rule.clone()),
    }
}

fn regression_report(
    o: &Observed,
    j: &Judgement,
    kind: Kind,
    conf_value: Option<f64>,
) -> RegressionReport {
    RegressionReport {
        metric: o.name.clone(),
        value: o.value,
        baseline_mean: j.baseline.mean,
        baseline_std: j.baseline.std,
        baseline_median: j.baseline.median,
        z_score: j.z,
        change_pct: j.change_pct,
        severity: j.severity.unwrap_or(Severity::Low),
        kind: match kind {
            Kind::Regression => AlertKind::Regression,
            Kind::Improvement => AlertKind::Improvement,
        },
        rule: j.rule.clone().unwrap_or_default(),
        detected_by: j.detected_by,
        report_only: false,
        confirmation_value: conf_value,
        alert_id: None,
        group: None,
        suspect_range: None,
        triage_state: (kind == Kind::Regression)
            .then(|| open_state(o).unwrap_or(TriageState::Untriaged)),
        onset: j.onset,
        suspect: j.suspect == Some(kind),
    }
}

fn metric_row(report: &MetricReport, j: Option<&Judgement>) -> MetricRow {
    let b = report.baseline.as_ref();
    MetricRow {
        scenario: report.scenario.clone(),
        metric: report.name.clone(),
        value: report.value,
        unit: report.unit.clone(),
        z: report.z_score,
        severity: report.severity,
        suspect: j.is_some_and(|j| j.suspect == Some(Kind::Regression)),
        kind: j.and_then(|j| j.confirmed).map(AlertKind::from),
        baseline_n: b.map(|b| b.n),
        baseline_mean: b.map(|b| b.mean),
        baseline_std: b.map(|b| b.std),
        baseline_median: b.map(|b| b.median),
        baseline_robust_std: b.map(|b| b.robust_std),
        change_pct: report.change_pct,
        verdict: Some(report.verdict),
        rule: report.rule.clone(),
        report_only: false,
    }
}
