//! The binary in a real terminal (tmux): demo run live, tab switches, a confirmed
//! baseline reset, and a clean quit. Needs tmux: `cargo xtask test` installs it.
#![cfg(feature = "tui")]

mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux not found; run `cargo xtask test`, which installs it")
    }
    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "pg"]).stdout).into_owned()
    }
    fn keys(&self, k: &str) {
        self.cmd(&["send-keys", "-t", "pg", k]);
    }
    fn wait_for(&self, what: &str, secs: u64) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.capture();
            if s.contains(what) {
                return s;
            }
            if Instant::now() > end {
                panic!("{what:?} did not appear within {secs}s; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
fn demo_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux {
        socket: format!("perfgate-test-{}", std::process::id()),
    };
    let cmd = format!(
        "{} demo --duration 3; echo PERFGATE_EXIT=$?; sleep 120",
        bin().display()
    );
    let o = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "pg",
        "-x",
        "120",
        "-y",
        "40",
        "-c",
        dir.path().to_str().unwrap(),
        &cmd,
    ]);
    assert!(
        o.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Live tab with numbers moving within 2 seconds.
    let first = t.wait_for("req/s", 5);
    assert!(
        first.contains("1 Live") && first.contains("health_check"),
        "{first}"
    );
    std::thread::sleep(Duration::from_millis(600));
    let second = t.capture();
    let line = |s: &str| {
        s.lines()
            .find(|l| l.contains("requests"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert_ne!(
        line(&first),
        line(&second),
        "live numbers move:\n{first}\n{second}"
    );

    // Wait for the run to finish, then visit every tab.
    t.wait_for("run #1 pass", 30);
    t.keys("2");
    t.wait_for("Metrics: history", 3);
    t.keys("3");
    let s = t.wait_for("Regressions:", 3);
    assert!(
        s.contains("No regressions") || s.contains("Regressions:"),
        "{s}"
    );
    t.keys("4");
    t.wait_for("Baselines (", 3);
    t.wait_for("health_check.error_rate_pct", 3);
    // Reset the selected baseline: a confirmation names what will be lost.
    t.keys("r");
    t.wait_for("Reset baseline of health_check.error_rate_pct?", 3);
    t.cmd(&["send-keys", "-t", "pg", "-l", "e2e"]);
    t.keys("Enter");
    t.wait_for("reset by", 3);
    t.keys("?");
    t.wait_for("Shift-Tab", 3);
    t.keys("Escape");
    t.keys("q");
    let s = t.wait_for("PERFGATE_EXIT=0", 10);
    assert!(
        !s.contains("1 Live │"),
        "the terminal is restored after quit:\n{s}"
    );

    let o = run(dir.path(), &["baseline", "list"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let list = stdout(&o);
    let reset = list
        .lines()
        .find(|l| l.starts_with("health_check.error_rate_pct"))
        .unwrap();
    assert!(reset.contains("building (20 more)"), "{list}");
    let other = list
        .lines()
        .find(|l| l.starts_with("health_check.throughput_rps"))
        .unwrap();
    assert!(other.contains("building (19 more)"), "{list}");
    let o = run(dir.path(), &["baseline", "audit"]);
    assert!(stdout(&o).contains("e2e"), "{}", stdout(&o));
}
