//! What a user's CSV or store can hold never panics the way to a verdict: the
//! replay, change points, trend and backtest, on histories a tenth of whose runs
//! are hostile.

use perfgate_core::backtest::backtest;
use perfgate_core::baseline::Trend;
use perfgate_core::changepoint::change_points;
use perfgate_core::detect::{Decision, Settings};
use perfgate_core::metrics::Direction;

/// A history of `n` runs around `base` from `rng`: a tenth of its runs hostile
/// (NaN, infinities, zeros, the largest and smallest doubles), some quantised,
/// some spiking.
fn hostile(rng: &mut rand::rngs::StdRng, n: usize, base: f64) -> Vec<f64> {
    use rand::Rng;
    let odd = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e308,
        -1e308,
        1e-308,
        5e-324,
        -5.0,
        12.0,
    ];
    (0..n)
        .map(|_| {
            let u: f64 = rng.random();
            if u < 0.1 {
                odd[rng.random_range(0..odd.len())]
            } else if u < 0.35 {
                (base + rng.random_range(-3..4) as f64).round()
            } else {
                let spike = if u > 0.97 { base.abs() * 3.0 } else { 0.0 };
                base + base.abs().max(1.0) * 0.05 * (rng.random::<f64>() - 0.5) + spike
            }
        })
        .collect()
}

#[test]
fn hostile_histories_never_panic_the_detector_trend_change_points_or_backtest() {
    // What a user's CSV or store can hold: no panic anywhere on the way to a
    // verdict, and backtest names the file, line and column of a value it refuses.
    use rand::{Rng, SeedableRng};
    let s = Settings::default();
    let (mut replayed, mut refused) = (0, 0);
    for seed in 0..400u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let n = rng.random_range(1..90);
        let base = [1e-9, 1.0, 100.0, 1e9, 0.0, -50.0][rng.random_range(0..6)];
        let v = hostile(&mut rng, n, base);
        for dir in [Direction::Lower, Direction::Higher] {
            let decided = Decision::of_each(&s, &v, dir);
            assert_eq!(decided.len(), v.len(), "seed {seed}");
        }
        let _ = change_points(&v, 1 + seed as usize % 6);
        let day = if seed % 3 == 0 { 1e-3 } else { 86_400.0 };
        let points: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .map(|(i, &x)| (i as f64 * day, x))
            .collect();
        if let Some(t) = Trend::of_history(&points) {
            assert!(!t.describe().is_empty(), "seed {seed}");
        }
        let csv: String = std::iter::once("metric,run,value\n".to_string())
            .chain(
                v.iter()
                    .enumerate()
                    .map(|(i, x)| format!("api.latency_p95_ms,{i},{x}\n")),
            )
            .collect();
        match backtest(&csv, "h.csv", &s) {
            Ok(r) => replayed += usize::from(r.runs == v.len()),
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.starts_with("h.csv: line ") && e.contains("column `value`"),
                    "{e}"
                );
                refused += 1;
            }
        }
    }
    // Both paths were taken: finite histories replayed whole, others refused.
    assert!(
        replayed > 50 && refused > 50,
        "{replayed} replayed, {refused} refused"
    );
}
