//! Every report format from real runs; the HTML is self-contained and escaped,
//! JUnit failures match JSON regressions, stored runs re-render.

mod common;
use common::*;
use std::process::Command;

fn config(url: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "fail_on_regression": false, "min_baseline_samples": 3,
            "detection": {{"baseline_window": 10}},
            "test_scenarios": [{{"name": "health_check", "type": "api", "endpoint": "/health", "concurrent_users": 2, "duration": 0.5}}]}}"#
    )
}

fn perfgate(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("PERFGATE_BRANCH", "<script>alert('x')</script>")
        .env("PERFGATE_COMMIT", "abc123")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap()
}

#[test]
fn all_five_formats_from_a_regressed_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        let srv = DemoServer::start(&["--delay-ms", "2"]);
        write_config(d, "c.json", &config(&srv.url));
        for _ in 0..4 {
            assert_eq!(
                code(&perfgate(
                    d,
                    &["--ci", "--config", "c.json", "--establish-baselines"]
                )),
                0
            );
        }
    }
    let srv = DemoServer::start(&["--delay-ms", "12"]);
    write_config(d, "c.json", &config(&srv.url));
    let o = perfgate(
        d,
        &[
            "--ci",
            "--config",
            "c.json",
            "--format",
            "html,json,csv,markdown,junit",
            "--output",
            "reports/",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let read = |f: &str| {
        std::fs::read_to_string(d.join("reports").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    let json: serde_json::Value = serde_json::from_str(&read("perfgate-report.json")).unwrap();
    validate_report(&json);
    let regressions = json["regressions"].as_array().unwrap().len();
    assert!(regressions >= 3, "the slower server regressed: {json}");
    let metrics = json["metrics"].as_array().unwrap().len();

    let junit = read("perfgate-report.xml");
    assert_eq!(junit.matches("<failure ").count(), regressions, "{junit}");
    assert_eq!(junit.matches("<testcase ").count(), metrics);
    assert!(junit.contains(&format!("failures=\"{regressions}\"")));
    assert!(!junit.contains("<script>"), "escaped in XML");

    let csv = read("perfgate-report.csv");
    assert_eq!(csv.lines().count(), metrics + 1);
    assert!(csv.starts_with(
        "run_id,timestamp,scenario,metric,value,unit,baseline_mean,baseline_std,z_score,severity"
    ));

    let md = read("perfgate-report.md");
    assert!(md.contains("### Regressions") && md.contains("health_check.response_time_p95_ms"));

    let html = read("perfgate-report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<figure").count(),
        metrics + 1,
        "one chart per metric plus the latency distribution"
    );
    assert!(html.matches("<svg").count() > metrics);
    assert!(
        !html.contains("<script"),
        "no script at all, and the branch name is escaped"
    );
    assert!(html.contains("&lt;script&gt;"), "user strings are escaped");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"),
        "self-contained"
    );
    assert!(html.contains("regression") && html.contains("abc123"));
    assert!(
        html.contains("this run (purple) against the baseline runs (grey)"),
        "before/after latency distribution"
    );
    // The bad run's latency against the baseline runs', from the stored histograms.
    let db = d.join("performance_baselines").join("tracking.db");
    let st = perfgate::engine::store::open(db.to_str().unwrap()).unwrap();
    let run = json["run_id"].as_i64().unwrap();
    let rows = perfgate::engine::report::stored::before_after(st.as_ref(), "health_check", run)
        .unwrap()
        .expect("histograms stored for both");
    let p50 = rows.iter().find(|r| r.0 == 50.0).unwrap();
    assert!(
        p50.2 > p50.1 + 5.0,
        "after (12 ms) is slower than before (2 ms): {p50:?}"
    );

    // A stored run re-renders: same regressions, same metrics.
    let o = perfgate(
        d,
        &["report", "latest", "--format", "json", "--config", "c.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate_report(&again);
    assert_eq!(again["regressions"].as_array().unwrap().len(), regressions);
    assert_eq!(again["metrics"], json["metrics"]);
    let o = perfgate(d, &["report", "99", "--config", "c.json"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("run #99"));
}

/// `perfgate report RUN` reproduces the run's own regression and failing counts, even
/// after triage has silenced its alert since.
#[test]
fn a_stored_run_reports_the_counts_it_was_judged_with() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        let srv = DemoServer::start(&["--delay-ms", "2"]);
        write_config(d, "c.json", &config(&srv.url));
        for _ in 0..4 {
            let o = perfgate(d, &["--ci", "--config", "c.json", "--establish-baselines"]);
            assert_eq!(code(&o), 0);
        }
    }
    let srv = DemoServer::start(&["--delay-ms", "20"]);
    write_config(d, "c.json", &config(&srv.url));
    let counts = |j: &serde_json::Value| {
        (
            j["run_id"].as_i64().unwrap(),
            j["regressions"].as_array().unwrap().len(),
            j["failing"].as_u64().unwrap(),
        )
    };
    let judged = |file: &str| -> (i64, usize, u64) {
        let o = perfgate(d, &["--ci", "--config", "c.json", "--output", file]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        counts(&serde_json::from_slice(&std::fs::read(d.join(file)).unwrap()).unwrap())
    };
    let stored = |id: i64| {
        let o = perfgate(
            d,
            &[
                "report",
                &id.to_string(),
                "--format",
                "json",
                "--config",
                "c.json",
            ],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        counts(&serde_json::from_str(&stdout(&o)).expect("JSON on stdout"))
    };
    let first = judged("r1.json");
    assert!(
        first.1 > 0 && first.2 > 0,
        "a failing regression: {first:?}"
    );
    // A magnitude label only beside a confirmed change.
    let r1: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r1.json")).unwrap()).unwrap();
    let metrics = r1["metrics"].as_array().unwrap();
    assert!(metrics.iter().any(|m| m["verdict"] == "ok"), "{r1}");
    for m in metrics {
        let confirmed = ["regression", "improvement", "silenced", "threshold"]
            .contains(&m["verdict"].as_str().unwrap());
        assert_eq!(!m["severity"].is_null(), confirmed, "{m}");
    }
    // One group for the scenario's regressions, each with its suspect range: the
    // last baseline run was good, this run is the first bad one.
    let regs = r1["regressions"].as_array().unwrap();
    let group = &regs[0]["group"];
    assert!(group.is_i64(), "{r1}");
    for r in regs {
        assert_eq!(&r["group"], group, "{r}");
        assert_eq!(r["suspect_range"]["bad_run"], first.0, "{r}");
        assert_eq!(r["suspect_range"]["good_run"], first.0 - 1, "{r}");
    }
    assert_eq!(stored(first.0), first);

    // Silence every open alert, a group at a time, then regress again: that run
    // does not fail.
    let o = perfgate(d, &["triage", "list", "--config", "c.json"]);
    let groups: Vec<String> = stdout(&o)
        .lines()
        .filter(|l| l.starts_with('g'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(!groups.is_empty(), "alerts listed by group: {}", stdout(&o));
    // A group says the run it was seen in apart from its suspect range (last good
    // ..first bad), so "#N" of one is never read as the other.
    let line = format!("seen in #{}  suspect range #{} (", first.0, first.0 - 1);
    assert!(stdout(&o).starts_with("  alert "), "{}", stdout(&o));
    assert!(stdout(&o).contains(&line), "{line:?} in {}", stdout(&o));
    for id in groups {
        let o = perfgate(
            d,
            &[
                "triage",
                "set",
                &id,
                "acknowledged",
                "--reason",
                "known",
                "--config",
                "c.json",
            ],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let second = judged("r2.json");
    assert!(second.1 > 0, "still regressed: {second:?}");
    assert_eq!(second.2, 0, "silenced by triage: {second:?}");
    assert_eq!(stored(second.0), second);
    // The first run failed when it was judged, and its report still says so.
    assert_eq!(stored(first.0), first);
}
