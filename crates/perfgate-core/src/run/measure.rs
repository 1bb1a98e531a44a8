//! Stage 2, measure: run each scenario in turn (system scenarios `during` another run
//! beside it), publishing live figures, stopping early on an abort-on-fail threshold.

use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::RunOptions;
use crate::config::threshold::{self, Threshold};
use crate::config::{Config, ScenarioConfig};
use crate::live::{EngineEvent, LiveHub, ScenarioPhase};
use crate::scenario::system::Sampler;
use crate::scenario::{self, ScenarioOutput};

/// Every scenario's output, in the order they ran (companions after their partner).
pub type Outputs = Vec<(ScenarioConfig, ScenarioOutput)>;

pub async fn measure(
    cfg: &Config,
    scenarios: &[ScenarioConfig],
    thresholds: &[Threshold],
    opts: &RunOptions,
    live: &LiveHub,
    cancel: &CancellationToken,
) -> Outputs {
    let mut outputs = Vec::new();
    for sc in scenarios {
        if cancel.is_cancelled() {
            break;
        }
        // Runs alongside its partner (below), not on its own.
        if sc
            .during()
            .is_some_and(|d| scenarios.iter().any(|p| p.name() == d))
        {
            continue;
        }
        live.emit(EngineEvent::ScenarioStarted {
            name: sc.name().to_string(),
        })
        .await;
        live.update_scenario(sc.name(), |l| {
            l.phase = if matches!(sc, ScenarioConfig::Api(a) if a.warmup.unwrap_or(0.0) > 0.0) {
                ScenarioPhase::Warmup
            } else {
                ScenarioPhase::Running
            }
        });
        tracing::debug!(scenario = %sc.name(), kind = sc.kind().as_str(), "scenario starting");
        // System scenarios `during` this one sample alongside it, until it ends.
        let until = CancellationToken::new();
        let companions: Vec<_> = scenarios
            .iter()
            .filter_map(|c| match c {
                ScenarioConfig::System(sys) if sys.during.as_deref() == Some(sc.name()) => {
                    Some((c, sys))
                }
                _ => None,
            })
            .map(|(c, sys)| {
                let (cfg, c, sys, live, cancel, until) = (
                    cfg.clone(),
                    c.clone(),
                    sys.clone(),
                    live.clone(),
                    cancel.clone(),
                    until.clone(),
                );
                tokio::spawn(async move {
                    let out = scenario::system::run(&cfg, &sys, &live, &cancel, Some(&until)).await;
                    (c, out)
                })
            })
            .collect();
        let out = match opts.ingested.iter().find(|(s, _)| s.name() == sc.name()) {
            Some((_, o)) => o.clone(),
            None => run_one(cfg, sc, thresholds, live, cancel).await,
        };
        until.cancel();
        let mut companion_outputs = Vec::new();
        for c in companions {
            if let Ok(pair) = c.await {
                companion_outputs.push(pair);
            }
        }
        tracing::debug!(
            scenario = %sc.name(),
            requests = out.requests,
            errors = ?out.errors,
            metrics = ?out.metrics,
            error = ?out.error,
            "scenario finished"
        );
        let failed = out.error.is_some();
        live.update_scenario(sc.name(), |l| {
            if failed {
                l.phase = ScenarioPhase::Failed;
            }
        });
        live.emit(EngineEvent::ScenarioFinished {
            name: sc.name().to_string(),
            ok: !failed,
            message: out.error.clone().or(out.note.clone()),
        })
        .await;
        outputs.push((sc.clone(), out));
        outputs.append(&mut companion_outputs);
    }
    outputs
}

/// One scenario, stopped early when an abort-on-fail threshold breaks.
async fn run_one(
    cfg: &Config,
    sc: &ScenarioConfig,
    thresholds: &[Threshold],
    live: &LiveHub,
    cancel: &CancellationToken,
) -> ScenarioOutput {
    let abort_rules: Vec<Threshold> = thresholds
        .iter()
        .filter(|t| t.abort_on_fail)
        .cloned()
        .collect();
    if abort_rules.is_empty() {
        return scenario::run(cfg, sc, live, cancel, None).await;
    }
    let scenario_name = sc.name().to_string();
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
    scenario::run(cfg, sc, live, cancel, Some(&abort)).await
}

/// Machine-wide CPU and memory for the live view while anything runs; stopped by the
/// returned token, the task then yields the run's CPU peak (percent).
pub fn machine_sampler(live: &LiveHub) -> (CancellationToken, tokio::task::JoinHandle<f64>) {
    let live = live.clone();
    let stop = CancellationToken::new();
    let s = stop.clone();
    // Peak is per run: the console shows whether this run saturated the machine.
    live.update(|s| s.system.cpu_peak_pct = 0.0);
    let task = tokio::spawn(async move {
        let mut sampler = Sampler::new();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut peak = 0.0f64;
        loop {
            tokio::select! {
                _ = tick.tick() => {},
                _ = s.cancelled() => break,
            }
            let x = sampler.sample();
            peak = peak.max(x.cpu_pct);
            live.update(|s| {
                s.system.cpu_pct = x.cpu_pct;
                s.system.cpu_peak_pct = peak;
                crate::live::push_bounded(&mut s.system.cpu_history, x.cpu_pct.round() as u64);
                s.system.mem_mb = x.mem_mb;
                s.system.mem_total_mb = x.mem_total_mb;
            });
        }
        peak
    });
    (stop, task)
}
