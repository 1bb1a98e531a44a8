//! The GitHub workflow, Dockerfile and Kubernetes manifests parse, and every
//! perfgate command they run is a real command line of this CLI.

mod common;
use clap::Parser;
use common::*;
use perfgate::cli::Cli;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Split a shell line into words (quotes respected; no expansion).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every `perfgate ...` invocation in a block of shell, with GitHub expressions filled in.
fn perfgate_commands(script: &str) -> Vec<Vec<String>> {
    let script = script.replace("${{ matrix.suite }}", "api");
    let mut cmds = Vec::new();
    for line in script.lines() {
        for part in line.split("||").flat_map(|p| p.split("&&")) {
            let w = words(part.trim().trim_end_matches('&'));
            if let Some(i) = w
                .iter()
                .position(|x| x.ends_with("perfgate") && !x.contains('-'))
            {
                cmds.push(w[i..].to_vec());
            }
        }
    }
    cmds
}

fn assert_parses(args: &[String]) {
    if let Err(e) = Cli::try_parse_from(args) {
        panic!("{args:?} is not a valid perfgate command line: {e}");
    }
}

#[test]
fn the_workflow_is_valid_and_runs_real_commands() {
    let text =
        std::fs::read_to_string(format!("{ROOT}/.github/workflows/perf-regression.yml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let on = &y["on"];
    let branches: Vec<&str> = on["push"]["branches"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|b| b.as_str())
        .collect();
    assert_eq!(branches, ["main", "develop"]);
    assert!(on.get("pull_request").is_some() && on.get("workflow_dispatch").is_some());
    assert_eq!(on["schedule"][0]["cron"].as_str(), Some("0 2 * * *"));
    let job = &y["jobs"]["perf"];
    let suites: Vec<&str> = job["strategy"]["matrix"]["suite"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(suites, ["api", "database", "system"]);
    let steps = job["steps"].as_sequence().unwrap();
    let mut cmds = Vec::new();
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            cmds.extend(perfgate_commands(run));
        }
    }
    assert!(cmds.len() >= 2, "{cmds:?}");
    for c in &cmds {
        assert_parses(c);
    }
    assert!(
        cmds.iter()
            .any(|c| c.contains(&"--fail-on-regression".to_string()))
    );
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact")),
        "artifacts uploaded"
    );
    assert!(
        uses.iter().any(|u| u.starts_with("actions/cache/save"))
            && uses.iter().any(|u| u.starts_with("actions/cache/restore")),
        "baselines carried between runs"
    );
    // Every suite's config exists and loads.
    for s in suites {
        perfgate::engine::config::Config::load(format!("{ROOT}/config/perf-{s}.json").as_ref())
            .unwrap();
    }
}

#[test]
fn the_dockerfile_is_multi_stage_non_root_and_runs_a_real_command() {
    let text = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).unwrap();
    assert!(
        text.lines().filter(|l| l.starts_with("FROM ")).count() >= 2,
        "multi-stage"
    );
    assert!(text.contains("COPY --from=build"));
    let user = text
        .lines()
        .rfind(|l| l.starts_with("USER "))
        .expect("a USER line");
    assert!(
        !user.contains("root") && user.trim() != "USER 0",
        "non-root: {user}"
    );
    let json_array = |prefix: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        serde_json::from_str(line.trim_start_matches(prefix).trim()).unwrap()
    };
    let mut args = json_array("ENTRYPOINT");
    args.extend(json_array("CMD"));
    assert_eq!(args[0], "perfgate");
    assert_parses(&args);
}

#[test]
fn the_kubernetes_job_mounts_config_and_data_and_runs_a_real_command() {
    let text = std::fs::read_to_string(format!("{ROOT}/deploy/k8s/perfgate-job.yaml")).unwrap();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let kind = |k: &str| {
        docs.iter()
            .find(|d| d["kind"] == k)
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let cm = kind("ConfigMap");
    let cfg = cm["data"]["performance.json"].as_str().unwrap();
    perfgate::engine::config::Config::parse(cfg, "configmap").unwrap();
    kind("PersistentVolumeClaim");
    let job = kind("Job");
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    let mut args = vec!["perfgate".to_string()];
    args.extend(
        c["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string()),
    );
    assert_parses(&args);
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    assert!(mounts.contains(&"/config") && mounts.contains(&"/data"));
    assert!(
        args.iter().any(|a| a.starts_with("/data/")),
        "the tracking DB lives on the volume: {args:?}"
    );
}

#[test]
fn completions_man_page_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["completions", "bash"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("perfgate") && stdout(&o).contains("--fail-on-regression"));
    let o = run(dir.path(), &["completions", "zsh"]);
    assert!(stdout(&o).contains("#compdef perfgate"));
    let o = run(dir.path(), &["manpage"]);
    assert!(
        stdout(&o).contains(".TH perfgate") && stdout(&o).contains("fail\\-on\\-regression"),
        "{}",
        &stdout(&o)[..200.min(stdout(&o).len())]
    );
    let o = run(dir.path(), &["--version"]);
    let v = stdout(&o);
    assert!(v.starts_with("perfgate 0.1.0 ("), "{v}");
    let commit = v
        .trim()
        .trim_start_matches("perfgate 0.1.0 (")
        .trim_end_matches(')');
    assert!(
        commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())
            || commit == "unknown commit",
        "{v}"
    );
}
