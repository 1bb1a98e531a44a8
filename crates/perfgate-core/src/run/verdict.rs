//! Stage 4, verdict: broken absolute thresholds join the regressions, then the run's
//! status is decided once, from the regressions that fail the build and the scenarios
//! that could not run.

use tokio_util::sync::CancellationToken;

use super::judge::Judged;
use super::measure::Outputs;
use super::{RegressionReport, RunOptions, ScenarioReport};
use crate::config::threshold::{self, Threshold, ThresholdResult};
use crate::detect::Severity;
use crate::model::{AlertKind, MetricVerdict, RunStatus, ScenarioStatus, TriageState};
use crate::store::ScenarioRow;

pub struct Verdict {
    pub status: super::Verdict,
    /// The run's state in the store (complete, interrupted, aborted, shard).
    pub run_status: RunStatus,
    pub failing: usize,
    pub interrupted: bool,
    pub aborted: bool,
    pub thresholds: Vec<ThresholdResult>,
    pub scenarios: Vec<ScenarioReport>,
    pub scenario_rows: Vec<ScenarioRow>,
}

pub fn decide(
    judged: &mut Judged,
    outputs: &Outputs,
    thresholds: &[Threshold],
    opts: &RunOptions,
    cancel: &CancellationToken,
) -> Verdict {
    let checked = apply_thresholds(judged, outputs, thresholds, opts);
    let interrupted =
        cancel.is_cancelled() || outputs.iter().any(|(_, o)| o.interrupted && !o.aborted);
    let aborted = outputs.iter().any(|(_, o)| o.aborted);
    let scenarios: Vec<ScenarioReport> = outputs
        .iter()
        .map(|(sc, o)| ScenarioReport {
            name: sc.name().to_string(),
            kind: sc.kind(),
            status: if o.error.is_some() {
                ScenarioStatus::Error
            } else if o.aborted {
                ScenarioStatus::Aborted
            } else if o.interrupted {
                ScenarioStatus::Interrupted
            } else {
                ScenarioStatus::Ok
            },
            error: o.error.clone(),
            note: o.note.clone(),
            requests: o.requests,
            errors: o.errors.clone(),
            metrics: o.metrics.clone(),
        })
        .collect();
    let scenario_rows = outputs
        .iter()
        .zip(&scenarios)
        .map(|((_, o), r)| ScenarioRow {
            scenario: r.name.clone(),
            kind: r.kind,
            status: r.status,
            error: r.error.clone(),
            note: r.note.clone(),
            errors_json: serde_json::to_string(&r.errors).unwrap_or_else(|_| "{}".into()),
            requests: r.requests,
            histogram: o.histogram.clone(),
        })
        .collect();
    let failing = judged
        .regressions
        .iter()
        .filter(|r| r.fails_build())
        .count();
    let status = if failing > 0 {
        super::Verdict::Regression
    } else if scenarios.iter().any(|s| s.error.is_some()) {
        super::Verdict::Error
    } else {
        super::Verdict::Pass
    };
    let run_status = if aborted {
        RunStatus::Aborted
    } else if interrupted {
        RunStatus::Interrupted
    } else if opts.shard.is_some() {
        RunStatus::Shard
    } else {
        RunStatus::Complete
    };
    Verdict {
        status,
        run_status,
        failing,
        interrupted,
        aborted,
        thresholds: checked,
        scenarios,
        scenario_rows,
    }
}

/// Absolute thresholds: a broken one is a critical regression whatever the history says.
fn apply_thresholds(
    judged: &mut Judged,
    outputs: &Outputs,
    thresholds: &[Threshold],
    opts: &RunOptions,
) -> Vec<ThresholdResult> {
    let mut results: Vec<ThresholdResult> = Vec::new();
    for (sc, out) in outputs
        .iter()
        .filter(|(_, o)| opts.shard.is_none() && o.error.is_none())
    {
        results.extend(threshold::evaluate(thresholds, sc.name(), &out.metrics));
    }
    for t in results.iter().filter(|t| !t.passed) {
        let bound = thresholds
            .iter()
            .find(|x| x.key == t.threshold)
            .map(|x| x.bound)
            .unwrap_or(0.0);
        let rule = format!("threshold {} {}", t.threshold, t.expr);
        if let Some(m) = judged.metrics.iter_mut().find(|m| m.name == t.metric)
            && m.verdict != MetricVerdict::Regression
        {
            m.verdict = MetricVerdict::Threshold;
            m.severity = Some(Severity::Critical);
            // The stored row follows the report's verdict.
            if let Some(row) = judged.rows.iter_mut().find(|r| r.metric == t.metric) {
                row.verdict = Some(MetricVerdict::Threshold);
                row.kind = Some(AlertKind::Threshold);
                row.rule = Some(rule.clone());
                row.severity = Some(Severity::Critical);
            }
        }
        judged.regressions.push(RegressionReport {
            metric: t.metric.clone(),
            value: t.value,
            baseline_mean: bound,
            baseline_std: 0.0,
            baseline_median: bound,
            z_score: 0.0,
            change_pct: if bound.abs() > 1e-12 {
                (t.value - bound) / bound.abs() * 100.0
            } else {
                0.0
            },
            severity: Severity::Critical,
            kind: AlertKind::Threshold,
            rule,
            detected_by: Some(crate::model::DetectionRule::Threshold),
            report_only: false,
            confirmation_value: None,
            alert_id: None,
            group: None,
            suspect_range: None,
            triage_state: Some(TriageState::Untriaged),
            onset: 0,
            suspect: false,
        });
    }
    results
}
