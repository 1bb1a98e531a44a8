//! Throwaway PostgreSQL and MariaDB servers for the tests, started from the machine's
//! binaries on a free loopback port when no URL is given in the environment.
//!
//! One server per test binary. A watchdog shell stops it and deletes its data when the
//! test process exits (however it exits): statics are never dropped in Rust, and a
//! server that outlives its tests would hold ports and disk on the next run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The command that installs what the tests need; named in every "missing" failure.
pub const INSTALL_HINT: &str = "run `cargo xtask test`, which installs it";

/// Environment the spawned perfgate processes need (service URLs started here).
static CHILD_ENV: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

pub fn child_env() -> Vec<(String, String)> {
    CHILD_ENV.lock().unwrap().clone()
}

fn export(name: &str, value: &str) {
    CHILD_ENV
        .lock()
        .unwrap()
        .push((name.to_string(), value.to_string()));
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a shell command, as `user` when we are root (the servers refuse to run as root).
fn sh_as(user: &str, script: &str) -> Command {
    let mut c = if is_root() {
        let mut c = Command::new("su");
        c.args([user, "-s", "/bin/sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    c.stdin(Stdio::null());
    c
}

fn must(c: &mut Command, what: &str, log: &Path) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    if !out.status.success() {
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        panic!(
            "{what} failed: {}{}\n{tail}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A private directory the service user can write, removed by the watchdog.
fn data_dir(prefix: &str, owner: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        let st = Command::new("chown")
            .args(["-R", owner, dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(st.success(), "chown {owner} {}", dir.display());
    }
    dir
}

/// Stops the server (`stop`, a shell command) and removes `dir` once this process is gone.
fn watchdog(stop: &str, dir: &Path) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    detach(&script, "start the service watchdog");
}

/// Runs `script` in its own session (`setsid -f` forks), so it outlives this process.
fn detach(script: &str, what: &str) {
    let st = Command::new("setsid")
        .args(["-f", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(st.success(), "{what}: setsid failed");
}

fn wait_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tail = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not listen on 127.0.0.1:{port} within 60 s\n{tail}");
}

/// The admin URL of a PostgreSQL server: `PERFGATE_TEST_POSTGRES_URL`, or a throwaway
/// cluster started from `initdb`/`pg_ctl`.
pub fn postgres_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("PERFGATE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(start_postgres);
        export("PERFGATE_TEST_POSTGRES_URL", &url);
        url
    })
    .clone()
}

fn pg_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop().unwrap_or_else(|| {
        panic!("PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}")
    })
}

fn start_postgres() -> String {
    let bin = pg_bin();
    let dir = data_dir("perfgate-pg", "postgres");
    let data = dir.join("data");
    let log = dir.join("server.log");
    let pw = dir.join("pw");
    let password = "perfgate-test-secret";
    std::fs::write(&pw, password).unwrap();
    if is_root() {
        Command::new("chown")
            .args(["postgres", pw.to_str().unwrap()])
            .status()
            .unwrap();
    }
    must(
        &mut sh_as(
            "postgres",
            &format!(
                "{}/initdb -D {} -U perfgate --auth=scram-sha-256 --pwfile={} >{} 2>&1",
                bin.display(),
                data.display(),
                pw.display(),
                log.display()
            ),
        ),
        "initdb",
        &log,
    );
    let port = free_port();
    let ctl = format!("{}/pg_ctl -D {}", bin.display(), data.display());
    must(
        &mut sh_as(
            "postgres",
            &format!(
                "{ctl} -l {log} -o \"-p {port} -c listen_addresses=127.0.0.1 -k {dir}\" -w start >/dev/null",
                log = log.display(),
                dir = dir.display()
            ),
        ),
        "pg_ctl start",
        &log,
    );
    let stop = if is_root() {
        format!("su postgres -s /bin/sh -c '{ctl} -m immediate stop'")
    } else {
        format!("{ctl} -m immediate stop")
    };
    watchdog(&stop, &dir);
    wait_port(port, "PostgreSQL", &log);
    format!("postgresql://perfgate:{password}@127.0.0.1:{port}/postgres")
}

/// The URL of a MariaDB/MySQL database: `PERFGATE_TEST_MYSQL_URL`, or a throwaway
/// server started from `mariadb-install-db`/`mariadbd`.
pub fn mysql_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("PERFGATE_TEST_MYSQL_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(start_mariadb);
        export("PERFGATE_TEST_MYSQL_URL", &url);
        url
    })
    .clone()
}

fn which(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn start_mariadb() -> String {
    for b in ["mariadb-install-db", "mariadbd", "mariadb"] {
        assert!(
            which(b),
            "MariaDB server binary {b} not found; {INSTALL_HINT}"
        );
    }
    let dir = data_dir("perfgate-maria", "mysql");
    let log = dir.join("server.log");
    let user = if is_root() { "--user=mysql" } else { "" };
    must(
        Command::new("sh").args([
            "-c",
            &format!(
                "mariadb-install-db {user} --datadir={d}/data --auth-root-authentication-method=normal >{d}/install.log 2>&1",
                d = dir.display()
            ),
        ]),
        "mariadb-install-db",
        &dir.join("install.log"),
    );
    let port = free_port();
    let sock = dir.join("sock");
    // The watchdog owns the server: it starts it and kills it when this process is gone.
    let script = format!(
        "mariadbd --no-defaults {user} --datadir={d}/data --socket={s} --port={port} --bind-address=127.0.0.1 --pid-file={d}/pid >{log} 2>&1 & m=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $m; wait $m; rm -rf '{d}'",
        d = dir.display(),
        s = sock.display(),
        log = log.display(),
        pid = std::process::id()
    );
    detach(&script, "start mariadbd");
    wait_port(port, "MariaDB", &log);
    let password = "maria-test-secret";
    must(
        Command::new("mariadb").args([
            "-uroot",
            &format!("--socket={}", sock.display()),
            "-e",
            &format!(
                "CREATE USER 'perfgate'@'127.0.0.1' IDENTIFIED BY '{password}'; CREATE DATABASE perfgate; GRANT ALL ON perfgate.* TO 'perfgate'@'127.0.0.1';"
            ),
        ]),
        "create the MariaDB test user",
        &log,
    );
    format!("mysql://perfgate:{password}@127.0.0.1:{port}/perfgate")
}
