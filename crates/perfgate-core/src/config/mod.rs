//! The seed's JSON config, loaded as written, with the seed's defaults.
//!
//! Scenarios are parsed as one flat struct with `deny_unknown_fields` (not an
//! internally tagged enum) so that serde_json keeps exact line/column positions
//! for every error; the per-type rules are checked afterwards in `validate`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::ConfigError;

mod bounds;

/// Framework configuration ("Configuration Reference" of the seed, plus perfgate's `detection`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub base_url: String,
    /// Default scenario duration in seconds.
    pub test_duration: f64,
    /// Default closed-loop workers per API scenario.
    pub concurrent_users: u32,
    /// A persistent change of at least this many percent is a regression even on a
    /// metric whose history is too noisy for the z-test to see it.
    pub regression_threshold: f64,
    pub fail_on_regression: bool,
    pub baseline_storage: String,
    pub tracking_db: String,
    pub min_baseline_samples: usize,
    /// Robust z beyond which a history sample is an outlier (excluded from mean/std).
    pub outlier_threshold: f64,
    pub trend_window_days: u32,
    /// Relative drift of the baseline across its window that counts as "drifting".
    pub baseline_update_threshold: f64,
    pub enable_alerts: bool,
    pub test_scenarios: Vec<ScenarioConfig>,
    pub detection: DetectionConfig,
    /// Absolute bounds per metric (`scenario.metric`, `*` wildcards): `"< 200"`.
    pub thresholds: BTreeMap<String, crate::threshold::ThresholdSpec>,
    /// Alert channels, throttling and routing.
    pub alerts: crate::alert::AlertConfig,
    /// Shards a sharded run is split into (with JOB_COMPLETION_INDEX as the index).
    pub shards: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://localhost:8000".into(),
            test_duration: 30.0,
            concurrent_users: 5,
            regression_threshold: 20.0,
            fail_on_regression: true,
            baseline_storage: "performance_baselines".into(),
            tracking_db: "performance_baselines/tracking.db".into(),
            min_baseline_samples: 20,
            outlier_threshold: 3.0,
            trend_window_days: 30,
            baseline_update_threshold: 0.15,
            enable_alerts: true,
            test_scenarios: Vec::new(),
            detection: DetectionConfig::default(),
            thresholds: BTreeMap::new(),
            alerts: Default::default(),
            shards: 1,
        }
    }
}

/// perfgate's false-alarm control; see `engine::detect` for the rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionConfig {
    /// Robust z (median/MAD) an observation must reach to be suspect.
    pub z_threshold: f64,
    /// Consecutive suspect observations needed to confirm (runs or re-runs).
    pub persistence: usize,
    /// Smallest relative change (percent) that can fail a build.
    pub min_change_pct: f64,
    /// Runs of history the baseline is computed from (most recent eligible runs).
    pub baseline_window: usize,
    /// Re-runs of a suspect scenario inside the same CI run to confirm or clear it.
    pub confirm_reruns: usize,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            z_threshold: 2.15,
            persistence: 2,
            min_change_pct: 5.0,
            baseline_window: 30,
            confirm_reruns: 1,
        }
    }
}

/// One entry of `test_scenarios`, as written. Keys not valid for the scenario's
/// `type` are rejected by `validate`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ScenarioType,
    // api
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_users: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// A string is sent as is; any other JSON value is sent as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Per-request timeout, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Seconds at the start excluded from the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<f64>,
    /// Open loop: target requests per second (latency measured from intended send times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Open loop: `constant` (default) or `poisson` arrivals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<String>,
    /// Open loop: seconds over which the rate ramps up linearly from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up: Option<f64>,
    /// Upper bound on requests in flight (connections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// Speak HTTP/2 (ALPN h2 over TLS, prior knowledge over cleartext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// Accept any TLS certificate (self-signed test targets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_insecure: Option<bool>,
    // api + system
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    // system
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    // database
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_string: Option<String>,
    /// System: a process (name or pid) whose own CPU and memory are sampled too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRef>,
    /// System: sample while this other scenario runs, instead of on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<String>,
    /// Database: parallel connections sharing the iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Keep the writes of each iteration (default: every iteration is rolled back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<bool>,
}

/// A process by pid (a number) or by name (a string).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ProcessRef {
    Pid(u32),
    Name(String),
}

impl std::fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessRef::Pid(p) => write!(f, "{p}"),
            ProcessRef::Name(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioType {
    #[default]
    Api,
    System,
    Database,
    /// Results ingested from another tool (never in a config file).
    Ingested,
}

impl ScenarioType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioType::Api => "api",
            ScenarioType::System => "system",
            ScenarioType::Database => "database",
            ScenarioType::Ingested => "ingested",
        }
    }
}

/// System metrics a `system` scenario can sample (seed names without units).
pub const SYSTEM_METRICS: [&str; 4] = ["cpu_usage", "memory_usage", "disk_io", "network_io"];

pub const HTTP_METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// A config with its resolved location, ready to run.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub config: Config,
}

impl Config {
    /// Load and validate a config file.
    pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            field: None,
            position: None,
            message: format!("cannot be read ({e}); expected a readable JSON config file"),
        })?;
        let config = Config::parse(&text, &file)?;
        Ok(LoadedConfig {
            path: path.to_path_buf(),
            config,
        })
    }

    /// Parse and validate config text; `file` is used in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let first = text.trim_start().chars().next();
        if first.is_some() && first != Some('{') {
            let line = text[..text.len() - text.trim_start().len()]
                .matches('\n')
                .count()
                + 1;
            return Err(ConfigError {
                file: file.to_string(),
                field: None,
                position: Some((line, 1)),
                message:
                    "is not a JSON object; expected a config object `{ ... }` at the top level"
                        .into(),
            });
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let config: Config = match serde_path_to_error::deserialize(&mut de) {
            Ok(c) => c,
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                return Err(ConfigError {
                    file: file.to_string(),
                    field: (path != "." && !path.is_empty()).then_some(path),
                    position: (inner.line() > 0).then(|| (inner.line(), inner.column())),
                    message: explain_serde(&inner),
                });
            }
        };
        if let Err(e) = de.end() {
            return Err(ConfigError {
                file: file.to_string(),
                field: None,
                position: Some((e.line(), e.column())),
                message: "has trailing characters after the JSON object; expected one JSON object"
                    .into(),
            });
        }
        config.validate(file)?;
        crate::threshold::parse_all(&config, file)?;
        Ok(config)
    }

    /// Rules serde cannot express: ranges, per-type keys, unique names.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let err = |field: String, message: String| ConfigError {
            file: file.to_string(),
            field: Some(field),
            position: None,
            message,
        };
        let positive = |v: f64| v.is_finite() && v > 0.0;
        bounds::url(&self.base_url).map_err(|m| err("base_url".into(), m))?;
        bounds::global(self).map_err(|(field, m)| err(field.into(), m))?;
        if !positive(self.test_duration) {
            return Err(err(
                "test_duration".into(),
                "must be a positive number of seconds".into(),
            ));
        }
        if self.shards == 0 {
            return Err(err("shards".into(), "must be at least 1".into()));
        }
        if self.concurrent_users == 0 {
            return Err(err("concurrent_users".into(), "must be at least 1".into()));
        }
        if !(self.regression_threshold.is_finite() && self.regression_threshold >= 0.0) {
            return Err(err(
                "regression_threshold".into(),
                "must be a percentage >= 0".into(),
            ));
        }
        if self.min_baseline_samples < 2 {
            return Err(err(
                "min_baseline_samples".into(),
                "must be at least 2".into(),
            ));
        }
        if !positive(self.outlier_threshold) {
            return Err(err(
                "outlier_threshold".into(),
                "must be a positive number of standard deviations".into(),
            ));
        }
        if self.trend_window_days == 0 {
            return Err(err(
                "trend_window_days".into(),
                "must be at least 1 day".into(),
            ));
        }
        if !(self.baseline_update_threshold.is_finite() && self.baseline_update_threshold > 0.0) {
            return Err(err(
                "baseline_update_threshold".into(),
                "must be a positive fraction such as 0.15".into(),
            ));
        }
        if self.tracking_db.trim().is_empty() {
            return Err(err(
                "tracking_db".into(),
                "is empty; expected a file path for the SQLite store".into(),
            ));
        }
        let d = &self.detection;
        if !positive(d.z_threshold) {
            return Err(err(
                "detection.z_threshold".into(),
                "must be a positive number".into(),
            ));
        }
        if d.persistence == 0 || d.persistence > 10 {
            return Err(err(
                "detection.persistence".into(),
                "must be between 1 and 10".into(),
            ));
        }
        if !(d.min_change_pct.is_finite() && d.min_change_pct >= 0.0) {
            return Err(err(
                "detection.min_change_pct".into(),
                "must be a percentage >= 0".into(),
            ));
        }
        if d.baseline_window < self.min_baseline_samples {
            return Err(err(
                "detection.baseline_window".into(),
                format!(
                    "is {}; expected at least min_baseline_samples ({})",
                    d.baseline_window, self.min_baseline_samples
                ),
            ));
        }
        if d.confirm_reruns > 5 {
            return Err(err(
                "detection.confirm_reruns".into(),
                "must be between 0 and 5".into(),
            ));
        }
        for (i, ch) in self.alerts.channels.iter().enumerate() {
            if !crate::alert::CHANNELS.contains(&ch.as_str()) {
                return Err(err(
                    format!("alerts.channels[{i}]"),
                    format!("is {ch:?}; expected one of console, github, slack, email"),
                ));
            }
        }
        for (sev, chs) in &self.alerts.routing {
            if crate::detect::Severity::parse(sev).is_none() {
                return Err(err(
                    format!("alerts.routing.{sev}"),
                    "is not a severity; expected low, medium, high or critical".into(),
                ));
            }
            if let Some(ch) = chs
                .iter()
                .find(|c| !crate::alert::CHANNELS.contains(&c.as_str()))
            {
                return Err(err(
                    format!("alerts.routing.{sev}"),
                    format!("names channel {ch:?}; expected console, github, slack or email"),
                ));
            }
        }
        if self.alerts.max_alerts_per_hour == 0 {
            return Err(err(
                "alerts.max_alerts_per_hour".into(),
                "must be at least 1 (set alerts.enabled to false to turn alerts off)".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.test_scenarios.iter().enumerate() {
            let f = |k: &str| format!("test_scenarios[{i}].{k}");
            if s.name.is_empty()
                || !s
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(err(
                    f("name"),
                    format!(
                        "is {:?}; expected a non-empty name of letters, digits, '_' or '-' (it prefixes metric names)",
                        s.name
                    ),
                ));
            }
            if !seen.insert(s.name.as_str()) {
                return Err(err(
                    f("name"),
                    format!("{:?} is used twice; expected unique scenario names", s.name),
                ));
            }
            let allowed: &[&str] = match s.kind {
                ScenarioType::Api => &[
                    "endpoint",
                    "method",
                    "concurrent_users",
                    "headers",
                    "body",
                    "timeout",
                    "warmup",
                    "duration",
                    "rate",
                    "arrival",
                    "ramp_up",
                    "max_in_flight",
                    "http2",
                    "tls_insecure",
                ],
                ScenarioType::System => {
                    &["duration", "metrics", "interval_ms", "process", "during"]
                }
                ScenarioType::Database => &[
                    "query",
                    "iterations",
                    "connection_string",
                    "timeout",
                    "commit",
                    "concurrency",
                ],
                ScenarioType::Ingested => {
                    return Err(err(
                        f("type"),
                        "\"ingested\" is only for `perfgate ingest`; expected \"api\", \"system\" or \"database\"".into(),
                    ));
                }
            };
            for key in s.present_keys() {
                if !allowed.contains(&key) {
                    return Err(err(
                        f(key),
                        format!(
                            "is not a key of a {} scenario; expected one of: {}",
                            s.kind.as_str(),
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            bounds::scenario(s).map_err(|(field, m)| err(f(field), m))?;
            if let Some(v) = s.duration
                && !positive(v)
            {
                return Err(err(
                    f("duration"),
                    "must be a positive number of seconds".into(),
                ));
            }
            if let Some(v) = s.timeout
                && !positive(v)
            {
                return Err(err(
                    f("timeout"),
                    "must be a positive number of seconds".into(),
                ));
            }
            if let Some(v) = s.warmup
                && !(v.is_finite() && v >= 0.0 && v < s.duration.unwrap_or(self.test_duration))
            {
                return Err(err(
                    f("warmup"),
                    "must be >= 0 seconds and shorter than the scenario's duration".into(),
                ));
            }
            if let Some(r) = s.rate
                && !(r.is_finite() && r > 0.0 && r <= 10_000_000.0)
            {
                return Err(err(
                    f("rate"),
                    "must be a positive number of requests per second".into(),
                ));
            }
            if let Some(a) = &s.arrival
                && a != "constant"
                && a != "poisson"
            {
                return Err(err(
                    f("arrival"),
                    format!("is {a:?}; expected \"constant\" or \"poisson\""),
                ));
            }
            if (s.arrival.is_some() || s.ramp_up.is_some()) && s.rate.is_none() {
                return Err(err(
                    f(if s.arrival.is_some() {
                        "arrival"
                    } else {
                        "ramp_up"
                    }),
                    "needs `rate` (open-loop mode)".into(),
                ));
            }
            if let Some(v) = s.ramp_up
                && !(v.is_finite() && v >= 0.0 && v < s.duration.unwrap_or(self.test_duration))
            {
                return Err(err(
                    f("ramp_up"),
                    "must be >= 0 seconds and shorter than the scenario's duration".into(),
                ));
            }
            if s.max_in_flight == Some(0) {
                return Err(err(f("max_in_flight"), "must be at least 1".into()));
            }
            if s.concurrent_users == Some(0) {
                return Err(err(f("concurrent_users"), "must be at least 1".into()));
            }
            if let Some(m) = &s.method
                && !HTTP_METHODS.contains(&m.to_ascii_uppercase().as_str())
            {
                return Err(err(
                    f("method"),
                    format!("is {m:?}; expected one of {}", HTTP_METHODS.join(", ")),
                ));
            }
            if let Some(ep) = &s.endpoint
                && !ep.starts_with('/')
            {
                return Err(err(
                    f("endpoint"),
                    format!("is {ep:?}; expected a path starting with '/'"),
                ));
            }
            if let Some(h) = &s.headers {
                for (k, v) in h {
                    if hyper::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                        || hyper::header::HeaderValue::from_str(v).is_err()
                    {
                        return Err(err(
                            f(&format!("headers.{k}")),
                            "is not a valid HTTP header name/value".into(),
                        ));
                    }
                }
            }
            if let Some(ms) = &s.metrics {
                for m in ms {
                    if system_metric_key(m).is_none() {
                        return Err(err(
                            f("metrics"),
                            format!(
                                "contains {m:?}; expected some of {}",
                                SYSTEM_METRICS.join(", ")
                            ),
                        ));
                    }
                }
            }
            if let Some(d) = &s.during {
                match self.test_scenarios.iter().find(|o| &o.name == d) {
                    Some(o) if o.kind != ScenarioType::System && o.during.is_none() => {}
                    Some(_) => {
                        return Err(err(
                            f("during"),
                            format!(
                                "names {d:?}, a system scenario; expected an api or database scenario"
                            ),
                        ));
                    }
                    None => {
                        return Err(err(
                            f("during"),
                            format!("names {d:?}, which is not in test_scenarios"),
                        ));
                    }
                }
            }
            if let Some(ProcessRef::Name(n)) = &s.process
                && n.trim().is_empty()
            {
                return Err(err(
                    f("process"),
                    "is empty; expected a process name or pid".into(),
                ));
            }
            if s.interval_ms == Some(0) {
                return Err(err(f("interval_ms"), "must be at least 1".into()));
            }
            if s.kind == ScenarioType::Database {
                if s.query.as_deref().unwrap_or("").trim().is_empty() {
                    return Err(err(f("query"), "is missing; expected an SQL query".into()));
                }
                if s.connection_string.as_deref().unwrap_or("").is_empty() {
                    return Err(err(
                        f("connection_string"),
                        "is missing; expected a database URL".into(),
                    ));
                }
                if s.iterations == Some(0) {
                    return Err(err(f("iterations"), "must be at least 1".into()));
                }
            }
        }
        Ok(())
    }

    /// A short stable fingerprint of the effective config (what was run).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let canon = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&canon);
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }

    pub fn scenario_duration(&self, s: &ScenarioConfig) -> f64 {
        s.duration.unwrap_or(self.test_duration)
    }
}

impl ScenarioConfig {
    fn present_keys(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |present: bool, k: &'static str| {
            if present {
                v.push(k)
            }
        };
        add(self.endpoint.is_some(), "endpoint");
        add(self.method.is_some(), "method");
        add(self.concurrent_users.is_some(), "concurrent_users");
        add(self.headers.is_some(), "headers");
        add(self.body.is_some(), "body");
        add(self.timeout.is_some(), "timeout");
        add(self.warmup.is_some(), "warmup");
        add(self.rate.is_some(), "rate");
        add(self.arrival.is_some(), "arrival");
        add(self.ramp_up.is_some(), "ramp_up");
        add(self.max_in_flight.is_some(), "max_in_flight");
        add(self.http2.is_some(), "http2");
        add(self.tls_insecure.is_some(), "tls_insecure");
        add(self.duration.is_some(), "duration");
        add(self.metrics.is_some(), "metrics");
        add(self.interval_ms.is_some(), "interval_ms");
        add(self.query.is_some(), "query");
        add(self.iterations.is_some(), "iterations");
        add(self.connection_string.is_some(), "connection_string");
        add(self.commit.is_some(), "commit");
        add(self.concurrency.is_some(), "concurrency");
        add(self.process.is_some(), "process");
        add(self.during.is_some(), "during");
        v
    }
}

/// Map a seed system metric name (`cpu_usage`, `cpu_usage_pct`, `cpu`) to its key.
pub fn system_metric_key(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    SYSTEM_METRICS
        .iter()
        .find(|k| {
            n == **k
                || n.starts_with(&format!("{k}_"))
                || (k.starts_with(n.as_str()) && n.len() >= 3)
        })
        .copied()
}

/// Turn serde's message into the "what was expected" half of the sentence,
/// with a did-you-mean for unknown keys.
fn explain_serde(e: &serde_json::Error) -> String {
    let raw = e.to_string();
    // Strip serde_json's own " at line L column C" suffix: we print the position ourselves.
    let msg = match raw.rfind(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw,
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest
            .split("expected one of ")
            .nth(1)
            .or_else(|| rest.split("expected ").nth(1))
            .map(|l| {
                l.split(", ")
                    .map(|s| s.trim_matches(|c| c == '`' || c == ' '))
                    .collect()
            })
            .unwrap_or_default();
        let best = expected
            .iter()
            .map(|k| (strsim::jaro_winkler(name, k), *k))
            .filter(|(score, _)| *score > 0.75)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        return match best {
            Some((_, k)) => format!("is an unknown key `{name}`; did you mean `{k}`?"),
            None => format!(
                "is an unknown key `{name}`; expected one of {}",
                expected.join(", ")
            ),
        };
    }
    let msg = msg
        .replace("expected f64", "expected a number")
        .replace("expected u32", "expected a whole number >= 0")
        .replace("expected u64", "expected a whole number >= 0")
        .replace("expected usize", "expected a whole number >= 0")
        .replace("expected a boolean", "expected true or false");
    if msg.starts_with("missing field") {
        return format!("{msg}; it is required");
    }
    if msg.starts_with("unknown variant") {
        return msg.replace("unknown variant", "has an unknown value");
    }
    msg
}

/// Resolve `${VAR}` references from the environment (used for secrets in URLs).
pub fn expand_env(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "has an unterminated ${...}".to_string())?;
        let var = &after[..end];
        let val = std::env::var(var)
            .map_err(|_| format!("references ${{{var}}}, which is not set in the environment"))?;
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
