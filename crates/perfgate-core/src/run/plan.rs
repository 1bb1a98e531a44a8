//! Stage 1, plan: which scenarios run (all, `--scenario`, a shard's share, or ingested
//! results), with which thresholds and detection settings, recorded as what run.

use super::{RunOptions, git_info, host_name, shard_scenario};
use crate::config::threshold::{self, Threshold};
use crate::config::{LoadedConfig, ScenarioConfig};
use crate::detect::Settings;
use crate::error::{Error, Result};
use crate::model::RunMode;
use crate::store::{self, RunMeta};

pub struct Plan {
    pub settings: Settings,
    pub thresholds: Vec<Threshold>,
    pub meta: RunMeta,
    pub scenarios: Vec<ScenarioConfig>,
}

pub fn plan(loaded: &LoadedConfig, opts: &RunOptions) -> Result<Plan> {
    let cfg = &loaded.config;
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
            RunMode::Shard
        } else if opts.establish_baselines {
            RunMode::Establish
        } else {
            opts.mode
        },
        run_group: opts.run_group.clone(),
    };
    let chosen =
        |s: &ScenarioConfig| opts.only.is_empty() || opts.only.iter().any(|o| o == s.name());
    let scenarios: Vec<ScenarioConfig> = match opts.shard {
        Some((i, n)) => cfg
            .test_scenarios
            .iter()
            .filter_map(|s| shard_scenario(s, cfg, i, n))
            .filter(|s| chosen(s))
            .collect(),
        None if opts.ingested.is_empty() => cfg
            .test_scenarios
            .iter()
            .filter(|s| chosen(s))
            .cloned()
            .collect(),
        None => opts.ingested.iter().map(|(s, _)| s.clone()).collect(),
    };
    if scenarios.is_empty() {
        return Err(Error::Usage(format!(
            "{}: field `test_scenarios` has no scenario to run; expected at least one",
            loaded.path.display()
        )));
    }
    Ok(Plan {
        settings: Settings::from_config(cfg),
        thresholds,
        meta,
        scenarios,
    })
}
