//! The one run path both front-ends use: run every scenario, judge every metric
//! against its baseline (with confirmation re-runs), store the run in one
//! transaction, and return the outcome the reports are written from.

mod finish;
mod judge;
mod measure;
mod persist;
mod plan;
mod verdict;
pub use finish::{FinishOptions, Finished, finish};

use serde::Serialize;
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, LoadedConfig, ScenarioConfig};
use crate::detect::Settings;
use crate::detect::Severity;
use crate::error::Result;
use crate::live::{EngineEvent, LiveHub};
use crate::metrics::Direction;
pub use crate::model::{AlertKind, MetricVerdict, ScenarioStatus, TriageState, Verdict};
use crate::scenario::ScenarioOutput;
use crate::store::{self, Alert, HistoryPoint, Store};
use crate::threshold::ThresholdResult;

/// How a run is carried out.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Store the run as baseline history without judging it.
    pub establish_baselines: bool,
    /// Exit 1 on a confirmed regression (flag or config).
    pub fail_on_regression: bool,
    /// `ci` or `tui`.
    pub mode: String,
    /// Only these scenarios (by name); all when empty.
    pub only: Vec<String>,
    /// Results from another tool (`perfgate ingest`): judged and stored like a run,
    /// nothing is executed.
    pub ingested: Vec<(ScenarioConfig, ScenarioOutput)>,
    /// Sharded load (index, count): this process runs 1/count of every API
    /// scenario and stores raw data for `perfgate merge`, judging nothing.
    pub shard: Option<(u32, u32)>,
    /// Sharded runs of one build share this group.
    pub run_group: Option<String>,
}

/// An API scenario's share for shard `i` of `n` (users and rate split; the
/// remainder goes to the first shards). Non-API scenarios run on shard 0 only.
pub fn shard_scenario(s: &ScenarioConfig, cfg: &Config, i: u32, n: u32) -> Option<ScenarioConfig> {
    use crate::config::ScenarioType;
    if s.kind != ScenarioType::Api {
        return (i == 0).then(|| s.clone());
    }
    let mut out = s.clone();
    let users = s.concurrent_users.unwrap_or(cfg.concurrent_users);
    let share = users / n + u32::from(i < users % n);
    if share == 0 {
        return None;
    }
    out.concurrent_users = Some(share);
    out.rate = s.rate.map(|r| r / n as f64);
    Some(out)
}

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
    /// The re-run's value that confirmed it.
    pub confirmation_value: Option<f64>,
    /// The alert it opened or refreshed.
    pub alert_id: Option<i64>,
    /// The alert's triage state when the run was judged (none for improvements).
    #[serde(serialize_with = "state_or_empty")]
    pub triage_state: Option<TriageState>,
}

/// One scenario of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// api, system or database.
    #[serde(rename = "type")]
    pub kind: String,
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
}

impl RunOutcome {
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
    /// The baseline band by [`crate::detect::band`].
    pub fn band(&self, z_threshold: f64) -> (f64, f64, f64) {
        crate::detect::band(z_threshold, self.mean, self.std, self.median, self.n)
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
/// (acknowledged, investigating, invalid) when the run was judged.
pub fn fails_build(kind: AlertKind, silenced_when_judged: bool) -> bool {
    match kind {
        AlertKind::Threshold => true,
        AlertKind::Regression => !silenced_when_judged,
        AlertKind::Improvement => false,
    }
}

impl RegressionReport {
    /// Whether this regression fails the build, by [`fails_build`].
    pub fn fails_build(&self) -> bool {
        fails_build(
            self.kind,
            self.triage_state.is_some_and(TriageState::is_silenced),
        )
    }
}

/// Commit and branch from the CI environment, else from git.
pub fn git_info() -> (Option<String>, Option<String>) {
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = env(&[
        "PERFGATE_COMMIT",
        "GITHUB_SHA",
        "CI_COMMIT_SHA",
        "GIT_COMMIT",
    ])
    .or_else(|| git(&["rev-parse", "HEAD"]));
    let branch = env(&[
        "PERFGATE_BRANCH",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "CI_COMMIT_REF_NAME",
        "GIT_BRANCH",
    ])
    .or_else(|| git(&["rev-parse", "--abbrev-ref", "HEAD"]));
    (commit, branch)
}

/// This machine's name.
pub fn host_name() -> String {
    sysinfo::System::host_name().unwrap_or_else(|| "unknown".into())
}

/// How far back history is read for one judgement.
fn history_limit(s: &Settings) -> usize {
    s.window * 4 + s.cusum_span + s.persistence
}

/// Baseline samples and recent observations for a metric, honouring resets,
/// accepts and the freeze of an open alert.
pub struct MetricContext {
    /// Baseline samples.
    pub base: Vec<f64>,
    /// The most recent values, for persistence and CUSUM.
    pub recent: Vec<f64>,
    /// The most recent history points.
    pub recent_points: Vec<HistoryPoint>,
    /// The metric's open alert.
    pub open_alert: Option<Alert>,
}

/// A metric's baseline and recent history from the store.
pub fn metric_context(
    store: &dyn Store,
    s: &Settings,
    metric: &str,
    exclude_run: Option<i64>,
) -> Result<MetricContext> {
    let epoch = store.baseline_epoch(metric)?;
    let hist = store.history(metric, epoch, history_limit(s), exclude_run)?;
    let open_alert = store.open_alert(metric)?;
    let frozen_before = open_alert
        .as_ref()
        .map(|a| a.opened_run_id)
        .unwrap_or(i64::MAX);
    let base: Vec<f64> = hist
        .iter()
        .filter(|p| !p.suspect && p.run_id < frozen_before)
        .map(|p| p.value)
        .collect();
    let base = base[base.len().saturating_sub(s.window)..].to_vec();
    let span = s.cusum_span.max(s.persistence);
    let recent_points = hist[hist.len().saturating_sub(span)..].to_vec();
    Ok(MetricContext {
        base,
        recent: recent_points.iter().map(|p| p.value).collect(),
        recent_points,
        open_alert,
    })
}

/// Run the suite described by `loaded` and store it: plan, measure, judge, verdict,
/// persist. (The finish stage, [`finish`], follows in both front-ends.)
pub async fn execute(
    loaded: &LoadedConfig,
    store: &mut dyn Store,
    store_label: &str,
    opts: &RunOptions,
    live: &LiveHub,
    cancel: &CancellationToken,
) -> Result<RunOutcome> {
    let cfg = &loaded.config;
    let plan = plan::plan(loaded, opts)?;
    let run_id = store.begin_run(&plan.meta)?;
    announce(live, cfg, run_id, &plan.scenarios).await;
    let (sampler_stop, sampler) = measure::machine_sampler(live);
    let outputs =
        measure::measure(cfg, &plan.scenarios, &plan.thresholds, opts, live, cancel).await;
    let judge = judge::Judge {
        cfg,
        settings: &plan.settings,
        opts,
        run_id,
        live,
        cancel,
    };
    let judged = judge.judge(store, &outputs).await;
    sampler_stop.cancel();
    let _ = sampler.await;
    let mut judged = judged?;
    let verdict = verdict::decide(&mut judged, &outputs, &plan.thresholds, opts, cancel);
    persist::persist(store, run_id, &mut judged, &verdict, &plan.settings)?;

    live.update(|s| {
        s.phase = if verdict.interrupted {
            "interrupted".into()
        } else {
            "finished".into()
        }
    });
    live.emit(EngineEvent::RunFinished {
        run_id,
        status: verdict.status.to_string(),
    })
    .await;
    let meta = plan.meta;
    Ok(RunOutcome {
        schema_version: 1,
        run_id,
        status: verdict.status,
        interrupted: verdict.interrupted,
        establish_baselines: opts.establish_baselines,
        started_at: meta.started_at,
        finished_at: store::now_string(),
        commit: meta.commit,
        branch: meta.branch,
        config_fingerprint: meta.config_fingerprint,
        config_path: meta.config_path,
        host: meta.host,
        store: store_label.to_string(),
        scenarios: verdict.scenarios,
        metrics: judged.metrics,
        regressions: judged.regressions,
        improvements: judged.improvements,
        failing: verdict.failing,
        thresholds: verdict.thresholds,
        aborted: verdict.aborted,
    })
}

/// The live view learns the run and its scenarios before anything runs.
async fn announce(live: &LiveHub, cfg: &Config, run_id: i64, scenarios: &[ScenarioConfig]) {
    live.update(|s| {
        s.run_id = Some(run_id);
        s.phase = "running".into();
        s.scenarios = scenarios
            .iter()
            .map(|sc| crate::live::LiveScenario {
                name: sc.name.clone(),
                kind: sc.kind.as_str().into(),
                duration_s: cfg.scenario_duration(sc),
                ..Default::default()
            })
            .collect();
    });
    live.emit(EngineEvent::RunStarted { run_id }).await;
}

/// The config a run will use, for callers that only have a `Config`.
pub fn loaded(config: Config, path: &str) -> LoadedConfig {
    LoadedConfig {
        path: path.into(),
        config,
    }
}
