//! A real terminal for the binary: a tmux server of the test's own, read back with
//! capture-pane, waited on by what the screen shows.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux not found; run `cargo xtask test`, which installs it")
    }
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "pg"]).stdout).into_owned()
    }
    pub fn keys(&self, k: &str) {
        self.cmd(&["send-keys", "-t", "pg", k]);
    }
    pub fn wait_for(&self, what: &str, secs: u64) -> String {
        self.wait_until(|s| s.contains(what), secs)
            .unwrap_or_else(|s| panic!("{what:?} did not appear within {secs}s; screen:\n{s}"))
    }
    /// Waits until the screen no longer shows `what`. After Escape, the next key
    /// must wait for it: sent at once, the two reach the console in one read as
    /// Alt+key (a quit read as Alt+q was ignored).
    pub fn wait_gone(&self, what: &str, secs: u64) -> String {
        self.wait_until(|s| !s.contains(what), secs)
            .unwrap_or_else(|s| panic!("{what:?} still shown after {secs}s; screen:\n{s}"))
    }
    /// The screen once `done` holds of it, or the last screen after `secs`.
    fn wait_until(&self, done: impl Fn(&str) -> bool, secs: u64) -> Result<String, String> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.capture();
            if done(&s) {
                return Ok(s);
            }
            if Instant::now() > end {
                return Err(s);
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

impl Tmux {
    /// A tmux server of our own running `cmd` in a 120x40 window inside `dir`.
    pub fn start(dir: &std::path::Path, tag: &str, cmd: &str) -> Tmux {
        let t = Tmux {
            socket: format!("perfgate-test-{tag}-{}", std::process::id()),
        };
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
            dir.to_str().unwrap(),
            cmd,
        ]);
        assert!(
            o.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        t
    }
}
