//! System scenarios: the machine, a watched process, and sampling during another scenario.

mod common;
use common::*;

#[test]
fn system_scenario_during_an_api_scenario_watches_the_target_process() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{}", "test_scenarios": [
                {{"name": "load", "type": "api", "endpoint": "/health", "concurrent_users": 4, "duration": 2}},
                {{"name": "machine", "type": "system", "during": "load", "interval_ms": 250, "process": {}}}
            ]}}"#,
            srv.url,
            srv.pid()
        ),
    );
    let t0 = std::time::Instant::now();
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        t0.elapsed().as_secs_f64() < 8.0,
        "the system scenario ran alongside, not after (its default duration is 30 s)"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    let sys = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "machine")
        .unwrap();
    let m = &sys["metrics"];
    for k in [
        "cpu_usage_pct",
        "memory_usage_mb",
        "disk_io_mbps",
        "network_io_mbps",
    ] {
        assert!(m[k].is_number(), "{k}: {m}");
    }
    assert!(
        m["process_cpu_pct"].as_f64().unwrap() > 1.0,
        "the demo server was busy: {m}"
    );
    assert!(m["process_memory_mb"].as_f64().unwrap() > 0.5, "{m}");
    assert!(
        sys["requests"].as_u64().unwrap() >= 4,
        "sampled every 250 ms for ~2 s: {sys}"
    );
}

#[test]
fn during_must_name_another_scenario() {
    use perfgate::engine::config::Config;
    let e = Config::parse(
        r#"{"test_scenarios": [{"name": "s", "type": "system", "during": "nope"}]}"#,
        "c.json",
    )
    .unwrap_err();
    assert!(e.to_string().contains("test_scenarios[0].during"), "{e}");
    let e = Config::parse(r#"{"test_scenarios": [{"name": "a", "type": "system"}, {"name": "s", "type": "system", "during": "a"}]}"#, "c.json").unwrap_err();
    assert!(
        e.to_string()
            .contains("expected an api or database scenario"),
        "{e}"
    );
    let e = Config::parse(
        r#"{"test_scenarios": [{"name": "a", "type": "api", "process": "x"}]}"#,
        "c.json",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("not a key of an api scenario"),
        "{e}"
    );
}
