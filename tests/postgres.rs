//! Database scenarios against a real PostgreSQL: PERFGATE_TEST_POSTGRES_URL, or a
//! throwaway cluster the test starts from the machine's binaries.

mod common;
use common::*;

fn pg_url() -> String {
    common::services::postgres_url()
}

fn psql(url: &str, sql: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let mut last = String::new();
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let rows = sqlx::query(sqlx::AssertSqlSafe(stmt.to_string()))
                .fetch_all(&mut c)
                .await
                .unwrap();
            if let Some(r) = rows.first() {
                last = r
                    .try_get::<i64, _>(0)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
            }
        }
        last
    })
}

#[test]
fn postgres_queries_are_measured_with_plan_cost_and_never_change_data() {
    let url = pg_url();
    let table = format!("perfgate_t_{}", std::process::id());
    psql(
        &url,
        &format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int primary key, v int); INSERT INTO {table} SELECT g, g FROM generate_series(1, 1000) g"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"test_scenarios": [
                {{"name": "count", "type": "database", "query": "SELECT count(*) FROM {table}", "iterations": 100, "connection_string": "${{PERFGATE_TEST_POSTGRES_URL}}"}},
                {{"name": "slice", "type": "database", "query": "SELECT * FROM {table} WHERE v <= 250", "iterations": 40, "concurrency": 4, "connection_string": "${{PERFGATE_TEST_POSTGRES_URL}}"}},
                {{"name": "writer", "type": "database", "query": "UPDATE {table} SET v = v + 1 RETURNING id", "iterations": 20, "connection_string": "${{PERFGATE_TEST_POSTGRES_URL}}"}}
            ]}}"#
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o.json")).unwrap()).unwrap();
    validate_report(&r);
    let s = |n: &str| {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()["metrics"]
            .clone()
    };
    let m = s("count");
    assert!(m["query_time_mean_ms"].as_f64().unwrap() > 0.0, "{m}");
    assert!(m["query_time_p95_ms"].as_f64().unwrap() > 0.0);
    assert!(m["connection_time_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(m["row_count"].as_f64(), Some(1.0));
    assert!(m["plan_cost"].as_f64().unwrap() > 0.0, "{m}");
    assert_eq!(s("slice")["row_count"].as_f64(), Some(250.0));
    assert_eq!(s("writer")["row_count"].as_f64(), Some(1000.0));
    assert_eq!(
        psql(&url, &format!("SELECT sum(v)::bigint FROM {table}")),
        (1000 * 1001 / 2).to_string(),
        "rolled back"
    );
    let secret = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(&secret));
    psql(&url, &format!("DROP TABLE {table}"));
}

#[test]
fn a_wrong_password_is_a_clear_error_without_the_secret() {
    let url = pg_url();
    let (head, rest) = url.split_once("://").unwrap();
    let host = rest.split_once('@').unwrap().1;
    let bad = format!("{head}://perfgate:wrong-pass-123@{host}");
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"test_scenarios": [{{"name": "db", "type": "database", "query": "SELECT 1", "connection_string": "{bad}"}}]}}"#
        ),
    );
    let o = run(
        dir.path(),
        &["--ci", "--config", "c.json", "--output", "o.json"],
    );
    assert_eq!(code(&o), 3);
    let all = format!(
        "{}{}{}",
        stdout(&o),
        stderr(&o),
        std::fs::read_to_string(dir.path().join("o.json")).unwrap()
    );
    assert!(all.contains("password authentication failed"), "{all}");
    assert!(!all.contains("wrong-pass-123"));
}
