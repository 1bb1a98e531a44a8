//! `cargo xtask test [ARGS...]`: on a fresh Debian machine with only the Rust toolchain,
//! installs the programs the tests start (tmux, hyperfine, PostgreSQL, MariaDB) and runs
//! the whole suite, every test binary even when one fails. The tests start their own
//! throwaway servers; nothing needs to be running and no environment variable is needed.
//! ARGS go to `cargo test` (e.g. a test name filter).

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// A Debian package and how to tell it is already there.
struct Need {
    package: &'static str,
    present: fn() -> bool,
}

const NEEDS: &[Need] = &[
    Need {
        package: "tmux",
        present: || on_path("tmux"),
    },
    Need {
        package: "hyperfine",
        present: || on_path("hyperfine"),
    },
    Need {
        package: "postgresql",
        present: postgres_present,
    },
    Need {
        package: "mariadb-server",
        present: || on_path("mariadbd") && on_path("mariadb-install-db"),
    },
];

fn on_path(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn postgres_present() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|v| v.path().join("bin/initdb").exists())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("install") => match install() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
        _ => {
            eprintln!(
                "usage: cargo xtask test [CARGO TEST ARGS...]   install what the tests need, run them all\n       cargo xtask install                       only install"
            );
            ExitCode::from(2)
        }
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("xtask: {msg}");
    ExitCode::FAILURE
}

/// apt-get installs the missing packages, as root or through sudo.
fn install() -> Result<(), String> {
    let missing: Vec<&str> = NEEDS
        .iter()
        .filter(|n| !(n.present)())
        .map(|n| n.package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let prefix: &[&str] = if root {
        &[]
    } else if on_path("sudo") {
        &["sudo", "-n"]
    } else {
        return Err(format!(
            "{} missing and neither root nor sudo is available: apt-get install {}",
            missing.join(", "),
            missing.join(" ")
        ));
    };
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut all: Vec<&str> = prefix.to_vec();
        all.extend_from_slice(args);
        let st = Command::new(all[0])
            .args(&all[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("{}: {e}", all.join(" ")))?;
        st.success()
            .then_some(())
            .ok_or_else(|| format!("`{}` failed ({st})", all.join(" ")))
    };
    apt(&["apt-get", "update", "-qq"])?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)?;
    // Debian starts the packaged servers on install; the tests use their own on free
    // ports, so the system ones are only in the way.
    for svc in ["postgresql", "mariadb"] {
        let _ = Command::new("sh")
            .args(["-c", &format!("service {svc} stop >/dev/null 2>&1")])
            .status();
    }
    Ok(())
}

fn test(extra: &[String]) -> ExitCode {
    if let Err(e) = install() {
        return fail(&e);
    }
    let start = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut child = match Command::new(cargo)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot start cargo test: {e}")),
    };
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                passed += count(rest, " passed");
                failed += count(rest, " failed");
                ignored += count(rest, " ignored");
            }
        }
    }
    let ok = child.wait().is_ok_and(|s| s.success());
    eprintln!(
        "xtask: {passed} passed, {failed} failed, {ignored} ignored in {:.0} s: {}",
        start.elapsed().as_secs_f64(),
        if ok { "ok" } else { "FAILED" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The number before `label` in a libtest summary ("ok. 12 passed; 0 failed; ...").
fn count(summary: &str, label: &str) -> u64 {
    summary
        .split(';')
        .find_map(|part| part.trim().strip_suffix(label.trim()))
        .and_then(|n| n.trim().rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}
