//! `perfgate demo`: what perfgate is for, in about a minute, on its own store.
//!
//! A built-in server answers quickly while a short baseline history is recorded; then a
//! live run starts and, part-way through, the server slows down. The affected metrics
//! leave their band, the engine re-runs the scenario to confirm, and a regression
//! appears in Triage. Headless, the same story is told on stderr and the exit is 0.

use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::cli::{DemoServerArgs, RunArgs};
use crate::engine::config::{Config, LoadedConfig};
use crate::engine::demo_server;
use crate::engine::error::{Error, Result};
use crate::engine::live::LiveHub;
use crate::engine::run::{self, RunOptions};
use crate::engine::store;

/// The demo's own store: never the user's `performance_baselines/`.
pub const DEMO_STORE: &str = ".perfgate-demo/tracking.db";
/// The demo's config, written beside its store so that the commands a user tries
/// afterwards judge by the demo's settings (5 runs of history, not the default 20).
pub const DEMO_CONFIG: &str = ".perfgate-demo/config.json";
/// Runs of history recorded before the live run (the config's min_baseline_samples).
const HISTORY_RUNS: usize = 5;
const HISTORY_SECS: f64 = 1.5;
/// Extra milliseconds per response once the slowdown starts, on a server that takes
/// about 2.5 ms (so the slow part of the run carries the percentiles, not only the mean).
const SLOWDOWN_MS: u64 = 5;
const BASE_DELAY_MS: u64 = 2;
const BASE_JITTER_MS: u64 = 1;
/// Share of the live run before the slowdown.
const SLOW_AFTER: f64 = 0.2;

const DEMO_JSON: &str = r#"{
  "base_url": "http://127.0.0.1:8000",
  "min_baseline_samples": 5,
  "fail_on_regression": false,
  "enable_alerts": false,
  "tracking_db": ".perfgate-demo/tracking.db",
  "detection": {"baseline_window": 10, "confirm_reruns": 1},
  "test_scenarios": [
    {"name": "demo_checkout", "type": "api", "endpoint": "/health", "concurrent_users": 4, "duration": 8}
  ]
}"#;

pub async fn run(args: &RunArgs, duration: Option<f64>, server: &DemoServerArgs) -> Result<i32> {
    let live_secs = match duration {
        Some(d) if d.is_finite() && d > 0.0 && d <= 3600.0 => d,
        Some(_) => {
            return Err(Error::Usage(
                "--duration must be a positive number of seconds, at most 3600".into(),
            ));
        }
        None => 8.0,
    };
    let mut opts = crate::commands::demo_server::options(server)?;
    if opts.delay_ms == 0 && opts.jitter_ms == 0 {
        opts.delay_ms = BASE_DELAY_MS;
        opts.jitter_ms = BASE_JITTER_MS;
    }
    let slowdown = opts.slowdown.clone();
    let stop = CancellationToken::new();
    let (local, _task) = demo_server::start(
        "127.0.0.1:0".parse().expect("literal address"),
        opts,
        stop.clone(),
    )
    .await
    .map_err(|e| Error::Run(format!("demo: cannot start the demo server: {e}")))?;

    let store_label = match &args.store {
        Some(s) => s.clone(),
        None => fresh_demo_store()?,
    };
    let next = next_flags(&store_label)?;
    let mut cfg = Config::parse(DEMO_JSON, "demo (built in)")?;
    cfg.base_url = format!("http://{local}");
    cfg.tracking_db = store_label.clone();
    for s in &mut cfg.test_scenarios {
        s.set_duration(live_secs);
    }
    let loaded = LoadedConfig {
        path: "demo (built in)".into(),
        config: cfg,
    };
    eprintln!(
        "perfgate demo: built-in server on http://{local}, store {}\n  1/3 recording a baseline: {HISTORY_RUNS} short runs at normal speed",
        store::label(&store_label)
    );
    record_history(&loaded, &store_label).await?;
    eprintln!(
        "  2/3 live run of {live_secs} s; the server slows down by {SLOWDOWN_MS} ms a response after {:.0} s",
        live_secs * SLOW_AFTER
    );
    let timer = {
        let slowdown = slowdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(live_secs * SLOW_AFTER)).await;
            slowdown.set(SLOWDOWN_MS);
        })
    };
    let code = crate::app::front_end(loaded, args, true).await;
    timer.abort();
    stop.cancel();
    let code = code?;
    if !crate::app::wants_tui(args) {
        eprintln!("{}", conclusion(&store_label, &next)?);
    }
    Ok(code)
}

/// The headless story's end, from what the store holds: the regressions the live
/// run opened, or, on a machine too busy to tell the slowdown from its own noise,
/// that it was not caught this time.
fn conclusion(store_label: &str, next: &str) -> Result<String> {
    let st = store::open(store_label)?;
    let live = st.latest_run_id()?;
    let mut caught: Vec<(String, f64)> = st
        .alerts(true)
        .into_iter()
        .flatten()
        .filter(|a| a.kind == crate::engine::model::AlertKind::Regression)
        .filter(|a| a.opened_run_id == live)
        .map(|a| (a.metric, a.change_pct))
        .collect();
    caught.sort_by(|a, b| a.0.cmp(&b.0));
    let hint = |cmd: &str| format!("perfgate {cmd} {next}");
    // The next commands look at a metric that was caught: the p95 when it was (a
    // busy machine's p95 can hide 5 ms where its mean does not).
    let p95 = "demo_checkout.response_time_p95_ms";
    let lead = caught
        .iter()
        .map(|c| c.0.as_str())
        .find(|m| *m == p95)
        .or(caught.first().map(|c| c.0.as_str()))
        .unwrap_or(p95);
    let caught: Vec<String> = caught
        .iter()
        .map(|(m, c)| format!("      {m} {c:+.0}%"))
        .collect();
    if caught.is_empty() {
        return Ok(format!(
            "  3/3 the slowdown was not caught this time: the live run #{live} stayed within its \
             baseline bands (a busy machine's own noise can hide 5 ms).\n\
             Next: {}\n\
             Run `perfgate demo` again on a quieter machine to see it caught.",
            hint(&format!("history {lead}"))
        ));
    }
    Ok(format!(
        "  3/3 the slowdown was caught in run #{live}, confirmed by a re-run; open for triage:\n{}\n\
         Next: {}\n      {}\n      {}\n\
         In a terminal, `perfgate demo` shows the same story live in the console.",
        caught.join("\n"),
        hint("triage list"),
        hint(&format!("history {lead}")),
        hint(&format!("baseline accept {lead} --reason \"new level\""))
    ))
}

/// What the next commands are told to use: the demo's config file, or, for a store
/// URL that carries a password (never written to a file, never printed), the store
/// itself, masked.
fn next_flags(store_label: &str) -> Result<String> {
    let shown = store::label(store_label);
    if shown != store_label {
        return Ok(format!("--store {shown}"));
    }
    write_demo_config(store_label)?;
    Ok(format!("--config {DEMO_CONFIG}"))
}

/// The demo's settings as a config file beside its store ([`DEMO_CONFIG`]), its
/// target the demo server's default address (`perfgate demo-server`).
fn write_demo_config(store_label: &str) -> Result<()> {
    let mut json: serde_json::Value =
        serde_json::from_str(DEMO_JSON).expect("the built-in demo config is JSON");
    json["tracking_db"] = serde_json::Value::String(store_label.to_string());
    let path = Path::new(DEMO_CONFIG);
    let dir = path.parent().expect("the demo config has a folder");
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Run(format!("{}: cannot create it: {e}", dir.display())))?;
    let text = serde_json::to_string_pretty(&json).expect("a JSON value serialises");
    std::fs::write(path, text + "\n")
        .map_err(|e| Error::Run(format!("{DEMO_CONFIG}: cannot write it: {e}")))
}

/// Start every demo from an empty store of its own, so the story is always the same.
fn fresh_demo_store() -> Result<String> {
    let dir = Path::new(DEMO_STORE)
        .parent()
        .expect("the demo store has a folder");
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Store(format!("{}: cannot create it: {e}", dir.display())))?;
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{DEMO_STORE}{suffix}");
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Store(format!("{p}: cannot start afresh: {e}"))),
        }
    }
    Ok(DEMO_STORE.to_string())
}

/// Short runs stored as baseline history, quietly (no report, no live view).
async fn record_history(loaded: &LoadedConfig, label: &str) -> Result<()> {
    let mut history = loaded.clone();
    for s in &mut history.config.test_scenarios {
        s.set_duration(HISTORY_SECS);
    }
    let mut st = store::open(label)?;
    let opts = RunOptions {
        establish_baselines: true,
        mode: crate::engine::model::RunMode::Demo,
        ..RunOptions::default()
    };
    let cancel = CancellationToken::new();
    for i in 1..=HISTORY_RUNS {
        // Nobody watches these runs: the receiver is dropped and events go nowhere.
        let (hub, _) = LiveHub::new();
        let o = run::execute(&history, st.as_mut(), label, &opts, &hub, &cancel).await?;
        if o.status == crate::engine::model::Verdict::Error {
            return Err(Error::Run(format!(
                "demo: history run {i} failed: {}",
                o.scenarios
                    .iter()
                    .filter_map(|s| s.error.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        eprintln!("      run {i}/{HISTORY_RUNS} recorded");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_store_password_is_never_written_nor_printed() {
        let url = "postgresql://perf:s3cret@127.0.0.1:5432/perfgate";
        let next = super::next_flags(url).unwrap();
        assert_eq!(
            next,
            "--store postgresql://perf:***@127.0.0.1:5432/perfgate"
        );
        assert!(!next.contains("s3cret"));
    }
}
