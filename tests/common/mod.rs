//! Helpers for integration tests: the real binary against a real loopback server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub mod services;
pub mod silent;
pub mod smtp;
pub mod tmux;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_perfgate"))
}

/// `perfgate demo-server` on an ephemeral loopback port; killed on drop.
pub struct DemoServer {
    child: Child,
    pub url: String,
}

impl DemoServer {
    pub fn start(extra: &[&str]) -> DemoServer {
        let mut child = Command::new(bin())
            .args(["demo-server", "--port", "0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start demo-server");
        let stderr = child.stderr.take().expect("stderr");
        let mut line = String::new();
        BufReader::new(stderr)
            .read_line(&mut line)
            .expect("read banner");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in banner {line:?}"))
            .to_string();
        DemoServer { child, url }
    }
}

impl DemoServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("NO_COLOR", "1")
        .envs(services::child_env())
        .output()
        .expect("run perfgate")
}

/// Deterministic noise for ingested histories: mean 0.23, sd about 1.4.
pub const WOBBLE: [f64; 11] = [0.0, 1.5, -1.0, 2.0, -2.0, 0.5, -0.5, 1.0, -1.5, 0.0, 2.5];

/// `c.json` for [`ingest`]: one scenario `svc`, judged from `min_samples` runs over a
/// baseline window of `window`.
pub fn write_svc_config(d: &Path, min_samples: usize, window: usize) {
    write_config(
        d,
        "c.json",
        &format!(
            r#"{{"min_baseline_samples": {min_samples}, "detection": {{"baseline_window": {window}}},
            "test_scenarios": [{{"name": "svc", "type": "api", "endpoint": "/"}}]}}"#
        ),
    );
}

/// One run: `rows` (`metric,value` lines) ingested as scenario `svc` through the
/// real pipeline, with config `c.json` and `extra` arguments.
pub fn ingest(d: &Path, rows: &str, extra: &[&str]) -> Output {
    std::fs::write(d.join("r.csv"), format!("metric,value\n{rows}")).unwrap();
    let mut args = vec![
        "ingest",
        "--format",
        "csv",
        "--scenario",
        "svc",
        "r.csv",
        "--config",
        "c.json",
    ];
    args.extend_from_slice(extra);
    run(d, &args)
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn write_config(dir: &Path, name: &str, json: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, json).unwrap();
    p
}

/// Runs recorded in a store, by status.
pub fn run_count(db: &Path) -> i64 {
    if !db.exists() {
        return 0;
    }
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap()
}

pub fn validate_report(json: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/report.schema.json")).unwrap();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = v
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "report violates schema: {errors:#?}");
}
