//! Nothing can hang a CI job: alert channels that accept and never answer (or stall,
//! or close mid-answer) end within their deadlines and name themselves; SIGTERM during
//! delivery ends the process promptly with the run stored.

mod common;
use common::silent::{self, Silence};
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn cfg(url: &str, alerts: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "min_baseline_samples": 3, "fail_on_regression": true,
            "detection": {{"baseline_window": 10}},
            "alerts": {{"environment": "ci"{alerts}}},
            "test_scenarios": [{{"name": "checkout", "type": "api", "endpoint": "/health", "concurrent_users": 2, "duration": 0.5}}]}}"#
    )
}

/// Every channel configured, each pointed where `ports` says (0: not configured).
fn perfgate(dir: &std::path::Path, gh: u16, slack: u16, smtp: u16) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("NO_COLOR", "1")
        .env("GITHUB_TOKEN", "ghp_silenttoken")
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_PR_NUMBER", "7")
        .env("SMTP_SERVER", "127.0.0.1")
        .env("SMTP_FROM_EMAIL", "perfgate@example.com")
        .env("ALERT_EMAIL_RECIPIENTS", "dev@example.com");
    let set = |c: &mut Command, var: &str, port: u16, value: String| {
        if port == 0 {
            c.env_remove(var);
        } else {
            c.env(var, value);
        }
    };
    set(
        &mut c,
        "GITHUB_API_URL",
        gh,
        format!("http://127.0.0.1:{gh}"),
    );
    if gh == 0 {
        c.env_remove("GITHUB_TOKEN");
    }
    set(
        &mut c,
        "SLACK_WEBHOOK_URL",
        slack,
        format!("http://127.0.0.1:{slack}/slack/hook"),
    );
    set(&mut c, "SMTP_PORT", smtp, smtp.to_string());
    if smtp == 0 {
        c.env_remove("SMTP_SERVER");
    }
    c
}

/// Three quick runs of history, then a slower server: the next run regresses.
fn slow_target(dir: &std::path::Path, alerts: &str) -> DemoServer {
    {
        let fast = DemoServer::start(&["--delay-ms", "1"]);
        write_config(dir, "c.json", &cfg(&fast.url, alerts));
        for _ in 0..3 {
            let o = run(
                dir,
                &["--ci", "--config", "c.json", "--establish-baselines"],
            );
            assert_eq!(code(&o), 0, "{}", stderr(&o));
        }
    }
    let slow = DemoServer::start(&["--delay-ms", "15"]);
    write_config(dir, "c.json", &cfg(&slow.url, alerts));
    slow
}

fn timed(mut c: Command) -> (std::process::Output, Duration) {
    let t0 = Instant::now();
    let o = c
        .args(["--ci", "--config", "c.json"])
        .output()
        .expect("run perfgate");
    (o, t0.elapsed())
}

#[test]
fn each_silent_channel_times_out_and_is_named() {
    // Short deadlines keep the test quick; the defaults are covered below.
    let alerts = r#", "timeout_seconds": 1, "budget_seconds": 4"#;
    for (name, kind) in [
        ("github", Silence::NeverAnswers),
        ("slack", Silence::StallsMidAnswer),
        ("email", Silence::NeverAnswers),
        ("slack", Silence::ClosesMidAnswer),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let _srv = slow_target(dir.path(), alerts);
        let port = silent::start(kind);
        let (gh, sl, em) = match name {
            "github" => (port, 0, 0),
            "slack" => (0, port, 0),
            _ => (0, 0, port),
        };
        let (o, took) = timed(perfgate(dir.path(), gh, sl, em));
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{name} {kind:?}: the verdict's code\n{err}");
        assert!(
            err.contains(&format!("alert channel {name} failed")),
            "{name} {kind:?} is named: {err}"
        );
        // Bounded by the budget, far below any CI job limit (generous for busy machines).
        assert!(took < Duration::from_secs(30), "{name} {kind:?}: {took:?}");
    }
}

#[test]
fn all_three_silent_at_once_end_within_the_default_budget() {
    let dir = tempfile::tempdir().unwrap();
    let _srv = slow_target(dir.path(), "");
    let (gh, sl, em) = (
        silent::start(Silence::NeverAnswers),
        silent::start(Silence::NeverAnswers),
        silent::start(Silence::NeverAnswers),
    );
    let (o, took) = timed(perfgate(dir.path(), gh, sl, em));
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    for ch in ["github", "slack", "email"] {
        assert!(err.contains(&format!("alert channel {ch} failed")), "{err}");
    }
    assert!(
        err.contains("no answer within 10 s") || err.contains("alert budget"),
        "says why: {err}"
    );
    // Default budget 30 s for all delivery, channels in parallel: not 3 x 30 s.
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(!err.contains("ghp_silenttoken"), "no secret in output");
}

fn run_status(db: &std::path::Path) -> Option<String> {
    let c = rusqlite::Connection::open(db).ok()?;
    c.query_row(
        "SELECT status FROM runs ORDER BY id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )
    .ok()
}

#[test]
fn sigterm_during_delivery_ends_promptly_with_the_run_stored() {
    let dir = tempfile::tempdir().unwrap();
    let _srv = slow_target(
        dir.path(),
        r#", "timeout_seconds": 60, "budget_seconds": 600"#,
    );
    let port = silent::start(Silence::NeverAnswers);
    let mut c = perfgate(dir.path(), port, port, port);
    let mut child: Child = c
        .args(["--ci", "--config", "c.json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Delivery starts once the run is stored: wait for that, then signal.
    let db = dir.path().join("performance_baselines/tracking.db");
    let stored = Instant::now() + Duration::from_secs(60);
    loop {
        let s = run_status(&db);
        if s.as_deref().is_some_and(|s| s != "running") && run_count(&db) == 4 {
            break;
        }
        assert!(Instant::now() < stored, "the run was not stored: {s:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let t0 = Instant::now();
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still alive 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "the stored verdict's code: {err}");
    assert!(err.contains("alerts abandoned"), "{err}");
    assert_eq!(run_status(&db).as_deref(), Some("complete"), "{err}");
}

#[test]
fn a_silent_store_server_ends_in_bounded_time_and_is_named() {
    let port = silent::start(Silence::NeverAnswers);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgresql://perfgate:store-secret@127.0.0.1:{port}/db");
    let t0 = Instant::now();
    let o = run(dir.path(), &["runs", "--store", &url]);
    let took = t0.elapsed();
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("timed out"),
        "names the store and why: {err}"
    );
    assert!(!err.contains("store-secret"), "password masked: {err}");
    assert!(took < Duration::from_secs(60), "bounded: {took:?}");
}
