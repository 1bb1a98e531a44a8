//! The `alerts` section of the config: which channels, routed by severity, within
//! which time bounds. Delivery itself lives in `crate::alert`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `alerts` section of the config.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertConfig {
    pub enabled: bool,
    /// console, github, slack, email.
    pub channels: Vec<String>,
    pub throttle_minutes: u64,
    pub max_alerts_per_hour: usize,
    /// Severity → channels; severities not listed go to every channel.
    pub routing: BTreeMap<String, Vec<String>>,
    /// Link to the run in messages (default: the GitHub Actions run, when known).
    pub run_url: Option<String>,
    /// Environment named in messages (default: PERFGATE_ENV, else "default").
    pub environment: Option<String>,
    /// Deadline of each attempt on a channel (connect, TLS, request, response, each
    /// SMTP exchange), seconds.
    pub timeout_seconds: f64,
    /// All alert delivery of a run ends within this many seconds, whatever hangs.
    pub budget_seconds: f64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            enabled: true,
            channels: vec![
                "console".into(),
                "github".into(),
                "slack".into(),
                "email".into(),
            ],
            throttle_minutes: 30,
            max_alerts_per_hour: 10,
            timeout_seconds: 10.0,
            budget_seconds: 30.0,
            routing: BTreeMap::from([
                ("low".to_string(), vec!["console".to_string()]),
                (
                    "medium".to_string(),
                    vec![
                        "console".to_string(),
                        "github".to_string(),
                        "slack".to_string(),
                    ],
                ),
            ]),
            run_url: None,
            environment: None,
        }
    }
}

/// The channels perfgate can deliver to.
pub const CHANNELS: [&str; 4] = ["console", "github", "slack", "email"];
