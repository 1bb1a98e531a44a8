//! A/B comparison of two stored runs. Latency metrics are judged on the runs'
//! request-level data (their HdrHistograms): a distribution-free 95% confidence
//! interval for each quantile from order statistics, and a Mann-Whitney test on the
//! whole distributions; a change counts only when the intervals are apart *and* it
//! exceeds the noise threshold. Other metrics have one value per run: only the
//! noise threshold applies.

use hdrhistogram::Histogram;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;

use crate::detect::Severity;
use crate::error::{Error, Result};
use crate::metrics::Direction;
use crate::model::{AlertKind, Change, MetricVerdict, RunStatus, TriageState, Verdict};
use crate::outcome::{BaselineSummary, MetricReport, RegressionReport, RunOutcome};
use crate::report::stored;
use crate::store::Store;

/// Default noise threshold, percent.
pub const NOISE_PCT: f64 = 10.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricComparison {
    pub metric: String,
    pub a: f64,
    pub b: f64,
    pub change_pct: f64,
    /// 95% CI of the quantile in each run (latency quantiles only).
    pub a_ci: Option<(f64, f64)>,
    pub b_ci: Option<(f64, f64)>,
    /// Mann-Whitney two-sided p-value for the scenario's latency distributions.
    pub p_value: Option<f64>,
    /// regression, improvement or none (within noise).
    pub verdict: Change,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub run_a: i64,
    pub run_b: i64,
    pub noise_pct: f64,
    pub metrics: Vec<MetricComparison>,
}

fn hist_of(blob: &[u8]) -> Option<Histogram<u64>> {
    use hdrhistogram::serialization::Deserializer;
    Deserializer::new().deserialize(&mut &blob[..]).ok()
}

/// Distribution-free 95% CI for the q-quantile: the order statistics at ranks
/// n*q -/+ 1.96*sqrt(n*q*(1-q)), read from the histogram (milliseconds).
pub fn quantile_ci(h: &Histogram<u64>, q: f64) -> (f64, f64) {
    let n = h.len() as f64;
    let half = 1.96 * (n * q * (1.0 - q)).sqrt();
    let lo = ((n * q - half) / n).clamp(0.0, 1.0);
    let hi = ((n * q + half) / n).clamp(0.0, 1.0);
    (
        h.value_at_quantile(lo) as f64 / 1000.0,
        h.value_at_quantile(hi) as f64 / 1000.0,
    )
}

/// A p-value for people: never `p=0` (a normal tail that underflowed is tiny, not
/// impossible), and `p n/a` where the test could not be run.
fn p_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 1e-300 => "p<1e-300".to_string(),
        Some(p) => format!("p={p:.2e}"),
        None => "p n/a".to_string(),
    }
}

/// Mann-Whitney U on two histograms (ties share ranks); two-sided p-value by the
/// normal approximation, exact enough for the request counts of a load test.
pub fn mann_whitney(a: &Histogram<u64>, b: &Histogram<u64>) -> Option<f64> {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if na < 2.0 || nb < 2.0 {
        return None;
    }
    // Merge the distinct recorded values of both, in order.
    let mut va: Vec<(u64, u64)> = a
        .iter_recorded()
        .map(|v| {
            (
                a.highest_equivalent(v.value_iterated_to()),
                v.count_at_value(),
            )
        })
        .collect();
    let mut vb: Vec<(u64, u64)> = b
        .iter_recorded()
        .map(|v| {
            (
                b.highest_equivalent(v.value_iterated_to()),
                v.count_at_value(),
            )
        })
        .collect();
    va.sort_unstable();
    vb.sort_unstable();
    let (mut i, mut j) = (0, 0);
    let mut rank = 0.0f64;
    let mut r_a = 0.0f64;
    let mut tie_term = 0.0f64;
    while i < va.len() || j < vb.len() {
        let v = match (va.get(i), vb.get(j)) {
            (Some(x), Some(y)) => x.0.min(y.0),
            (Some(x), None) => x.0,
            (None, Some(y)) => y.0,
            (None, None) => break,
        };
        let mut ca = 0u64;
        let mut cb = 0u64;
        while i < va.len() && va[i].0 == v {
            ca += va[i].1;
            i += 1;
        }
        while j < vb.len() && vb[j].0 == v {
            cb += vb[j].1;
            j += 1;
        }
        let t = (ca + cb) as f64;
        let avg = rank + (t + 1.0) / 2.0;
        r_a += avg * ca as f64;
        rank += t;
        tie_term += t * t * t - t;
    }
    let u = r_a - na * (na + 1.0) / 2.0;
    let n = na + nb;
    let mu = na * nb / 2.0;
    let var = na * nb / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if var <= 0.0 {
        return Some(1.0);
    }
    let z = (u - mu).abs() / var.sqrt();
    Some(2.0 * (1.0 - Normal::standard().cdf(z)))
}

fn latency_quantile(metric: &str) -> Option<f64> {
    match metric.rsplit('.').next()? {
        "response_time_p50_ms" => Some(0.50),
        "response_time_p95_ms" => Some(0.95),
        "response_time_p99_ms" => Some(0.99),
        _ => None,
    }
}

/// Compare run `b` against run `a`.
pub fn compare(st: &dyn Store, a: i64, b: i64, noise_pct: f64) -> Result<Comparison> {
    for id in [a, b] {
        if st.run(id)?.is_none() {
            return Err(Error::Usage(format!(
                "run #{id} does not exist; `perfgate runs` lists them"
            )));
        }
    }
    let ma: BTreeMap<String, f64> = st
        .run_metrics(a)?
        .into_iter()
        .map(|m| (m.metric, m.value))
        .collect();
    let mb: BTreeMap<String, f64> = st
        .run_metrics(b)?
        .into_iter()
        .map(|m| (m.metric, m.value))
        .collect();
    let hists = |id: i64| -> Result<BTreeMap<String, Histogram<u64>>> {
        Ok(st
            .run_scenarios(id)?
            .into_iter()
            .filter_map(|s| Some((s.scenario, hist_of(s.histogram.as_deref()?)?)))
            .filter(|(_, h)| !h.is_empty())
            .collect())
    };
    let (ha, hb) = (hists(a)?, hists(b)?);
    let mut out = Vec::new();
    for (metric, &va) in &ma {
        let Some(&vb) = mb.get(metric) else { continue };
        let change = if va.abs() > 1e-12 {
            (vb - va) / va.abs() * 100.0
        } else if vb.abs() > 1e-12 {
            100.0 * vb.signum()
        } else {
            0.0
        };
        let scenario = metric.split('.').next().unwrap_or("");
        let bad_sign = Direction::of(metric).bad_sign();
        let beyond_noise = change.abs() >= noise_pct;
        let mut cmp = MetricComparison {
            metric: metric.clone(),
            a: va,
            b: vb,
            change_pct: change,
            a_ci: None,
            b_ci: None,
            p_value: None,
            verdict: Change::None,
            why: String::new(),
        };
        let significant = match (latency_quantile(metric), ha.get(scenario), hb.get(scenario)) {
            (Some(q), Some(h1), Some(h2)) => {
                let (c1, c2) = (quantile_ci(h1, q), quantile_ci(h2, q));
                cmp.a_ci = Some(c1);
                cmp.b_ci = Some(c2);
                cmp.p_value = mann_whitney(h1, h2);
                let apart = c2.0 > c1.1 || c2.1 < c1.0;
                let p_ok = cmp.p_value.is_some_and(|p| p < 0.01);
                cmp.why = format!(
                    "95% CI A [{:.3}, {:.3}] B [{:.3}, {:.3}] ms, Mann-Whitney {}, noise threshold {noise_pct}%",
                    c1.0,
                    c1.1,
                    c2.0,
                    c2.1,
                    p_text(cmp.p_value)
                );
                apart && p_ok && beyond_noise
            }
            _ => {
                cmp.why =
                    format!("one value per run: judged against the noise threshold {noise_pct}%");
                beyond_noise
            }
        };
        if significant {
            cmp.verdict = if change * bad_sign > 0.0 {
                Change::Regression
            } else {
                Change::Improvement
            };
        }
        out.push(cmp);
    }
    Ok(Comparison {
        run_a: a,
        run_b: b,
        noise_pct,
        metrics: out,
    })
}

/// The comparison as a run outcome (run B judged against run A), so every report
/// format renders it.
pub fn as_outcome(st: &dyn Store, store_label: &str, c: &Comparison) -> Result<RunOutcome> {
    let mut o = stored::outcome(st, store_label, c.run_b)?;
    o.regressions.clear();
    o.improvements.clear();
    let mut metrics: Vec<MetricReport> = Vec::new();
    for m in &o.metrics {
        let Some(mc) = c.metrics.iter().find(|x| x.metric == m.name) else {
            continue;
        };
        let mut r = m.clone();
        r.baseline = Some(BaselineSummary {
            n: 1,
            mean: mc.a,
            std: 0.0,
            median: mc.a,
            robust_std: 0.0,
        });
        r.change_pct = Some(mc.change_pct);
        r.z_score = None;
        let kind = match mc.verdict {
            Change::None => None,
            Change::Regression => Some(AlertKind::Regression),
            Change::Improvement => Some(AlertKind::Improvement),
        };
        r.severity = kind.map(|_| severity_of(mc.change_pct.abs()));
        r.verdict = match mc.verdict {
            Change::None => MetricVerdict::Ok,
            Change::Regression => MetricVerdict::Regression,
            Change::Improvement => MetricVerdict::Improvement,
        };
        r.rule = Some(format!("vs run #{}: {}", c.run_a, mc.why));
        if let Some(kind) = kind {
            let rep = RegressionReport {
                metric: mc.metric.clone(),
                value: mc.b,
                baseline_mean: mc.a,
                baseline_std: 0.0,
                baseline_median: mc.a,
                z_score: 0.0,
                change_pct: mc.change_pct,
                severity: severity_of(mc.change_pct.abs()),
                kind,
                rule: format!("A/B vs run #{}: {}", c.run_a, mc.why),
                detected_by: None,
                report_only: false,
                confirmation_value: None,
                alert_id: None,
                group: None,
                suspect_range: None,
                triage_state: (kind == AlertKind::Regression).then_some(TriageState::Untriaged),
                onset: 0,
                suspect: false,
            };
            if kind == AlertKind::Regression {
                o.regressions.push(rep);
            } else {
                o.improvements.push(rep);
            }
        }
        metrics.push(r);
    }
    o.metrics = metrics;
    o.failing = o.regressions.len();
    o.status = if o.regressions.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Regression
    };
    Ok(o)
}

/// Magnitude labels for A/B changes (no z-score without a history).
fn severity_of(change_abs: f64) -> Severity {
    if change_abs >= 50.0 {
        Severity::Critical
    } else if change_abs >= 20.0 {
        Severity::High
    } else if change_abs >= 10.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Resolve a run reference: an id, `latest`, a name saved with `save-baseline`,
/// or a git commit (prefix) or branch recorded with a run (its latest complete run).
pub fn resolve(st: &dyn Store, r: &str) -> Result<i64> {
    let r = r.trim();
    if r == "latest" {
        return st
            .runs(50)?
            .into_iter()
            .find(|x| x.status == RunStatus::Complete)
            .map(|x| x.id)
            .ok_or_else(|| Error::Usage("no complete run stored yet".into()));
    }
    if let Ok(id) = r.trim_start_matches('#').parse::<i64>() {
        return Ok(id);
    }
    if let Some(id) = st.named_run(r)? {
        return Ok(id);
    }
    let runs = st.runs(10_000)?;
    runs.iter()
        .filter(|x| x.status == RunStatus::Complete)
        .find(|x| {
            x.branch.as_deref() == Some(r)
                || x.commit
                    .as_deref()
                    .is_some_and(|c| r.len() >= 7 && c.starts_with(r))
        })
        .map(|x| x.id)
        .ok_or_else(|| {
            Error::Usage(format!(
                "{r:?} is not a run id, `latest`, a saved name or a recorded commit/branch"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: impl Iterator<Item = u64>) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in values {
            h.record(v).unwrap();
        }
        h
    }

    #[test]
    fn same_distribution_is_not_significant_and_a_shift_is() {
        let a = hist((0..5000).map(|i| 5000 + (i * 7919) % 1000));
        let b = hist((0..5000).map(|i| 5000 + (i * 104729) % 1000));
        assert!(mann_whitney(&a, &b).unwrap() > 0.05);
        let c = hist((0..5000).map(|i| 10000 + (i * 7919) % 2000));
        assert!(mann_whitney(&a, &c).unwrap() < 1e-6);
        let (lo, hi) = quantile_ci(&a, 0.95);
        assert!(lo <= hi && lo > 5.8 && hi < 6.1, "{lo} {hi}");
    }

    #[test]
    fn a_p_value_that_underflowed_is_tiny_not_zero() {
        // Two load tests of 5000 requests that do not overlap at all.
        let a = hist((0..5000).map(|i| 5000 + i % 100));
        let b = hist((0..5000).map(|i| 20000 + i % 100));
        let p = mann_whitney(&a, &b);
        assert_eq!(p_text(p), "p<1e-300", "{p:?}");
        assert_eq!(p_text(Some(0.0123)), "p=1.23e-2");
        assert_eq!(p_text(None), "p n/a");
    }
}
