//! Metric names, units and good directions (DESIGN.md contract).

use serde::{Deserialize, Serialize};

/// Which way is good for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Times, error rates, resources.
    Lower,
    /// Throughput.
    Higher,
}

impl Direction {
    /// Good direction from the metric's name: `_rps` / `throughput` are higher-is-better,
    /// everything else (`_ms`, `_pct`, `_mb`, `_bytes`, `_mbps`, counts, costs) lower.
    pub fn of(metric: &str) -> Direction {
        let base = metric.rsplit('.').next().unwrap_or(metric);
        if base.ends_with("_rps") || base.contains("throughput") || base.ends_with("_per_sec") {
            Direction::Higher
        } else {
            Direction::Lower
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lower" | "lower_is_better" | "down" => Some(Direction::Lower),
            "higher" | "higher_is_better" | "up" => Some(Direction::Higher),
            _ => None,
        }
    }

    /// +1 when an increase is bad, -1 when a decrease is bad.
    pub fn bad_sign(self) -> f64 {
        match self {
            Direction::Lower => 1.0,
            Direction::Higher => -1.0,
        }
    }
}

/// The smallest change of a metric that means anything, by its unit: one byte, one
/// row, one request, a microsecond. It floors the noise scale so that a metric
/// constant so far gets a finite z measured in these steps.
pub fn meaningful_step(metric: &str) -> f64 {
    match unit_of(metric) {
        "bytes" | "rows" | "requests" | "us" | "ns" => 1.0,
        "ms" => 0.001,
        "s" => 1e-6,
        "%" => 0.01,
        "MB" | "MB/s" => 1e-3,
        "req/s" => 0.01,
        _ => 0.0,
    }
}

/// Largest change percentage a judgement reports, either way: against a centre of
/// 0 every change is infinitely many percent, and JSON keeps only finite numbers.
pub const CHANGE_CAP: f64 = 1000.0;

/// A change percentage for people: `+6.7%`, or `>+1000%` at the cap (from a
/// centre of 0, an error rate that was nil, `+1000.0%` read as a measured figure).
pub fn change_label(change_pct: f64) -> String {
    if change_pct >= CHANGE_CAP {
        format!(">+{CHANGE_CAP:.0}%")
    } else if change_pct <= -CHANGE_CAP {
        format!("<-{CHANGE_CAP:.0}%")
    } else {
        format!("{change_pct:+.1}%")
    }
}

/// How far a value moved, for people: `z +3.21`, or the absolute change when the
/// baseline was constant (its z would only count the meaningful steps).
pub fn change_size(metric: &str, value: f64, centre: f64, std: f64, z: f64) -> String {
    if std > 0.0 {
        return format!("z {z:+.2}");
    }
    let unit = unit_of(metric);
    let d = value - centre;
    let num = |v: f64| {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let sign = if d >= 0.0 { "+" } else { "-" };
    format!(
        "{sign}{} {unit} from a constant {}",
        num(d.abs()),
        num(centre)
    )
    .replace("  ", " ")
}

/// Unit from the name suffix.
pub fn unit_of(metric: &str) -> &'static str {
    let base = metric.rsplit('.').next().unwrap_or(metric);
    for (suffix, unit) in [
        ("_ms", "ms"),
        ("_pct", "%"),
        ("_mbps", "MB/s"),
        ("_mb", "MB"),
        ("_bytes", "bytes"),
        ("_rps", "req/s"),
        ("_us", "us"),
        ("_ns", "ns"),
        ("_s", "s"),
    ] {
        if base.ends_with(suffix) {
            return unit;
        }
    }
    if base.ends_with("_requests") {
        return "requests";
    }
    match base {
        "row_count" => "rows",
        "plan_cost" => "cost",
        _ => "",
    }
}

pub fn metric_name(scenario: &str, metric: &str) -> String {
    format!("{scenario}.{metric}")
}

/// The scenario part of a full metric name.
pub fn scenario_of(metric: &str) -> &str {
    metric.split('.').next().unwrap_or(metric)
}

/// API scenario metric names, in report order.
pub const API_METRICS: [&str; 7] = [
    "response_time_mean_ms",
    "response_time_p50_ms",
    "response_time_p95_ms",
    "response_time_p99_ms",
    "error_rate_pct",
    "throughput_rps",
    "response_size_bytes",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_the_name() {
        assert_eq!(Direction::of("a.throughput_rps"), Direction::Higher);
        assert_eq!(Direction::of("a.response_time_p95_ms"), Direction::Lower);
        assert_eq!(Direction::of("sys.cpu_usage_pct"), Direction::Lower);
        assert_eq!(Direction::of("sys.network_io_mbps"), Direction::Lower);
        assert_eq!(Direction::of("bench.throughput"), Direction::Higher);
        assert_eq!(unit_of("sys.network_io_mbps"), "MB/s");
        assert_eq!(unit_of("sys.memory_usage_mb"), "MB");
    }

    #[test]
    fn a_change_past_the_cap_reads_as_past_it_not_as_a_measured_figure() {
        assert_eq!(change_label(CHANGE_CAP), ">+1000%");
        assert_eq!(change_label(-CHANGE_CAP), "<-1000%");
        assert_eq!(change_label(6.666), "+6.7%");
        assert_eq!(change_label(-0.04), "-0.0%");
    }
}
