//! Scenario runners: one module per scenario type, one output shape for all.

pub mod api;
pub mod database;
mod h1;
pub mod system;

use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ScenarioConfig};
use crate::live::LiveHub;

/// What a scenario produced: metric values (names without the scenario prefix).
#[derive(Debug, Clone, Default)]
pub struct ScenarioOutput {
    pub metrics: BTreeMap<String, f64>,
    /// Error counts by class.
    pub errors: BTreeMap<String, u64>,
    /// Requests attempted (API), samples taken (system) or iterations (database).
    pub requests: u64,
    /// Set when the scenario could not run at all.
    pub error: Option<String>,
    /// The latency HdrHistogram, V2-serialized (API scenarios).
    pub histogram: Option<Vec<u8>>,
    pub interrupted: bool,
    /// Stopped early because an abort-on-fail threshold broke.
    pub aborted: bool,
    /// Something the reader should know (e.g. why a metric is absent).
    pub note: Option<String>,
    /// A second, independent observation of some metrics from the same run, used to
    /// confirm a suspect result without re-running (ingested results).
    pub confirmation: Option<BTreeMap<String, f64>>,
}

impl ScenarioOutput {
    pub fn failed(msg: impl Into<String>) -> ScenarioOutput {
        ScenarioOutput {
            error: Some(msg.into()),
            ..Default::default()
        }
    }
}

/// Called with a scenario's metrics so far; a reason stops it early.
pub type AbortCheck = dyn Fn(&BTreeMap<String, f64>) -> Option<String> + Send + Sync;

/// Run one scenario by type.
pub async fn run(
    cfg: &Config,
    s: &ScenarioConfig,
    live: &LiveHub,
    cancel: &CancellationToken,
    abort: Option<&AbortCheck>,
) -> ScenarioOutput {
    match s {
        ScenarioConfig::Api(a) => api::run(cfg, a, live, cancel, abort).await,
        ScenarioConfig::System(sys) => system::run(cfg, sys, live, cancel, None).await,
        ScenarioConfig::Ingested(_) => ScenarioOutput::failed("ingested results are not run"),
        ScenarioConfig::Database(d) => database::run(d, live, cancel).await,
    }
}
