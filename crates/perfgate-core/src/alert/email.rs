//! Email through lettre over SMTP: STARTTLS (required off loopback, opportunistic
//! on it), optional auth, plain-text and HTML parts.

use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{
    ATTEMPTS, AlertContext, AlertItem, ChannelError, ChannelResult, Delivery, line, with_retry,
};
use crate::report::junit::xml_escape;

fn result(outcome: Delivery, detail: String) -> ChannelResult {
    ChannelResult {
        channel: "email".into(),
        outcome,
        detail,
    }
}

fn env(n: &str) -> Option<String> {
    std::env::var(n).ok().filter(|v| !v.trim().is_empty())
}

pub fn bodies(ctx: &AlertContext, items: &[AlertItem]) -> (String, String) {
    let mut text = format!(
        "perfgate found {} in run #{}.\nEnvironment: {}\nCommit: {}\nBranch: {}\nHost: {}\n{}\n",
        super::group_title(items),
        ctx.run_id,
        ctx.environment,
        ctx.commit,
        ctx.branch,
        ctx.host,
        ctx.run_url
            .as_ref()
            .map(|u| format!("Run: {u}\n"))
            .unwrap_or_default()
    );
    let mut rows = String::new();
    for i in items {
        text += &format!("- {}\n  rule: {}\n", line(i), i.rule);
        rows += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml_escape(&i.metric),
            xml_escape(i.severity.as_str()),
            crate::report::fmt_num(i.value),
            crate::report::fmt_num(i.baseline),
            xml_escape(&crate::metrics::change_label(i.change_pct)),
            xml_escape(&i.trend)
        );
    }
    let html = format!(
        "<!DOCTYPE html><html><body><h2>perfgate: {} regression(s) in run #{}</h2><p>Environment <b>{}</b>, commit <code>{}</code>, branch <code>{}</code>{}</p><table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>metric</th><th>severity</th><th>value</th><th>baseline</th><th>change</th><th>trend</th></tr>{rows}</table></body></html>",
        items.len(),
        ctx.run_id,
        xml_escape(&ctx.environment),
        xml_escape(&ctx.commit),
        xml_escape(&ctx.branch),
        ctx.run_url
            .as_ref()
            .map(|u| format!(", <a href=\"{0}\">{0}</a>", xml_escape(u)))
            .unwrap_or_default()
    );
    (text, html)
}

pub async fn send(ctx: &AlertContext, items: &[AlertItem]) -> ChannelResult {
    let (Some(server), Some(from), Some(to)) = (
        env("SMTP_SERVER"),
        env("SMTP_FROM_EMAIL"),
        env("ALERT_EMAIL_RECIPIENTS"),
    ) else {
        return result(
            Delivery::Skipped,
            "not configured: SMTP_SERVER, SMTP_FROM_EMAIL and ALERT_EMAIL_RECIPIENTS are needed"
                .into(),
        );
    };
    let port: u16 = match env("SMTP_PORT").map(|p| p.parse()) {
        None => 587,
        Some(Ok(p)) => p,
        Some(Err(_)) => return result(Delivery::Failed, "SMTP_PORT is not a port number".into()),
    };
    let Ok(from) = from.parse::<Mailbox>() else {
        return result(
            Delivery::Failed,
            "SMTP_FROM_EMAIL is not an email address".into(),
        );
    };
    let mut builder = Message::builder().from(from);
    for r in to.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        match r.parse::<Mailbox>() {
            Ok(m) => builder = builder.to(m),
            Err(_) => {
                return result(
                    Delivery::Failed,
                    "ALERT_EMAIL_RECIPIENTS holds an invalid address".into(),
                );
            }
        }
    }
    // One message per alert group.
    let mut msgs = Vec::new();
    for group in super::by_group(items) {
        let (text, html) = bodies(ctx, &group);
        let subject = format!(
            "[perfgate] {}, run #{} ({})",
            super::group_title(&group),
            ctx.run_id,
            ctx.environment
        );
        match builder
            .clone()
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
        {
            Ok(m) => msgs.push(m),
            Err(_) => return result(Delivery::Failed, "the message could not be built".into()),
        }
    }
    let _ = ContentType::TEXT_PLAIN;
    let loopback =
        matches!(server.as_str(), "localhost" | "127.0.0.1" | "::1") || server.starts_with("127.");
    let tls = match TlsParameters::new(server.clone()) {
        Ok(p) if loopback => Tls::Opportunistic(p),
        Ok(p) => Tls::Required(p),
        Err(_) => {
            return result(
                Delivery::Failed,
                "TLS parameters for SMTP_SERVER could not be built".into(),
            );
        }
    };
    let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.as_str())
        .port(port)
        .tls(tls)
        .timeout(Some(ctx.timeout));
    if let (Some(u), Some(p)) = (env("SMTP_USERNAME"), env("SMTP_PASSWORD")) {
        t = t.credentials(Credentials::new(u, p));
    }
    let transport = t.build();
    for (k, msg) in msgs.iter().enumerate() {
        let r = with_retry(ATTEMPTS, ctx.timeout, || async {
            transport.send(msg.clone()).await.map(|_| ()).map_err(|e| {
                // Kinds only: never the server's text, which may echo credentials.
                ChannelError(if e.is_permanent() {
                    "rejected by the SMTP server (bad credentials or recipient?)".into()
                } else if e.is_transient() {
                    "temporarily refused by the SMTP server".into()
                } else {
                    "SMTP connection failed".into()
                })
            })
        })
        .await;
        if let Err(e) = r {
            return result(
                Delivery::Failed,
                format!("{} after {ATTEMPTS} attempts ({k} message(s) sent)", e.0),
            );
        }
    }
    result(
        Delivery::Sent,
        format!(
            "{} message(s), {} regression(s) to {} recipient(s)",
            msgs.len(),
            items.len(),
            to.split(',').count()
        ),
    )
}
