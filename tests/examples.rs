//! The public API's examples run as documented: the detector on its own, and the
//! framework against the demo server printing a verdict built through the API.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples beside the test binaries' folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let p = dir.join(name);
    assert!(p.exists(), "example {name} not built at {}", p.display());
    p
}

#[test]
fn detector_example_catches_the_step_without_false_alarms() {
    let o = Command::new(example("detector")).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("caught"), "{out}");
    assert!(
        !out.contains("false alarm") && !out.contains("not caught"),
        "{out}"
    );
}

#[test]
fn framework_example_prints_a_verdict_from_the_api() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(example("framework"))
        .args([srv.url.as_str(), dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("baseline run 3: #3 pass"), "{out}");
    assert!(
        out.contains("verdict: pass") || out.contains("verdict: regression"),
        "{out}"
    );
    assert!(out.contains("user_login.response_time_p95_ms"), "{out}");
    // The runs are in the framework's store, where the CLI reads them too.
    let db = dir.path().join("tracking.db");
    assert_eq!(run_count(&db), 4);
}
