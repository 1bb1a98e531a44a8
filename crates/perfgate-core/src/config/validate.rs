//! Config validation after parsing: every rule names its field and what it expected.
//! One function per part of the config (settings, detection, alerts, and each kind of
//! scenario) so each reads on its own.

use super::{
    ApiScenario, Config, DatabaseScenario, HTTP_METHODS, ProcessRef, SYSTEM_METRICS,
    ScenarioConfig, SystemScenario, bounds, system_metric_key,
};

/// (field, what was expected)
pub type Invalid = (String, String);

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

pub fn settings(c: &Config) -> Result<(), Invalid> {
    bounds::url(&c.base_url).map_err(|m| ("base_url".to_string(), m))?;
    bounds::global(c).map_err(|(field, m)| (field.to_string(), m))?;
    if !positive(c.test_duration) {
        return Err((
            "test_duration".into(),
            "must be a positive number of seconds".into(),
        ));
    }
    if c.shards == 0 {
        return Err(("shards".into(), "must be at least 1".into()));
    }
    if c.concurrent_users == 0 {
        return Err(("concurrent_users".into(), "must be at least 1".into()));
    }
    if !(c.regression_threshold.is_finite() && c.regression_threshold >= 0.0) {
        return Err((
            "regression_threshold".into(),
            "must be a percentage >= 0".into(),
        ));
    }
    if c.min_baseline_samples < 2 {
        return Err(("min_baseline_samples".into(), "must be at least 2".into()));
    }
    if !positive(c.outlier_threshold) {
        return Err((
            "outlier_threshold".into(),
            "must be a positive number of standard deviations".into(),
        ));
    }
    if c.trend_window_days == 0 {
        return Err(("trend_window_days".into(), "must be at least 1 day".into()));
    }
    if !(c.baseline_update_threshold.is_finite() && c.baseline_update_threshold > 0.0) {
        return Err((
            "baseline_update_threshold".into(),
            "must be a positive fraction such as 0.15".into(),
        ));
    }
    if c.tracking_db.trim().is_empty() {
        return Err((
            "tracking_db".into(),
            "is empty; expected a file path for the SQLite store".into(),
        ));
    }
    Ok(())
}

pub fn detection(c: &Config) -> Result<(), Invalid> {
    let d = &c.detection;
    if !positive(d.z_threshold) {
        return Err((
            "detection.z_threshold".into(),
            "must be a positive number".into(),
        ));
    }
    if d.persistence == 0 || d.persistence > 10 {
        return Err((
            "detection.persistence".into(),
            "must be between 1 and 10".into(),
        ));
    }
    if !(d.min_change_pct.is_finite() && d.min_change_pct >= 0.0) {
        return Err((
            "detection.min_change_pct".into(),
            "must be a percentage >= 0".into(),
        ));
    }
    if d.baseline_window < c.min_baseline_samples {
        return Err((
            "detection.baseline_window".into(),
            format!(
                "is {}; expected at least min_baseline_samples ({})",
                d.baseline_window, c.min_baseline_samples
            ),
        ));
    }
    if d.confirm_reruns > 5 {
        return Err((
            "detection.confirm_reruns".into(),
            "must be between 0 and 5".into(),
        ));
    }
    Ok(())
}

pub fn alerts(c: &Config) -> Result<(), Invalid> {
    for (i, ch) in c.alerts.channels.iter().enumerate() {
        if !super::alerts::CHANNELS.contains(&ch.as_str()) {
            return Err((
                format!("alerts.channels[{i}]"),
                format!("is {ch:?}; expected one of console, github, slack, email"),
            ));
        }
    }
    for (sev, chs) in &c.alerts.routing {
        if crate::model::Severity::parse(sev).is_none() {
            return Err((
                format!("alerts.routing.{sev}"),
                "is not a severity; expected low, medium, high or critical".into(),
            ));
        }
        if let Some(ch) = chs
            .iter()
            .find(|c| !super::alerts::CHANNELS.contains(&c.as_str()))
        {
            return Err((
                format!("alerts.routing.{sev}"),
                format!("names channel {ch:?}; expected console, github, slack or email"),
            ));
        }
    }
    if c.alerts.max_alerts_per_hour == 0 {
        return Err((
            "alerts.max_alerts_per_hour".into(),
            "must be at least 1 (set alerts.enabled to false to turn alerts off)".into(),
        ));
    }
    Ok(())
}

/// `detection_overrides`: keys name metrics as thresholds do; values in the ranges
/// of `detection`.
pub fn overrides(c: &Config) -> Result<(), Invalid> {
    for (key, o) in &c.detection_overrides {
        let f = |k: &str| format!("detection_overrides.{key}.{k}");
        super::threshold::check_key(c, key)
            .map_err(|m| (format!("detection_overrides.{key}"), m))?;
        if let Some(z) = o.z_threshold
            && !positive(z)
        {
            return Err((f("z_threshold"), "must be a positive number".into()));
        }
        if let Some(p) = o.persistence
            && !(1..=10).contains(&p)
        {
            return Err((f("persistence"), "must be between 1 and 10".into()));
        }
        if let Some(m) = o.min_change_pct
            && !(m.is_finite() && m >= 0.0)
        {
            return Err((f("min_change_pct"), "must be a percentage >= 0".into()));
        }
    }
    Ok(())
}

/// One scenario, `i` its index in `test_scenarios`; `seen` the names before it.
/// (Which keys a kind takes, and which it requires, serde has already checked.)
pub fn scenario<'a>(
    c: &'a Config,
    i: usize,
    s: &'a ScenarioConfig,
    seen: &mut std::collections::HashSet<&'a str>,
) -> Result<(), Invalid> {
    let f = |k: &str| format!("test_scenarios[{i}].{k}");
    bounds::scenario(s).map_err(|(field, m)| (f(field), m))?;
    let name = s.name();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err((
            f("name"),
            format!(
                "is {name:?}; expected a non-empty name of letters, digits, '_' or '-' (it prefixes metric names)"
            ),
        ));
    }
    if !seen.insert(name) {
        return Err((
            f("name"),
            format!("{name:?} is used twice; expected unique scenario names"),
        ));
    }
    if let Some(v) = s.duration()
        && !positive(v)
    {
        return Err((f("duration"), "must be a positive number of seconds".into()));
    }
    match s {
        ScenarioConfig::Api(a) => api(c, a, &f),
        ScenarioConfig::System(sys) => system(c, sys, &f),
        ScenarioConfig::Database(d) => database(d, &f),
        ScenarioConfig::Ingested(_) => Err((
            f("type"),
            "\"ingested\" is only for `perfgate ingest`; expected \"api\", \"system\" or \"database\"".into(),
        )),
    }
}

fn api(c: &Config, s: &ApiScenario, f: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    if let Some(v) = s.timeout
        && !positive(v)
    {
        return Err((f("timeout"), "must be a positive number of seconds".into()));
    }
    let duration = s.duration.unwrap_or(c.test_duration);
    if let Some(v) = s.warmup
        && !(v.is_finite() && v >= 0.0 && v < duration)
    {
        return Err((
            f("warmup"),
            "must be >= 0 seconds and shorter than the scenario's duration".into(),
        ));
    }
    if let Some(r) = s.rate
        && !(r.is_finite() && r > 0.0 && r <= 10_000_000.0)
    {
        return Err((
            f("rate"),
            "must be a positive number of requests per second".into(),
        ));
    }
    if (s.arrival.is_some() || s.ramp_up.is_some()) && s.rate.is_none() {
        return Err((
            f(if s.arrival.is_some() {
                "arrival"
            } else {
                "ramp_up"
            }),
            "needs `rate` (open-loop mode)".into(),
        ));
    }
    if let Some(v) = s.ramp_up
        && !(v.is_finite() && v >= 0.0 && v < duration)
    {
        return Err((
            f("ramp_up"),
            "must be >= 0 seconds and shorter than the scenario's duration".into(),
        ));
    }
    if s.max_in_flight == Some(0) {
        return Err((f("max_in_flight"), "must be at least 1".into()));
    }
    if s.concurrent_users == Some(0) {
        return Err((f("concurrent_users"), "must be at least 1".into()));
    }
    if let Some(t) = s.threads
        && !(1..=1024).contains(&t)
    {
        return Err((f("threads"), format!("is {t}; expected between 1 and 1024")));
    }
    if let Some(m) = &s.method
        && !HTTP_METHODS.contains(&m.to_ascii_uppercase().as_str())
    {
        return Err((
            f("method"),
            format!("is {m:?}; expected one of {}", HTTP_METHODS.join(", ")),
        ));
    }
    if let Some(ep) = &s.endpoint
        && !ep.starts_with('/')
    {
        return Err((
            f("endpoint"),
            format!("is {ep:?}; expected a path starting with '/'"),
        ));
    }
    if let Some(h) = &s.headers {
        for (k, v) in h {
            if hyper::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                || hyper::header::HeaderValue::from_str(v).is_err()
            {
                return Err((
                    f(&format!("headers.{k}")),
                    "is not a valid HTTP header name/value".into(),
                ));
            }
        }
    }
    Ok(())
}

fn system(c: &Config, s: &SystemScenario, f: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    if let Some(ms) = &s.metrics {
        for m in ms {
            if system_metric_key(m).is_none() {
                return Err((
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
        match c.test_scenarios.iter().find(|o| o.name() == d) {
            Some(ScenarioConfig::Api(_) | ScenarioConfig::Database(_)) => {}
            Some(_) => {
                return Err((
                    f("during"),
                    format!("names {d:?}, a system scenario; expected an api or database scenario"),
                ));
            }
            None => {
                return Err((
                    f("during"),
                    format!("names {d:?}, which is not in test_scenarios"),
                ));
            }
        }
    }
    if let Some(ProcessRef::Name(n)) = &s.process
        && n.trim().is_empty()
    {
        return Err((
            f("process"),
            "is empty; expected a process name or pid".into(),
        ));
    }
    if s.interval_ms == Some(0) {
        return Err((f("interval_ms"), "must be at least 1".into()));
    }
    Ok(())
}

fn database(s: &DatabaseScenario, f: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    if s.query.trim().is_empty() {
        return Err((f("query"), "is empty; expected an SQL query".into()));
    }
    if s.connection_string.is_empty() {
        return Err((
            f("connection_string"),
            "is empty; expected a database URL".into(),
        ));
    }
    if s.iterations == Some(0) {
        return Err((f("iterations"), "must be at least 1".into()));
    }
    Ok(())
}
