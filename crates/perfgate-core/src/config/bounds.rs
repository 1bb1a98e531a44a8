//! Limits checked at load, so a config never asks for more than the process can do:
//! every number that sizes an allocation, a loop or a wait is bounded here, and URLs
//! are parsed here rather than at run time.

use super::{Config, ScenarioConfig};

/// Longest duration, warm-up or ramp-up a scenario may ask for: 7 days.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// Longest per-request or per-query timeout: one hour.
const MAX_TIMEOUT: f64 = 3600.0;
/// Most database iterations in one scenario.
const MAX_ITERATIONS: u64 = 100_000_000;
/// File descriptors kept for the store, logs, the terminal and the runtime.
const FD_RESERVE: u64 = 64;

type Bad = (&'static str, String);

/// `http://` or `https://` with a host, parsed as the load engine will parse it.
pub fn url(u: &str) -> Result<(), String> {
    let expected =
        "expected an http:// or https:// URL with a host, such as \"http://localhost:8000\"";
    let uri: hyper::Uri = u
        .parse()
        .map_err(|e| format!("is {u:?}, which is not a URL ({e}); {expected}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(h)) if !h.is_empty() => Ok(()),
        (Some("http" | "https"), _) => Err(format!("is {u:?}, which has no host; {expected}")),
        _ => Err(format!("is {u:?}; {expected}")),
    }
}

/// Open files this process may hold (the soft RLIMIT_NOFILE), from /proc on Linux.
pub fn fd_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(1024)
}

/// Connections a scenario may open: one descriptor each, within the process's limit.
fn connections(field: &'static str, n: u64) -> Result<(), Bad> {
    let limit = fd_limit().saturating_sub(FD_RESERVE).max(1);
    if n > limit {
        return Err((
            field,
            format!(
                "is {n}, more connections than this process can open (file-descriptor limit {}); expected at most {limit}, or raise `ulimit -n`",
                fd_limit()
            ),
        ));
    }
    Ok(())
}

fn seconds(field: &'static str, v: Option<f64>, max: f64) -> Result<(), Bad> {
    match v {
        Some(v) if v.is_finite() && v > max => Err((
            field,
            format!(
                "is {v} seconds; expected at most {max} ({:.0} hours)",
                max / 3600.0
            ),
        )),
        _ => Ok(()),
    }
}

pub fn global(c: &Config) -> Result<(), Bad> {
    seconds("test_duration", Some(c.test_duration), MAX_SECONDS)?;
    for (field, v) in [
        ("alerts.timeout_seconds", c.alerts.timeout_seconds),
        ("alerts.budget_seconds", c.alerts.budget_seconds),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err((
                field,
                format!("is {v}; expected a positive number of seconds"),
            ));
        }
        seconds(field, Some(v), MAX_TIMEOUT)?;
    }
    connections("concurrent_users", u64::from(c.concurrent_users))
}

pub fn scenario(s: &ScenarioConfig) -> Result<(), Bad> {
    seconds("duration", s.duration(), MAX_SECONDS)?;
    match s {
        ScenarioConfig::Api(a) => {
            seconds("warmup", a.warmup, MAX_SECONDS)?;
            seconds("ramp_up", a.ramp_up, MAX_SECONDS)?;
            seconds("timeout", a.timeout, MAX_TIMEOUT)?;
            if let Some(n) = a.concurrent_users {
                connections("concurrent_users", u64::from(n))?;
            }
            if let Some(n) = a.max_in_flight {
                connections("max_in_flight", u64::from(n))?;
            }
        }
        ScenarioConfig::Database(d) => {
            seconds("timeout", d.timeout, MAX_TIMEOUT)?;
            if let Some(n) = d.concurrency {
                connections("concurrency", u64::from(n))?;
            }
            if let Some(n) = d.iterations
                && n > MAX_ITERATIONS
            {
                return Err((
                    "iterations",
                    format!("is {n}; expected at most {MAX_ITERATIONS}"),
                ));
            }
        }
        ScenarioConfig::System(sys) => {
            if let Some(ms) = sys.interval_ms
                && ms as f64 > MAX_SECONDS * 1000.0
            {
                return Err((
                    "interval_ms",
                    format!("is {ms}; expected at most {}", MAX_SECONDS * 1000.0),
                ));
            }
        }
        ScenarioConfig::Ingested(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(url("http://localhost:8000").is_ok());
        assert!(url("https://example.com/base").is_ok());
        assert!(url("http://").unwrap_err().contains("http://"));
        assert!(url("ftp://x").is_err());
        assert!(url("localhost:8000").is_err());
    }

    #[test]
    fn connections_are_bounded_by_the_descriptor_limit() {
        assert!(connections("concurrent_users", 1).is_ok());
        let e = connections("concurrent_users", 1_000_000_000).unwrap_err();
        assert!(e.1.contains("file-descriptor limit"), "{}", e.1);
    }
}
