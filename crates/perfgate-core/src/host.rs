//! Facts about where a run happens: the machine's name and the commit and branch
//! under test (from the CI's environment, else from git).

/// Commit and branch from the CI environment, else from git.
pub fn git_info() -> (Option<String>, Option<String>) {
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = env(&[
        "PERFGATE_COMMIT",
        "GITHUB_SHA",
        "CI_COMMIT_SHA",
        "GIT_COMMIT",
    ])
    .or_else(|| git(&["rev-parse", "HEAD"]));
    let branch = env(&[
        "PERFGATE_BRANCH",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "CI_COMMIT_REF_NAME",
        "GIT_BRANCH",
    ])
    .or_else(|| git(&["rev-parse", "--abbrev-ref", "HEAD"]));
    (commit, branch)
}

/// This machine's name.
pub fn host_name() -> String {
    sysinfo::System::host_name().unwrap_or_else(|| "unknown".into())
}
