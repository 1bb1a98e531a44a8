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

/// The corpus of malformed configs (tests/fixtures/bad_configs), each with the
/// words its one-sentence error must contain (expected.tsv).
#[test]
fn malformed_configs_are_explained() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad_configs");
    let table = std::fs::read_to_string(format!("{dir}/expected.tsv")).unwrap();
    let mut n = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.split('\t');
        let file = cols.next().unwrap();
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let e = Config::parse(&text, file).expect_err(file).to_string();
        for w in cols {
            assert!(e.contains(w), "error for {file} should contain {w:?}: {e}");
        }
        assert!(!e.contains('\n'), "one sentence: {e}");
        assert!(e.starts_with(file), "names the file: {e}");
        n += 1;
    }
    assert!(n >= 20, "corpus has {n} cases");
}
