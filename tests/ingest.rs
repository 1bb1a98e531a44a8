//! Results from other tools, judged by the same gate: hyperfine run for real,
//! k6 and criterion from files in their documented formats, generic CSV.

mod common;
use common::*;
use std::process::Command;

fn hyperfine(dir: &std::path::Path, cmd: &str) {
    let st = Command::new("hyperfine")
        .current_dir(dir)
        .args([
            "-N",
            "--runs",
            "10",
            "--warmup",
            "2",
            "--export-json",
            "h.json",
            cmd,
        ])
        .output()
        .expect("hyperfine not found; run `cargo xtask test`, which installs it");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn hyperfine_history_then_a_slower_command_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..20 {
        hyperfine(d, "sleep 0.01");
        let o = run(
            d,
            &[
                "ingest",
                "--format",
                "hyperfine",
                "h.json",
                "--fail-on-regression",
            ],
        );
        assert_eq!(code(&o), 0, "ingest {i}: {}", stdout(&o));
    }
    hyperfine(d, "sleep 0.03");
    let o = run(
        d,
        &[
            "ingest",
            "--format",
            "hyperfine",
            "h.json",
            "--fail-on-regression",
            "--output",
            "r.json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    validate_report(&r);
    assert_eq!(r["scenarios"][0]["type"], "ingested");
    let regs = r["regressions"].as_array().unwrap();
    assert!(
        regs.iter()
            .any(|x| x["metric"] == "hyperfine.time_mean_ms" && x["severity"] == "critical"),
        "{regs:?}"
    );
}

#[test]
fn k6_criterion_and_csv_files_become_runs() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "ingest",
            "--format",
            "k6",
            &format!("{fixtures}/k6-summary.json"),
            "--output",
            "k6.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("k6.json")).unwrap()).unwrap();
    validate_report(&r);
    let m = &r["scenarios"][0]["metrics"];
    assert_eq!(m["response_time_p95_ms"].as_f64(), Some(22.9));
    assert_eq!(m["throughput_rps"].as_f64(), Some(199.8));
    assert!((m["error_rate_pct"].as_f64().unwrap() - 0.1).abs() < 1e-9);

    let o = run(
        d,
        &[
            "ingest",
            "--format",
            "criterion",
            &format!("{fixtures}/criterion/fib_20/new/estimates.json"),
            "--output",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("c.json")).unwrap()).unwrap();
    assert_eq!(r["scenarios"][0]["name"], "criterion");
    assert_eq!(
        r["scenarios"][0]["metrics"]["fib_20_mean_ns"].as_f64(),
        Some(25204.7)
    );

    std::fs::write(
        d.join("m.csv"),
        "metric,value,unit\nbuild.link_time,12.5,s\nbundle_size,1024,bytes\n",
    )
    .unwrap();
    let o = run(
        d,
        &[
            "ingest",
            "--format",
            "csv",
            "m.csv",
            "--scenario",
            "web",
            "--output",
            "csv.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("csv.json")).unwrap()).unwrap();
    let names: Vec<&str> = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"build.link_time_s") && names.contains(&"web.bundle_size_bytes"),
        "{names:?}"
    );

    // Bad input names the file and field.
    std::fs::write(d.join("bad.json"), r#"{"results": [{"command": "x"}]}"#).unwrap();
    let o = run(d, &["ingest", "--format", "hyperfine", "bad.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad.json") && stderr(&o).contains("results[0].mean"),
        "{}",
        stderr(&o)
    );
    let o = run(d, &["ingest", "--format", "gatling", "bad.json"]);
    assert_eq!(code(&o), 2);
}

/// A metric given twice (two CSV lines, or two files of one format) is an error naming
/// both places, not the last value silently kept; a negative time names its line; a
/// missing file says it cannot be read.
#[test]
fn a_metric_given_twice_or_a_missing_file_is_named_and_nothing_is_stored() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("twice.csv"), "metric,value\nx,1\ny,5\nx,2\n").unwrap();
    let o = run(d, &["ingest", "twice.csv"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("twice.csv: line 4: metric `csv.x` is already given at line 2"),
        "{}",
        stderr(&o)
    );
    let hf = r#"{"results": [{"command": "sleep 0.1", "mean": 0.1}]}"#;
    std::fs::write(d.join("a.json"), hf).unwrap();
    std::fs::write(d.join("b.json"), hf).unwrap();
    let o = run(d, &["ingest", "a.json", "b.json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("b.json: metric `hyperfine.time_mean_ms` is also given by a.json"),
        "{}",
        stderr(&o)
    );
    // A negative time is a broken export: named, and not stored.
    std::fs::write(
        d.join("neg.csv"),
        "metric,value,unit\nx,1,\nlatency_p95,-5,ms\n",
    )
    .unwrap();
    let o = run(d, &["ingest", "neg.csv"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "neg.csv: line 3: metric `csv.latency_p95_ms` is -5; expected a number >= 0 (a quantity in ms)"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(d, &["ingest", "nothere.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("nothere.json: cannot be read"),
        "{}",
        stderr(&o)
    );
    // None of them became a run.
    let o = run(d, &["runs"]);
    assert!(!stdout(&o).contains("#1"), "{}", stdout(&o));
}
