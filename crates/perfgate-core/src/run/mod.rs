//! The one run path both front-ends use: run every scenario, judge every metric
//! against its baseline (with confirmation re-runs), store the run in one
//! transaction, and return the outcome the reports are written from.

mod finish;
pub use finish::{FinishOptions, Finished, finish};

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, LoadedConfig, ScenarioConfig};
use crate::detect::{self, Judgement, Kind, Settings};
use crate::error::{Error, Result};
use crate::live::{EngineEvent, LiveHub, ScenarioPhase};
use crate::metrics::{Direction, metric_name, unit_of};
use crate::scenario::system::Sampler;
use crate::scenario::{self, ScenarioOutput};
use crate::store::{
    self, Alert, HistoryPoint, MetricRow, RUN_COMPLETE, RUN_INTERRUPTED, RunMeta, ScenarioRow,
    Store,
};
use crate::threshold::{self, Threshold, ThresholdResult};

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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineSummary {
    /// Samples the mean and std were computed from (outliers excluded).
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub median: f64,
    pub robust_std: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricReport {
    pub name: String,
    pub scenario: String,
    pub value: f64,
    pub unit: String,
    pub direction: Direction,
    pub baseline: Option<BaselineSummary>,
    pub z_score: Option<f64>,
    pub change_pct: Option<f64>,
    pub severity: Option<String>,
    /// ok, building, suspect, cleared, regression, improvement, silenced.
    pub verdict: String,
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegressionReport {
    pub metric: String,
    pub value: f64,
    pub baseline_mean: f64,
    pub baseline_std: f64,
    pub baseline_median: f64,
    pub z_score: f64,
    pub change_pct: f64,
    pub severity: String,
    pub kind: String,
    pub rule: String,
    pub confirmation_value: Option<f64>,
    pub alert_id: Option<i64>,
    pub triage_state: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScenarioReport {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub error: Option<String>,
    pub note: Option<String>,
    pub requests: u64,
    pub errors: BTreeMap<String, u64>,
    pub metrics: BTreeMap<String, f64>,
}

/// Everything a report needs about one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunOutcome {
    pub schema_version: u32,
    pub run_id: i64,
    /// pass, regression or error.
    pub status: String,
    pub interrupted: bool,
    pub establish_baselines: bool,
    pub started_at: String,
    pub finished_at: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub config_fingerprint: String,
    pub config_path: String,
    pub host: String,
    pub store: String,
    pub scenarios: Vec<ScenarioReport>,
    pub metrics: Vec<MetricReport>,
    pub regressions: Vec<RegressionReport>,
    pub improvements: Vec<RegressionReport>,
    /// Regressions that fail the build (not silenced by triage).
    pub failing: usize,
    /// Every absolute threshold checked, passed or not.
    pub thresholds: Vec<ThresholdResult>,
    /// A scenario was stopped early by an abort-on-fail threshold.
    pub aborted: bool,
}

impl RunOutcome {
    /// Exit code by DESIGN.md: 1 regressions with failing on, 3 run not carried out.
    pub fn exit_code(&self, fail_on_regression: bool) -> i32 {
        let broken = self.thresholds.iter().any(|t| !t.passed);
        if broken || (fail_on_regression && self.failing > 0) {
            1
        } else if self.status == "error"
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

/// The failing rule, the one place it is written: a broken threshold always fails the
/// build; a confirmed regression fails it unless its alert was silenced by triage
/// (acknowledged, investigating, invalid) when the run was judged.
pub fn fails_build(kind: &str, silenced_when_judged: bool) -> bool {
    kind == "threshold" || (kind == "regression" && !silenced_when_judged)
}

impl RegressionReport {
    /// Whether this regression fails the build, by [`fails_build`].
    pub fn fails_build(&self) -> bool {
        fails_build(&self.kind, store::is_silenced_state(&self.triage_state))
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
    pub base: Vec<f64>,
    pub recent: Vec<f64>,
    pub recent_points: Vec<HistoryPoint>,
    pub open_alert: Option<Alert>,
}

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

/// Run the suite described by `loaded` and store it.
pub async fn execute(
    loaded: &LoadedConfig,
    store: &mut dyn Store,
    store_label: &str,
    opts: &RunOptions,
    live: &LiveHub,
    cancel: &CancellationToken,
) -> Result<RunOutcome> {
    let cfg = &loaded.config;
    let settings = Settings::from_config(cfg);
    let thresholds = threshold::parse_all(cfg, &loaded.path.display().to_string())?;
    let (commit, branch) = git_info();
    let meta = RunMeta {
        started_at: store::now_string(),
        commit,
        branch,
        config_fingerprint: cfg.fingerprint(),
        config_path: loaded.path.display().to_string(),
        host: host_name(),
        mode: if opts.shard.is_some() {
            "shard".into()
        } else if opts.establish_baselines {
            "establish".into()
        } else {
            opts.mode.clone()
        },
        run_group: opts.run_group.clone(),
    };
    let sharded: Vec<ScenarioConfig> = match opts.shard {
        Some((i, n)) => cfg
            .test_scenarios
            .iter()
            .filter_map(|s| shard_scenario(s, cfg, i, n))
            .collect(),
        None => Vec::new(),
    };
    let scenarios: Vec<&ScenarioConfig> = if opts.shard.is_some() {
        sharded
            .iter()
            .filter(|s| opts.only.is_empty() || opts.only.contains(&s.name))
            .collect()
    } else if opts.ingested.is_empty() {
        cfg.test_scenarios
            .iter()
            .filter(|s| opts.only.is_empty() || opts.only.contains(&s.name))
            .collect()
    } else {
        opts.ingested.iter().map(|(s, _)| s).collect()
    };
    if scenarios.is_empty() {
        return Err(Error::Usage(format!(
            "{}: field `test_scenarios` has no scenario to run; expected at least one",
            loaded.path.display()
        )));
    }
    let run_id = store.begin_run(&meta)?;
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

    // Machine-wide CPU/memory for the live view while anything runs.
    let sys_stop = CancellationToken::new();
    let sys_task = {
        let live = live.clone();
        let stop = sys_stop.clone();
        tokio::spawn(async move {
            let mut sampler = Sampler::new();
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = tick.tick() => {},
                    _ = stop.cancelled() => break,
                }
                let x = sampler.sample();
                live.update(|s| {
                    s.system.cpu_pct = x.cpu_pct;
                    s.system.mem_mb = x.mem_mb;
                    s.system.mem_total_mb = x.mem_total_mb;
                });
            }
        })
    };

    let mut outputs: Vec<(&ScenarioConfig, ScenarioOutput)> = Vec::new();
    for sc in &scenarios {
        if cancel.is_cancelled() {
            break;
        }
        // Runs alongside its partner (below), not on its own.
        if sc
            .during
            .as_ref()
            .is_some_and(|d| scenarios.iter().any(|p| &p.name == d))
        {
            continue;
        }
        let mut companion_outputs: Vec<(&ScenarioConfig, ScenarioOutput)> = Vec::new();
        live.emit(EngineEvent::ScenarioStarted {
            name: sc.name.clone(),
        })
        .await;
        live.update_scenario(&sc.name, |l| {
            l.phase = if sc.warmup.unwrap_or(0.0) > 0.0 {
                ScenarioPhase::Warmup
            } else {
                ScenarioPhase::Running
            }
        });
        tracing::debug!(scenario = %sc.name, kind = sc.kind.as_str(), "scenario starting");
        let abort_rules: Vec<Threshold> = thresholds
            .iter()
            .filter(|t| t.abort_on_fail)
            .cloned()
            .collect();
        let scenario_name = sc.name.clone();
        let abort = move |m: &BTreeMap<String, f64>| {
            threshold::evaluate(&abort_rules, &scenario_name, m)
                .into_iter()
                .find(|r| !r.passed)
                .map(|r| {
                    format!(
                        "aborted: threshold {} {} broken ({} = {})",
                        r.threshold,
                        r.expr,
                        r.metric,
                        crate::report::fmt_num(r.value)
                    )
                })
        };
        let abort_ref: Option<&scenario::AbortCheck> = if thresholds.iter().any(|t| t.abort_on_fail)
        {
            Some(&abort)
        } else {
            None
        };
        // System scenarios `during` this one sample alongside it, until it ends.
        let until = CancellationToken::new();
        let companions: Vec<_> = scenarios
            .iter()
            .filter(|c| c.during.as_deref() == Some(sc.name.as_str()))
            .map(|c| {
                let (cfg, c, live, cancel, until) = (
                    cfg.clone(),
                    (*c).clone(),
                    live.clone(),
                    cancel.clone(),
                    until.clone(),
                );
                tokio::spawn(async move {
                    let out = scenario::system::run(&cfg, &c, &live, &cancel, Some(&until)).await;
                    (c.name.clone(), out)
                })
            })
            .collect();
        let out = match opts.ingested.iter().find(|(s, _)| s.name == sc.name) {
            Some((_, o)) => o.clone(),
            None => scenario::run(cfg, sc, live, cancel, abort_ref).await,
        };
        until.cancel();
        for c in companions {
            if let Ok((name, o)) = c.await
                && let Some(csc) = scenarios.iter().find(|x| x.name == name)
            {
                companion_outputs.push((*csc, o));
            }
        }
        tracing::debug!(
            scenario = %sc.name,
            requests = out.requests,
            errors = ?out.errors,
            metrics = ?out.metrics,
            error = ?out.error,
            "scenario finished"
        );
        let failed = out.error.is_some();
        live.update_scenario(&sc.name, |l| {
            if failed {
                l.phase = ScenarioPhase::Failed;
            }
        });
        live.emit(EngineEvent::ScenarioFinished {
            name: sc.name.clone(),
            ok: !failed,
            message: out.error.clone().or(out.note.clone()),
        })
        .await;
        outputs.push((sc, out));
        outputs.append(&mut companion_outputs);
    }

    // Judge every metric; re-run a scenario once to confirm or clear a lone suspect.
    let mut metric_reports = Vec::new();
    let mut rows = Vec::new();
    let mut regressions = Vec::new();
    let mut improvements = Vec::new();
    // A failed scenario's figures are reported, never judged or stored as history.
    for (sc, out) in outputs.iter().filter(|(_, o)| o.error.is_none()) {
        let mut judged: Vec<(String, f64, Option<Judgement>, MetricContext)> = Vec::new();
        for (short, &value) in &out.metrics {
            let name = metric_name(&sc.name, short);
            let ctx = metric_context(&*store, &settings, &name, Some(run_id))?;
            let dir = Direction::of(&name);
            let j = if opts.establish_baselines || opts.shard.is_some() {
                None
            } else {
                detect::judge(&settings, &ctx.base, &ctx.recent, value, dir)
            };
            if let Some(j) = &j {
                tracing::debug!(
                    metric = %name,
                    value,
                    baseline_n = ctx.base.len(),
                    mean = j.baseline.mean,
                    std = j.baseline.std,
                    z = j.z,
                    change_pct = j.change_pct,
                    suspect = ?j.suspect,
                    confirmed = ?j.confirmed,
                    "judged"
                );
            } else {
                tracing::debug!(metric = %name, value, baseline_n = ctx.base.len(), "not judged (baseline building)");
            }
            judged.push((name, value, j, ctx));
        }
        let needs_confirmation = judged.iter().any(|(_, _, j, _)| {
            j.as_ref()
                .is_some_and(|j| j.suspect == Some(Kind::Regression) && j.confirmed.is_none())
        });
        let mut confirmation: Option<ScenarioOutput> = None;
        if needs_confirmation
            && opts.ingested.is_empty()
            && settings.persistence > 1
            && cfg.detection.confirm_reruns > 0
            && !cancel.is_cancelled()
            && out.error.is_none()
        {
            for _ in 0..cfg.detection.confirm_reruns {
                live.emit(EngineEvent::Confirming {
                    scenario: sc.name.clone(),
                })
                .await;
                live.update_scenario(&sc.name, |l| l.phase = ScenarioPhase::Confirming);
                let again = scenario::run(cfg, sc, live, cancel, None).await;
                let still = judged.iter().any(|(name, value, j, ctx)| {
                    let short = name.rsplit('.').next().unwrap_or(name);
                    match (j, again.metrics.get(short)) {
                        (Some(j), Some(&v2))
                            if j.suspect == Some(Kind::Regression) && j.confirmed.is_none() =>
                        {
                            let mut recent = ctx.recent.clone();
                            recent.push(*value);
                            detect::judge(&settings, &ctx.base, &recent, v2, Direction::of(name))
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
        if confirmation.is_none()
            && needs_confirmation
            && let Some(c) = &out.confirmation
        {
            confirmation = Some(ScenarioOutput {
                metrics: c.clone(),
                ..Default::default()
            });
        }
        for (name, value, j, ctx) in judged {
            let dir = Direction::of(&name);
            let short = name.rsplit('.').next().unwrap_or(&name).to_string();
            // A confirmation observation extends the sequence the rule sees.
            let (j, conf_value) = match (
                &j,
                confirmation.as_ref().and_then(|c| c.metrics.get(&short)),
            ) {
                (Some(j0), Some(&v2)) if j0.suspect.is_some() && j0.confirmed.is_none() => {
                    let mut recent = ctx.recent.clone();
                    recent.push(value);
                    let j2 = detect::judge(&settings, &ctx.base, &recent, v2, dir);
                    match j2 {
                        Some(j2) if j2.confirmed == j0.suspect => {
                            let mut j = j0.clone();
                            j.confirmed = j2.confirmed;
                            j.rule = j2.rule.map(|r| format!("{r} (confirmed by a re-run)"));
                            (Some(j), Some(v2))
                        }
                        _ => (j, Some(v2)),
                    }
                }
                _ => (j, None),
            };
            let verdict = match &j {
                None if opts.establish_baselines => "baseline".to_string(),
                None => "building".to_string(),
                Some(j) => match (j.confirmed, j.suspect) {
                    (Some(k), _) => k.as_str().to_string(),
                    (None, Some(_)) if conf_value.is_some() => "cleared".to_string(),
                    (None, Some(_)) => "suspect".to_string(),
                    _ => "ok".to_string(),
                },
            };
            let mut report = MetricReport {
                name: name.clone(),
                scenario: sc.name.clone(),
                value,
                unit: unit_of(&name).to_string(),
                direction: dir,
                baseline: j.as_ref().map(|j| BaselineSummary {
                    n: j.baseline.kept(),
                    mean: j.baseline.mean,
                    std: j.baseline.std,
                    median: j.baseline.median,
                    robust_std: j.baseline.robust_std,
                }),
                z_score: j.as_ref().map(|j| j.z),
                change_pct: j.as_ref().map(|j| j.change_pct),
                severity: j
                    .as_ref()
                    .and_then(|j| j.severity)
                    .map(|s| s.as_str().to_string()),
                verdict,
                rule: j.as_ref().and_then(|j| j.rule.clone()),
            };
            if let Some(j) = &j
                && let Some(kind) = j.confirmed
            {
                let r = RegressionReport {
                    metric: name.clone(),
                    value,
                    baseline_mean: j.baseline.mean,
                    baseline_std: j.baseline.std,
                    baseline_median: j.baseline.median,
                    z_score: j.z,
                    change_pct: j.change_pct,
                    severity: j.severity.map(|s| s.as_str()).unwrap_or("low").to_string(),
                    kind: kind.as_str().to_string(),
                    rule: j.rule.clone().unwrap_or_default(),
                    confirmation_value: conf_value,
                    alert_id: None,
                    triage_state: if kind == Kind::Regression {
                        ctx.open_alert
                            .as_ref()
                            .map(|a| a.state.clone())
                            .unwrap_or_else(|| "untriaged".into())
                    } else {
                        String::new()
                    },
                };
                match kind {
                    Kind::Regression => regressions.push(r),
                    Kind::Improvement => improvements.push(r),
                }
            }
            if report.verdict == "regression"
                && ctx
                    .open_alert
                    .as_ref()
                    .is_some_and(|a| store::is_silenced_state(&a.state))
            {
                report.verdict = "silenced".into();
            }
            rows.push(MetricRow {
                scenario: sc.name.clone(),
                metric: name.clone(),
                value,
                unit: report.unit.clone(),
                z: report.z_score,
                severity: report.severity.clone(),
                suspect: j
                    .as_ref()
                    .is_some_and(|j| j.suspect == Some(Kind::Regression)),
                kind: j
                    .as_ref()
                    .and_then(|j| j.confirmed)
                    .map(|k| k.as_str().to_string()),
                baseline_n: report.baseline.as_ref().map(|b| b.n),
                baseline_mean: report.baseline.as_ref().map(|b| b.mean),
                baseline_std: report.baseline.as_ref().map(|b| b.std),
                baseline_median: report.baseline.as_ref().map(|b| b.median),
                baseline_robust_std: report.baseline.as_ref().map(|b| b.robust_std),
                change_pct: report.change_pct,
                verdict: Some(report.verdict.clone()),
                rule: report.rule.clone(),
            });
            metric_reports.push(report);
        }
    }

    sys_stop.cancel();
    let _ = sys_task.await;

    // Absolute thresholds: broken ones fail the run whatever the history says.
    let mut threshold_results: Vec<ThresholdResult> = Vec::new();
    for (sc, out) in outputs
        .iter()
        .filter(|(_, o)| opts.shard.is_none() && o.error.is_none())
    {
        threshold_results.extend(threshold::evaluate(&thresholds, &sc.name, &out.metrics));
    }
    for t in threshold_results.iter().filter(|t| !t.passed) {
        let bound = thresholds
            .iter()
            .find(|x| x.key == t.threshold)
            .map(|x| x.bound)
            .unwrap_or(0.0);
        if let Some(m) = metric_reports.iter_mut().find(|m| m.name == t.metric)
            && m.verdict != "regression"
        {
            m.verdict = "threshold".into();
        }
        if let Some(row) = rows.iter_mut().find(|r| r.metric == t.metric)
            && row.verdict.as_deref() != Some("regression")
        {
            row.verdict = Some("threshold".into());
            row.kind = Some("threshold".into());
            row.rule = Some(format!("threshold {} {}", t.threshold, t.expr));
            row.severity = Some("critical".into());
        }
        regressions.push(RegressionReport {
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
            severity: "critical".into(),
            kind: "threshold".into(),
            rule: format!("threshold {} {}", t.threshold, t.expr),
            confirmation_value: None,
            alert_id: None,
            triage_state: "untriaged".into(),
        });
    }

    let interrupted =
        cancel.is_cancelled() || outputs.iter().any(|(_, o)| o.interrupted && !o.aborted);
    let scenario_reports: Vec<ScenarioReport> = outputs
        .iter()
        .map(|(sc, o)| ScenarioReport {
            name: sc.name.clone(),
            kind: sc.kind.as_str().into(),
            status: if o.error.is_some() {
                "error".into()
            } else if o.aborted {
                "aborted".into()
            } else if o.interrupted {
                "interrupted".into()
            } else {
                "ok".into()
            },
            error: o.error.clone(),
            note: o.note.clone(),
            requests: o.requests,
            errors: o.errors.clone(),
            metrics: o.metrics.clone(),
        })
        .collect();
    let scenario_rows: Vec<ScenarioRow> = outputs
        .iter()
        .zip(&scenario_reports)
        .map(|((_, o), r)| ScenarioRow {
            scenario: r.name.clone(),
            kind: r.kind.clone(),
            status: r.status.clone(),
            error: r.error.clone(),
            note: r.note.clone(),
            errors_json: serde_json::to_string(&r.errors).unwrap_or_else(|_| "{}".into()),
            requests: r.requests,
            histogram: o.histogram.clone(),
        })
        .collect();

    let failing = regressions.iter().filter(|r| r.fails_build()).count();
    let has_error = scenario_reports.iter().any(|s| s.error.is_some());
    let status = if !regressions.is_empty() && failing > 0 {
        "regression"
    } else if has_error {
        "error"
    } else {
        "pass"
    };
    let aborted = outputs.iter().any(|(_, o)| o.aborted);
    store.finish_run(
        run_id,
        if aborted {
            store::RUN_ABORTED
        } else if interrupted {
            RUN_INTERRUPTED
        } else if opts.shard.is_some() {
            store::RUN_SHARD
        } else {
            RUN_COMPLETE
        },
        status,
        &scenario_rows,
        &rows,
    )?;

    // Open or refresh alerts; close those whose metric has recovered.
    for r in regressions.iter_mut() {
        let open = store.open_alert(&r.metric)?;
        let id = store.upsert_alert(&Alert {
            id: 0,
            metric: r.metric.clone(),
            kind: r.kind.clone(),
            severity: r.severity.clone(),
            state: "untriaged".into(),
            opened_run_id: open.as_ref().map(|a| a.opened_run_id).unwrap_or(run_id),
            last_run_id: run_id,
            value: r.value,
            baseline: r.baseline_median,
            z: r.z_score,
            change_pct: r.change_pct,
            updated_at: String::new(),
            updated_by: String::new(),
            reason: String::new(),
        })?;
        r.alert_id = Some(id);
    }
    if !interrupted {
        for a in store.alerts(true)? {
            let recent = store.history(
                &a.metric,
                a.opened_run_id - 1,
                settings.persistence + 1,
                None,
            )?;
            if recent.len() > settings.persistence
                && recent.iter().all(|p| !p.suspect)
                && recent.iter().all(|p| p.run_id > a.last_run_id)
            {
                store.set_alert_state(
                    a.id,
                    "fixed",
                    "perfgate",
                    "recovered: recent runs are back within the baseline",
                )?;
            }
        }
    }

    live.update(|s| {
        s.phase = if interrupted {
            "interrupted".into()
        } else {
            "finished".into()
        }
    });
    live.emit(EngineEvent::RunFinished {
        run_id,
        status: status.to_string(),
    })
    .await;

    Ok(RunOutcome {
        schema_version: 1,
        run_id,
        status: status.to_string(),
        interrupted,
        establish_baselines: opts.establish_baselines,
        started_at: meta.started_at,
        finished_at: store::now_string(),
        commit: meta.commit,
        branch: meta.branch,
        config_fingerprint: meta.config_fingerprint,
        config_path: meta.config_path,
        host: meta.host,
        store: store_label.to_string(),
        scenarios: scenario_reports,
        metrics: metric_reports,
        regressions,
        improvements,
        failing,
        thresholds: threshold_results,
        aborted,
    })
}

/// The config a run will use, for callers that only have a `Config`.
pub fn loaded(config: Config, path: &str) -> LoadedConfig {
    LoadedConfig {
        path: path.into(),
        config,
    }
}
