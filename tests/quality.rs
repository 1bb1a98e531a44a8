//! Alert quality from triage, end to end: a noisy metric whose alerts the team marked
//! `invalid` and a quiet one with a `fixed` regression, stored through the real
//! pipeline (`perfgate ingest`); `perfgate quality` shows the noisy metric's low
//! precision; `perfgate tune --apply` writes overrides that, replayed with
//! `perfgate backtest --from-store`, cut the noisy metric's false alarms to the
//! target while the quiet metric's regression is still caught at the same run.

mod common;
use common::*;

use perfgate::engine::model::TriageState;
use perfgate::engine::store;

const NOISY: &str = "svc.response_time_p95_ms";
const QUIET: &str = "svc.response_time_mean_ms";
const RUNS: usize = 90;

/// Deterministic values: the noisy metric has short bursts (three runs, far out)
/// every 11 runs; the quiet one is steady with one real regression, runs 62..68.
/// Not two-run bursts: the history sets those aside and counts them against the
/// next (`baseline_split`), so they alert once, and there is nothing to tune.
fn values(i: usize) -> (f64, f64) {
    let wobble = WOBBLE[i % 11];
    let burst = i >= 20 && matches!(i % 11, 3..=5);
    let noisy = 100.0 + 2.0 * wobble + if burst { 30.0 } else { 0.0 };
    let quiet = 50.0 + 0.1 * wobble + if (62..68).contains(&i) { 10.0 } else { 0.0 };
    (noisy, quiet)
}

fn alert_runs(backtest: &serde_json::Value, metric: &str) -> Vec<i64> {
    backtest["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["metric"] == metric && a["kind"] == "regression")
        .map(|a| a["run"].as_i64().unwrap())
        .collect()
}

fn backtest(d: &std::path::Path) -> serde_json::Value {
    let o = run(d, &["backtest", "--from-store", "--config", "c.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn triage_teaches_tune_to_quiet_a_noisy_metric_and_keep_a_real_regression() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_svc_config(d, 10, 30);
    for i in 0..RUNS {
        let (noisy, quiet) = values(i);
        let o = ingest(
            d,
            &format!("response_time_p95_ms,{noisy}\nresponse_time_mean_ms,{quiet}\n"),
            &[],
        );
        assert!(code(&o) <= 1, "ingest {i}: {}", stderr(&o));
    }

    // The team's triage: every noisy alert was a false alarm, the quiet one was real.
    let db = d.join("performance_baselines/tracking.db");
    let mut st = store::open(db.to_str().unwrap()).unwrap();
    let alerts = st.alerts(false).unwrap();
    let noisy_alerts: Vec<_> = alerts.iter().filter(|a| a.metric == NOISY).collect();
    assert!(noisy_alerts.len() >= 3, "the bursts alert: {alerts:?}");
    for a in &noisy_alerts {
        st.set_alert_state(a.id, TriageState::Invalid, "alice", "burst, not a change")
            .unwrap();
    }
    let quiet_alert = alerts
        .iter()
        .find(|a| a.metric == QUIET)
        .expect("a quiet alert");
    st.set_alert_state(quiet_alert.id, TriageState::Fixed, "bob", "reverted")
        .unwrap();
    drop(st);

    // Quality: the noisy metric's precision is 0, the quiet one's 100%.
    let o = run(d, &["quality", "--format", "json", "--config", "c.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let q: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let row = |m: &str| {
        q["by_metric"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == m)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(NOISY)["precision"], 0.0);
    assert_eq!(row(QUIET)["precision"], 1.0);
    let text = stdout(&run(d, &["quality", "--config", "c.json"]));
    assert!(text.contains(NOISY) && text.contains("0% (0 of"), "{text}");
    let show = stdout(&run(d, &["baseline", "show", NOISY, "--config", "c.json"]));
    assert!(show.contains("alert quality: precision 0%"), "{show}");
    let o = run(
        d,
        &["report", "latest", "--format", "html", "--config", "c.json"],
    );
    let html = stdout(&o);
    assert!(
        html.contains("Alert quality (from triage)"),
        "{}",
        stderr(&o)
    );
    assert!(
        html.contains("rule: streak") || html.contains("rule: cusum"),
        "per rule"
    );

    // Before tuning, replayed: the noisy metric cries wolf; note the quiet alert's run.
    let before = backtest(d);
    let checks = before["checks"].as_f64().unwrap() / 2.0;
    let noisy_before = alert_runs(&before, NOISY).len() as f64 * 100.0 / checks;
    assert!(noisy_before > 1.0, "{noisy_before}% of checks: {before}");
    let quiet_before = alert_runs(&before, QUIET);
    assert_eq!(quiet_before.len(), 1, "{before}");

    // Tune and apply: overrides for the noisy metric only, audited.
    let o = run(
        d,
        &[
            "tune",
            "--target-false-alarms",
            "1",
            "--apply",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("before:") && out.contains("after:"), "{out}");
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("c.json")).unwrap()).unwrap();
    let overrides = cfg["detection_overrides"]
        .as_object()
        .expect("overrides written");
    assert!(overrides.contains_key(NOISY), "{cfg}");
    assert!(
        !overrides.contains_key(QUIET),
        "the quiet metric keeps its settings: {cfg}"
    );
    let audit = stdout(&run(d, &["baseline", "audit", "--config", "c.json"]));
    assert!(
        audit.contains("tune apply") && audit.contains(NOISY),
        "{audit}"
    );

    // Replayed with the overrides: within the target, and the real change still caught.
    let after = backtest(d);
    let noisy_after = alert_runs(&after, NOISY).len() as f64 * 100.0 / checks;
    assert!(noisy_after <= 1.0, "{noisy_after}% of checks: {after}");
    assert_eq!(
        alert_runs(&after, QUIET),
        quiet_before,
        "caught at the same run"
    );
}

#[test]
fn report_only_is_an_audited_choice_and_never_fails_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_svc_config(d, 5, 10);
    let gate = ["--fail-on-regression", "--output", "r.json"];
    let ingest = |v: f64| ingest(d, &format!("response_time_p95_ms,{v}\n"), &gate);
    for i in 0..8 {
        assert_eq!(code(&ingest(100.0 + (i % 3) as f64)), 0);
    }
    let o = run(
        d,
        &[
            "baseline",
            "report-only",
            NOISY,
            "--reason",
            "flaky host",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("report only"), "{}", stdout(&o));
    // A clear regression, twice: reported and alerted, low, but the build passes.
    assert_eq!(code(&ingest(180.0)), 0);
    let o = ingest(181.0);
    assert_eq!(code(&o), 0, "report-only never fails: {}", stdout(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    let reg = &r["regressions"][0];
    assert_eq!(reg["metric"], NOISY, "{r}");
    assert_eq!(
        (reg["severity"].as_str(), reg["report_only"].as_bool()),
        (Some("low"), Some(true))
    );
    assert_eq!(r["failing"], 0, "{r}");
    let audit = stdout(&run(d, &["baseline", "audit", "--config", "c.json"]));
    assert!(
        audit.contains("report-only on") && audit.contains("flaky host"),
        "{audit}"
    );
    // An unknown metric is refused with a did-you-mean, and the file is untouched.
    let before = std::fs::read_to_string(d.join("c.json")).unwrap();
    let o = run(
        d,
        &[
            "baseline",
            "report-only",
            "svc.response_time_p59_ms",
            "--reason",
            "typo",
            "--config",
            "c.json",
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(d.join("c.json")).unwrap(), before);
}
