//! Rebuild a run's outcome from the store (`perfgate report RUN_ID`), and gather
//! the history the HTML report charts.

use std::collections::BTreeMap;

use crate::detect::Severity;
use crate::error::{Error, Result};
use crate::metrics::Direction;
use crate::model::{AlertKind, MetricVerdict, RunStatus, TriageState, Verdict};
use crate::outcome::SuspectRange;
use crate::outcome::{BaselineSummary, MetricReport, RegressionReport, RunOutcome, ScenarioReport};
use crate::store::{Alert, Store};

/// Context the HTML report draws beyond the outcome itself.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Metric → (run id, value) history up to the run, oldest first.
    pub history: BTreeMap<String, Vec<(i64, f64)>>,
    /// Metric → indexes into its history where a new level starts.
    pub change_points: BTreeMap<String, Vec<usize>>,
    /// Scenario → (percentile, latency ms) of the run's latency distribution.
    pub latency: BTreeMap<String, Vec<(f64, f64)>>,
    /// Scenario → the same percentiles over the baseline runs before it.
    pub baseline_latency: BTreeMap<String, Vec<(f64, f64)>>,
    pub machine: String,
    /// Alert quality from triage, for the run's metrics and per rule.
    pub quality: crate::quality::QualityReport,
}

/// Percentiles a latency distribution is drawn at.
pub const PERCENTILES: [f64; 12] = [
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0,
];

/// Baseline runs whose distributions are merged as "before".
const BEFORE_RUNS: usize = 5;

fn histogram(blob: &[u8]) -> Option<hdrhistogram::Histogram<u64>> {
    use hdrhistogram::serialization::Deserializer;
    Deserializer::new().deserialize(&mut &blob[..]).ok()
}

/// The run's latency distribution from its stored HdrHistogram.
pub fn latency_curve(blob: &[u8]) -> Option<Vec<(f64, f64)>> {
    curve(&histogram(blob)?)
}

fn curve(h: &hdrhistogram::Histogram<u64>) -> Option<Vec<(f64, f64)>> {
    if h.is_empty() {
        return None;
    }
    Some(
        PERCENTILES
            .iter()
            .map(|&p| (p, h.value_at_quantile(p / 100.0) as f64 / 1000.0))
            .collect(),
    )
}

pub fn extras(st: &dyn Store, run_id: i64) -> Result<Extras> {
    let mut ex = Extras {
        machine: format!(
            "{} ({} cores, {})",
            crate::host::host_name(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            std::env::consts::ARCH
        ),
        ..Default::default()
    };
    for m in st.run_metrics(run_id)? {
        let epoch = st.baseline_epoch(&m.metric)?;
        let hist: Vec<(i64, f64)> = st
            .history(&m.metric, epoch, 200, None)?
            .into_iter()
            .filter(|p| p.run_id <= run_id)
            .map(|p| (p.run_id, p.value))
            .collect();
        let values: Vec<f64> = hist.iter().map(|p| p.1).collect();
        ex.change_points.insert(
            m.metric.clone(),
            crate::changepoint::change_points(&values, 3),
        );
        ex.history.insert(m.metric.clone(), hist);
    }
    let mut quality = crate::quality::quality(&st.alerts(false)?);
    quality
        .by_metric
        .retain(|r| ex.history.contains_key(&r.key));
    ex.quality = quality;
    for s in st.run_scenarios(run_id)? {
        if let Some(curve) = s.histogram.as_deref().and_then(latency_curve) {
            ex.latency.insert(s.scenario.clone(), curve);
            if let Some(before) = baseline_curve(st, &s.scenario, run_id)? {
                ex.baseline_latency.insert(s.scenario.clone(), before);
            }
        }
    }
    Ok(ex)
}

/// The latency percentiles of the complete runs before `run_id` (at most five,
/// their HdrHistograms merged): the "before" a regressed run is drawn against.
pub fn baseline_curve(
    st: &dyn Store,
    scenario: &str,
    run_id: i64,
) -> Result<Option<Vec<(f64, f64)>>> {
    let mut merged: Option<hdrhistogram::Histogram<u64>> = None;
    let mut used = 0;
    for r in st.runs(200)? {
        if used == BEFORE_RUNS {
            break;
        }
        if r.id >= run_id || r.status != RunStatus::Complete {
            continue;
        }
        let rows = st.run_scenarios(r.id)?;
        let Some(h) = rows
            .iter()
            .find(|s| s.scenario == scenario)
            .and_then(|s| s.histogram.as_deref())
            .and_then(histogram)
        else {
            continue;
        };
        used += 1;
        match merged.as_mut() {
            Some(m) => {
                let _ = m.add(&h);
            }
            None => merged = Some(h),
        }
    }
    Ok(merged.as_ref().and_then(curve))
}

/// Before (baseline runs) and after (this run) latency at each percentile, ms:
/// `(percentile, before, after)`.
pub fn before_after(
    st: &dyn Store,
    scenario: &str,
    run_id: i64,
) -> Result<Option<Vec<(f64, f64, f64)>>> {
    let after = st
        .run_scenarios(run_id)?
        .into_iter()
        .find(|s| s.scenario == scenario)
        .and_then(|s| s.histogram)
        .and_then(|b| latency_curve(&b));
    let (Some(after), Some(before)) = (after, baseline_curve(st, scenario, run_id)?) else {
        return Ok(None);
    };
    Ok(Some(
        before
            .iter()
            .zip(&after)
            .map(|(b, a)| (a.0, b.1, a.1))
            .collect(),
    ))
}

/// Rebuild the outcome of a stored run.
pub fn outcome(st: &dyn Store, store_label: &str, run_id: i64) -> Result<RunOutcome> {
    let run = st.run(run_id)?.ok_or_else(|| {
        Error::Usage(format!(
            "run #{run_id} is not in {store_label}; `perfgate runs` lists them"
        ))
    })?;
    let rows = st.run_metrics(run_id)?;
    let scen = st.run_scenarios(run_id)?;
    let alerts = st.alerts(false)?;
    let mut metrics = Vec::new();
    let mut regressions = Vec::new();
    let mut improvements = Vec::new();
    for m in &rows {
        let baseline = match (
            m.baseline_n,
            m.baseline_mean,
            m.baseline_std,
            m.baseline_median,
        ) {
            (Some(n), Some(mean), Some(std), Some(median)) => Some(BaselineSummary {
                n,
                mean,
                std,
                median,
                robust_std: m.baseline_robust_std.unwrap_or(std),
            }),
            _ => None,
        };
        let verdict = m.verdict.unwrap_or(if m.z.is_some() {
            MetricVerdict::Ok
        } else {
            MetricVerdict::Building
        });
        metrics.push(MetricReport {
            name: m.metric.clone(),
            scenario: m.scenario.clone(),
            value: m.value,
            unit: m.unit.clone(),
            direction: Direction::of(&m.metric),
            baseline: baseline.clone(),
            z_score: m.z,
            change_pct: m.change_pct,
            severity: m.severity,
            verdict,
            rule: m.rule.clone(),
        });
        let kind = m.kind;
        let fallback = BaselineSummary {
            n: 0,
            mean: 0.0,
            std: 0.0,
            median: 0.0,
            robust_std: 0.0,
        };
        let b = baseline
            .as_ref()
            .or((kind == Some(AlertKind::Threshold)).then_some(&fallback));
        if let (Some(kind), Some(b)) = (kind, b) {
            let alert = alerts.iter().find(|a| {
                a.metric == m.metric && a.opened_run_id <= run_id && run_id <= a.last_run_id
            });
            let r = RegressionReport {
                metric: m.metric.clone(),
                value: m.value,
                baseline_mean: b.mean,
                baseline_std: b.std,
                baseline_median: b.median,
                z_score: m.z.unwrap_or(0.0),
                change_pct: m.change_pct.unwrap_or(0.0),
                severity: m.severity.unwrap_or(Severity::Low),
                kind,
                rule: m.rule.clone().unwrap_or_default(),
                detected_by: alert.and_then(|a| a.rule),
                report_only: m.report_only,
                confirmation_value: None,
                alert_id: alert.map(|a| a.id),
                group: alert.map(Alert::group),
                suspect_range: match alert {
                    Some(a) => suspect_range(st, a)?,
                    None => None,
                },
                triage_state: (kind != AlertKind::Improvement)
                    .then(|| alert.map(|a| a.state).unwrap_or(TriageState::Untriaged)),
                onset: 0,
                suspect: false,
            };
            if kind != AlertKind::Improvement {
                regressions.push(r);
            } else {
                improvements.push(r);
            }
        }
    }
    let scenarios = scen
        .iter()
        .map(|s| ScenarioReport {
            name: s.scenario.clone(),
            kind: s.kind,
            status: s.status,
            error: s.error.clone(),
            note: s.note.clone(),
            requests: s.requests,
            errors: serde_json::from_str(&s.errors_json).unwrap_or_default(),
            metrics: rows
                .iter()
                .filter(|m| m.scenario == s.scenario)
                .map(|m| {
                    (
                        m.metric.rsplit('.').next().unwrap_or(&m.metric).to_string(),
                        m.value,
                    )
                })
                .collect(),
        })
        .collect();
    // Judged as the run judged it: triage since then changes the state shown, not
    // whether that run failed.
    let failing = regressions
        .iter()
        .filter(|r| {
            let silenced = rows
                .iter()
                .any(|m| m.metric == r.metric && m.verdict == Some(MetricVerdict::Silenced));
            crate::outcome::fails_build(r.kind, silenced, r.report_only)
        })
        .count();
    Ok(RunOutcome {
        interrupted: run.status != RunStatus::Complete,
        establish_baselines: run.mode == crate::model::RunMode::Establish,
        started_at: run.started_at.clone(),
        finished_at: run.finished_at.clone().unwrap_or_default(),
        commit: run.commit.clone(),
        branch: run.branch.clone(),
        host: run.host.clone(),
        store: store_label.to_string(),
        scenarios,
        metrics,
        regressions,
        improvements,
        failing,
        aborted: run.status == RunStatus::Aborted,
        // Not stored with the run: the CPU peak and shard part are the live run's.
        ..RunOutcome::empty(
            run_id,
            run.verdict.unwrap_or(Verdict::Error),
            run.config_fingerprint.clone(),
        )
    })
}

/// An alert's suspect range as recorded, with the commits of its runs.
pub fn suspect_range(st: &dyn Store, a: &Alert) -> Result<Option<SuspectRange>> {
    a.bad_run_id
        .map(|bad| resolve_range(st, a.good_run_id, bad))
        .transpose()
}

/// The range between a good and a bad run, with the commits recorded with them.
pub fn resolve_range(st: &dyn Store, good: Option<i64>, bad: i64) -> Result<SuspectRange> {
    let commit = |id: Option<i64>| -> Result<Option<String>> {
        Ok(match id {
            Some(id) => st.run(id)?.and_then(|r| r.commit),
            None => None,
        })
    };
    Ok(SuspectRange {
        good_run: good,
        bad_run: bad,
        good_commit: commit(good)?,
        bad_commit: commit(Some(bad))?,
    })
}
