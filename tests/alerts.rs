//! Alerts end to end: GitHub and Slack stood in for by local servers that record
//! what they receive, email through a real SMTP server (tests/common/smtp.rs).

mod common;
use common::smtp::Smtp;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "ghp_supersecrettoken123";
const SLACK_SECRET: &str = "hooksecret456";
const SMTP_PASS: &str = "smtp-pass-789";

#[derive(Default)]
struct Recorder {
    requests: Vec<(String, String, String, String)>, // method, path, authorization, body
    comments: Vec<(u64, String)>,
    slack_status: u16,
}

/// A recording stand-in for GitHub's REST API and a Slack webhook.
fn start_recorder(slack_status: u16) -> (String, Arc<Mutex<Recorder>>) {
    let rec = Arc::new(Mutex::new(Recorder {
        slack_status,
        ..Default::default()
    }));
    let (tx, rx) = std::sync::mpsc::channel();
    let r2 = rec.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let rec = r2.clone();
                tokio::spawn(async move {
                    let svc =
                        hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let rec = rec.clone();
                            async move {
                                let method = req.method().to_string();
                                let path = req
                                    .uri()
                                    .path_and_query()
                                    .map(|p| p.to_string())
                                    .unwrap_or_default();
                                let auth = req
                                    .headers()
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_string();
                                let body = String::from_utf8_lossy(
                                    &req.into_body().collect().await.unwrap().to_bytes(),
                                )
                                .into_owned();
                                let mut r = rec.lock().unwrap();
                                r.requests
                                    .push((method.clone(), path.clone(), auth, body.clone()));
                                let (status, out) = if path.starts_with("/slack/") {
                                    (r.slack_status, "ok".to_string())
                                } else if method == "GET" && path.contains("/comments") {
                                    let list: Vec<_> = r
                                        .comments
                                        .iter()
                                        .map(|(id, b)| serde_json::json!({"id": id, "body": b}))
                                        .collect();
                                    (200, serde_json::to_string(&list).unwrap())
                                } else if method == "POST" && path.ends_with("/comments") {
                                    let b: serde_json::Value = serde_json::from_str(&body).unwrap();
                                    let id = 100 + r.comments.len() as u64;
                                    r.comments
                                        .push((id, b["body"].as_str().unwrap().to_string()));
                                    (
                                        201,
                                        serde_json::json!({"id": id, "body": b["body"]})
                                            .to_string(),
                                    )
                                } else if method == "PATCH" && path.contains("/issues/comments/") {
                                    let id: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
                                    let b: serde_json::Value = serde_json::from_str(&body).unwrap();
                                    if let Some(c) = r.comments.iter_mut().find(|c| c.0 == id) {
                                        c.1 = b["body"].as_str().unwrap().to_string();
                                    }
                                    (
                                        200,
                                        serde_json::json!({"id": id, "body": b["body"]})
                                            .to_string(),
                                    )
                                } else {
                                    (404, "{\"message\": \"Not Found\"}".to_string())
                                };
                                let mut resp = Response::new(Full::new(Bytes::from(out)));
                                *resp.status_mut() = StatusCode::from_u16(status).unwrap();
                                resp.headers_mut()
                                    .insert("content-type", "application/json".parse().unwrap());
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv().unwrap();
    (format!("http://{addr}"), rec)
}

fn cfg(url: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "min_baseline_samples": 3, "detection": {{"baseline_window": 10}},
            "alerts": {{"throttle_minutes": 30, "environment": "staging"}},
            "test_scenarios": [{{"name": "checkout", "type": "api", "endpoint": "/health", "concurrent_users": 2, "duration": 0.5}}]}}"#
    )
}

fn perfgate(
    dir: &std::path::Path,
    github: &str,
    smtp_port: u16,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_PR_NUMBER", "7")
        .env("GITHUB_API_URL", github)
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{github}/slack/T000/B000/{SLACK_SECRET}"),
        )
        .env("SLACK_CHANNEL", "#perf")
        .env("SMTP_SERVER", "127.0.0.1")
        .env("SMTP_PORT", smtp_port.to_string())
        .env("SMTP_PASSWORD", SMTP_PASS)
        .env("SMTP_FROM_EMAIL", "perfgate@example.com")
        .env("ALERT_EMAIL_RECIPIENTS", "dev@example.com,ops@example.com")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn no_secrets(o: &std::process::Output, dir: &std::path::Path) {
    let mut all = format!("{}{}", stdout(o), stderr(o));
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path()
            .extension()
            .is_some_and(|x| x == "json" || x == "md")
        {
            all += &std::fs::read_to_string(e.path()).unwrap_or_default();
        }
    }
    for s in [TOKEN, SLACK_SECRET, SMTP_PASS] {
        assert!(!all.contains(s), "secret {s} leaked");
    }
}

fn establish(d: &std::path::Path, github: &str, port: u16) {
    let srv = DemoServer::start(&["--delay-ms", "1"]);
    write_config(d, "c.json", &cfg(&srv.url));
    for _ in 0..3 {
        let o = perfgate(
            d,
            github,
            port,
            &["--ci", "--config", "c.json", "--establish-baselines"],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
}

#[test]
fn one_message_per_channel_then_throttled_and_updated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (github, rec) = start_recorder(200);
    let smtp = Smtp::start();
    establish(d, &github, smtp.port);
    assert!(
        rec.lock().unwrap().requests.is_empty(),
        "establishing baselines alerts nobody"
    );
    let srv = DemoServer::start(&["--delay-ms", "12"]);
    write_config(d, "c.json", &cfg(&srv.url));
    let o = perfgate(
        d,
        &github,
        smtp.port,
        &["--ci", "--config", "c.json", "--output", "r1.json"],
    );
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    no_secrets(&o, d);
    assert!(
        stderr(&o).contains("ALERT [critical] checkout."),
        "console channel: {}",
        stderr(&o)
    );
    {
        let r = rec.lock().unwrap();
        let slack: Vec<_> = r
            .requests
            .iter()
            .filter(|x| x.1.starts_with("/slack/"))
            .collect();
        assert_eq!(slack.len(), 1, "one Slack message");
        let msg: serde_json::Value = serde_json::from_str(&slack[0].3).unwrap();
        assert_eq!(msg["channel"], "#perf");
        let text = msg.to_string();
        assert!(
            text.contains("checkout.response_time_p95_ms")
                && text.contains("critical")
                && text.contains("staging"),
            "{text}"
        );
        assert_eq!(r.comments.len(), 1, "one PR comment");
        assert!(
            r.comments[0]
                .1
                .contains(perfgate::engine::alert::github::MARKER)
        );
        assert!(r.comments[0].1.contains("checkout.response_time_p95_ms"));
        let gh: Vec<_> = r
            .requests
            .iter()
            .filter(|x| x.1.starts_with("/repos/"))
            .collect();
        assert!(
            gh.iter().all(|x| x.2.contains(TOKEN)),
            "GitHub requests are authenticated"
        );
        assert!(
            gh.iter()
                .all(|x| x.1.starts_with("/repos/acme/shop/issues/"))
        );
    }
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "one email");
    assert!(mails[0].contains("dev@example.com") && mails[0].contains("ops@example.com"));
    assert!(
        mails[0].contains("text/plain") && mails[0].contains("text/html"),
        "plain text and HTML parts"
    );
    assert!(mails[0].contains("checkout.response_time_p95_ms"));

    // Within the throttle window: nothing new on Slack or email, the PR comment updated in place.
    let o = perfgate(
        d,
        &github,
        smtp.port,
        &["--ci", "--config", "c.json", "--output", "r2.json"],
    );
    assert_eq!(code(&o), 1);
    no_secrets(&o, d);
    let r = rec.lock().unwrap();
    assert_eq!(
        r.requests
            .iter()
            .filter(|x| x.1.starts_with("/slack/"))
            .count(),
        1
    );
    assert_eq!(r.comments.len(), 1, "still one comment");
    assert_eq!(
        r.requests.iter().filter(|x| x.0 == "PATCH").count(),
        1,
        "updated in place"
    );
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn a_failing_channel_blocks_nothing_and_changes_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (github, rec) = start_recorder(500);
    let smtp = Smtp::start();
    establish(d, &github, smtp.port);
    let srv = DemoServer::start(&["--delay-ms", "12"]);
    write_config(d, "c.json", &cfg(&srv.url));
    let o = perfgate(
        d,
        &github,
        smtp.port,
        &["--ci", "--config", "c.json", "--output", "r.json"],
    );
    assert_eq!(code(&o), 1, "same exit code as without alerts");
    no_secrets(&o, d);
    let err = stderr(&o);
    assert_eq!(
        err.matches("alert channel slack failed").count(),
        1,
        "reported once: {err}"
    );
    assert!(err.contains("HTTP 500 after 3 attempts"), "{err}");
    let r = rec.lock().unwrap();
    assert_eq!(
        r.requests
            .iter()
            .filter(|x| x.1.starts_with("/slack/"))
            .count(),
        3,
        "retried a bounded number of times"
    );
    assert_eq!(r.comments.len(), 1, "GitHub still delivered");
    assert_eq!(smtp.messages().len(), 1, "email still delivered");
    assert!(err.contains("undelivered, will be sent again"), "{err}");
    drop(r);
    // Not logged as sent, so not throttled: the next run tries Slack again.
    let o = perfgate(d, &github, smtp.port, &["--ci", "--config", "c.json"]);
    assert_eq!(code(&o), 1);
    let slack = rec
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|x| x.1.starts_with("/slack/"))
        .count();
    assert_eq!(slack, 6, "the undelivered alert goes out again");
}

#[test]
fn alert_test_reports_each_channel() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (github, rec) = start_recorder(200);
    let o = perfgate(d, &github, 1, &["alert", "test", "--channel", "slack"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("slack    sent"), "{}", stdout(&o));
    assert_eq!(rec.lock().unwrap().requests.len(), 1);
    // Email to a port where nothing listens fails, clearly and without secrets.
    let o = perfgate(d, &github, 1, &["alert", "test", "--channel", "email"]);
    assert_eq!(code(&o), 3);
    assert!(stdout(&o).contains("email    failed"), "{}", stdout(&o));
    no_secrets(&o, d);
}

/// The console is a view over the same pipeline: a run started there with a confirmed
/// regression alerts GitHub and Slack exactly as `--ci` does.
#[cfg(feature = "tui")]
#[test]
fn a_run_started_in_the_console_alerts_like_ci() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (github, rec) = start_recorder(200);
    let smtp = Smtp::start();
    establish(d, &github, smtp.port);
    let srv = DemoServer::start(&["--delay-ms", "12"]);
    write_config(d, "c.json", &cfg(&srv.url));
    let env = format!(
        "GITHUB_TOKEN={TOKEN} GITHUB_REPOSITORY=acme/shop GITHUB_PR_NUMBER=7 GITHUB_API_URL={github} \
         SLACK_WEBHOOK_URL={github}/slack/T000/B000/{SLACK_SECRET} SMTP_SERVER=127.0.0.1 SMTP_PORT={} \
         SMTP_FROM_EMAIL=perfgate@example.com ALERT_EMAIL_RECIPIENTS=dev@example.com",
        smtp.port
    );
    let cmd = format!(
        "env -u GITHUB_ACTIONS {env} {} --config c.json; sleep 60",
        bin().display()
    );
    let t = common::tmux::Tmux::start(d, "alerts", &cmd);
    t.wait_for("No load is sent until you start a run", 20);
    t.keys("s");
    let s = t.wait_for("regression(s)", 60);
    t.wait_for("alert slack: sent", 30);
    let r = rec.lock().unwrap();
    let slack: Vec<_> = r
        .requests
        .iter()
        .filter(|x| x.1.starts_with("/slack/"))
        .collect();
    assert_eq!(slack.len(), 1, "one Slack message: {s}");
    assert!(slack[0].3.contains("checkout."), "{}", slack[0].3);
    assert!(
        r.requests
            .iter()
            .any(|x| x.1.starts_with("/repos/acme/shop/issues/7/comments")),
        "the PR comment is upserted"
    );
    assert_eq!(smtp.messages().len(), 1, "one email");
    drop(r);
    t.keys("q");
}
