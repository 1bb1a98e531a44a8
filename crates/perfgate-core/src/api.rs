//! The programmatic API: the seed's framework, in Rust.
//!
//! ```no_run
//! use perfgate_core::{ApiTest, Framework, Verdict};
//!
//! # async fn demo() -> perfgate_core::Result<()> {
//! let mut framework = Framework::open("./baselines")?.base_url("http://localhost:8000");
//! framework.add_test(
//!     ApiTest::new("user_login", "/api/v1/auth/login")
//!         .method("POST")
//!         .concurrent_users(3)
//!         .duration_secs(15.0),
//! );
//! let results = framework.run_tests().await?;
//! assert_ne!(results.verdict(), Verdict::Error);
//! # Ok(()) }
//! ```
//!
//! Tests built here get the config file's defaults and checks, and run through the
//! same pipeline as `perfgate --ci` (plan, measure, judge, verdict, persist, finish),
//! so the outcome and verdict are the ones the command line would give.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

use crate::baseline::BaselineStats;
use crate::config::{
    ApiScenario, Config, DatabaseScenario, LoadedConfig, ScenarioConfig, SystemScenario,
};
use crate::detect::{Judgement, Replay, Settings};
use crate::error::{Error, Result};
use crate::live::LiveHub;
use crate::metrics::Direction;
use crate::run::{self, RunOptions, RunOutcome};
use crate::store::{self, Store};

/// A test to add to a [`Framework`]: built with [`ApiTest`], [`DatabaseTest`] or
/// [`SystemTest`].
pub trait PerformanceTest {
    /// The scenario this test runs, as a config file would describe it.
    fn scenario(&self) -> ScenarioConfig;
}

/// Runs performance tests against their baselines, stored in one folder.
pub struct Framework {
    config: Config,
    label: String,
}

impl Framework {
    /// A framework whose baselines live in `dir` (`dir/tracking.db`, created on the
    /// first run), with the seed's defaults for everything else.
    pub fn open(dir: impl AsRef<Path>) -> Result<Framework> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Store(format!("{}: cannot create it: {e}", dir.display())))?;
        let db: PathBuf = dir.join("tracking.db");
        let config = Config {
            baseline_storage: dir.display().to_string(),
            tracking_db: db.display().to_string(),
            ..Config::default()
        };
        Ok(Framework {
            label: config.tracking_db.clone(),
            config,
        })
    }

    /// A framework on a full config, as loaded from a config file.
    pub fn with_config(config: Config) -> Framework {
        Framework {
            label: config.tracking_db.clone(),
            config,
        }
    }

    /// The target of API tests (default `http://localhost:8000`).
    pub fn base_url(mut self, url: impl Into<String>) -> Framework {
        self.config.base_url = url.into();
        self
    }

    /// Runs a metric needs before it is judged (default 20).
    pub fn min_baseline_samples(mut self, n: usize) -> Framework {
        self.config.min_baseline_samples = n;
        self.config.detection.baseline_window = self.config.detection.baseline_window.max(n);
        self
    }

    /// Add a test; it runs with the others, in the order added.
    pub fn add_test(&mut self, test: impl PerformanceTest) -> &mut Framework {
        self.config.test_scenarios.push(test.scenario());
        self
    }

    /// The config the tests will run with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Run every test, judge and store the results, and alert as configured.
    pub async fn run_tests(&self) -> Result<RunOutcome> {
        self.run(false).await
    }

    /// Run every test and store the results as baseline history, judging nothing.
    pub async fn establish_baselines(&self) -> Result<RunOutcome> {
        self.run(true).await
    }

    async fn run(&self, establish: bool) -> Result<RunOutcome> {
        self.config.validate("the framework's tests")?;
        let loaded = LoadedConfig {
            path: "the framework's tests".into(),
            config: self.config.clone(),
        };
        let mut st = store::open(&self.label)?;
        let opts = RunOptions {
            establish_baselines: establish,
            fail_on_regression: self.config.fail_on_regression,
            mode: crate::model::RunMode::Api,
            ..RunOptions::default()
        };
        // Nobody watches: the live receiver is dropped and its updates go nowhere.
        let (hub, _) = LiveHub::new();
        let cancel = CancellationToken::new();
        let label = store::label(&self.label);
        let mut outcome = run::execute(&loaded, st.as_mut(), &label, &opts, &hub, &cancel).await?;
        let finish = run::FinishOptions::default();
        run::finish(
            st.as_mut(),
            &self.config,
            &mut outcome,
            &opts,
            &finish,
            &cancel,
        )
        .await?;
        Ok(outcome)
    }
}

/// An HTTP load test: `concurrent_users` closed-loop workers for `duration`.
#[derive(Debug, Clone)]
pub struct ApiTest(ApiScenario);

impl ApiTest {
    /// `endpoint` is a path under the framework's base URL, e.g. `/health`.
    pub fn new(name: impl Into<String>, endpoint: impl Into<String>) -> ApiTest {
        ApiTest(ApiScenario {
            name: name.into(),
            endpoint: Some(endpoint.into()),
            ..ApiScenario::default()
        })
    }
    /// HTTP method (default GET).
    pub fn method(mut self, m: impl Into<String>) -> ApiTest {
        self.0.method = Some(m.into());
        self
    }
    /// Closed-loop workers (default: the framework's `concurrent_users`, 5).
    pub fn concurrent_users(mut self, n: u32) -> ApiTest {
        self.0.concurrent_users = Some(n);
        self
    }
    /// Seconds of load (default: the framework's `test_duration`, 30).
    pub fn duration_secs(mut self, s: f64) -> ApiTest {
        self.0.duration = Some(s);
        self
    }
    /// A request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiTest {
        self.0
            .headers
            .get_or_insert_with(Default::default)
            .insert(name.into(), value.into());
        self
    }
    /// A JSON request body.
    pub fn json_body(mut self, body: serde_json::Value) -> ApiTest {
        self.0.body = Some(body);
        self
    }
    /// Open loop: this many requests a second, whatever the latency.
    pub fn rate(mut self, per_sec: f64) -> ApiTest {
        self.0.rate = Some(per_sec);
        self
    }
}

impl PerformanceTest for ApiTest {
    fn scenario(&self) -> ScenarioConfig {
        ScenarioConfig::Api(self.0.clone())
    }
}

/// A query timed `iterations` times (rolled back unless `commit`).
#[derive(Debug, Clone)]
pub struct DatabaseTest(DatabaseScenario);

impl DatabaseTest {
    /// `connection_string`: `postgresql://`, `mysql://` or `sqlite://PATH`.
    pub fn new(
        name: impl Into<String>,
        connection_string: impl Into<String>,
        query: impl Into<String>,
    ) -> DatabaseTest {
        DatabaseTest(DatabaseScenario {
            name: name.into(),
            connection_string: connection_string.into(),
            query: query.into(),
            ..DatabaseScenario::default()
        })
    }
    /// Times the query runs (default 100).
    pub fn iterations(mut self, n: u64) -> DatabaseTest {
        self.0.iterations = Some(n);
        self
    }
    /// Parallel connections sharing the iterations.
    pub fn concurrency(mut self, n: u32) -> DatabaseTest {
        self.0.concurrency = Some(n);
        self
    }
}

impl PerformanceTest for DatabaseTest {
    fn scenario(&self) -> ScenarioConfig {
        ScenarioConfig::Database(self.0.clone())
    }
}

/// CPU, memory, disk and network sampled for `duration`.
#[derive(Debug, Clone)]
pub struct SystemTest(SystemScenario);

impl SystemTest {
    /// Samples every system metric once a second.
    pub fn new(name: impl Into<String>) -> SystemTest {
        SystemTest(SystemScenario {
            name: name.into(),
            ..SystemScenario::default()
        })
    }
    /// Seconds of sampling.
    pub fn duration_secs(mut self, s: f64) -> SystemTest {
        self.0.duration = Some(s);
        self
    }
    /// Milliseconds between samples (default 1000).
    pub fn interval_ms(mut self, ms: u64) -> SystemTest {
        self.0.interval_ms = Some(ms);
        self
    }
}

impl PerformanceTest for SystemTest {
    fn scenario(&self) -> ScenarioConfig {
        ScenarioConfig::System(self.0.clone())
    }
}

/// The regression detector on its own: feed each metric's values in order and get
/// the judgement of each against the values before it, exactly as a run is judged
/// (and as `perfgate backtest` replays a history).
pub struct Detector {
    settings: Settings,
    metrics: HashMap<String, Replay<'static>>,
}

/// What the detector made of one value.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The judgement, once the metric has `min_baseline_samples` values before it.
    pub judgement: Option<Judgement>,
    /// The alert this value opens (a regression or an improvement), if any.
    pub opens: Option<crate::detect::Kind>,
}

impl Detector {
    /// A detector with the settings of `config` (its `detection` section and the
    /// seed's `min_baseline_samples`, `outlier_threshold`, `regression_threshold`).
    pub fn new(config: &Config) -> Detector {
        Detector {
            settings: Settings::from_config(config),
            metrics: HashMap::new(),
        }
    }

    /// Judge `value` as the next observation of `metric` (its good direction from its
    /// name: `_rps`/throughput higher is better, everything else lower), then add it
    /// to that metric's history.
    pub fn observe(&mut self, metric: &str, value: f64) -> Observation {
        let settings = &self.settings;
        let replay = self
            .metrics
            .entry(metric.to_string())
            .or_insert_with(|| Replay::owned(settings.for_metric(metric), Direction::of(metric)));
        match replay.push(value) {
            Some((j, opens)) => Observation {
                judgement: Some(j),
                opens,
            },
            None => Observation {
                judgement: None,
                opens: None,
            },
        }
    }
}

/// Baselines kept in a store: what each metric's baseline is now, and the on-call
/// actions on it (reset, accept), each recorded with who and why.
pub struct BaselineTracker {
    store: Box<dyn Store>,
    config: Config,
}

impl BaselineTracker {
    /// The tracker of a store (an SQLite path or a `postgresql://` URL).
    pub fn open(store: &str, config: &Config) -> Result<BaselineTracker> {
        Ok(BaselineTracker {
            store: store::open(store)?,
            config: config.clone(),
        })
    }

    /// The metric's current baseline (after the latest reset or accept), if it has
    /// any history.
    pub fn baseline(&self, metric: &str) -> Result<Option<BaselineStats>> {
        Ok(crate::inspect::baseline_view(self.store.as_ref(), &self.config, metric)?.stats)
    }

    /// Forget a metric's history up to now; `reason` goes to the audit log.
    pub fn reset_baseline(&mut self, metric: &str, reason: &str) -> Result<()> {
        crate::manage::reset(self.store.as_mut(), metric, &store::actor(), reason).map(|_| ())
    }

    /// Forget every metric's history up to now.
    pub fn reset_all_baselines(&mut self, reason: &str) -> Result<()> {
        crate::manage::reset(self.store.as_mut(), "*", &store::actor(), reason).map(|_| ())
    }

    /// Accept a metric's current level as its new baseline.
    pub fn accept(&mut self, metric: &str, reason: &str) -> Result<crate::manage::Accepted> {
        crate::manage::accept(self.store.as_mut(), metric, &store::actor(), reason)
    }
}
