//! The load engine: open-loop arrivals with coordinated-omission correction
//! against a server that stalls, and config rules for the open-loop keys.

mod common;
use common::*;

#[test]
fn open_loop_corrects_for_coordinated_omission() {
    let srv = DemoServer::start(&["--stall-every-ms", "2000", "--stall-ms", "500"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "test_scenarios": [{{"name": "ol", "type": "api", "endpoint": "/health", "rate": 200, "concurrent_users": 2, "duration": 6}}]}}"#,
            srv.url
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    let m = &r["scenarios"][0]["metrics"];
    let corrected = m["response_time_p99_ms"].as_f64().unwrap();
    let raw = m["response_time_p99_uncorrected_ms"].as_f64().unwrap();
    assert!(
        corrected > 200.0,
        "corrected p99 {corrected} ms sees the stalls"
    );
    assert!(raw < corrected / 2.0, "uncorrected p99 {raw} ms hides them");
    assert!(m["late_requests"].as_f64().unwrap() > 50.0, "{m}");
    assert!(m["dropped_requests"].as_f64().unwrap() >= 0.0);
    assert!(m["response_time_p50_uncorrected_ms"].is_number());
    let rps = m["throughput_rps"].as_f64().unwrap();
    assert!(
        (150.0..=230.0).contains(&rps),
        "the schedule holds the rate: {rps}"
    );
}

#[test]
fn poisson_arrivals_with_ramp_up_and_a_bound_on_in_flight() {
    let srv = DemoServer::start(&["--delay-ms", "20"]);
    let dir = tempfile::tempdir().unwrap();
    // 1 connection at 20 ms per request can send 50/s; 200/s are asked: the rest is dropped.
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "test_scenarios": [{{"name": "p", "type": "api", "endpoint": "/health", "rate": 200, "arrival": "poisson", "ramp_up": 0.5, "concurrent_users": 4, "max_in_flight": 1, "duration": 2}}]}}"#,
            srv.url
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    let m = &r["scenarios"][0]["metrics"];
    let rps = m["throughput_rps"].as_f64().unwrap();
    assert!(rps < 60.0, "one connection bounds throughput: {rps}");
    assert!(m["dropped_requests"].as_f64().unwrap() > 100.0, "{m}");
}

#[test]
fn open_loop_keys_are_checked() {
    use perfgate::engine::config::Config;
    for (text, words) in [
        (
            r#"{"test_scenarios": [{"name": "a", "type": "api", "arrival": "poisson"}]}"#,
            &["arrival", "needs `rate`"][..],
        ),
        (
            r#"{"test_scenarios": [{"name": "a", "type": "api", "rate": 10, "arrival": "bursty"}]}"#,
            &["arrival", "poisson"][..],
        ),
        (
            r#"{"test_scenarios": [{"name": "a", "type": "api", "rate": -1}]}"#,
            &["rate", "positive"][..],
        ),
        (
            r#"{"test_scenarios": [{"name": "a", "type": "api", "rate": 5, "ramp_up": 60, "duration": 10}]}"#,
            &["ramp_up", "shorter"][..],
        ),
        (
            r#"{"test_scenarios": [{"name": "a", "type": "system", "rate": 5}]}"#,
            &["rate", "system scenario"][..],
        ),
    ] {
        let e = Config::parse(text, "c.json").unwrap_err().to_string();
        for w in words {
            assert!(e.contains(w), "{text}: {e}");
        }
    }
}

#[test]
fn demo_server_rejects_an_impossible_stall() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &[
            "demo-server",
            "--port",
            "0",
            "--stall-every-ms",
            "100",
            "--stall-ms",
            "200",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--stall-ms"));
}

fn one_scenario(url: &str, extra: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "test_scenarios": [{{"name": "p", "type": "api", "endpoint": "/bytes/64", "concurrent_users": 4, "duration": 1 {extra}}}]}}"#
    )
}

#[test]
fn http2_and_tls_targets() {
    let plain = DemoServer::start(&[]);
    let tls = DemoServer::start(&["--tls"]);
    assert!(tls.url.starts_with("https://"));
    for (url, extra) in [
        (&plain.url, r#", "http2": true"#),
        (&tls.url, r#", "tls_insecure": true"#),
        (&tls.url, r#", "tls_insecure": true, "http2": true"#),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), "c.json", &one_scenario(url, extra));
        let o = run(
            dir.path(),
            &["--ci", "--config", "c.json", "--output", "o.json"],
        );
        assert_eq!(code(&o), 0, "{extra}: {}", stderr(&o));
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
        let m = &r["scenarios"][0]["metrics"];
        assert_eq!(
            m["error_rate_pct"].as_f64(),
            Some(0.0),
            "{url} {extra}: {m}"
        );
        assert_eq!(m["response_size_bytes"].as_f64(), Some(64.0));
        assert!(m["throughput_rps"].as_f64().unwrap() > 50.0);
    }
    // A self-signed certificate is refused unless the scenario says otherwise.
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "c.json", &one_scenario(&tls.url, ""));
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 3, "a refused certificate is a failed scenario");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    assert_eq!(
        r["scenarios"][0]["metrics"]["error_rate_pct"].as_f64(),
        Some(100.0)
    );
    assert!(r["scenarios"][0]["errors"]["connect"].as_u64().unwrap() > 0);
}
