//! Absolute thresholds and A/B comparison through the same verdict and reports.

mod common;
use common::*;

fn cfg(url: &str, threshold: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "fail_on_regression": false,
            "thresholds": {{"health_check.response_time_p95_ms": {threshold}, "*.error_rate_pct": "<= 0.1"}},
            "test_scenarios": [{{"name": "health_check", "type": "api", "endpoint": "/health", "concurrent_users": 2, "duration": 1}}]}}"#
    )
}

fn report(dir: &std::path::Path, f: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap()
}

#[test]
fn a_broken_threshold_fails_the_run_whatever_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        let srv = DemoServer::start(&["--delay-ms", "20"]);
        write_config(d, "c.json", &cfg(&srv.url, r#""< 10""#));
        let o = run(d, &["--ci", "--config", "c.json", "--output", "slow.json"]);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
        let r = report(d, "slow.json");
        validate_report(&r);
        let t = r["thresholds"].as_array().unwrap();
        let p95 = t
            .iter()
            .find(|x| x["threshold"] == "health_check.response_time_p95_ms")
            .unwrap();
        assert_eq!(p95["passed"], false);
        assert!(
            t.iter()
                .any(|x| x["threshold"] == "*.error_rate_pct" && x["passed"] == true)
        );
        let reg = r["regressions"].as_array().unwrap();
        let x = reg
            .iter()
            .find(|x| x["kind"] == "threshold")
            .expect("threshold reported like a regression");
        assert!(
            x["rule"]
                .as_str()
                .unwrap()
                .contains("health_check.response_time_p95_ms < 10"),
            "{x}"
        );
        assert!(stdout(&o).contains("threshold"), "{}", stdout(&o));
    }
    let srv = DemoServer::start(&["--delay-ms", "2"]);
    write_config(d, "c.json", &cfg(&srv.url, r#""< 10""#));
    let o = run(d, &["--ci", "--config", "c.json", "--output", "fast.json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        report(d, "fast.json")["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["passed"] == true)
    );
}

#[test]
fn abort_on_fail_stops_early_and_marks_the_run() {
    let srv = DemoServer::start(&["--delay-ms", "20"]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = cfg(&srv.url, r#"{"expr": "< 10", "abort_on_fail": true}"#)
        .replace("\"duration\": 1", "\"duration\": 30");
    write_config(d, "c.json", &text);
    let t0 = std::time::Instant::now();
    let o = run(d, &["--ci", "--config", "c.json", "--output", "a.json"]);
    assert!(
        t0.elapsed().as_secs() < 15,
        "aborted long before the 30 s duration"
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let r = report(d, "a.json");
    assert_eq!(r["aborted"], true);
    assert_eq!(r["scenarios"][0]["status"], "aborted");
    assert!(
        r["scenarios"][0]["note"]
            .as_str()
            .unwrap()
            .contains("aborted: threshold")
    );
    let runs = stdout(&run(d, &["runs", "--config", "c.json"]));
    assert!(runs.contains("aborted"), "{runs}");
}

#[test]
fn malformed_thresholds_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let base = r#"{"test_scenarios": [{"name": "h", "type": "api"}], "thresholds": {KEY: VAL}}"#;
    for (k, v, words) in [
        (
            r#""h.response_time_p95_ms""#,
            r#""p(95)<500""#,
            &["thresholds.h.response_time_p95_ms", "expected a comparison"][..],
        ),
        (
            r#""h.respons_time_p95_ms""#,
            r#""< 5""#,
            &["unknown metric", "did you mean `response_time_p95_ms`"][..],
        ),
        (r#""x.error_rate_pct""#, r#""< 5""#, &["scenario \"x\""][..]),
    ] {
        write_config(
            dir.path(),
            "t.json",
            &base.replace("KEY", k).replace("VAL", v),
        );
        let o = run(dir.path(), &["--ci", "--config", "t.json"]);
        assert_eq!(code(&o), 2);
        for w in words {
            assert!(stderr(&o).contains(w), "{w}: {}", stderr(&o));
        }
    }
}

#[test]
fn compare_two_runs_ab() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = |url: &str| {
        format!(
            r#"{{"base_url": "{url}", "fail_on_regression": false, "test_scenarios": [{{"name": "checkout", "type": "api", "endpoint": "/health", "concurrent_users": 2, "duration": 1.5}}]}}"#
        )
    };
    {
        let srv = DemoServer::start(&["--delay-ms", "20"]);
        write_config(d, "c.json", &plain(&srv.url));
        for _ in 0..2 {
            assert_eq!(code(&run(d, &["--ci", "--config", "c.json"])), 0);
        }
    }
    let o = run(
        d,
        &["save-baseline", "main", "--run", "1", "--config", "c.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(
        d,
        &[
            "compare",
            "main",
            "2",
            "--fail-on-regression",
            // Two runs of the same server on a shared, busy machine: a tail percentile
            // can move 15-20% (seen in CI), which is load, not a regression.
            "--noise-pct",
            "30",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("no significant change"), "{out}");
    assert!(
        out.contains("checkout.response_time_p95_ms") && out.contains("Mann-Whitney"),
        "{out}"
    );
    // Every row's reason starts under the header's "why", whatever its verdict.
    let why = out.lines().find_map(|l| l.find("why")).unwrap();
    for l in out.lines().filter(|l| l.starts_with("checkout.")) {
        let at = ["one value", "95% CI"].iter().find_map(|w| l.find(w));
        assert_eq!(at, Some(why), "{out}");
    }

    let srv = DemoServer::start(&["--delay-ms", "40"]);
    write_config(d, "c.json", &plain(&srv.url));
    assert_eq!(code(&run(d, &["--ci", "--config", "c.json"])), 0);
    let o = run(
        d,
        &[
            "compare",
            "1",
            "latest",
            "--fail-on-regression",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("regression(s) beyond noise"));
    let o = run(
        d,
        &[
            "compare",
            "main",
            "3",
            "--format",
            "json,junit,markdown",
            "--output",
            "ab",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 0);
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("ab/perfgate-report.json")).unwrap()).unwrap();
    validate_report(&j);
    let regs = j["regressions"].as_array().unwrap();
    assert!(
        regs.iter()
            .any(|r| r["metric"] == "checkout.response_time_p95_ms"),
        "{j}"
    );
    let junit = std::fs::read_to_string(d.join("ab/perfgate-report.xml")).unwrap();
    assert!(junit.contains("checkout.response_time_p95_ms") && junit.contains("<failure"));
    // The pull-request comment says why: both runs' intervals and the rank test.
    let md = std::fs::read_to_string(d.join("ab/perfgate-report.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| checkout.response_time_p95_ms |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        row.contains("A/B vs run #1") && row.contains("Mann-Whitney"),
        "{md}"
    );
    // Its value and baseline carry the metric's unit.
    let cells: Vec<&str> = row.split(" | ").collect();
    assert!(
        cells[1].ends_with(" ms") && cells[2].ends_with(" ms"),
        "{row}"
    );
    // A pull request with no history: --compare-to gates on the reference run.
    let o = run(
        d,
        &[
            "--ci",
            "--config",
            "c.json",
            "--compare-to",
            "main",
            "--fail-on-regression",
        ],
    );
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    let o = run(d, &["compare", "1", "nope", "--config", "c.json"]);
    assert_eq!(code(&o), 2);
}
