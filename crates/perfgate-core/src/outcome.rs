//! What a run produced, as the JSON report's schema holds it: the outcome every
//! front-end, report and alert reads, and the failing rule that decides the exit code.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::threshold::ThresholdResult;
use crate::metrics::Direction;
use crate::model::{
    AlertKind, DetectionRule, MetricVerdict, ScenarioStatus, Severity, TriageState, Verdict,
};

/// A metric's baseline as reported.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineSummary {
    /// Samples the mean and std were computed from (outliers excluded).
    pub n: usize,
    /// Mean of the kept samples.
    pub mean: f64,
    /// Standard deviation of the kept samples.
    pub std: f64,
    /// Median of the samples.
    pub median: f64,
    /// 1.4826 x MAD.
    pub robust_std: f64,
}

/// One metric of a run, judged.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricReport {
    /// `<scenario>.<metric>` with the unit in the name.
    pub name: String,
    /// The scenario it came from.
    pub scenario: String,
    /// The run's value.
    pub value: f64,
    /// Unit, from the name.
    pub unit: String,
    /// Good direction.
    pub direction: Direction,
    /// The baseline it was judged against, once there is one.
    pub baseline: Option<BaselineSummary>,
    /// z-score against the baseline.
    pub z_score: Option<f64>,
    /// Change against the baseline centre, percent.
    pub change_pct: Option<f64>,
    /// Magnitude label.
    pub severity: Option<Severity>,
    /// What became of the metric in this run.
    pub verdict: MetricVerdict,
    /// The rule that decided, in words.
    pub rule: Option<String>,
}

impl MetricReport {
    /// Which side of its baseline a suspect run went: on the bad side it may be the
    /// start of a regression, on the good side it is none. None for other verdicts.
    pub fn suspect_worse(&self) -> Option<bool> {
        (self.verdict == MetricVerdict::Suspect).then(|| {
            self.z_score
                .is_some_and(|z| z * self.direction.bad_sign() > 0.0)
        })
    }

    /// The verdict for people: a suspect run says which way it went ("suspect,
    /// worse"), since throughput up and latency up read alike as numbers.
    pub fn verdict_label(&self) -> String {
        match self.suspect_worse() {
            Some(true) => format!("{}, worse", self.verdict),
            Some(false) => format!("{}, better", self.verdict),
            None => self.verdict.to_string(),
        }
    }

    /// Still beyond its band on the bad side (a confirming re-run of a regression):
    /// a regression, silenced or not, or a suspect run that went the bad way.
    pub fn beyond_on_bad_side(&self) -> bool {
        matches!(
            self.verdict,
            MetricVerdict::Regression | MetricVerdict::Silenced
        ) || self.suspect_worse() == Some(true)
    }
}

/// A confirmed change (regression, improvement or broken threshold).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegressionReport {
    /// The metric.
    pub metric: String,
    /// The run's value.
    pub value: f64,
    /// Baseline mean (the bound, for a threshold).
    pub baseline_mean: f64,
    /// Baseline standard deviation.
    pub baseline_std: f64,
    /// Baseline median.
    pub baseline_median: f64,
    /// z-score against the baseline.
    pub z_score: f64,
    /// Change against the baseline centre, percent.
    pub change_pct: f64,
    /// Magnitude label.
    pub severity: Severity,
    /// regression, improvement or threshold.
    pub kind: AlertKind,
    /// The rule that confirmed it, in words.
    pub rule: String,
    /// Which rule confirmed it (none for an A/B comparison).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_by: Option<DetectionRule>,
    /// Judged under a report-only override: shown and alerted, never failing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub report_only: bool,
    /// The re-run's value that confirmed it.
    pub confirmation_value: Option<f64>,
    /// The alert it opened or refreshed.
    pub alert_id: Option<i64>,
    /// The alert group it belongs to (changes confirmed in the same run, scenario
    /// and direction).
    pub group: Option<i64>,
    /// The last good run and the first bad run, with their commits.
    pub suspect_range: Option<SuspectRange>,
    /// The alert's triage state when the run was judged (none for improvements).
    #[serde(serialize_with = "state_or_empty")]
    pub triage_state: Option<TriageState>,
    /// How many runs before this one the change began (the detector's onset): the
    /// first bad run of a new alert.
    #[serde(skip)]
    pub onset: usize,
    /// Whether this run itself stood beyond the threshold (not only the CUSUM's
    /// memory of the runs before it).
    #[serde(skip)]
    pub suspect: bool,
}

/// Where a regression came in: between the last good run and the first bad one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SuspectRange {
    /// The last run before the change.
    pub good_run: Option<i64>,
    /// The first run of the change.
    pub bad_run: i64,
    /// The good run's commit, as recorded with it.
    pub good_commit: Option<String>,
    /// The bad run's commit.
    pub bad_commit: Option<String>,
}

impl SuspectRange {
    /// `#12 (abc1234)..#13 (def5678)`.
    pub fn describe(&self) -> String {
        let run = |id: Option<i64>, c: &Option<String>| match (id, c) {
            (Some(id), Some(c)) => format!("#{id} ({})", &c[..c.len().min(8)]),
            (Some(id), None) => format!("#{id}"),
            (None, _) => "(none)".to_string(),
        };
        format!(
            "{}..{}",
            run(self.good_run, &self.good_commit),
            run(Some(self.bad_run), &self.bad_commit)
        )
    }
}

/// One scenario of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// api, system or database.
    #[serde(rename = "type")]
    pub kind: crate::config::ScenarioType,
    /// How the scenario ended.
    pub status: ScenarioStatus,
    /// Why it could not run.
    pub error: Option<String>,
    /// What to know about its figures.
    pub note: Option<String>,
    /// Requests (or samples, or queries) made.
    pub requests: u64,
    /// Errors by class.
    pub errors: BTreeMap<String, u64>,
    /// The scenario's metrics by short name.
    pub metrics: BTreeMap<String, f64>,
}

/// Everything a report needs about one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunOutcome {
    /// Version of this report's schema.
    pub schema_version: u32,
    /// The run's id in the store.
    pub run_id: i64,
    /// The verdict.
    pub status: Verdict,
    /// Stopped by a signal or the user.
    pub interrupted: bool,
    /// Recorded as baseline history without judging.
    pub establish_baselines: bool,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// When the run finished.
    pub finished_at: String,
    /// The commit tested, when known.
    pub commit: Option<String>,
    /// The branch tested, when known.
    pub branch: Option<String>,
    /// Fingerprint of the effective config.
    pub config_fingerprint: String,
    /// The config file.
    pub config_path: String,
    /// The machine.
    pub host: String,
    /// The store, password masked.
    pub store: String,
    /// Each scenario.
    pub scenarios: Vec<ScenarioReport>,
    /// Each metric, judged.
    pub metrics: Vec<MetricReport>,
    /// Regressions and broken thresholds.
    pub regressions: Vec<RegressionReport>,
    /// Confirmed improvements.
    pub improvements: Vec<RegressionReport>,
    /// Regressions that fail the build (not silenced by triage).
    pub failing: usize,
    /// Every absolute threshold checked, passed or not.
    pub thresholds: Vec<ThresholdResult>,
    /// A scenario was stopped early by an abort-on-fail threshold.
    pub aborted: bool,
    /// Highest CPU percent of the machine that ran the scenarios, sampled during
    /// the run (absent where it was not measured: a re-rendered or merged report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_cpu_peak_pct: Option<f64>,
    /// A shard of a sharded run: its part and run group. Nothing is judged until
    /// `perfgate merge` combines the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOf>,
}

/// Which part of a sharded run a run is.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShardOf {
    /// 0-based shard index.
    pub index: u32,
    /// How many shards the run group has.
    pub count: u32,
    /// The run group `perfgate merge --run-group` combines.
    pub run_group: String,
}

impl RunOutcome {
    /// A run with nothing measured yet: `perfgate alert test`'s stand-in, and the
    /// base of reports built by hand.
    pub fn empty(run_id: i64, status: Verdict, config_fingerprint: String) -> RunOutcome {
        let now = crate::store::now_string();
        RunOutcome {
            schema_version: 1,
            run_id,
            status,
            interrupted: false,
            establish_baselines: false,
            started_at: now.clone(),
            finished_at: now,
            commit: None,
            branch: None,
            config_fingerprint,
            config_path: String::new(),
            host: String::new(),
            store: String::new(),
            scenarios: vec![],
            metrics: vec![],
            regressions: vec![],
            improvements: vec![],
            failing: 0,
            thresholds: vec![],
            aborted: false,
            machine_cpu_peak_pct: None,
            shard: None,
        }
    }

    /// When the run saturated the machine it ran on, what that means for its
    /// figures: the first thing to rule out before trusting a slower run.
    pub fn saturation_note(&self) -> Option<String> {
        let peak = self
            .machine_cpu_peak_pct
            .filter(|p| *p >= crate::live::SATURATED_CPU_PCT)?;
        Some(format!(
            "this machine's CPU peaked at {peak:.0}% during the run: latency includes its own queueing (a quieter runner gives cleaner figures)"
        ))
    }

    /// The run's verdict.
    pub fn verdict(&self) -> Verdict {
        self.status
    }

    /// Exit code by DESIGN.md: 1 regressions with failing on, 3 run not carried out.
    pub fn exit_code(&self, fail_on_regression: bool) -> i32 {
        let broken = self.thresholds.iter().any(|t| !t.passed);
        if broken || (fail_on_regression && self.failing > 0) {
            1
        } else if self.verdict() == Verdict::Error
            || self.interrupted
            || self.scenarios.iter().any(|s| s.error.is_some())
        {
            3
        } else {
            0
        }
    }
}

impl BaselineSummary {
    /// The baseline band by [`crate::baseline::band`].
    pub fn band(&self, z_threshold: f64) -> (f64, f64, f64) {
        crate::baseline::band(z_threshold, self.mean, self.std, self.median, self.n)
    }
}

/// Improvements have no triage state: reported as "".
fn state_or_empty<S: serde::Serializer>(
    state: &Option<TriageState>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(state.map(TriageState::as_str).unwrap_or(""))
}

/// The failing rule, the one place it is written: a broken threshold always fails the
/// build; a confirmed regression fails it unless its alert was silenced by triage
/// (acknowledged, investigating, invalid) when the run was judged, or its metric is
/// report-only (an explicit, audited choice).
pub fn fails_build(kind: AlertKind, silenced_when_judged: bool, report_only: bool) -> bool {
    match kind {
        AlertKind::Threshold => true,
        AlertKind::Regression => !silenced_when_judged && !report_only,
        AlertKind::Improvement => false,
    }
}

impl RegressionReport {
    /// How far it moved: its z, or the absolute change from a constant baseline.
    pub fn size(&self) -> String {
        crate::metrics::change_size(
            &self.metric,
            self.value,
            self.baseline_median,
            self.baseline_std,
            self.z_score,
        )
    }

    /// Whether this regression fails the build, by [`fails_build`].
    pub fn fails_build(&self) -> bool {
        fails_build(
            self.kind,
            self.triage_state.is_some_and(TriageState::is_silenced),
            self.report_only,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suspect(name: &str, z: f64) -> MetricReport {
        MetricReport {
            name: name.into(),
            scenario: "svc".into(),
            value: 1.0,
            unit: crate::metrics::unit_of(name).into(),
            direction: Direction::of(name),
            baseline: None,
            z_score: Some(z),
            change_pct: Some(z),
            severity: None,
            verdict: MetricVerdict::Suspect,
            rule: None,
        }
    }

    #[test]
    fn a_suspect_run_says_which_way_it_went() {
        let slower = suspect("svc.response_time_p95_ms", 3.0);
        let faster = suspect("svc.response_time_p95_ms", -3.0);
        let fewer = suspect("svc.throughput_rps", -3.0);
        let more = suspect("svc.throughput_rps", 3.0);
        for (m, worse) in [
            (&slower, true),
            (&faster, false),
            (&fewer, true),
            (&more, false),
        ] {
            assert_eq!(m.suspect_worse(), Some(worse), "{}", m.name);
            assert_eq!(m.beyond_on_bad_side(), worse, "{}", m.name);
        }
        assert_eq!(slower.verdict_label(), "suspect, worse");
        assert_eq!(more.verdict_label(), "suspect, better");
        let ok = MetricReport {
            verdict: MetricVerdict::Ok,
            ..slower
        };
        assert_eq!(
            (ok.suspect_worse(), ok.verdict_label()),
            (None, "ok".into())
        );
        assert!(!ok.beyond_on_bad_side());
    }
}
