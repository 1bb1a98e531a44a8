//! Detection benchmark: synthetic metric histories through `perfgate backtest`'s
//! code path, scored for false alarms and time to detection.
//!
//! 60 runs per series, noise CV 5%, a step at run 40, judgements from run 20.
//! Noise models: Gaussian; log-normal with 3% of runs spiking +30%.
//! `cargo bench --bench detection` prints the figures; `-- --seed N` varies the draw,
//! `-- --write DIR` also writes the histories as CSV for `perfgate backtest`.

use perfgate::engine::backtest::backtest;
use perfgate::engine::detect::Settings;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, LogNormal, Normal};
use std::fmt::Write;

const RUNS: usize = 60;
const STEP_AT: usize = 40;
const CV: f64 = 0.05;
const SERIES: usize = 1000;

#[derive(Clone, Copy, PartialEq)]
enum Noise {
    Gaussian,
    Skewed,
    /// Whole milliseconds around 12 ms with a 1 ms sd: most samples are equal.
    Quantised,
}

impl Noise {
    fn name(self) -> &'static str {
        match self {
            Noise::Gaussian => "gaussian",
            Noise::Skewed => "skewed+spikes",
            Noise::Quantised => "quantised",
        }
    }
}

fn series(rng: &mut StdRng, noise: Noise, step_sigma: f64) -> Vec<f64> {
    if noise == Noise::Quantised {
        let normal = Normal::new(0.0, 1.0).unwrap();
        return (0..RUNS)
            .map(|i| {
                let step = if i >= STEP_AT { step_sigma } else { 0.0 };
                (12.0 + normal.sample(rng) + step).round()
            })
            .collect();
    }
    let sigma = 100.0 * CV;
    let normal = Normal::new(0.0, 1.0).unwrap();
    let sl = (1.0 + CV * CV).ln().sqrt();
    let lognormal = LogNormal::new(-sl * sl / 2.0, sl).unwrap();
    (0..RUNS)
        .map(|i| {
            let base = match noise {
                Noise::Gaussian => 100.0 + sigma * normal.sample(rng),
                Noise::Skewed | Noise::Quantised => {
                    let v = 100.0 * lognormal.sample(rng);
                    if rng.random::<f64>() < 0.03 {
                        v * 1.3
                    } else {
                        v
                    }
                }
            };
            if i >= STEP_AT {
                base + step_sigma * sigma
            } else {
                base
            }
        })
        .collect()
}

struct Score {
    false_alarms: usize,
    checks: usize,
    caught3: usize,
    caught5: usize,
    wrong_kind: usize,
    n: usize,
}

fn score(
    noise: Noise,
    step_sigma: f64,
    seed: u64,
    settings: &Settings,
    write: Option<&str>,
) -> Score {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut csv = String::from("metric,run,value\n");
    for s in 0..SERIES {
        for (i, v) in series(&mut rng, noise, step_sigma).iter().enumerate() {
            let _ = writeln!(csv, "s{s}.response_time_p95_ms,{i},{v:.4}");
        }
    }
    if let Some(dir) = write {
        let name = format!(
            "{dir}/{}_{step_sigma:+}sigma.csv",
            noise.name().replace('+', "_")
        );
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&name, &csv).unwrap();
    }
    let report = backtest(&csv, "synthetic", settings).unwrap();
    let mut sc = Score {
        false_alarms: 0,
        checks: 0,
        caught3: 0,
        caught5: 0,
        wrong_kind: 0,
        n: SERIES,
    };
    sc.checks = SERIES * (STEP_AT - settings.min_samples);
    let mut first: std::collections::HashMap<&str, usize> = Default::default();
    for a in &report.alerts {
        let run = a.run.as_u64().unwrap() as usize;
        if a.kind == "regression" {
            if run < STEP_AT {
                sc.false_alarms += 1;
            } else {
                let e = first.entry(a.metric.as_str()).or_insert(run);
                *e = (*e).min(run);
            }
            if step_sigma < 0.0 && run >= STEP_AT {
                sc.wrong_kind += 1;
            }
        }
    }
    for &run in first.values() {
        if run < STEP_AT + 3 {
            sc.caught3 += 1;
        }
        if run < STEP_AT + 5 {
            sc.caught5 += 1;
        }
    }
    sc
}

fn pct(a: usize, b: usize) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261127u64);
    let write = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    let env = |k: &str, d: f64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let d = Settings::default();
    // Overrides for tuning sweeps: PG_Z, PG_K, PG_H, PG_SPAN.
    let settings = Settings {
        z_threshold: env("PG_Z", d.z_threshold),
        cusum_k: env("PG_K", d.cusum_k),
        cusum_h: env("PG_H", d.cusum_h),
        cusum_span: env("PG_SPAN", d.cusum_span as f64) as usize,
        consistency: env("PG_C", d.consistency),
        z_cap: env("PG_CAP", d.z_cap),
        ..d
    };
    // A plain single-point rule for reference: z >= 3 against mean/std, no persistence.
    let naive = Settings {
        z_threshold: 3.0,
        persistence: 1,
        min_change_pct: 0.0,
        regression_threshold_pct: 1e9,
        cusum_h: f64::INFINITY,
        ..Settings::default()
    };
    println!(
        "settings: z {} persistence {} cusum k {} h {} consistency {}",
        settings.z_threshold,
        settings.persistence,
        settings.cusum_k,
        settings.cusum_h,
        settings.consistency
    );
    println!(
        "perfgate detection benchmark (seed {seed}, {SERIES} series x {RUNS} runs, CV 5%, step at run {STEP_AT})"
    );
    for (label, s) in [
        ("perfgate", &settings),
        ("single-point z>=3 (robust z)", &naive),
    ] {
        println!("\n== {label}");
        for noise in [Noise::Gaussian, Noise::Skewed, Noise::Quantised] {
            let name = noise.name();
            let base = score(
                noise,
                0.0,
                seed,
                s,
                if label == "perfgate" { write } else { None },
            );
            println!(
                "{name:<14} false alarms {:.3}% of checks ({} of {})",
                pct(base.false_alarms, base.checks),
                base.false_alarms,
                base.checks
            );
            for k in [2.0, 3.0, 4.0] {
                let r = score(
                    noise,
                    k,
                    seed + k as u64,
                    s,
                    if label == "perfgate" { write } else { None },
                );
                println!(
                    "{name:<14} step {k} sigma: caught within 3 runs {:.1}%, within 5 runs {:.1}%",
                    pct(r.caught3, r.n),
                    pct(r.caught5, r.n)
                );
            }
            let down = score(noise, -4.0, seed + 9, s, None);
            println!(
                "{name:<14} step -4 sigma (improvement): regression alerts after the step {}",
                down.wrong_kind
            );
        }
    }
}
