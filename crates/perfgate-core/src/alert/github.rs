//! GitHub through octocrab: one pull-request comment, found again by a hidden
//! marker and updated in place; outside a PR, one issue per new regression.
//! GITHUB_API_URL points it at GitHub Enterprise (or a test server).

use serde_json::{Value, json};

use super::{
    ATTEMPTS, AlertContext, AlertItem, ChannelError, ChannelResult, Delivery, line, with_retry,
};
use crate::model::Severity;
use crate::outcome::RunOutcome;
use crate::report::markdown;

/// Hidden in the comment body so later runs find and update it.
pub const MARKER: &str = "<!-- perfgate:pr-comment -->";

/// The comment's marker: one comment per suite (`PERFGATE_SUITE`) on a pull
/// request, each updated in place by its own suite's runs.
pub fn marker() -> String {
    match std::env::var("PERFGATE_SUITE") {
        Ok(s) if !s.trim().is_empty() => {
            let s: String = s
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            format!("<!-- perfgate:pr-comment:{s} -->")
        }
        _ => MARKER.to_string(),
    }
}

fn describe(e: &octocrab::Error) -> ChannelError {
    ChannelError(match e {
        octocrab::Error::GitHub { source, .. } => format!("HTTP {}", source.status_code.as_u16()),
        octocrab::Error::Json { .. } | octocrab::Error::Serde { .. } => {
            "unreadable response".into()
        }
        _ => "request failed (connection refused, timeout or TLS)".into(),
    })
}

fn result(outcome: Delivery, detail: String) -> ChannelResult {
    ChannelResult {
        channel: "github".into(),
        outcome,
        detail,
    }
}

fn pr_number() -> Option<u64> {
    if let Some(n) = std::env::var("GITHUB_PR_NUMBER")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return Some(n);
    }
    // refs/pull/123/merge on pull_request events.
    let r = std::env::var("GITHUB_REF").ok()?;
    r.strip_prefix("refs/pull/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

fn comment_body(ctx: &AlertContext, all: &[AlertItem], o: &RunOutcome) -> String {
    let mut b = format!("{}\n{}", marker(), markdown::render(o));
    b += &format!(
        "\nEnvironment `{}`, commit `{}`, branch `{}`{}.\n",
        ctx.environment,
        markdown::cell(&ctx.commit),
        markdown::cell(&ctx.branch),
        ctx.run_url
            .as_ref()
            .map(|u| format!(", [run]({u})"))
            .unwrap_or_default()
    );
    if !all.is_empty() {
        b += "\n**Trends**\n\n";
        for i in all {
            b += &format!("- `{}`: {}\n", i.metric, markdown::cell(&i.trend));
        }
    }
    b
}

pub async fn send(
    ctx: &AlertContext,
    all: &[AlertItem],
    fresh: &[AlertItem],
    o: &RunOutcome,
) -> ChannelResult {
    let (Ok(token), Ok(repo)) = (
        std::env::var("GITHUB_TOKEN"),
        std::env::var("GITHUB_REPOSITORY"),
    ) else {
        return result(
            Delivery::Skipped,
            "not configured: GITHUB_TOKEN and GITHUB_REPOSITORY are needed".into(),
        );
    };
    if !repo.contains('/') {
        return result(
            Delivery::Skipped,
            "GITHUB_REPOSITORY must be owner/repo".into(),
        );
    }
    let base = std::env::var("GITHUB_API_URL").unwrap_or_else(|_| "https://api.github.com".into());
    let octo = match octocrab::Octocrab::builder()
        .base_uri(base.as_str())
        .map(|b| {
            b.personal_token(token)
                .set_connect_timeout(Some(ctx.timeout))
                .set_read_timeout(Some(ctx.timeout))
                .set_write_timeout(Some(ctx.timeout))
        })
        .and_then(|b| b.build())
    {
        Ok(o) => o,
        Err(_) => {
            return result(
                Delivery::Failed,
                "GITHUB_API_URL is not a usable base URL".into(),
            );
        }
    };
    match pr_number() {
        Some(pr) => pr_comment(&octo, &repo, pr, ctx, all, o).await,
        None => issues(&octo, &repo, ctx, fresh).await,
    }
}

/// On a pull request: one comment, edited in place on later runs.
async fn pr_comment(
    octo: &octocrab::Octocrab,
    repo: &str,
    pr: u64,
    ctx: &AlertContext,
    all: &[AlertItem],
    o: &RunOutcome,
) -> ChannelResult {
    let body = comment_body(ctx, all, o);
    let list = format!("/repos/{repo}/issues/{pr}/comments?per_page=100");
    let marker = marker();
    let found = with_retry(ATTEMPTS, ctx.timeout, || async {
        let v: Vec<Value> = octo
            .get(&list, None::<&()>)
            .await
            .map_err(|e| describe(&e))?;
        Ok(v.into_iter()
            .find(|c| c["body"].as_str().is_some_and(|b| b.contains(&marker)))
            .and_then(|c| c["id"].as_u64()))
    })
    .await;
    match found {
        Err(e) => result(
            Delivery::Failed,
            format!(
                "listing PR #{pr} comments: {} after {ATTEMPTS} attempts",
                e.0
            ),
        ),
        Ok(Some(id)) => {
            let route = format!("/repos/{repo}/issues/comments/{id}");
            match with_retry(ATTEMPTS, ctx.timeout, || async {
                octo.patch::<Value, _, _>(&route, Some(&json!({ "body": body })))
                    .await
                    .map_err(|e| describe(&e))
            })
            .await
            {
                Ok(_) => result(
                    Delivery::Updated,
                    format!("PR #{pr} comment {id} updated in place"),
                ),
                Err(e) => result(
                    Delivery::Failed,
                    format!("updating the PR comment: {} after {ATTEMPTS} attempts", e.0),
                ),
            }
        }
        Ok(None) if all.is_empty() => result(
            Delivery::Skipped,
            "no regressions and no earlier comment".into(),
        ),
        Ok(None) => {
            let route = format!("/repos/{repo}/issues/{pr}/comments");
            match with_retry(ATTEMPTS, ctx.timeout, || async {
                octo.post::<_, Value>(&route, Some(&json!({ "body": body })))
                    .await
                    .map_err(|e| describe(&e))
            })
            .await
            {
                Ok(_) => result(Delivery::Sent, format!("PR #{pr} comment created")),
                Err(e) => result(
                    Delivery::Failed,
                    format!("creating the PR comment: {} after {ATTEMPTS} attempts", e.0),
                ),
            }
        }
    }
}

/// Elsewhere: one issue per new alert group, listing its metrics.
async fn issues(
    octo: &octocrab::Octocrab,
    repo: &str,
    ctx: &AlertContext,
    fresh: &[AlertItem],
) -> ChannelResult {
    if fresh.is_empty() {
        return result(Delivery::Skipped, "nothing new to report".into());
    }
    let route = format!("/repos/{repo}/issues");
    let mut created = 0;
    // One issue per alert group, listing its metrics.
    for group in super::by_group(fresh) {
        let worst = group
            .iter()
            .map(|i| i.severity)
            .max()
            .unwrap_or(Severity::Low);
        let lines: String = group
            .iter()
            .map(|i| format!("- {}\n  rule: {}\n", line(i), i.rule))
            .collect();
        let body = json!({
            "title": format!("perfgate: {worst} {} ({})", super::group_title(&group), ctx.environment),
            "body": format!(
                "{MARKER}\n{lines}\nEnvironment `{}`, commit `{}`, branch `{}`, run #{}{}\n",
                ctx.environment, ctx.commit, ctx.branch, ctx.run_id,
                ctx.run_url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()
            ),
            "labels": ["performance"],
        });
        match with_retry(ATTEMPTS, ctx.timeout, || async {
            octo.post::<_, Value>(&route, Some(&body))
                .await
                .map_err(|e| describe(&e))
        })
        .await
        {
            Ok(_) => created += 1,
            Err(e) => {
                return result(
                    Delivery::Failed,
                    format!(
                        "creating an issue: {} after {ATTEMPTS} attempts ({created} created)",
                        e.0
                    ),
                );
            }
        }
    }
    result(Delivery::Sent, format!("{created} issue(s) created"))
}
