//! Alerts that reach the right people once: console, GitHub, Slack and email, with
//! dedup and throttling persisted in the store and routing by severity.
//!
//! A failing channel never blocks the others and never changes the run's verdict:
//! each is retried a bounded number of times with backoff, then reported once.
//! Channel errors are described by kind (HTTP status, refused, timeout), never by
//! the underlying error text, which can carry URLs with secrets in them.

pub mod email;
pub mod github;
pub mod slack;

use serde::Serialize;
use std::time::Duration;

use crate::config::Config;
use crate::detect::Severity;
use crate::error::Result;
use crate::outcome::RunOutcome;
use crate::report::fmt_num;
use crate::store::Store;

pub use crate::config::alerts::{AlertConfig, CHANNELS};

/// One regression as the channels present it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertItem {
    pub metric: String,
    /// regression, improvement, threshold (or "test" for `perfgate alert test`).
    pub kind: String,
    pub severity: Severity,
    pub value: f64,
    pub baseline: f64,
    pub baseline_std: f64,
    pub change_pct: f64,
    pub z_score: f64,
    pub rule: String,
    pub trend: String,
    /// The alert group it belongs to.
    pub group: Option<i64>,
    /// `#12 (abc1234)..#13 (def5678)`: the last good and the first bad run.
    pub suspect_range: Option<String>,
}

/// Context every message carries (the seed's best practice).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertContext {
    pub run_id: i64,
    pub status: String,
    pub environment: String,
    pub commit: String,
    pub branch: String,
    pub host: String,
    pub run_url: Option<String>,
    /// Deadline of each attempt (`alerts.timeout_seconds`).
    pub timeout: Duration,
}

/// What a channel did with a run's alerts.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Delivered.
    Sent,
    /// An earlier message (a PR comment) was edited in place.
    Updated,
    /// Not configured, or nothing to say.
    Skipped,
    /// Tried and failed; the alerts are sent again next run.
    Failed,
}

impl Delivery {
    /// As printed and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Updated => "updated",
            Delivery::Skipped => "skipped",
            Delivery::Failed => "failed",
        }
    }

    /// Whether the alerts reached someone.
    pub fn delivered(self) -> bool {
        matches!(self, Delivery::Sent | Delivery::Updated)
    }
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What happened on one channel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelResult {
    pub channel: String,
    pub outcome: Delivery,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AlertSummary {
    /// The console channel's lines; the front-end shows them (stderr, or the event log).
    pub console: Vec<String>,
    pub sent: Vec<String>,
    /// Alerts a routed channel failed to deliver: not logged, sent again next run.
    pub undelivered: Vec<String>,
    pub suppressed: Vec<String>,
    pub channels: Vec<ChannelResult>,
}

/// A channel failure described without secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelError(pub String);

/// Describe a reqwest error by kind only: its Display may include the URL.
pub fn describe(e: &reqwest::Error) -> ChannelError {
    ChannelError(if let Some(s) = e.status() {
        format!("HTTP {}", s.as_u16())
    } else if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else if e.is_decode() {
        "unreadable response".into()
    } else {
        "request failed".into()
    })
}

/// Retry an operation with exponential backoff, a bounded number of times, each
/// attempt within `deadline`: a peer that accepts and never answers costs one deadline.
pub async fn with_retry<T, F, Fut>(
    attempts: u32,
    deadline: Duration,
    mut op: F,
) -> std::result::Result<T, ChannelError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, ChannelError>>,
{
    let mut delay = Duration::from_millis(200);
    let mut last = ChannelError("not attempted".into());
    for i in 0..attempts.max(1) {
        match tokio::time::timeout(deadline, op()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => last = e,
            Err(_) => {
                last = ChannelError(format!(
                    "no answer within {} s",
                    fmt_num(deadline.as_secs_f64())
                ))
            }
        }
        if i + 1 < attempts {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    Err(last)
}

pub const ATTEMPTS: u32 = 3;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The run's link: configured, else the GitHub Actions run page.
fn run_url(cfg: &AlertConfig) -> Option<String> {
    cfg.run_url.clone().or_else(|| {
        Some(format!(
            "{}/{}/actions/runs/{}",
            env("GITHUB_SERVER_URL")?,
            env("GITHUB_REPOSITORY")?,
            env("GITHUB_RUN_ID")?
        ))
    })
}

pub fn context(cfg: &AlertConfig, o: &RunOutcome) -> AlertContext {
    AlertContext {
        run_id: o.run_id,
        status: o.status.to_string(),
        environment: cfg
            .environment
            .clone()
            .or_else(|| env("PERFGATE_ENV"))
            .unwrap_or_else(|| "default".into()),
        commit: o.commit.clone().unwrap_or_else(|| "-".into()),
        branch: o.branch.clone().unwrap_or_else(|| "-".into()),
        host: o.host.clone(),
        run_url: run_url(cfg),
        timeout: Duration::from_secs_f64(cfg.timeout_seconds),
    }
}

/// Items by alert group, in order of first appearance: each channel sends one
/// message per group (an item without a group is a group of its own).
pub fn by_group(items: &[AlertItem]) -> Vec<Vec<AlertItem>> {
    let mut out: Vec<(Option<i64>, Vec<AlertItem>)> = Vec::new();
    for i in items {
        match out.iter_mut().find(|(g, _)| g.is_some() && *g == i.group) {
            Some((_, v)) => v.push(i.clone()),
            None => out.push((i.group, vec![i.clone()])),
        }
    }
    out.into_iter().map(|(_, v)| v).collect()
}

/// A group's title: `3 regression(s) in checkout (group g7)`.
pub fn group_title(items: &[AlertItem]) -> String {
    let scenario = items
        .first()
        .map(|i| i.metric.split('.').next().unwrap_or(&i.metric))
        .unwrap_or("");
    let group = items
        .first()
        .and_then(|i| i.group)
        .map(|g| format!(" (group g{g})"))
        .unwrap_or_default();
    format!("{} regression(s) in {scenario}{group}", items.len())
}

/// Plain-text lines for an item (console, email).
pub fn line(i: &AlertItem) -> String {
    format!(
        "[{}] {} {}: {} vs baseline {} ± {} ({}, {}), trend {}{}",
        i.severity,
        i.metric,
        i.kind,
        fmt_num(i.value),
        fmt_num(i.baseline),
        fmt_num(i.baseline_std),
        crate::metrics::change_label(i.change_pct),
        crate::metrics::change_size(&i.metric, i.value, i.baseline, i.baseline_std, i.z_score),
        i.trend,
        i.suspect_range
            .as_ref()
            .map(|r| format!(", since {r}"))
            .unwrap_or_default()
    )
}

fn items(st: &dyn Store, cfg: &Config, o: &RunOutcome) -> Vec<AlertItem> {
    o.regressions
        .iter()
        .filter(|r| r.fails_build())
        .map(|r| {
            let trend = crate::inspect::baseline_view(st, cfg, &r.metric)
                .ok()
                .and_then(|v| v.trend)
                .map(|t| t.short())
                .unwrap_or_else(|| "n/a".into());
            AlertItem {
                metric: r.metric.clone(),
                kind: r.kind.to_string(),
                severity: r.severity,
                value: r.value,
                baseline: r.baseline_mean,
                baseline_std: r.baseline_std,
                change_pct: r.change_pct,
                z_score: r.z_score,
                rule: r.rule.clone(),
                trend,
                group: r.group,
                suspect_range: r.suspect_range.as_ref().map(|s| s.describe()),
            }
        })
        .collect()
}

/// The throttle rule: within the window a metric alerts again only when its severity
/// rose above every severity already sent for it (noise between two bands is no news).
fn throttled(sent: &[String], severity: Severity) -> bool {
    sent.iter()
        .any(|s| Severity::parse(s).is_some_and(|s| s >= severity))
}

fn routed(cfg: &AlertConfig, severity: Severity, channel: &str) -> bool {
    cfg.channels.iter().any(|c| c == channel)
        && cfg
            .routing
            .get(severity.as_str())
            .is_none_or(|chs| chs.iter().any(|c| c == channel))
}

/// A channel's delivery, cut off at the run's alert budget.
async fn within(
    budget: Duration,
    channel: &str,
    delivery: impl std::future::Future<Output = ChannelResult>,
) -> ChannelResult {
    match tokio::time::timeout(budget, delivery).await {
        Ok(r) => r,
        Err(_) => ChannelResult {
            channel: channel.into(),
            outcome: Delivery::Failed,
            detail: format!(
                "not delivered within the {} s alert budget (alerts.budget_seconds)",
                fmt_num(budget.as_secs_f64())
            ),
        },
    }
}

/// Send the run's regressions through the configured channels. Never fails the run:
/// problems are returned in the summary and printed once by the caller.
pub async fn dispatch(st: &mut dyn Store, cfg: &Config, o: &RunOutcome) -> Result<AlertSummary> {
    let ac = &cfg.alerts;
    let mut summary = AlertSummary::default();
    if !ac.enabled || !cfg.enable_alerts {
        return Ok(summary);
    }
    let ctx = context(ac, o);
    let all = items(st, cfg, o);
    let now = chrono::Utc::now().timestamp();
    let since_throttle = now - (ac.throttle_minutes as i64) * 60;
    let mut budget = ac
        .max_alerts_per_hour
        .saturating_sub(st.alerts_sent_since(now - 3600)?);
    let mut fresh: Vec<AlertItem> = Vec::new();
    for i in &all {
        if throttled(
            &st.severities_sent_since(&i.metric, since_throttle)?,
            i.severity,
        ) {
            summary.suppressed.push(format!(
                "{} ({}): sent within {} min",
                i.metric, i.severity, ac.throttle_minutes
            ));
        } else if budget == 0 {
            summary.suppressed.push(format!(
                "{} ({}): max_alerts_per_hour reached",
                i.metric, i.severity
            ));
        } else {
            budget -= 1;
            fresh.push(i.clone());
        }
    }
    let for_channel = |ch: &str| -> Vec<AlertItem> {
        fresh
            .iter()
            .filter(|i| routed(ac, i.severity, ch))
            .cloned()
            .collect()
    };

    // Console: always on in --ci, for every fresh alert routed to it.
    let console = for_channel("console");
    for i in &console {
        summary.console.push(format!(
            "ALERT {} env={} commit={} branch={} run=#{}",
            line(i),
            ctx.environment,
            &ctx.commit[..ctx.commit.len().min(10)],
            ctx.branch,
            ctx.run_id
        ));
    }
    if !console.is_empty() {
        summary.channels.push(ChannelResult {
            channel: "console".into(),
            outcome: Delivery::Sent,
            detail: format!("{} alert(s)", console.len()),
        });
    }

    // The three remote channels run concurrently; none waits on another's failure.
    let gh_items = for_channel("github");
    let want_gh = ac.channels.iter().any(|c| c == "github");
    let slack_items = for_channel("slack");
    let email_items = for_channel("email");
    // The remote channels run at once, each within the run's delivery budget: one
    // channel that hangs neither delays the others nor holds up the exit.
    let budget = Duration::from_secs_f64(ac.budget_seconds);
    let none = || async { None::<ChannelResult> };
    let (gh, sl, em) = tokio::join!(
        async {
            // The PR comment is a status: refreshed on every run, throttled or not.
            if want_gh {
                Some(within(budget, "github", github::send(&ctx, &all, &gh_items, o)).await)
            } else {
                none().await
            }
        },
        async {
            if slack_items.is_empty() {
                none().await
            } else {
                Some(within(budget, "slack", slack::send(&ctx, &slack_items)).await)
            }
        },
        async {
            if email_items.is_empty() {
                none().await
            } else {
                Some(within(budget, "email", email::send(&ctx, &email_items)).await)
            }
        },
    );
    summary.channels.extend([gh, sl, em].into_iter().flatten());
    let delivered: Vec<String> = summary
        .channels
        .iter()
        .filter(|c| c.outcome.delivered())
        .map(|c| c.channel.clone())
        .collect();
    let failed: Vec<&str> = summary
        .channels
        .iter()
        .filter(|c| c.outcome == Delivery::Failed)
        .map(|c| c.channel.as_str())
        .collect();
    for i in &fresh {
        // Logged as sent only when every channel it was routed to took it: an alert
        // a channel failed to deliver is not throttled, so the next run sends it again.
        if failed.iter().any(|ch| routed(ac, i.severity, ch)) {
            summary.undelivered.push(i.metric.clone());
            continue;
        }
        st.record_alert_sent(
            &i.metric,
            i.severity.as_str(),
            &delivered.join(","),
            o.run_id,
            now,
        )?;
        summary.sent.push(i.metric.clone());
    }
    Ok(summary)
}

/// `perfgate alert test`: one test alert through each configured channel.
pub async fn test(cfg: &Config, only: Option<&str>) -> Vec<ChannelResult> {
    let ac = &cfg.alerts;
    let (commit, branch) = crate::host::git_info();
    let o = RunOutcome {
        commit,
        branch,
        host: crate::host::host_name(),
        ..RunOutcome::empty(0, crate::model::Verdict::Pass, cfg.fingerprint())
    };
    let ctx = context(ac, &o);
    let item = AlertItem {
        metric: "perfgate.test_alert_ms".into(),
        kind: "test".into(),
        severity: Severity::Low,
        value: 1.0,
        baseline: 1.0,
        baseline_std: 0.0,
        change_pct: 0.0,
        z_score: 0.0,
        rule: "a test alert from `perfgate alert test`".into(),
        trend: "n/a".into(),
        group: None,
        suspect_range: None,
    };
    let mut out = Vec::new();
    for ch in CHANNELS.iter().filter(|c| only.is_none_or(|o| o == **c)) {
        out.push(match *ch {
            "console" => {
                eprintln!("ALERT {}", line(&item));
                ChannelResult {
                    channel: "console".into(),
                    outcome: Delivery::Sent,
                    detail: "printed to stderr".into(),
                }
            }
            "github" => {
                github::send(
                    &ctx,
                    std::slice::from_ref(&item),
                    std::slice::from_ref(&item),
                    &o,
                )
                .await
            }
            "slack" => slack::send(&ctx, std::slice::from_ref(&item)).await,
            _ => email::send(&ctx, std::slice::from_ref(&item)).await,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_defaults_send_low_to_the_console_only() {
        let c = AlertConfig::default();
        assert!(routed(&c, Severity::Low, "console"));
        assert!(!routed(&c, Severity::Low, "slack"));
        assert!(routed(&c, Severity::Critical, "email") && routed(&c, Severity::Critical, "slack"));
        assert!(!routed(&c, Severity::Medium, "email"));
    }

    #[test]
    fn throttle_lets_only_an_escalation_through() {
        let sent = vec!["high".to_string()];
        assert!(throttled(&sent, Severity::High));
        assert!(
            throttled(&sent, Severity::Medium),
            "a milder repeat is no news"
        );
        assert!(
            !throttled(&sent, Severity::Critical),
            "an escalation goes out"
        );
        assert!(!throttled(&[], Severity::Low));
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let mut calls = 0;
        let r: std::result::Result<(), ChannelError> =
            with_retry(3, Duration::from_secs(1), || {
                calls += 1;
                async { Err(ChannelError("HTTP 500".into())) }
            })
            .await;
        assert_eq!(calls, 3);
        assert_eq!(r.unwrap_err().0, "HTTP 500");
    }

    #[test]
    fn one_message_per_group_listing_its_metrics() {
        let item = |metric: &str, group: i64| AlertItem {
            metric: metric.into(),
            kind: "regression".into(),
            severity: Severity::High,
            value: 2.0,
            baseline: 1.0,
            baseline_std: 0.1,
            change_pct: 100.0,
            z_score: 10.0,
            rule: "r".into(),
            trend: "n/a".into(),
            group: Some(group),
            suspect_range: Some("#3 (abc)..#4 (def)".into()),
        };
        let items = [
            item("checkout.response_time_p95_ms", 7),
            item("search.response_time_p95_ms", 9),
            item("checkout.throughput_rps", 7),
        ];
        let groups = by_group(&items);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), 2);
        assert_eq!(
            group_title(&groups[0]),
            "2 regression(s) in checkout (group g7)"
        );
        assert!(line(&items[0]).contains("since #3 (abc)..#4 (def)"));
    }
}
