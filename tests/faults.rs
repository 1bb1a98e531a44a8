//! Faults in the target and in perfgate itself: nothing panics, nothing is lost,
//! errors are classified, the store stays intact.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn api_cfg(url: &str, secs: f64, extra: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "fail_on_regression": false, {extra}
            "test_scenarios": [{{"name": "t", "type": "api", "endpoint": "/health", "concurrent_users": 4, "duration": {secs}, "timeout": 1}}]}}"#
    )
}

fn errors_of(dir: &std::path::Path) -> serde_json::Value {
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    r["scenarios"][0].clone()
}

#[test]
fn target_faults_are_classified_and_bounded_in_time() {
    for (flag, class) in [
        ("--reset-pct", "io"),
        ("--truncate-pct", "body"),
        ("--endless-pct", "timeout"),
        ("--error-pct", "http_5xx"),
    ] {
        let srv = DemoServer::start(&[flag, "30"]);
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), "c.json", &api_cfg(&srv.url, 1.5, ""));
        let t0 = Instant::now();
        let o = run(
            dir.path(),
            &["--ci", "--config", "c.json", "--output", "o.json"],
        );
        let took = t0.elapsed();
        assert_eq!(code(&o), 0, "{flag}: {}", stderr(&o));
        assert!(
            took < Duration::from_secs_f64(1.5 + 1.0 + 4.0),
            "{flag}: finished within duration + timeout ({took:?})"
        );
        let s = errors_of(dir.path());
        assert!(
            s["errors"][class].as_u64().unwrap_or(0) > 0,
            "{flag} counted as {class}: {s}"
        );
        assert!(
            s["metrics"]["throughput_rps"].as_f64().unwrap() > 0.0,
            "{flag}: the healthy share still gets through: {s}"
        );
    }
}

#[test]
fn closed_keep_alive_connections_are_not_errors() {
    let srv = DemoServer::start(&["--close-pct", "50"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "c.json", &api_cfg(&srv.url, 1.0, ""));
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 0);
    let s = errors_of(dir.path());
    assert_eq!(s["metrics"]["error_rate_pct"].as_f64(), Some(0.0), "{s}");
    assert!(
        s["metrics"]["throughput_rps"].as_f64().unwrap() > 100.0,
        "{s}"
    );
}

fn sqlite(db: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

#[test]
fn kill_9_mid_run_leaves_the_store_intact() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_config(
        d,
        "short.json",
        &api_cfg(&srv.url, 0.5, r#""tracking_db": "s.db","#),
    );
    write_config(
        d,
        "long.json",
        &api_cfg(&srv.url, 20.0, r#""tracking_db": "s.db","#),
    );
    assert_eq!(code(&run(d, &["--ci", "--config", "short.json"])), 0);
    let before: Vec<(i64, f64)> = sqlite(&d.join("s.db"))
        .prepare("SELECT run_id, value FROM metric_values ORDER BY run_id, metric")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut child = Command::new(bin())
        .current_dir(d)
        .args(["--ci", "--config", "long.json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let c = sqlite(&d.join("s.db"));
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let after: Vec<(i64, f64)> = c
        .prepare("SELECT run_id, value FROM metric_values WHERE run_id = 1 ORDER BY run_id, metric")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(before, after, "earlier runs untouched");
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM metric_values WHERE run_id = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0, "the killed run is never half-written");
    drop(c);
    // The next perfgate to open the store marks the dead run incomplete.
    let o = run(d, &["runs", "--store", "s.db"]);
    let runs = stdout(&o);
    assert!(
        runs.lines()
            .any(|l| l.starts_with("#2") && l.contains("incomplete")),
        "{runs}"
    );
}

#[test]
fn sigint_and_sigterm_save_the_partial_run() {
    let srv = DemoServer::start(&[]);
    for sig in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_config(d, "c.json", &api_cfg(&srv.url, 30.0, ""));
        let child = Command::new(bin())
            .current_dir(d)
            .args(["--ci", "--config", "c.json", "--output", "o.json"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let t0 = Instant::now();
        assert!(
            Command::new("kill")
                .args([&format!("-{sig}"), &child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
        let out = child.wait_with_output().unwrap();
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "stops promptly on SIG{sig}"
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "SIG{sig}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("o.json")).unwrap()).unwrap();
        assert_eq!(r["interrupted"], true);
        assert!(
            r["scenarios"][0]["metrics"]["throughput_rps"]
                .as_f64()
                .unwrap()
                > 0.0
        );
        let runs = stdout(&run(d, &["runs", "--config", "c.json"]));
        assert!(runs.contains("interrupted"), "{runs}");
    }
}

#[test]
fn eight_writers_share_one_store() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_config(
        d,
        "c.json",
        &api_cfg(&srv.url, 0.5, r#""tracking_db": "shared.db","#),
    );
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(bin())
                .current_dir(d)
                .args(["--ci", "--config", "c.json"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let c = sqlite(&d.join("shared.db"));
    let complete: i64 = c
        .query_row(
            "SELECT count(*) FROM runs WHERE status = 'complete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(complete, 8, "every writer's run recorded");
    let values: i64 = c
        .query_row(
            "SELECT count(DISTINCT run_id) FROM metric_values",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(values, 8);
}

#[test]
fn a_store_from_a_newer_perfgate_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        let c = sqlite(&d.join("new.db"));
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let bytes = std::fs::read(d.join("new.db")).unwrap();
    write_config(
        d,
        "c.json",
        &api_cfg("http://127.0.0.1:1", 0.2, r#""tracking_db": "new.db","#),
    );
    let o = run(d, &["--ci", "--config", "c.json"]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("newer") && stderr(&o).contains("new.db"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(d.join("new.db")).unwrap(),
        bytes,
        "left exactly as it was"
    );
    assert!(!d.join("new.db-wal").exists());
}

#[test]
fn store_check_and_repair_back_up_first() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_config(
        d,
        "c.json",
        &api_cfg(&srv.url, 0.3, r#""tracking_db": "s.db","#),
    );
    for _ in 0..2 {
        assert_eq!(code(&run(d, &["--ci", "--config", "c.json"])), 0);
    }
    let o = run(d, &["store", "check", "--store", "s.db"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("integrity ok") && stdout(&o).contains("2 runs"),
        "{}",
        stdout(&o)
    );
    // Damage the file in the middle; check says so without writing.
    // Overwrite the root page of metric_values.
    let (root, page): (i64, i64) = {
        let c = sqlite(&d.join("s.db"));
        let root = c
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'metric_values'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let page = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        (root, page)
    };
    let mut bytes = std::fs::read(d.join("s.db")).unwrap();
    let start = ((root - 1) * page) as usize;
    assert!(bytes.len() >= start + page as usize);
    for b in &mut bytes[start..start + page as usize] {
        *b = 0xAB;
    }
    std::fs::write(d.join("s.db"), &bytes).unwrap();
    let o = run(d, &["store", "check", "--store", "s.db"]);
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    assert_eq!(
        std::fs::read(d.join("s.db")).unwrap(),
        bytes,
        "check never writes"
    );
    let o = run(d, &["store", "repair", "--store", "s.db"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let backup = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("s.db.backup-repair-")
        })
        .expect("a backup");
    assert_eq!(
        std::fs::read(backup.path()).unwrap(),
        bytes,
        "the damaged file is kept as it was"
    );
    let o = run(d, &["store", "check", "--store", "s.db"]);
    assert_eq!(code(&o), 0, "repaired: {}", stdout(&o));
    // The repaired store takes new runs.
    assert_eq!(code(&run(d, &["--ci", "--config", "c.json"])), 0);

    // Its first page (the schema) damaged: nothing can be read, and every command
    // says what to try; repair says why it cannot help and leaves no half-made store.
    let mut bytes = std::fs::read(d.join("s.db")).unwrap();
    bytes[100..120].copy_from_slice(b"garbagegarbagegarbag");
    std::fs::write(d.join("s.db"), &bytes).unwrap();
    for f in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(d.join(format!("s.db{f}")));
    }
    let o = run(d, &["store", "check", "--store", "s.db"]);
    assert_eq!(code(&o), 3);
    assert!(
        stdout(&o).contains("runs unreadable") && stdout(&o).contains("perfgate store repair"),
        "{}",
        stdout(&o)
    );
    let o = run(d, &["runs", "--store", "s.db"]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("`perfgate store repair`"),
        "{}",
        stderr(&o)
    );
    let o = run(d, &["store", "repair", "--store", "s.db"]);
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("no row can be recovered; the store was left as it was"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(d.join("s.db")).unwrap(), bytes);
    assert!(
        !d.join("s.db.repairing").exists(),
        "no half-made store left"
    );
}

/// History kept outside CI caches: export a consistent copy, import it elsewhere
/// (the old store backed up first); a damaged or foreign file changes nothing.
#[test]
fn store_export_then_import_carries_the_history() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_config(
        d,
        "c.json",
        &api_cfg(&srv.url, 0.3, r#""tracking_db": "s.db","#),
    );
    for _ in 0..3 {
        assert_eq!(code(&run(d, &["--ci", "--config", "c.json"])), 0);
    }
    let o = run(d, &["store", "export", "kept.db", "--store", "s.db"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("exported 3 runs"), "{}", stdout(&o));
    let o = run(d, &["store", "export", "kept.db", "--store", "s.db"]);
    assert_eq!(code(&o), 2, "never overwrites: {}", stdout(&o));

    // A fresh machine: another store with one run of its own takes the history.
    let o = run(d, &["--ci", "--config", "c.json", "--store", "fresh.db"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(d, &["store", "import", "kept.db", "--store", "fresh.db"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("imported 3 runs") && stdout(&o).contains("backed up"));
    let o = run(d, &["store", "check", "--store", "fresh.db"]);
    assert!(stdout(&o).contains("3 runs"), "{}", stdout(&o));
    assert_eq!(
        code(&run(
            d,
            &["--ci", "--config", "c.json", "--store", "fresh.db"]
        )),
        0
    );
    let o = run(d, &["store", "check", "--store", "fresh.db"]);
    assert!(stdout(&o).contains("4 runs"), "runs go on: {}", stdout(&o));

    // Not a store: refused, and the store is left as it was.
    std::fs::write(d.join("junk.db"), b"not a database at all").unwrap();
    let before = std::fs::read(d.join("fresh.db")).unwrap();
    let o = run(d, &["store", "import", "junk.db", "--store", "fresh.db"]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("junk.db"), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("fresh.db")).unwrap(), before);
}

/// A small tmpfs of our own (the tests run as root, as `.ci/run` does), unmounted on drop.
struct SmallFs(std::path::PathBuf);

impl SmallFs {
    fn mount(size: &str) -> SmallFs {
        let dir = std::env::temp_dir().join(format!("perfgate-fs-{}-{size}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                dir.to_str().unwrap(),
            ])
            .status()
            .expect("mount(8)");
        assert!(
            st.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        SmallFs(dir)
    }
    fn remount_ro(&self) {
        assert!(
            Command::new("mount")
                .args(["-o", "remount,ro", self.0.to_str().unwrap()])
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_read_only_or_full_disk_exits_3_and_loses_nothing() {
    let srv = DemoServer::start(&[]);
    // Read-only: the store is refused with exit 3 and left byte for byte.
    {
        let fs = SmallFs::mount("4m");
        let db = fs.0.join("ro.db");
        let dir = tempfile::tempdir().unwrap();
        write_config(
            dir.path(),
            "c.json",
            &api_cfg(
                &srv.url,
                0.2,
                &format!(r#""tracking_db": "{}","#, db.display()),
            ),
        );
        assert_eq!(code(&run(dir.path(), &["--ci", "--config", "c.json"])), 0);
        let before = std::fs::read(&db).unwrap();
        fs.remount_ro();
        let o = run(dir.path(), &["--ci", "--config", "c.json"]);
        assert_eq!(code(&o), 3, "{}", stderr(&o));
        assert!(stderr(&o).contains("ro.db"), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "left exactly as it was"
        );
    }
    // Full disk: the run fails with exit 3; earlier runs stay intact.
    {
        let fs = SmallFs::mount("1m");
        let db = fs.0.join("full.db");
        let dir = tempfile::tempdir().unwrap();
        write_config(
            dir.path(),
            "c.json",
            &api_cfg(
                &srv.url,
                0.2,
                &format!(r#""tracking_db": "{}","#, db.display()),
            ),
        );
        assert_eq!(code(&run(dir.path(), &["--ci", "--config", "c.json"])), 0);
        // Fill what is left of the disk.
        let mut filler = std::fs::File::create(fs.0.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
        drop(filler);
        let mut failed = false;
        for _ in 0..5 {
            let o = run(dir.path(), &["--ci", "--config", "c.json"]);
            if code(&o) == 3 {
                assert!(stderr(&o).contains("full.db"), "{}", stderr(&o));
                failed = true;
                break;
            }
        }
        assert!(failed, "a full disk is reported with exit 3");
        std::fs::remove_file(fs.0.join("filler")).unwrap();
        let c = sqlite(&db);
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let first: i64 = c
            .query_row(
                "SELECT count(*) FROM metric_values WHERE run_id = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(first > 0, "the earlier run is intact");
    }
}

/// A store that cannot be reached says why at once (the pool alone retried a
/// refused connection for 30 s, then said "timed out"), and a URL perfgate cannot
/// store in is refused as such, not looked for as a file; no password is printed.
#[test]
fn an_unreachable_or_unsupported_store_url_says_why_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    // A loopback port nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pg = format!("postgresql://u:secretpw@127.0.0.1:{port}/db");
    let o = run(dir.path(), &["runs", "--store", &pg]);
    let refused = stderr(&o);
    assert_eq!(code(&o), 3, "{refused}");
    assert!(
        refused.contains("refused") && refused.contains("u:***@"),
        "{refused}"
    );
    let o = run(
        dir.path(),
        &["runs", "--store", "mysql://u:secretpw@127.0.0.1:1/db"],
    );
    let unsupported = stderr(&o);
    assert_eq!(code(&o), 2, "{unsupported}");
    assert!(
        unsupported.contains("postgres://") && unsupported.contains("not mysql://"),
        "{unsupported}"
    );
    for err in [refused, unsupported] {
        assert!(!err.contains("secretpw"), "{err}");
    }
}

#[test]
fn a_truncated_store_is_pointed_at_repair_and_a_foreign_file_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_svc_config(d, 20, 30);
    for i in 0..3 {
        let o = ingest(
            d,
            &format!("latency_p95_ms,{}", 100 + i),
            &["--store", "s.db"],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    // Cut short mid-file, as a full disk or a killed copy leaves it.
    let bytes = std::fs::read(d.join("s.db")).unwrap();
    assert!(bytes.len() > 5000, "{} bytes", bytes.len());
    std::fs::write(d.join("cut.db"), &bytes[..5000]).unwrap();
    std::fs::write(d.join("notes.db"), "not a database at all\n").unwrap();
    for args in [&["runs"][..], &["store", "check"]] {
        let with = |f: &'static str| [args, &["--store", f]].concat();
        let o = run(d, &with("cut.db"));
        assert_eq!(code(&o), 3, "{}", stdout(&o));
        assert!(
            stderr(&o).contains("cut.db: is not a usable")
                && stderr(&o).contains("`perfgate store repair`"),
            "{args:?}: {}",
            stderr(&o)
        );
        let o = run(d, &with("notes.db"));
        assert_eq!(code(&o), 3, "{}", stdout(&o));
        assert!(
            stderr(&o).contains("notes.db: is not a usable") && !stderr(&o).contains("repair"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(d.join("cut.db")).unwrap(), &bytes[..5000]);
}
