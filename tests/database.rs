//! Database scenarios on SQLite: real queries, rolled back by default.

mod common;
use common::*;

#[test]
fn sqlite_queries_are_measured_and_never_change_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    {
        let c = rusqlite::Connection::open(d.join("app.db")).unwrap();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 500) INSERT INTO t SELECT i, i FROM n;").unwrap();
    }
    write_config(
        d,
        "c.json",
        r#"{"test_scenarios": [
            {"name": "count", "type": "database", "query": "SELECT count(*) FROM t", "iterations": 100, "connection_string": "sqlite://app.db"},
            {"name": "scan", "type": "database", "query": "SELECT * FROM t WHERE v % 5 = 0", "iterations": 50, "connection_string": "sqlite:app.db"},
            {"name": "writer", "type": "database", "query": "UPDATE t SET v = v + 1000 RETURNING id", "iterations": 20, "connection_string": "sqlite://${PERFGATE_TEST_DB}"}
        ]}"#,
    );
    let o = std::process::Command::new(bin())
        .current_dir(d)
        .args(["--ci", "--config", "c.json", "--output", "o.json"])
        .env("PERFGATE_TEST_DB", "app.db")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    let s = |n: &str| {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()
            .clone()
    };
    let count = s("count");
    assert!(count["metrics"]["query_time_mean_ms"].as_f64().unwrap() > 0.0);
    assert!(count["metrics"]["query_time_p95_ms"].as_f64().unwrap() > 0.0);
    assert!(count["metrics"]["connection_time_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(count["metrics"]["row_count"].as_f64(), Some(1.0));
    assert!(count["metrics"].get("plan_cost").is_none());
    assert!(count["note"].as_str().unwrap().contains("plan_cost"));
    assert_eq!(s("scan")["metrics"]["row_count"].as_f64(), Some(100.0));
    assert_eq!(s("writer")["metrics"]["row_count"].as_f64(), Some(500.0));
    // A query that never succeeds measured nothing: the run could not be carried
    // out (exit 3, as for an API scenario with no successful response), the reason
    // says how many attempts failed and why, and nothing becomes history.
    write_config(
        d,
        "broken.json",
        r#"{"test_scenarios": [
            {"name": "broken", "type": "database", "query": "SELECT nope FROM missing", "iterations": 5, "connection_string": "sqlite://app.db"}
        ]}"#,
    );
    let o = run(
        d,
        &["--ci", "--config", "broken.json", "--output", "b.json"],
    );
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("broken: no successful query in 6 attempt(s)")
            && stderr(&o).contains("no such table"),
        "warm-up and timed iterations all counted: {}",
        stderr(&o)
    );
    let o = run(d, &["baseline", "list", "--config", "broken.json"]);
    assert!(!stdout(&o).contains("broken."), "{}", stdout(&o));
    // A mistyped path is an error, never a new empty database measured instead.
    write_config(
        d,
        "typo.json",
        r#"{"test_scenarios": [
            {"name": "typo", "type": "database", "query": "SELECT 1", "iterations": 5, "connection_string": "sqlite://ap.db"}
        ]}"#,
    );
    let o = run(d, &["--ci", "--config", "typo.json"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot open the SQLite database \"ap.db\""),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("ap.db").exists(), "the typo created a database");
    // Every UPDATE was rolled back.
    let c = rusqlite::Connection::open(d.join("app.db")).unwrap();
    let sum: i64 = c
        .query_row("SELECT sum(v) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sum, 500 * 501 / 2);
}

#[test]
fn unsupported_schemes_and_missing_variables_are_errors_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        r#"{"test_scenarios": [
            {"name": "pg", "type": "database", "query": "SELECT 1", "connection_string": "postgresql://app:hunter2@127.0.0.1/app"},
            {"name": "env", "type": "database", "query": "SELECT 1", "connection_string": "${PERFGATE_UNSET_VAR}"}
        ]}"#,
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(
        code(&o),
        3,
        "a scenario that cannot run makes the run an error"
    );
    let all = format!(
        "{}{}{}",
        stdout(&o),
        stderr(&o),
        std::fs::read_to_string(dir.path().join("o.json")).unwrap()
    );
    assert!(!all.contains("hunter2"), "the password never appears");
    assert!(all.contains("PERFGATE_UNSET_VAR"), "{all}");
}
