//! Command-line interface (the seed's flags, plus perfgate's subcommands).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "perfgate",
    version = crate::VERSION,
    about = "Performance-regression console: watch load tests live, judge every metric against its baseline, gate CI."
)]
pub struct Cli {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Config file (the seed's JSON format). Default: performance_test_config.json.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run headless: progress on stderr, summary on stdout, verdict as exit code.
    #[arg(long)]
    pub ci: bool,
    /// Report file, or a directory when several formats are asked for.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Report format(s): json, markdown, html, csv, junit, text (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FORMAT")]
    pub format: Vec<String>,
    /// Exit 1 when a regression is confirmed (also `fail_on_regression` in the config).
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Store this run as baseline history without judging it.
    #[arg(long)]
    pub establish_baselines: bool,
    /// Detailed tracing logs on stderr (RUST_LOG also works).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Store location; overrides the config's `tracking_db`.
    #[arg(long, global = true, value_name = "PATH")]
    pub store: Option<String>,
    /// Run only these scenarios (repeatable).
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Also compare this run A/B against a stored run (id, `latest`, saved name,
    /// or a commit/branch recorded with a run), e.g. main's latest on a PR.
    #[arg(long, value_name = "REF")]
    pub compare_to: Option<String>,
    /// Run shard I of N (0-based): 1/N of every API scenario's users and rate; raw
    /// data stored under --run-group for `perfgate merge`. Default index:
    /// JOB_COMPLETION_INDEX, with N from the config's `shards`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The sharded run this process belongs to.
    #[arg(long, value_name = "ID")]
    pub run_group: Option<String>,
    /// Noise threshold for A/B comparisons, percent.
    #[arg(long, default_value_t = crate::engine::compare::NOISE_PCT)]
    pub noise_pct: f64,
}

impl RunArgs {
    /// These arguments, headless also when a subcommand's own `--ci` says so.
    pub fn or_ci(self, ci: bool) -> RunArgs {
        RunArgs {
            ci: self.ci || ci,
            ..self
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the example config against the built-in demo server.
    Demo {
        /// Scenario duration in seconds (default: the example's).
        #[arg(long)]
        duration: Option<f64>,
        /// Tell the story on stderr without the console (as without a terminal);
        /// the same as `perfgate --ci demo`.
        #[arg(long)]
        ci: bool,
        #[command(flatten)]
        server: DemoServerArgs,
    },
    /// Serve the demo HTTP target: /health, /delay/{ms}, /status/{code}, /bytes/{count}.
    DemoServer {
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0: any free port, printed at start).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        #[command(flatten)]
        server: DemoServerArgs,
    },
    /// Replay a metric history (CSV metric,run,value[,direction], or the store's own
    /// with --from-store) through the detector, with the config's settings and overrides.
    Backtest {
        /// The CSV history to replay.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present_any = ["from_store", "file"]
        )]
        input: Option<PathBuf>,
        /// The CSV history, as a plain argument (same as --input).
        #[arg(value_name = "FILE", conflicts_with_all = ["input", "from_store"])]
        file: Option<PathBuf>,
        /// Replay the store's stored history instead of a CSV file.
        #[arg(long, conflicts_with = "input")]
        from_store: bool,
        /// With --from-store: only metrics matching this glob (`*` wildcards).
        #[arg(long, value_name = "GLOB")]
        metric: Option<String>,
        /// Output format: json (the alerts, each with its run and rule).
        #[arg(long, default_value = "json")]
        format: String,
        /// Write the report here instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Inspect and manage baselines.
    Baseline {
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// A metric's history with its baseline band and change points.
    History {
        /// The metric's full name, `scenario.metric`.
        metric: String,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Re-render a stored run's reports (RUN_ID or `latest`).
    Report {
        run: String,
        /// Formats: json, markdown, html, csv, junit, text (repeatable or comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "text")]
        format: Vec<String>,
        /// A file, or a directory for several formats; stdout when absent.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Compare two stored runs A/B (ids, `latest`, saved names, commits or branches).
    Compare {
        run_a: String,
        run_b: String,
        /// Changes smaller than this (percent) are noise.
        #[arg(long, default_value_t = crate::engine::compare::NOISE_PCT)]
        noise_pct: f64,
        /// Exit 1 when B regressed against A.
        #[arg(long)]
        fail_on_regression: bool,
        /// Formats: text (side by side), json, markdown, html, csv, junit.
        #[arg(long, value_delimiter = ',', default_value = "text")]
        format: Vec<String>,
        /// A file, or a directory for several formats; stdout when absent.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Merge a sharded run: exact histogram merge, summed throughput and errors,
    /// judged, stored and reported like any run.
    Merge {
        /// The sharded run's id (the shards' --run-group).
        #[arg(long, value_name = "ID")]
        run_group: String,
        /// Exit 1 on a confirmed regression.
        #[arg(long)]
        fail_on_regression: bool,
        /// Wait until this many shards are stored (up to --wait seconds).
        #[arg(long)]
        expect: Option<usize>,
        /// Seconds to wait for --expect shards before merging those stored.
        #[arg(long, default_value_t = 0)]
        wait: u64,
        /// Report file, or a directory when several formats are asked for.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Report format(s), as for a run.
        #[arg(long, value_delimiter = ',', value_name = "FORMAT")]
        format: Vec<String>,
    },
    /// Name a run (default: the latest) so `compare` and `--compare-to` can use the name.
    SaveBaseline {
        name: String,
        /// The run to name: its id or `latest`.
        #[arg(long, default_value = "latest")]
        run: String,
    },
    /// Store another tool's results as a run and judge it with the same gate:
    /// hyperfine --export-json, k6 --summary-export, criterion estimates.json, CSV metric,value[,unit].
    Ingest {
        /// auto, k6, hyperfine, criterion, pytest-benchmark, google-benchmark, go-bench,
        /// jmh, bmf or csv (auto recognises each from its content).
        #[arg(long, value_name = "FORMAT", default_value = "auto")]
        format: String,
        /// Scenario name the metrics go under (default: the tool's name).
        #[arg(long)]
        scenario: Option<String>,
        /// Exit 1 on a confirmed regression.
        #[arg(long)]
        fail_on_regression: bool,
        /// Store as baseline history without judging.
        #[arg(long)]
        establish_baselines: bool,
        /// Report file (or directory) and formats, as for a run.
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Report format(s), as for a run (--format names the input's format).
        #[arg(long = "report-format", value_delimiter = ',', value_name = "FORMAT")]
        report_format: Vec<String>,
        /// The tool's result files (several: one run, e.g. a criterion folder's).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check or repair the store (repair backs it up first).
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Alert channels.
    Alert {
        #[command(subcommand)]
        action: AlertAction,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Manpage,
    /// Alert quality from triage: precision (true / (true + invalid)) and the untriaged
    /// share per metric, scenario and detection rule.
    Quality {
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Propose per-metric detection settings from the store's history and triage:
    /// the false-alarm target met with the shortest detection delay.
    Tune {
        /// Only metrics matching this glob (`*` wildcards).
        #[arg(long, value_name = "GLOB")]
        metric: Option<String>,
        /// Largest acceptable false alarms, percent of judged runs.
        #[arg(long, value_name = "PCT", default_value_t = 1.0)]
        target_false_alarms: f64,
        /// Write the proposals into the config's `detection_overrides` (audited).
        #[arg(long)]
        apply: bool,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Recent runs.
    Runs {
        /// How many, newest first.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Regression alerts and their triage state.
    Triage {
        #[command(subcommand)]
        action: TriageAction,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct DemoServerArgs {
    /// Added to every response, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
    /// Random extra delay up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Percentage of responses answered with HTTP 500.
    #[arg(long, default_value_t = 0.0)]
    pub error_pct: f64,
    /// Stop answering for --stall-ms every this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub stall_every_ms: u64,
    /// Length of each stall, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub stall_ms: u64,
    /// Percentage of requests whose connection is dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    pub reset_pct: f64,
    /// Percentage of responses cut off in the middle of the body.
    #[arg(long, default_value_t = 0.0)]
    pub truncate_pct: f64,
    /// Percentage of responses whose body never ends.
    #[arg(long, default_value_t = 0.0)]
    pub endless_pct: f64,
    /// Percentage of responses that close the keep-alive connection.
    #[arg(long, default_value_t = 0.0)]
    pub close_pct: f64,
    /// Serve HTTPS with a self-signed certificate (HTTP/1.1 and HTTP/2).
    #[arg(long)]
    pub tls: bool,
}

#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Every metric's baseline: samples, centre, spread, health.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One metric in detail.
    Show { metric: String },
    /// Forget a metric's history for baseline purposes (or --all); audited.
    Reset {
        /// The metric's full name, `scenario.metric`.
        metric: Option<String>,
        /// Every metric's baseline.
        #[arg(long)]
        all: bool,
        /// Why, for the audit log (required: an audit entry without a why helps no one).
        #[arg(long, value_parser = reason)]
        reason: String,
    },
    /// Take back the newest reset of a metric (or --all: the newest reset of every
    /// metric) while no run has been judged since: its history counts again and the
    /// alerts it closed are open again; audited.
    Undo {
        /// The metric's full name, `scenario.metric`.
        metric: Option<String>,
        /// The reset of every metric (`baseline reset --all`).
        #[arg(long)]
        all: bool,
        /// Why, for the audit log (required: an audit entry without a why helps no one).
        #[arg(long, value_parser = reason)]
        reason: String,
    },
    /// Accept the metric's current level (its open regression) as the new baseline; audited.
    Accept {
        /// The metric's full name, `scenario.metric`.
        metric: String,
        /// Why, for the audit log (required: an audit entry without a why helps no one).
        #[arg(long, value_parser = reason)]
        reason: String,
    },
    /// Report only: the metric is shown and alerted at low severity but never fails
    /// a build (written to the config's `detection_overrides`; audited). --off undoes it.
    ReportOnly {
        /// The metric's full name, `scenario.metric`.
        metric: String,
        /// Gate the metric again.
        #[arg(long)]
        off: bool,
        /// Why, for the audit log (required: an audit entry without a why helps no one).
        #[arg(long, value_parser = reason)]
        reason: String,
    },
    /// The audit log of baseline and triage actions.
    Audit {
        /// How many entries, newest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum TriageAction {
    /// Alerts, open ones first.
    List {
        /// Closed alerts too.
        #[arg(long)]
        all: bool,
    },
    /// Set the state of an alert (its id) or of a whole group (`g` and its id):
    /// untriaged, acknowledged, investigating, invalid, fixed, accepted.
    Set {
        /// An alert id (`7`) or a group (`g7`).
        id: String,
        /// The new state.
        state: String,
        /// Why, for the audit log (required: an audit entry without a why helps no one).
        #[arg(long, value_parser = reason)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertAction {
    /// Send a test alert through each configured channel and say what happened.
    Test {
        /// Only this channel: console, github, slack or email.
        #[arg(long)]
        channel: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Integrity and schema version, read-only.
    Check,
    /// Create or upgrade the schema of the store (`--store` or the config's tracking_db).
    Migrate,
    /// Copy an SQLite history into an empty PostgreSQL store, ids kept.
    Copy {
        /// sqlite:PATH (or a plain path)
        #[arg(long)]
        from: String,
        /// postgresql://... (environment variables allowed)
        #[arg(long)]
        to: String,
    },
    /// Back the store up, then rebuild it from every row that can still be read.
    Repair,
    /// Write a consistent copy of the SQLite history to FILE (to keep it where CI
    /// caches do not evict it, e.g. a dedicated branch).
    Export { file: String },
    /// Replace the SQLite store with an exported history (the current one is
    /// backed up first; the file is checked before anything changes).
    Import { file: String },
}

/// An audited action's `--reason`: some words, not an empty string.
fn reason(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("expected a few words saying why, for the audit log".into())
    } else {
        Ok(t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_command_is_one_line_in_the_help() {
        // clap reads "{n}" in a doc comment as a line break: the list of commands
        // then has a blank line and a cut-off description.
        let help = super::Cli::command().render_help().to_string();
        let commands = help
            .split("Commands:")
            .nth(1)
            .and_then(|s| s.split("Options:").next())
            .unwrap();
        assert!(
            commands.trim().lines().all(|l| !l.trim().is_empty()),
            "{commands}"
        );
        assert!(commands.contains("/bytes/{count}"), "{commands}");
    }

    #[test]
    fn every_audited_action_asks_why() {
        use clap::Parser;
        let parse = |args: &[&str]| super::Cli::try_parse_from([&["perfgate"], args].concat());
        for action in [
            &["baseline", "reset", "a.x_ms"][..],
            &["baseline", "reset", "--all"],
            &["baseline", "undo", "a.x_ms"],
            &["baseline", "accept", "a.x_ms"],
            &["baseline", "report-only", "a.x_ms"],
            &["triage", "set", "g1", "acknowledged"],
        ] {
            let e = parse(action).expect_err("no reason").to_string();
            assert!(e.contains("--reason"), "{action:?}: {e}");
            let blank = parse(&[action, &["--reason", "  "]].concat()).expect_err("blank");
            assert!(
                blank.to_string().contains("saying why"),
                "{action:?}: {blank}"
            );
            assert!(parse(&[action, &["--reason", "moved hosts"]].concat()).is_ok());
        }
    }
}
