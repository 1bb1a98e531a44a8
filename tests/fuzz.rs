//! Property tests over user input: thousands of generated and mutated configs and
//! histories. Every input yields a result or a clear error naming the file; none
//! panics (a panic fails the test).

use perfgate::engine::backtest::backtest;
use perfgate::engine::config::Config;
use perfgate::engine::detect::Settings;
use rand::{Rng, SeedableRng, rngs::StdRng};

const CASES: usize = 5000;

fn mutate(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if v.is_empty() {
            break;
        }
        let i = rng.random_range(0..v.len());
        match rng.random_range(0..6) {
            0 => v[i] = rng.random(),
            1 => {
                v.remove(i);
            }
            2 => {
                let alphabet = b"{}[]\",:0123456789-.eE truefalsenull\\";
                v.insert(i, alphabet[rng.random_range(0..alphabet.len())])
            }
            3 => v.truncate(i),
            4 => {
                let j = rng.random_range(0..v.len());
                v.swap(i, j)
            }
            _ => {
                let chunk: Vec<u8> = v[i..v.len().min(i + 16)].to_vec();
                v.splice(i..i, chunk);
            }
        }
    }
    v
}

#[test]
fn mutated_configs_never_panic() {
    let base = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/reference.json"
    ))
    .unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let (mut ok, mut err) = (0, 0);
    for _ in 0..CASES {
        let bytes = mutate(&mut rng, &base);
        let text = String::from_utf8_lossy(&bytes);
        match Config::parse(&text, "fuzz.json") {
            Ok(c) => {
                ok += 1;
                // A config that parses has a fingerprint and can be validated again.
                assert!(!c.fingerprint().is_empty());
            }
            Err(e) => {
                err += 1;
                let s = e.to_string();
                assert!(s.starts_with("fuzz.json: "), "{s}");
                assert!(!s.contains('\n') || s.lines().count() == 1, "{s}");
            }
        }
    }
    assert_eq!(ok + err, CASES);
    assert!(err > CASES / 2, "most mutants are invalid ({err})");
}

fn random_value(rng: &mut StdRng, depth: u32) -> serde_json::Value {
    use serde_json::Value;
    let keys = [
        "base_url",
        "test_duration",
        "concurrent_users",
        "regression_threshold",
        "fail_on_regression",
        "tracking_db",
        "min_baseline_samples",
        "outlier_threshold",
        "test_scenarios",
        "detection",
        "thresholds",
        "name",
        "type",
        "endpoint",
        "method",
        "duration",
        "rate",
        "metrics",
        "query",
        "zzz",
    ];
    match rng.random_range(0..if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => serde_json::json!(rng.random_range(-1e6..1e6)),
        3 => serde_json::json!(rng.random_range(-5i64..100)),
        4 => Value::String(
            [
                "api", "system", "database", "", "GET", "< 5", "http://x", "*.a",
            ][rng.random_range(0..8)]
            .into(),
        ),
        5 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.random_range(0..6))
                .map(|_| {
                    (
                        keys[rng.random_range(0..keys.len())].to_string(),
                        random_value(rng, depth + 1),
                    )
                })
                .collect(),
        ),
    }
}

#[test]
fn generated_config_structures_never_panic() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..CASES {
        let v = random_value(&mut rng, 0);
        let text = v.to_string();
        if let Err(e) = Config::parse(&text, "gen.json") {
            assert!(e.to_string().starts_with("gen.json: "), "{e}");
        }
    }
}

#[test]
fn random_histories_never_panic() {
    let mut rng = StdRng::seed_from_u64(13);
    let fields = [
        "a.x_ms",
        "b.y_rps",
        "",
        "1",
        "-3.5",
        "NaN",
        "inf",
        "1e308",
        "\"q,uoted\"",
        "lower",
        "higher",
        "sideways",
        "ü",
    ];
    let mut errors = 0;
    for _ in 0..CASES {
        let mut csv = String::new();
        if rng.random() {
            csv += "metric,run,value,direction\n";
        }
        for _ in 0..rng.random_range(0..40) {
            let n = rng.random_range(1..6);
            let row: Vec<String> = (0..n)
                .map(|i| match (i, rng.random_range(0..3)) {
                    (2, 0) => format!("{}", rng.random_range(-1e3..1e3)),
                    (1, 0) => format!("{}", rng.random_range(0..50)),
                    _ => fields[rng.random_range(0..fields.len())].to_string(),
                })
                .collect();
            csv += &row.join(",");
            csv += "\n";
        }
        match backtest(&csv, "h.csv", &Settings::default()) {
            Ok(r) => assert!(r.checks <= r.runs),
            Err(e) => {
                errors += 1;
                assert!(e.to_string().starts_with("h.csv: "), "{e}");
            }
        }
    }
    assert!(errors > 0);
}
