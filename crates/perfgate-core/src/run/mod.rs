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

use tokio_util::sync::CancellationToken;

use crate::config::{Config, LoadedConfig, ScenarioConfig};
use crate::error::Result;
pub use crate::host::{git_info, host_name};
pub use crate::inspect::{MetricContext, metric_context};
use crate::live::{EngineEvent, LiveHub};
pub use crate::model::{AlertKind, MetricVerdict, RunMode, ScenarioStatus, TriageState, Verdict};
pub use crate::outcome::{
    BaselineSummary, MetricReport, RegressionReport, RunOutcome, ScenarioReport, fails_build,
};
use crate::scenario::ScenarioOutput;
use crate::store::{self, Store};

/// How a run is carried out.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Store the run as baseline history without judging it.
    pub establish_baselines: bool,
    /// Exit 1 on a confirmed regression (flag or config).
    pub fail_on_regression: bool,
    /// The front-end that started the run.
    pub mode: RunMode,
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
    let ScenarioConfig::Api(a) = s else {
        return (i == 0).then(|| s.clone());
    };
    let users = a.concurrent_users.unwrap_or(cfg.concurrent_users);
    let share = users / n + u32::from(i < users % n);
    if share == 0 {
        return None;
    }
    Some(ScenarioConfig::Api(crate::config::ApiScenario {
        concurrent_users: Some(share),
        rate: a.rate.map(|r| r / n as f64),
        ..a.clone()
    }))
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
    // The first sample only sets sysinfo's reference: no peak before the second.
    let cpu_peak = sampler.await.ok().filter(|p| *p > 0.0);
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
        machine_cpu_peak_pct: cpu_peak,
        shard: opts.shard.map(|(index, count)| crate::outcome::ShardOf {
            index,
            count,
            run_group: opts.run_group.clone().unwrap_or_default(),
        }),
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
                name: sc.name().to_string(),
                kind: sc.kind(),
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
