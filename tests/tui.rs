//! The binary in a real terminal (tmux): the demo catches a regression live, tab
//! switches, a confirmed baseline reset, a clean quit; an opened console sends no load. Needs tmux: `cargo xtask test` installs it.
#![cfg(feature = "tui")]

mod common;
use common::tmux::Tmux;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn demo_in_a_real_terminal_catches_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!("{} demo; echo PERFGATE_EXIT=$?; sleep 120", bin().display());
    let t = Tmux::start(dir.path(), "demo", &cmd);

    // The live run: figures with units beside their baseline, moving.
    let first = t.wait_for("req/s", 60);
    assert!(
        first.contains("1 Live") && first.contains("demo_checkout"),
        "{first}"
    );
    let line = |s: &str| {
        s.lines()
            .find(|l| l.contains("req/s"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let moved = Instant::now() + Duration::from_secs(10);
    while line(&t.capture()) == line(&first) {
        assert!(Instant::now() < moved, "live numbers do not move:\n{first}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(line(&first).contains(" ms"), "units shown: {first}");

    // The slowdown is caught, confirmed, and waits in Triage with what to do next.
    let s = t.wait_for("run #6 regression", 90);
    assert!(s.contains("next: 3 Triage"), "the footer guides: {s}");
    t.keys("3");
    // One group for what changed together; Space shows its metrics.
    let s = t.wait_for("Regressions: ", 5);
    assert!(s.contains("untriaged") && s.contains("g1"), "{s}");
    t.keys("Space");
    t.wait_for("demo_checkout.response_time_p95_ms", 5);
    // The detail tells the story: suspect range and before/after latency.
    t.keys("d");
    let s = t.wait_for("suspect range #", 5);
    assert!(s.contains("latency of run #6"), "{s}");
    // Where it was seen and which ids are alerts: `#N` is both.
    assert!(
        s.contains("seen in #6, state untriaged") && s.contains("alert "),
        "{s}"
    );
    // Each metric: how far out, and the rule that confirmed it.
    assert!(s.contains(", z +") && s.contains(", by "), "{s}");
    t.keys("Escape");
    t.wait_gone("suspect range #", 5);
    // Confirm from the console: c re-runs the group's scenario (still slow) and
    // records each metric as confirmed.
    t.keys("c");
    let s = t.wait_for("still beyond their band", 60);
    assert!(s.contains("re-run #7"), "{s}");
    t.keys("2");
    t.wait_for("Metrics: history", 5);
    t.keys("4");
    t.wait_for("Baselines (", 5);
    t.wait_for("demo_checkout.error_rate_pct", 5);
    // Reset the selected baseline: a confirmation names what will be lost.
    t.keys("r");
    t.wait_for("Reset baseline of demo_checkout.error_rate_pct?", 5);
    t.cmd(&["send-keys", "-t", "pg", "-l", "e2e"]);
    t.keys("Enter");
    t.wait_for("reset by", 5);
    t.keys("?");
    t.wait_for("Shift-Tab", 5);
    t.keys("Escape");
    t.wait_gone("Shift-Tab", 5);
    t.keys("q");
    let s = t.wait_for("PERFGATE_EXIT=0", 20);
    assert!(
        !s.contains("1 Live │"),
        "the terminal is restored after quit:\n{s}"
    );

    assert!(
        !dir.path().join("performance_baselines").exists(),
        "the demo never writes the user's store"
    );
    let store = ".perfgate-demo/tracking.db";
    let o = run(dir.path(), &["triage", "list", "--store", store]);
    assert!(
        stdout(&o).contains("demo_checkout.response_time_p95_ms"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = run(dir.path(), &["baseline", "audit", "--store", store]);
    assert!(stdout(&o).contains("e2e"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("still beyond, confirmed"),
        "the re-run is evidence in the audit log: {}",
        stdout(&o)
    );
}

/// A server that only counts the connections it is offered.
fn counting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let n = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(c);
        }
    });
    (url, n)
}

#[test]
fn opening_the_console_sends_no_load_until_asked() {
    use std::sync::atomic::Ordering;
    let (url, connections) = counting_server();
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"base_url": "{url}", "test_scenarios": [{{"name": "api", "type": "api", "endpoint": "/health", "concurrent_users": 1, "duration": 1}}]}}"#
        ),
    );
    let cmd = format!("{} --config c.json; sleep 60", bin().display());
    let t = Tmux::start(dir.path(), "idle", &cmd);
    let s = t.wait_for("No load is sent until you start a run", 20);
    assert!(
        s.contains(&format!("against {url}")),
        "names the target: {s}"
    );
    // Watched for a while: an open console stays quiet.
    let quiet = Instant::now() + Duration::from_secs(10);
    while Instant::now() < quiet {
        assert_eq!(connections.load(Ordering::SeqCst), 0, "load sent unasked");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The start key does send load (so the counter above could have seen it).
    t.keys("s");
    let sent = Instant::now() + Duration::from_secs(20);
    while connections.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < sent,
            "s did not start a run: {}",
            t.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys("q");
}
