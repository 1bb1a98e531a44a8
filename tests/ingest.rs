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
        let (c, out, _) = ingest_file(d, "r.json");
        assert_eq!(c, 0, "ingest {i}: {out}");
    }
    // The first slow run fails at once where the second half of its timings
    // confirms it. Over a history with one slow blip in it (a loaded machine),
    // two observations beyond every run come one time in 230 and the rule waits
    // for a third: the mean is then still suspect, never "cleared".
    hyperfine(d, "sleep 0.03");
    let ingest = |out: &str| {
        let (c, stdout, r) = ingest_file(d, out);
        validate_report(&r);
        (c, stdout, r)
    };
    let (first, out, r) = ingest("r1.json");
    assert_eq!(r["scenarios"][0]["type"], "ingested");
    for m in ["hyperfine.time_mean_ms", "hyperfine.time_median_ms"] {
        let v = verdict_of(&r, m);
        assert!(v == "regression" || v == "suspect", "{m}: {v}\n{out}");
    }
    assert!(first == 0 || first == 1, "{out}");
    // The next slow run fails whatever the history held.
    hyperfine(d, "sleep 0.03");
    let (second, out, r) = ingest("r2.json");
    assert_eq!(second, 1, "{out}");
    let regs = r["regressions"].as_array().unwrap();
    assert!(
        regs.iter()
            .any(|x| x["metric"] == "hyperfine.time_mean_ms" && x["severity"] == "critical"),
        "{regs:?}"
    );
}

/// hyperfine's export for one command: `times` in seconds and their summary.
fn hyperfine_json(times: &[f64]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let sd =
        (times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (times.len() - 1) as f64).sqrt();
    let median = (sorted[times.len() / 2 - 1] + sorted[times.len() / 2]) / 2.0;
    serde_json::json!({"results": [{
        "command": "./bench", "mean": mean, "stddev": sd, "median": median,
        "user": 0.001, "system": 0.0005, "min": sorted[0], "max": sorted[times.len() - 1],
        "times": times, "exit_codes": vec![0; times.len()],
    }]})
    .to_string()
}

/// Ingest hyperfine's export `h.json` in `d`, failing on a regression, the report
/// written to `out`: the exit code, the printed table and the JSON report.
fn ingest_file(d: &std::path::Path, out: &str) -> (i32, String, serde_json::Value) {
    let args = ["ingest", "--format", "hyperfine", "h.json"];
    let o = run(
        d,
        &[&args[..], &["--fail-on-regression", "--output", out]].concat(),
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join(out)).unwrap()).unwrap();
    (code(&o), stdout(&o), r)
}

/// [`ingest_file`] of `times` written as hyperfine's export.
fn ingest_times(d: &std::path::Path, times: &[f64]) -> (i32, String, serde_json::Value) {
    std::fs::write(d.join("h.json"), hyperfine_json(times)).unwrap();
    ingest_file(d, "r.json")
}

/// 20 runs of 10 timings near 10 ms, each a little apart; the 6th all at 10.5 ms
/// with `blip` (15 sigma of the runs' means: a loaded machine's slow run).
fn timed_history(d: &std::path::Path, blip: bool) {
    for i in 0..20 {
        let times: Vec<f64> = (0..10)
            .map(|k| match i {
                5 if blip => 0.0105,
                _ => 0.010 + 0.0001 * (((i * 7 + k * 3) % 11) as f64 - 5.0),
            })
            .collect();
        let (c, out, _) = ingest_times(d, &times);
        assert_eq!(c, 0, "run {i}: {out}");
    }
}

fn verdict_of(r: &serde_json::Value, metric: &str) -> String {
    let metrics = r["metrics"].as_array().unwrap();
    let m = metrics.iter().find(|m| m["name"] == metric);
    m.and_then(|m| m["verdict"].as_str())
        .unwrap_or("absent")
        .to_string()
}

#[test]
fn a_slow_run_is_confirmed_at_once_by_the_second_half_of_its_own_timings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ingest = |times: &[f64]| ingest_times(d, times);
    timed_history(d, false);
    // Twice as slow: the mean of its second half is a second observation.
    let slow: Vec<f64> = (0..10).map(|k| 0.020 + 0.0001 * (k % 3) as f64).collect();
    let (c, out, r) = ingest(&slow);
    assert_eq!(c, 1, "{out}");
    let regs = r["regressions"].as_array().unwrap();
    let mean = regs
        .iter()
        .find(|x| x["metric"] == "hyperfine.time_mean_ms")
        .unwrap_or_else(|| panic!("{regs:?}"));
    assert_eq!(mean["detected_by"], "tool-spread", "{mean}");
    let half = mean["confirmation_value"].as_f64().unwrap();
    assert!((half - 20.1).abs() < 1e-6, "the second half's mean: {mean}");
    let rule = mean["rule"].as_str().unwrap();
    assert!(
        rule.ends_with("(confirmed by the tool's own spread)"),
        "{rule}"
    );
    assert!(out.contains("critical   regression"), "{out}");
}

#[test]
fn a_slow_run_whose_half_is_as_slow_stays_suspect_and_a_fast_half_clears_it() {
    let slow: Vec<f64> = (0..10).map(|k| 0.020 + 0.0001 * (k % 3) as f64).collect();
    // Over a history with a blip, two observations beyond every run come one
    // time in 230: the rule waits for the next run, and the mean, as slow in
    // its second half, is still suspect.
    let dir = tempfile::tempdir().unwrap();
    timed_history(dir.path(), true);
    let (c, out, r) = ingest_times(dir.path(), &slow);
    assert_eq!(c, 0, "{out}");
    assert_eq!(verdict_of(&r, "hyperfine.time_mean_ms"), "suspect", "{out}");
    let (c, out, r) = ingest_times(dir.path(), &slow);
    assert_eq!(c, 1, "{out}");
    assert_eq!(
        verdict_of(&r, "hyperfine.time_mean_ms"),
        "regression",
        "{out}"
    );
    // Slow in its first half only: the second half clears it.
    let dir = tempfile::tempdir().unwrap();
    timed_history(dir.path(), false);
    let first_half: Vec<f64> = (0..10).map(|k| if k < 5 { 0.020 } else { 0.010 }).collect();
    let (c, out, r) = ingest_times(dir.path(), &first_half);
    assert_eq!(c, 0, "{out}");
    assert_eq!(verdict_of(&r, "hyperfine.time_mean_ms"), "cleared", "{out}");
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
