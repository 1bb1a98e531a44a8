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

/// `uses:` references pinned to a full commit (local actions aside).
fn assert_pinned(uses: &[&str], file: &str) {
    for u in uses.iter().filter(|u| !u.starts_with("./")) {
        let (_, rev) = u.split_once('@').unwrap_or((u, ""));
        let rev = rev.split_whitespace().next().unwrap_or("");
        assert!(
            rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
            "{file}: {u} is not pinned to a commit"
        );
    }
}

fn steps_uses(steps: &[serde_yaml::Value]) -> Vec<&str> {
    steps.iter().filter_map(|s| s["uses"].as_str()).collect()
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
    assert!(
        y["permissions"].as_mapping().is_some_and(|m| m.is_empty()),
        "no permission by default; each job asks for its own"
    );
    let job = &y["jobs"]["perf"];
    assert_eq!(job["permissions"]["pull-requests"].as_str(), Some("write"));
    let suites: Vec<&str> = job["strategy"]["matrix"]["suite"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(suites, ["api", "database", "system"]);
    let mut cmds = Vec::new();
    let mut all_uses = Vec::new();
    for (name, j) in y["jobs"].as_mapping().unwrap() {
        assert!(
            j.get("permissions").is_some(),
            "{name:?} states its permissions"
        );
        let steps = j["steps"].as_sequence().unwrap();
        for s in steps {
            if let Some(run) = s["run"].as_str() {
                cmds.extend(perfgate_commands(&run.replace("$SUITE", "api")));
            }
            if s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout"))
            {
                assert_eq!(s["with"]["persist-credentials"].as_bool(), Some(false));
            }
        }
        all_uses.extend(steps_uses(steps));
    }
    assert_pinned(&all_uses, "the workflow");
    assert!(cmds.len() >= 3, "{cmds:?}");
    for c in &cmds {
        assert_parses(c);
    }
    assert!(
        cmds.iter().any(|c| c.contains(&"import".to_string()))
            && cmds.iter().any(|c| c.contains(&"export".to_string())),
        "history carried outside the cache: {cmds:?}"
    );
    // The suites run through the project's own action.
    let own = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("./")))
        .expect("uses: ./");
    assert_eq!(
        own["with"]["config"].as_str(),
        Some("config/perf-${{ matrix.suite }}.json")
    );
    // Every suite's config exists and loads.
    for s in suites {
        perfgate::engine::config::Config::load(format!("{ROOT}/config/perf-{s}.json").as_ref())
            .unwrap();
    }
}

#[test]
fn the_action_runs_a_real_command_with_pinned_actions() {
    let text = std::fs::read_to_string(format!("{ROOT}/action.yml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(y["runs"]["using"].as_str(), Some("composite"));
    for input in [
        "config",
        "suite",
        "fail-on-regression",
        "store",
        "formats",
        "token",
    ] {
        assert!(y["inputs"].get(input).is_some(), "input {input}");
    }
    let steps = y["runs"]["steps"].as_sequence().unwrap();
    let uses = steps_uses(steps);
    assert_pinned(&uses, "action.yml");
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact"))
    );
    assert!(
        uses.iter().any(|u| u.starts_with("actions/cache/restore"))
            && uses.iter().any(|u| u.starts_with("actions/cache/save")),
        "the binary is cached"
    );
    // The command line the run step builds, from its `args` arrays.
    let run = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("args=("))
        .expect("a step that runs perfgate");
    let mut args = vec!["perfgate".to_string()];
    for line in run.lines() {
        let l = line.trim();
        let inner = l
            .split_once("args=(")
            .or_else(|| l.split_once("args+=("))
            .map(|(_, rest)| rest.split(')').next().unwrap_or(""));
        if let Some(inner) = inner {
            args.extend(words(inner).into_iter().map(|w| {
                if w.starts_with('$') {
                    "x/".to_string()
                } else {
                    w
                }
            }));
        }
    }
    for flag in [
        "--ci",
        "--config",
        "--output",
        "--format",
        "--store",
        "--fail-on-regression",
    ] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let args: Vec<String> = args
        .into_iter()
        .map(|a| if a == "x/" { "json".into() } else { a })
        .collect();
    assert_parses(&args);
    // Inputs reach the shell through the environment, never through expansion.
    for s in steps {
        if let Some(run) = s["run"].as_str() {
            assert!(
                !run.contains("${{"),
                "template expansion in a run script: {run}"
            );
        }
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
