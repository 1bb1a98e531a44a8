//! Absolute SLO thresholds (`"health_check.response_time_p95_ms": "< 200"`): hard
//! promises judged regardless of history, k6-style, with optional abort-on-fail.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::config::{Config, SYSTEM_METRICS, ScenarioType};
use crate::error::ConfigError;
use crate::metrics::API_METRICS;

/// A threshold as written: `"< 200"` or `{"expr": "< 200", "abort_on_fail": true}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ThresholdSpec {
    Expr(String),
    Full {
        expr: String,
        #[serde(default)]
        abort_on_fail: bool,
    },
}

impl ThresholdSpec {
    pub fn expr(&self) -> &str {
        match self {
            ThresholdSpec::Expr(e) | ThresholdSpec::Full { expr: e, .. } => e,
        }
    }
    pub fn abort_on_fail(&self) -> bool {
        matches!(
            self,
            ThresholdSpec::Full {
                abort_on_fail: true,
                ..
            }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
    pub fn holds(self, v: f64, bound: f64) -> bool {
        match self {
            Op::Lt => v < bound,
            Op::Le => v <= bound,
            Op::Gt => v > bound,
            Op::Ge => v >= bound,
        }
    }
}

/// A parsed threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The key as written (`scenario.metric`, either part may be `*`).
    pub key: String,
    pub op: Op,
    pub bound: f64,
    pub abort_on_fail: bool,
}

/// One threshold checked against one metric value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdResult {
    pub threshold: String,
    pub metric: String,
    pub value: f64,
    pub expr: String,
    pub passed: bool,
}

pub fn parse_expr(expr: &str) -> Option<(Op, f64)> {
    let e = expr.trim();
    let (op, rest) = if let Some(r) = e.strip_prefix("<=") {
        (Op::Le, r)
    } else if let Some(r) = e.strip_prefix(">=") {
        (Op::Ge, r)
    } else if let Some(r) = e.strip_prefix('<') {
        (Op::Lt, r)
    } else if let Some(r) = e.strip_prefix('>') {
        (Op::Gt, r)
    } else {
        return None;
    };
    let v: f64 = rest.trim().parse().ok()?;
    v.is_finite().then_some((op, v))
}

/// `*` matches any run of characters (none included); everything else literally.
pub fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, rest)) => {
            let Some(tail) = s.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

impl Threshold {
    pub fn matches(&self, metric: &str) -> bool {
        key_matches(&self.key, metric)
    }
    pub fn expr(&self) -> String {
        format!("{} {}", self.op.as_str(), self.bound)
    }
    pub fn check(&self, metric: &str, value: f64) -> ThresholdResult {
        ThresholdResult {
            threshold: self.key.clone(),
            metric: metric.to_string(),
            value,
            expr: self.expr(),
            passed: self.op.holds(value, self.bound),
        }
    }
}

/// Metric names a scenario type produces (for "unknown metric" errors).
pub fn known_metrics(kind: ScenarioType) -> Vec<&'static str> {
    match kind {
        ScenarioType::Api => {
            let mut v = API_METRICS.to_vec();
            v.extend([
                "response_time_p50_uncorrected_ms",
                "response_time_p99_uncorrected_ms",
                "late_requests",
                "dropped_requests",
            ]);
            v
        }
        ScenarioType::System => {
            let _ = SYSTEM_METRICS;
            vec![
                "cpu_usage_pct",
                "cpu_usage_max_pct",
                "memory_usage_mb",
                "memory_usage_max_mb",
                "disk_io_mbps",
                "network_io_mbps",
            ]
        }
        ScenarioType::Ingested => Vec::new(),
        ScenarioType::Database => vec![
            "query_time_mean_ms",
            "query_time_p95_ms",
            "connection_time_ms",
            "row_count",
            "plan_cost",
        ],
    }
}

/// A metric key (`scenario.metric`, `*` wildcards in either part) names a scenario
/// of the config and a metric its kind records; the error says what was expected.
pub fn check_key(cfg: &Config, key: &str) -> Result<(), String> {
    let Some((scen, metric)) = key.split_once('.') else {
        return Err("expected `scenario.metric` (either part may be `*`)".into());
    };
    let scenarios: Vec<_> = cfg
        .test_scenarios
        .iter()
        .filter(|s| glob(scen, s.name()))
        .collect();
    if scenarios.is_empty() {
        let names: Vec<&str> = cfg.test_scenarios.iter().map(|s| s.name()).collect();
        return Err(format!(
            "names scenario {scen:?}, which is not in test_scenarios ({})",
            names.join(", ")
        ));
    }
    let all: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| known_metrics(s.kind()))
        .collect();
    if all.iter().any(|k| glob(metric, k)) {
        return Ok(());
    }
    let best = all
        .iter()
        .map(|k| (strsim::jaro_winkler(metric, k), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(s, _)| *s > 0.8)
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    Err(format!("names an unknown metric `{metric}`{best}"))
}

/// Whether a metric key (`scenario.metric`, `*` wildcards) matches a full metric name.
pub fn key_matches(key: &str, metric: &str) -> bool {
    let (ps, pm) = key.split_once('.').unwrap_or(("*", key));
    let (s, m) = metric.split_once('.').unwrap_or(("", metric));
    glob(ps, s) && glob(pm, m)
}

/// Parse and check every threshold of a config; errors name the key.
pub fn parse_all(cfg: &Config, file: &str) -> Result<Vec<Threshold>, ConfigError> {
    let err = |key: &str, message: String| ConfigError {
        file: file.to_string(),
        field: Some(format!("thresholds.{key}")),
        position: None,
        message,
    };
    let mut out = Vec::new();
    for (key, spec) in &cfg.thresholds {
        let (op, bound) = parse_expr(spec.expr()).ok_or_else(|| {
            err(
                key,
                format!(
                    "is {:?}; expected a comparison such as \"< 200\" or \">= 99.5\" (operators <, <=, >, >=)",
                    spec.expr()
                ),
            )
        })?;
        check_key(cfg, key).map_err(|m| err(key, m))?;
        out.push(Threshold {
            key: key.clone(),
            op,
            bound,
            abort_on_fail: spec.abort_on_fail(),
        });
    }
    Ok(out)
}

/// Check every threshold against a scenario's metrics.
pub fn evaluate(
    thresholds: &[Threshold],
    scenario: &str,
    metrics: &BTreeMap<String, f64>,
) -> Vec<ThresholdResult> {
    let mut v = Vec::new();
    for (short, &value) in metrics {
        let full = format!("{scenario}.{short}");
        for t in thresholds.iter().filter(|t| t.matches(&full)) {
            v.push(t.check(&full, value));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse() {
        assert_eq!(parse_expr("< 200"), Some((Op::Lt, 200.0)));
        assert_eq!(parse_expr("<=0.1"), Some((Op::Le, 0.1)));
        assert_eq!(parse_expr(" >= 99.5 "), Some((Op::Ge, 99.5)));
        assert_eq!(parse_expr("p(95)<500"), None);
        assert_eq!(parse_expr("< abc"), None);
        assert_eq!(parse_expr("= 3"), None);
    }

    #[test]
    fn wildcards_match_scenarios_and_metrics() {
        let t = Threshold {
            key: "*.error_rate_pct".into(),
            op: Op::Le,
            bound: 0.1,
            abort_on_fail: false,
        };
        assert!(t.matches("a.error_rate_pct") && t.matches("b.error_rate_pct"));
        assert!(!t.matches("a.throughput_rps"));
        assert!(!t.check("a.error_rate_pct", 0.2).passed);
        assert!(t.check("a.error_rate_pct", 0.1).passed);
    }
}
