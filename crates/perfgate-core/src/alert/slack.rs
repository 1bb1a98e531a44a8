//! Slack through an incoming webhook: a readable message with blocks per
//! regression (metric, baseline, change, severity) and a link to the run.

use serde_json::{Value, json};

use super::{
    ATTEMPTS, AlertContext, AlertItem, ChannelError, ChannelResult, Delivery, describe, with_retry,
};
use crate::report::fmt_num;

fn result(outcome: Delivery, detail: String) -> ChannelResult {
    ChannelResult {
        channel: "slack".into(),
        outcome,
        detail,
    }
}

pub fn message(ctx: &AlertContext, items: &[AlertItem]) -> Value {
    let icon = |s: &str| match s {
        "critical" => ":rotating_light:",
        "high" => ":red_circle:",
        "medium" => ":large_orange_circle:",
        _ => ":large_yellow_circle:",
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": format!("perfgate: {}, run #{}", super::group_title(items), ctx.run_id)}
    })];
    for i in items {
        blocks.push(json!({
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": format!("*Metric*\n`{}`", i.metric)},
                {"type": "mrkdwn", "text": format!("*Severity*\n{} {}", icon(i.severity.as_str()), i.severity)},
                {"type": "mrkdwn", "text": format!("*Value*\n{} (baseline {} ± {})", fmt_num(i.value), fmt_num(i.baseline), fmt_num(i.baseline_std))},
                {"type": "mrkdwn", "text": format!("*Change*\n{} ({}), trend {}", crate::metrics::change_label(i.change_pct), crate::metrics::change_size(&i.metric, i.value, i.baseline, i.baseline_std, i.z_score), i.trend)},
                {"type": "mrkdwn", "text": format!("*Suspect range*\n{}", i.suspect_range.as_deref().unwrap_or("n/a"))}
            ]
        }));
    }
    let link = ctx
        .run_url
        .as_ref()
        .map(|u| format!(" · <{u}|open the run>"))
        .unwrap_or_default();
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!(
            "env `{}` · commit `{}` · branch `{}` · host `{}`{link}",
            ctx.environment, &ctx.commit[..ctx.commit.len().min(12)], ctx.branch, ctx.host
        )}]
    }));
    let mut m = json!({
        "text": format!("perfgate: {}, run #{} ({})", super::group_title(items), ctx.run_id, ctx.environment),
        "blocks": blocks,
    });
    if let Ok(ch) = std::env::var("SLACK_CHANNEL")
        && !ch.is_empty()
    {
        m["channel"] = json!(ch);
    }
    m
}

pub async fn send(ctx: &AlertContext, items: &[AlertItem]) -> ChannelResult {
    let Ok(url) = std::env::var("SLACK_WEBHOOK_URL") else {
        return result(
            Delivery::Skipped,
            "not configured: SLACK_WEBHOOK_URL is unset".into(),
        );
    };
    let client = match reqwest::Client::builder()
        .connect_timeout(ctx.timeout)
        .timeout(ctx.timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => return result(Delivery::Failed, describe(&e).0),
    };
    let groups = super::by_group(items);
    for (k, group) in groups.iter().enumerate() {
        let body = message(ctx, group);
        let r = with_retry(ATTEMPTS, ctx.timeout, || async {
            let resp = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .map_err(|e| describe(&e))?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(ChannelError(format!("HTTP {}", resp.status().as_u16())))
            }
        })
        .await;
        if let Err(e) = r {
            return result(
                Delivery::Failed,
                format!("{} after {ATTEMPTS} attempts ({k} message(s) posted)", e.0),
            );
        }
    }
    result(
        Delivery::Sent,
        format!(
            "{} message(s), {} regression(s) posted",
            groups.len(),
            items.len()
        ),
    )
}
