//! Config loading: the seed's files load, defaults match, bad input is explained.

use perfgate::engine::config::Config;

#[test]
fn every_file_in_config_parses() {
    let mut n = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/config")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("json") {
            Config::load(&p).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 2, "expected the quickstart and reference configs");
}

#[test]
fn reference_config_states_the_defaults() {
    let r = Config::load(concat!(env!("CARGO_MANIFEST_DIR"), "/config/reference.json").as_ref())
        .unwrap()
        .config;
    let d = Config::default();
    assert_eq!(r.test_duration, d.test_duration);
    assert_eq!(r.concurrent_users, d.concurrent_users);
    assert_eq!(r.regression_threshold, d.regression_threshold);
    assert_eq!(r.fail_on_regression, d.fail_on_regression);
    assert_eq!(r.baseline_storage, d.baseline_storage);
    assert_eq!(r.tracking_db, d.tracking_db);
    assert_eq!(r.min_baseline_samples, d.min_baseline_samples);
    assert_eq!(r.outlier_threshold, d.outlier_threshold);
    assert_eq!(r.trend_window_days, d.trend_window_days);
    assert_eq!(r.baseline_update_threshold, d.baseline_update_threshold);
    assert_eq!(r.enable_alerts, d.enable_alerts);
    assert_eq!(r.detection, d.detection);
}

#[test]
fn seed_defaults_apply_to_a_minimal_config() {
    let c = Config::parse(r#"{"test_scenarios": []}"#, "min.json").unwrap();
    assert_eq!(c.base_url, "http://localhost:8000");
    assert_eq!(c.min_baseline_samples, 20);
    assert_eq!(c.tracking_db, "performance_baselines/tracking.db");
    assert_eq!(c.outlier_threshold, 3.0);
    assert_eq!(c.baseline_update_threshold, 0.15);
}

/// Malformed configs and the words their error must contain.
const BAD: &[(&str, &[&str])] = &[
    (
        r#"{"concurent_users": 5}"#,
        &[
            "bad.json",
            "concurent_users",
            "line 1",
            "did you mean `concurrent_users`",
        ],
    ),
    (
        r#"{"test_duration": "30"}"#,
        &["bad.json", "test_duration", "line 1", "expected a number"],
    ),
    (
        "{\n  \"test_scenarios\": [\n    {\"name\": \"a\", \"type\": \"api\", \"endpiont\": \"/x\"}\n  ]\n}",
        &[
            "test_scenarios[0].endpiont",
            "line 3",
            "did you mean `endpoint`",
        ],
    ),
    (
        r#"{"test_scenarios": [{"name": "a", "type": "ftp"}]}"#,
        &["test_scenarios[0].type", "unknown value"],
    ),
    (
        r#"{"test_scenarios": [{"type": "api"}]}"#,
        &["test_scenarios[0]", "missing field `name`"],
    ),
    (
        r#"{"test_scenarios": [{"name": "a", "type": "system", "endpoint": "/x"}]}"#,
        &[
            "test_scenarios[0].endpoint",
            "not a key of a system scenario",
        ],
    ),
    (
        r#"{"test_scenarios": [{"name": "a", "type": "api", "method": "FETCH"}]}"#,
        &["test_scenarios[0].method", "expected one of GET"],
    ),
    (
        r#"{"test_scenarios": [{"name": "a", "type": "api"}, {"name": "a", "type": "api"}]}"#,
        &["test_scenarios[1].name", "used twice"],
    ),
    (
        r#"{"test_scenarios": [{"name": "a.b", "type": "api"}]}"#,
        &["test_scenarios[0].name", "letters, digits"],
    ),
    (
        r#"{"test_scenarios": [{"name": "d", "type": "database", "query": "SELECT 1"}]}"#,
        &["connection_string", "missing"],
    ),
    (r#"{"base_url": "ftp://x"}"#, &["base_url", "http://"]),
    (
        r#"{"concurrent_users": 0}"#,
        &["concurrent_users", "at least 1"],
    ),
    (r#"{"test_duration": -1}"#, &["test_duration", "positive"]),
    (
        r#"{"min_baseline_samples": 1}"#,
        &["min_baseline_samples", "at least 2"],
    ),
    (
        r#"{"detection": {"persistence": 0}}"#,
        &["detection.persistence"],
    ),
    (
        r#"{"detection": {"z_treshold": 2}}"#,
        &["detection.z_treshold", "did you mean `z_threshold`"],
    ),
    (
        r#"{"test_scenarios": [{"name": "s", "type": "system", "metrics": ["gpu"]}]}"#,
        &["test_scenarios[0].metrics", "gpu"],
    ),
    (
        r#"{"test_scenarios": [{"name": "a", "type": "api", "duration": 5, "warmup": 9}]}"#,
        &["warmup", "shorter"],
    ),
    ("{\"base_url\": ", &["bad.json", "line 1"]),
    ("[1, 2]", &["bad.json", "expected a config object"]),
    ("{} trailing", &["trailing"]),
    ("", &["bad.json"]),
];

#[test]
fn malformed_configs_are_explained() {
    for (text, words) in BAD {
        let e = Config::parse(text, "bad.json").expect_err(text).to_string();
        for w in *words {
            assert!(
                e.contains(w),
                "error for {text:?} should contain {w:?}: {e}"
            );
        }
        assert!(!e.contains('\n'), "one sentence: {e}");
    }
}
