//! Database scenarios against a real MariaDB: PERFGATE_TEST_MYSQL_URL, or a throwaway
//! server the test starts from the machine's binaries.

mod common;
use common::*;

fn my_url() -> String {
    common::services::mysql_url()
}

fn sql(url: &str, stmts: &[String]) -> Option<i64> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
        let mut last = None;
        for s in stmts {
            let rows = sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                .fetch_all(&mut c)
                .await
                .unwrap();
            last = rows.first().and_then(|r| {
                r.try_get::<i64, _>(0)
                    .ok()
                    .or_else(|| r.try_get::<rust_decimal_free::Dec, _>(0).ok().map(|d| d.0))
            });
        }
        last
    })
}

mod rust_decimal_free {
    /// SUM() comes back as DECIMAL; read it as text and parse.
    pub struct Dec(pub i64);
    impl sqlx::Type<sqlx::MySql> for Dec {
        fn type_info() -> sqlx::mysql::MySqlTypeInfo {
            <String as sqlx::Type<sqlx::MySql>>::type_info()
        }
        fn compatible(_: &sqlx::mysql::MySqlTypeInfo) -> bool {
            true
        }
    }
    impl<'r> sqlx::Decode<'r, sqlx::MySql> for Dec {
        fn decode(v: sqlx::mysql::MySqlValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
            let s = <&str as sqlx::Decode<sqlx::MySql>>::decode(v)?;
            Ok(Dec(s.parse()?))
        }
    }
}

#[test]
fn mariadb_queries_are_measured_and_rolled_back() {
    let url = my_url();
    let t = format!("pg_t_{}", std::process::id());
    let mut seed = vec![
        format!("DROP TABLE IF EXISTS {t}"),
        format!("CREATE TABLE {t} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"),
    ];
    let values: Vec<String> = (1..=300).map(|i| format!("({i},{i})")).collect();
    seed.push(format!("INSERT INTO {t} VALUES {}", values.join(",")));
    sql(&url, &seed);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"test_scenarios": [
                {{"name": "count", "type": "database", "query": "SELECT count(*) FROM {t}", "iterations": 50, "connection_string": "${{PERFGATE_TEST_MYSQL_URL}}"}},
                {{"name": "writer", "type": "database", "query": "UPDATE {t} SET v = v + 1", "iterations": 10, "concurrency": 2, "connection_string": "${{PERFGATE_TEST_MYSQL_URL}}"}}
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
    let count = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "count")
        .unwrap()
        .clone();
    let m = &count["metrics"];
    assert!(
        m["query_time_mean_ms"].as_f64().unwrap() > 0.0
            && m["connection_time_ms"].as_f64().unwrap() > 0.0,
        "{m}"
    );
    assert_eq!(m["row_count"].as_f64(), Some(1.0));
    if m.get("plan_cost").is_none() {
        assert!(
            count["note"]
                .as_str()
                .unwrap()
                .contains("plan_cost is absent"),
            "{count}"
        );
    }
    assert_eq!(
        sql(&url, &[format!("SELECT SUM(v) FROM {t}")]),
        Some(300 * 301 / 2),
        "every UPDATE rolled back"
    );
    sql(&url, &[format!("DROP TABLE {t}")]);
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains("maria-test-secret"));
}
