//! The detector on its own: feed a metric's values in order, get each judgement.
//! A latency that steps up by 30% at run 30 is caught within a few runs, while the
//! noise before it raises nothing.
//!
//! ```sh
//! cargo run --release --example detector
//! ```

use perfgate_core::config::Config;
use perfgate_core::{Detector, detect::Kind};

fn main() {
    let mut detector = Detector::new(&Config::default());
    // Deterministic noise (+/-4%) around 100 ms; +30% from run 30.
    let noise = [
        0.02, -0.03, 0.01, 0.04, -0.01, 0.0, -0.04, 0.03, -0.02, 0.01,
    ];
    let mut first_alert = None;
    for run in 0..45 {
        let level = if run >= 30 { 130.0 } else { 100.0 };
        let value = level * (1.0 + noise[run % noise.len()]);
        let seen = detector.observe("checkout.response_time_p95_ms", value);
        if let Some(kind) = seen.opens {
            let j = seen.judgement.expect("an alert comes with its judgement");
            println!(
                "run {run}: {} opened, z {:+.1}, change {:+.1}%",
                match kind {
                    Kind::Regression => "regression",
                    Kind::Improvement => "improvement",
                },
                j.z,
                j.change_pct
            );
            first_alert.get_or_insert(run);
        }
    }
    match first_alert {
        Some(run) if run >= 30 => println!("caught {} run(s) after the step", run - 30),
        Some(run) => println!("false alarm at run {run}"),
        None => println!("not caught"),
    }
}
