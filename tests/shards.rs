//! Sharded load: three shard processes at once, then an exact merge.

mod common;
use common::*;
use std::process::{Command, Stdio};

fn cfg(url: &str) -> String {
    format!(
        r#"{{"base_url": "{url}", "tracking_db": "shared.db", "fail_on_regression": false, "shards": 3,
            "test_scenarios": [{{"name": "api", "type": "api", "endpoint": "/delay/2", "concurrent_users": 6, "duration": 1.5}}]}}"#
    )
}

#[test]
fn three_shards_merge_into_one_run_with_summed_throughput() {
    let srv = DemoServer::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_config(d, "c.json", &cfg(&srv.url));
    // Shard 2 takes its index from Kubernetes' JOB_COMPLETION_INDEX.
    let kids: Vec<_> = (0..3)
        .map(|i| {
            let mut c = Command::new(bin());
            c.current_dir(d).args([
                "--ci",
                "--config",
                "c.json",
                "--run-group",
                "g1",
                "--output",
                &format!("s{i}.json"),
            ]);
            if i == 2 {
                c.env("JOB_COMPLETION_INDEX", "2");
            } else {
                c.args(["--shard", &format!("{i}/3")]);
            }
            c.stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for k in kids {
        let o = k.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let shard_rps: f64 = (0..3)
        .map(|i| {
            let r: serde_json::Value =
                serde_json::from_slice(&std::fs::read(d.join(format!("s{i}.json"))).unwrap())
                    .unwrap();
            assert!(
                r["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|m| m["verdict"] == "building"),
                "a shard judges nothing"
            );
            r["scenarios"][0]["metrics"]["throughput_rps"]
                .as_f64()
                .unwrap()
        })
        .sum();
    let o = run(
        d,
        &[
            "merge",
            "--run-group",
            "g1",
            "--expect",
            "3",
            "--config",
            "c.json",
            "--output",
            "m.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("m.json")).unwrap()).unwrap();
    validate_report(&m);
    let merged = &m["scenarios"][0];
    assert!(
        (merged["metrics"]["throughput_rps"].as_f64().unwrap() - shard_rps).abs() < 1e-6,
        "sum of the shards"
    );
    let p50 = merged["metrics"]["response_time_p50_ms"].as_f64().unwrap();
    assert!((2.0..10.0).contains(&p50), "{p50}");
    assert!(merged["note"].as_str().unwrap().contains("3 shard"));
    // Shards are not baseline samples; the merged run is.
    let runs = stdout(&run(d, &["runs", "--config", "c.json"]));
    assert_eq!(
        runs.lines().filter(|l| l.contains(" shard ")).count(),
        3,
        "{runs}"
    );
    assert_eq!(
        runs.lines()
            .filter(|l| l.contains("complete") && l.contains("merge"))
            .count(),
        1,
        "{runs}"
    );
    let o = run(d, &["merge", "--run-group", "nope", "--config", "c.json"]);
    assert_eq!(code(&o), 2);
    // A shard alone judges nothing: it says so, not PASS, and its JSON report says
    // which part it is.
    let o = run(
        d,
        &[
            "--ci",
            "--config",
            "c.json",
            "--shard",
            "1/2",
            "--run-group",
            "g3",
            "--format",
            "text,json,markdown",
            "--output",
            "shard",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join("shard/perfgate-report.txt")).unwrap();
    assert!(
        text.contains("SHARD 2 of 2: stored for run group \"g3\", judged when merged")
            && !text.contains("PASS"),
        "{text}"
    );
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("shard/perfgate-report.json")).unwrap(),
    )
    .unwrap();
    validate_report(&r);
    assert_eq!(r["shard"]["index"], 1, "{r}");
    let md = std::fs::read_to_string(d.join("shard/perfgate-report.md")).unwrap();
    assert!(md.starts_with("## ⏳ perfgate: shard 2 of 2"), "{md}");
    let o = run(
        d,
        &[
            "--ci",
            "--config",
            "c.json",
            "--shard",
            "3/3",
            "--run-group",
            "g2",
        ],
    );
    assert_eq!(code(&o), 2);
}
