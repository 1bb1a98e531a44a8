//! The seed's programmatic usage in Rust: a framework on a baselines folder, an API
//! test built in code, a few runs to establish the baseline, then a judged run.
//!
//! ```sh
//! perfgate demo-server --port 8000 &
//! cargo run --release --example framework -- http://127.0.0.1:8000 [BASELINES_DIR]
//! ```

use perfgate_core::{ApiTest, Framework, SystemTest, Verdict};

#[tokio::main]
async fn main() -> perfgate_core::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8000".to_string());
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("perfgate-example-{}", std::process::id()))
        });

    let mut framework = Framework::open(&dir)?
        .base_url(&url)
        .min_baseline_samples(3);
    framework
        .add_test(
            ApiTest::new("user_login", "/health")
                .concurrent_users(2)
                .duration_secs(1.0),
        )
        .add_test(
            SystemTest::new("machine")
                .duration_secs(1.0)
                .interval_ms(250),
        );

    for i in 1..=3 {
        let run = framework.establish_baselines().await?;
        println!("baseline run {i}: #{} {}", run.run_id, run.verdict());
    }
    let results = framework.run_tests().await?;
    for m in &results.metrics {
        println!(
            "{:<40} {:>12.3} {:<6} {}",
            m.name, m.value, m.unit, m.verdict
        );
    }
    println!(
        "verdict: {} ({} regression(s), {} failing) in {}",
        results.verdict(),
        results.regressions.len(),
        results.failing,
        dir.display()
    );
    std::process::exit(match results.verdict() {
        Verdict::Error => 3,
        _ => 0,
    })
}
