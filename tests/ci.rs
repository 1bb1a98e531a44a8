//! `perfgate --ci` end to end: the real binary against the real demo server.

mod common;
use common::*;

fn quickstart(url: &str, api_secs: f64, sys_secs: f64) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/quickstart.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["base_url"] = url.into();
    v["test_scenarios"][0]["duration"] = api_secs.into();
    v["test_scenarios"][1]["duration"] = sys_secs.into();
    v.to_string()
}

#[test]
fn quickstart_runs_end_to_end_and_is_stored() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "c.json", &quickstart(&srv.url, 2.0, 2.0));
    let o = run(
        dir.path(),
        &[
            "--ci", "--config", "c.json", "--output", "out.json", "--format", "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    validate_report(&report);
    assert_eq!(report["status"], "pass");
    let sc = report["scenarios"].as_array().unwrap();
    let api = sc.iter().find(|s| s["name"] == "health_check").unwrap();
    assert_eq!(api["type"], "api");
    assert!(api["metrics"]["throughput_rps"].as_f64().unwrap() > 0.0);
    assert!(api["metrics"]["response_time_p95_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(api["metrics"]["error_rate_pct"].as_f64().unwrap(), 0.0);
    let sys = sc.iter().find(|s| s["name"] == "system_resources").unwrap();
    assert!(sys["metrics"]["cpu_usage_pct"].is_number());
    assert!(sys["metrics"]["memory_usage_mb"].as_f64().unwrap() > 0.0);
    // The summary table names every metric; the store holds the run as complete.
    assert!(stdout(&o).contains("health_check.response_time_p95_ms"));
    let db = dir.path().join("performance_baselines/tracking.db");
    assert_eq!(run_count(&db), 1);
    let c = rusqlite::Connection::open(&db).unwrap();
    let (status, n): (String, i64) = c
        .query_row(
            "SELECT status, (SELECT count(*) FROM metric_values WHERE run_id = runs.id) FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "complete");
    assert!(n >= 10, "{n} metric values stored");
}

#[test]
fn invalid_config_exits_2_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "typo.json",
        "{\n  \"test_duration\": 1,\n  \"concurent_users\": 2\n}",
    );
    let o = run(dir.path(), &["--ci", "--config", "typo.json"]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("typo.json")
            && e.contains("concurent_users")
            && e.contains("line 3")
            && e.contains("did you mean `concurrent_users`"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "one sentence: {e}");
    write_config(dir.path(), "type.json", r#"{"test_duration": "long"}"#);
    let o = run(dir.path(), &["--ci", "--config", "type.json"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("test_duration"), "{}", stderr(&o));
    assert!(
        !dir.path().join("performance_baselines").exists(),
        "no store created for an invalid config"
    );
}

#[test]
fn a_dead_target_fails_the_run_and_never_enters_a_baseline() {
    // Bind then drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "http://127.0.0.1:{port}", "test_scenarios": [{{"name": "down", "type": "api", "endpoint": "/health", "duration": 1}}]}}"#
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("no successful response from 127.0.0.1:{port} in"))
            && stderr(&o).contains("could not connect"),
        "the reason is named: {}",
        stderr(&o)
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    assert_eq!(r["status"], "error");
    let s = &r["scenarios"][0];
    assert_eq!(s["status"], "error");
    assert_eq!(s["metrics"]["error_rate_pct"].as_f64(), Some(100.0));
    assert_eq!(s["metrics"]["throughput_rps"].as_f64(), Some(0.0));
    assert!(s["errors"]["connect"].as_u64().unwrap() > 0, "{s}");
    assert!(s["metrics"].get("response_time_p95_ms").is_none());
    // Nothing from the dead target became history.
    let o = run(
        dir.path(),
        &[
            "baseline",
            "show",
            "down.error_rate_pct",
            "--config",
            "c.json",
        ],
    );
    assert!(
        stderr(&o).contains("has no history"),
        "no sample stored: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let db = dir.path().join("performance_baselines/tracking.db");
    let c = rusqlite::Connection::open(db).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM metric_values", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "no metric value stored from a dead target");
}

#[test]
fn server_errors_are_classified_and_only_errors_fail_the_run() {
    let srv = DemoServer::start(&["--error-pct", "100"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "test_scenarios": [{{"name": "e", "type": "api", "endpoint": "/health", "duration": 0.5}}, {{"name": "nf", "type": "api", "endpoint": "/nope", "duration": 0.5}}]}}"#,
            srv.url
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 3, "no successful response: {}", stderr(&o));
    assert!(
        stderr(&o).contains("server errors (HTTP 5xx)"),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    assert!(r["scenarios"][0]["errors"]["http_5xx"].as_u64().unwrap() > 0);
    assert_eq!(
        r["scenarios"][0]["metrics"]["error_rate_pct"].as_f64(),
        Some(100.0)
    );
}

#[test]
fn markdown_and_multiple_formats() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "test_scenarios": [{{"name": "h", "type": "api", "endpoint": "/bytes/100", "duration": 0.5}}]}}"#,
            srv.url
        ),
    );
    let o = run(
        dir.path(),
        &[
            "--ci",
            "--config",
            "c.json",
            "--format",
            "json,markdown",
            "--output",
            "reports",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let md = std::fs::read_to_string(dir.path().join("reports/perfgate-report.md")).unwrap();
    assert!(
        md.contains("perfgate: pass") && md.contains("h.response_size_bytes"),
        "{md}"
    );
    let j: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("reports/perfgate-report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        j["scenarios"][0]["metrics"]["response_size_bytes"].as_f64(),
        Some(100.0)
    );
    // Without --output, stdout is the asked-for format and nothing else.
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--format", "markdown"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.starts_with('#'), "starts with a markdown heading: {md}");
    assert!(
        !md.contains("metric         value") && !md.contains("perfgate run #"),
        "no text table on stdout: {md}"
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--format", "json"],
    );
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("stdout is only JSON");
    validate_report(&j);
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--format", "yaml"],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--format \"yaml\""));
}

#[test]
fn unusable_store_exits_3_and_is_left_untouched() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("garbage.db"),
        b"this is not a database, just bytes that must survive",
    )
    .unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "tracking_db": "garbage.db", "test_scenarios": [{{"name": "h", "type": "api", "duration": 0.3}}]}}"#,
            srv.url
        ),
    );
    let o = run(dir.path(), &["--ci", "--config", "c.json"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("garbage.db"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("garbage.db")).unwrap(),
        b"this is not a database, just bytes that must survive"
    );
}

#[test]
fn impossible_sizes_and_urls_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad_configs");
    for (file, field) in [
        ("bad_22.json", "concurrent_users"),
        ("bad_23.json", "duration"),
        ("bad_24.json", "base_url"),
    ] {
        let cfg = std::path::Path::new(fixtures).join(file);
        let o = run(dir.path(), &["--ci", "--config", cfg.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(field), "{file}: {}", stderr(&o));
    }
    assert!(
        !dir.path().join("performance_baselines").exists(),
        "nothing stored"
    );
}

/// The README's first command without a terminal: the demo tells its story on
/// stderr, from what its store holds, and the commands it suggests judge by the
/// demo's own settings (5 runs of history, so the metric is judged, not building).
#[test]
fn headless_demo_tells_the_story_and_its_next_commands_work() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["demo", "--ci"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("3/3 the slowdown was caught in run #6"),
        "{err}"
    );
    let next = "--config .perfgate-demo/config.json";
    assert!(
        err.contains(&format!("perfgate triage list {next}")),
        "{err}"
    );
    // The hinted metric is one the run caught (which ones a busy machine lets
    // through varies), listed above its hint.
    let metric = err
        .split("perfgate history ")
        .nth(1)
        .and_then(|h| h.split_whitespace().next())
        .unwrap_or_else(|| panic!("a history hint: {err}"));
    assert!(
        err.contains(&format!("      {metric} +")) || err.contains(&format!("      {metric} -")),
        "{err}"
    );
    let cfg = ["--config", ".perfgate-demo/config.json"];
    let o = run(dir.path(), &[&["history", metric], &cfg[..]].concat());
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        out.contains("open alert") && !out.contains("building"),
        "{out}"
    );
    // One slow run at the end of five quiet ones is no change point at run 4. A
    // busy machine may slow the fifth too, past the four before it (6.4 ms after
    // 5.3-5.9, seen once): then the last two are a change of two runs, and the
    // only point is where they begin.
    let value = |run: usize| -> Option<f64> {
        let row = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("#{run} ")))?;
        row.split_whitespace().nth(2)?.parse().ok()
    };
    let quiet: Vec<f64> = (1..=4).filter_map(value).collect();
    assert_eq!(quiet.len(), 4, "{out}");
    let top = quiet.iter().copied().fold(f64::MIN, f64::max);
    if value(5).is_some_and(|v| v <= top) {
        assert!(!out.contains("change points"), "{out}");
    } else {
        assert!(
            out.lines()
                .filter(|l| l.contains("change points"))
                .all(|l| l.trim_end().ends_with("runs #4")),
            "{out}"
        );
    }
    let o = run(dir.path(), &[&["triage", "list"], &cfg[..]].concat());
    assert!(stdout(&o).contains(metric), "{}", stdout(&o));
    assert!(
        !dir.path().join("performance_baselines").exists(),
        "the demo never writes the user's store"
    );
}
