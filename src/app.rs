//! Picks the front-end for a command line and maps every error to its exit code
//! (DESIGN.md: 0 pass, 1 regression with failing on, 2 bad usage/config, 3 run not carried out).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

use crate::ci::{self, CiRequest};
use crate::cli::{Cli, Command, RunArgs};
use crate::engine::config::{Config, LoadedConfig};
use crate::engine::demo_server::{self, DemoOptions};
use crate::engine::error::{Error, Result};
use crate::engine::run::RunOptions;
use crate::engine::store;

pub const DEFAULT_CONFIG: &str = "performance_test_config.json";

pub fn main(cli: Cli) -> i32 {
    init_logging(cli.run.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("perfgate: cannot start the async runtime: {e}");
            return 3;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "perfgate: {}",
                crate::engine::error::printable(&e.to_string())
            );
            e.exit_code()
        }
    }
}

fn init_logging(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = if verbose {
        EnvFilter::new("perfgate=debug,info")
    } else {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"))
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// `--config FILE`, else `performance_test_config.json` in the working directory.
fn load_config(path: Option<&Path>) -> Result<LoadedConfig> {
    let p = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let d = PathBuf::from(DEFAULT_CONFIG);
            if !d.exists() {
                return Err(Error::Usage(format!(
                    "no config: pass --config FILE or create {DEFAULT_CONFIG} (see config/quickstart.json), or try `perfgate demo`"
                )));
            }
            d
        }
    };
    Ok(Config::load(&p)?)
}

/// `--config FILE`, else `performance_test_config.json` when present, else the
/// seed's defaults (for commands that work without a config).
fn config_or_default(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?.config),
        None if Path::new(DEFAULT_CONFIG).exists() => {
            Ok(Config::load(Path::new(DEFAULT_CONFIG))?.config)
        }
        None => Ok(Config::default()),
    }
}

/// The store for management commands: --store, else the config's tracking_db,
/// else the seed's default location.
fn store_for(args: &RunArgs) -> Result<(Box<dyn store::Store>, Config)> {
    let cfg = config_or_default(args.config.as_deref())?;
    let label = args
        .store
        .clone()
        .unwrap_or_else(|| cfg.tracking_db.clone());
    if !store::is_postgres(&label) && !label.contains("${") && !Path::new(&label).exists() {
        return Err(Error::Store(format!(
            "{label}: no store here yet; run `perfgate --ci` first or point --store/--config at one"
        )));
    }
    Ok((store::open(&label)?, cfg))
}

fn run_options(args: &RunArgs, cfg: &Config, mode: &str) -> RunOptions {
    RunOptions {
        establish_baselines: args.establish_baselines,
        fail_on_regression: args.fail_on_regression || cfg.fail_on_regression,
        mode: mode.into(),
        only: args.scenarios.clone(),
        ingested: Vec::new(),
        shard: None,
        run_group: args.run_group.clone(),
    }
}

pub(crate) fn wants_tui(args: &RunArgs) -> bool {
    !args.ci && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// The console when there is a terminal, else the headless run. The console sends no
/// load until the user starts a run, unless `autostart` (the demo) says so.
pub(crate) async fn front_end(
    loaded: LoadedConfig,
    args: &RunArgs,
    #[cfg_attr(not(feature = "tui"), allow(unused_variables))] autostart: bool,
) -> Result<i32> {
    for name in &args.scenarios {
        if !loaded.config.test_scenarios.iter().any(|s| &s.name == name) {
            return Err(Error::Usage(format!(
                "--scenario {name:?} is not in {}; expected one of: {}",
                loaded.path.display(),
                loaded
                    .config
                    .test_scenarios
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let formats = ci::parse_formats(&args.format, args.output.as_ref())?;
    let shard = shard_of(args, &loaded.config)?;
    if shard.is_some() {
        let req = ci_request(
            args,
            RunOptions {
                shard,
                ..run_options(args, &loaded.config, "shard")
            },
            args.output.clone(),
            formats,
            None,
        );
        return ci::run(loaded, req).await;
    }
    #[cfg(feature = "tui")]
    if wants_tui(args) {
        let label = ci::store_label(&loaded, args.store.as_deref());
        let opts = run_options(args, &loaded.config, "tui");
        let finish = ci_request(
            args,
            opts.clone(),
            args.output.clone(),
            formats,
            args.compare_to.clone(),
        )
        .finish_options();
        return crate::tui::run(loaded, opts, finish, label, autostart).await;
    }
    let req = ci_request(
        args,
        run_options(args, &loaded.config, "ci"),
        args.output.clone(),
        formats,
        args.compare_to.clone(),
    );
    ci::run(loaded, req).await
}

async fn dispatch(cli: Cli) -> Result<i32> {
    let args = cli.run;
    match cli.command {
        None => {
            let loaded = load_config(args.config.as_deref())?;
            front_end(loaded, &args, false).await
        }
        Some(Command::DemoServer { host, port, server }) => {
            let addr: SocketAddr = format!("{host}:{port}").parse().map_err(|_| {
                Error::Usage(format!(
                    "--host {host:?} --port {port}: expected an IP address and a port"
                ))
            })?;
            let stop = CancellationToken::new();
            let opts = demo_options(&server)?;
            let (local, task) = demo_server::start(addr, opts, stop.clone())
                .await
                .map_err(|e| Error::Run(format!("demo-server: cannot listen on {addr}: {e}")))?;
            eprintln!(
                "perfgate demo-server listening on {}://{local} (Ctrl-C stops)",
                if server.tls { "https" } else { "http" }
            );
            tokio::select! {
                _ = tokio::signal::ctrl_c() => stop.cancel(),
                _ = task => {},
            }
            Ok(0)
        }
        Some(Command::Demo { duration, server }) => {
            crate::demo::run(&args, duration, &server).await
        }
        Some(Command::Backtest {
            input,
            format,
            output,
        }) => {
            let cfg = match &args.config {
                Some(p) => Some(Config::load(p)?.config),
                None => None,
            };
            ci::commands::backtest(&input, &format, output.as_deref(), cfg.as_ref())
        }
        Some(Command::Baseline { action }) => {
            let (mut st, cfg) = store_for(&args)?;
            ci::commands::baseline(st.as_mut(), &cfg, action)
        }
        Some(Command::History { metric, format }) => {
            let (st, cfg) = store_for(&args)?;
            ci::commands::history(st.as_ref(), &cfg, &metric, &format)
        }
        Some(Command::Report {
            run,
            format,
            output,
        }) => {
            let (st, cfg) = store_for(&args)?;
            let label = args
                .store
                .clone()
                .unwrap_or_else(|| cfg.tracking_db.clone());
            let id = match run.as_str() {
                "latest" => st.latest_run_id()?,
                s => s.trim_start_matches('#').parse().map_err(|_| {
                    Error::Usage(format!(
                        "run {s:?}: expected a run id (a number) or `latest`"
                    ))
                })?,
            };
            let outcome =
                crate::engine::report::stored::outcome(st.as_ref(), &store::label(&label), id)?;
            let formats = ci::parse_formats(&format, output.as_ref())?;
            let ctx = crate::engine::report::context(st.as_ref(), &cfg, &outcome, &formats);
            match output {
                Some(out) => {
                    for p in crate::engine::report::write_all(&outcome, &out, &formats, &ctx)? {
                        eprintln!("report written: {}", p.display());
                    }
                }
                None => {
                    for f in &formats {
                        print!("{}", crate::engine::report::render(&outcome, *f, &ctx));
                    }
                }
            }
            Ok(0)
        }
        Some(Command::Compare {
            run_a,
            run_b,
            noise_pct,
            fail_on_regression,
            format,
            output,
        }) => {
            let (st, cfg) = store_for(&args)?;
            let label = args
                .store
                .clone()
                .unwrap_or_else(|| cfg.tracking_db.clone());
            ci::commands::compare(
                st.as_ref(),
                &cfg,
                &label,
                &run_a,
                &run_b,
                noise_pct,
                &format,
                output.as_ref(),
            )
            .map(|regressed| {
                if regressed && fail_on_regression {
                    1
                } else {
                    0
                }
            })
        }
        Some(Command::Merge {
            run_group,
            fail_on_regression,
            expect,
            wait,
            output,
            format,
        }) => {
            let loaded = load_config(args.config.as_deref())?;
            let label = ci::store_label(&loaded, args.store.as_deref());
            let st = store::open(&label)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
            let ids = loop {
                let ids = st.group_shards(&run_group)?;
                if expect.is_none_or(|n| ids.len() >= n) || std::time::Instant::now() >= deadline {
                    break ids;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            };
            if let Some(n) = expect
                && ids.len() < n
            {
                return Err(Error::Run(format!(
                    "run group {run_group:?}: {} of {n} shards stored",
                    ids.len()
                )));
            }
            let t0 = std::time::Instant::now();
            let ingested = crate::engine::shard::merge(st.as_ref(), &ids, &run_group)?;
            drop(st);
            eprintln!(
                "merged {} shard(s) of {run_group:?} in {:.1} ms",
                ids.len(),
                t0.elapsed().as_secs_f64() * 1000.0
            );
            let opts = RunOptions {
                fail_on_regression: fail_on_regression || loaded.config.fail_on_regression,
                mode: "merge".into(),
                ingested,
                ..Default::default()
            };
            let formats = ci::parse_formats(&format, output.as_ref())?;
            let req = ci_request(&args, opts, output, formats, None);
            ci::run(loaded, req).await
        }
        Some(Command::SaveBaseline { name, run }) => {
            let (mut st, _) = store_for(&args)?;
            let id = crate::engine::compare::resolve(st.as_ref(), &run)?;
            if st.run(id)?.is_none() {
                return Err(Error::Usage(format!(
                    "run #{id} does not exist; `perfgate runs` lists them"
                )));
            }
            if name.trim().is_empty() || name.parse::<i64>().is_ok() || name == "latest" {
                return Err(Error::Usage(format!(
                    "name {name:?}: expected a name that is not a number or `latest`"
                )));
            }
            st.save_named_run(&name, id, &crate::engine::store::actor())?;
            println!("run #{id} saved as {name:?}");
            Ok(0)
        }
        Some(Command::Ingest {
            format,
            scenario,
            fail_on_regression,
            establish_baselines,
            output,
            report_format,
            files,
        }) => {
            let source = crate::engine::ingest::Source::parse(&format).ok_or_else(|| {
                Error::Usage(format!("ingest --format {format:?} is unknown; expected hyperfine, k6, criterion or csv"))
            })?;
            let ingested = crate::engine::ingest::load(source, &files, scenario.as_deref())?;
            let cfg = config_or_default(args.config.as_deref())?;
            let loaded = LoadedConfig {
                path: format!("ingest:{format}").into(),
                config: cfg,
            };
            let opts = RunOptions {
                establish_baselines,
                fail_on_regression: fail_on_regression || loaded.config.fail_on_regression,
                mode: "ingest".into(),
                only: Vec::new(),
                ingested,
                shard: None,
                run_group: None,
            };
            let formats = ci::parse_formats(&report_format, output.as_ref())?;
            let req = ci_request(&args, opts, output, formats, None);
            ci::run(loaded, req).await
        }
        Some(Command::Store { action }) => {
            let cfg = config_or_default(args.config.as_deref())?;
            let label = args
                .store
                .clone()
                .unwrap_or_else(|| cfg.tracking_db.clone());
            let path = Path::new(&label);
            match action {
                crate::cli::StoreAction::Migrate => {
                    drop(store::open(&label)?);
                    println!("{}: schema is current", store::label(&label));
                    Ok(0)
                }
                crate::cli::StoreAction::Copy { from, to } => {
                    let src = from
                        .strip_prefix("sqlite://")
                        .or_else(|| from.strip_prefix("sqlite:"))
                        .unwrap_or(&from);
                    if !Path::new(src).exists() {
                        return Err(Error::Usage(format!("--from {src}: no such SQLite store")));
                    }
                    let url = crate::engine::config::expand_env(&to)
                        .map_err(|e| Error::Usage(format!("--to {e}")))?;
                    if !store::is_postgres(&url) {
                        return Err(Error::Usage("--to: expected a postgresql:// URL".into()));
                    }
                    let pg = store::postgres::PgStore::open(&url)?;
                    let t0 = std::time::Instant::now();
                    let counts = store::postgres::copy_from_sqlite(Path::new(src), &pg)?;
                    println!(
                        "copied {src} to {} in {:.2} s:",
                        store::label(&url),
                        t0.elapsed().as_secs_f64()
                    );
                    for (t, n) in counts {
                        println!("  {t}: {n} rows");
                    }
                    Ok(0)
                }
                crate::cli::StoreAction::Check => {
                    let r = store::sqlite::check(path)?;
                    println!(
                        "{label}: integrity {}, schema version {} (this perfgate: {}), {} runs",
                        r.integrity,
                        r.version,
                        store::sqlite::SCHEMA_VERSION,
                        r.runs
                    );
                    Ok(
                        if r.integrity == "ok" && r.version <= store::sqlite::SCHEMA_VERSION {
                            0
                        } else {
                            3
                        },
                    )
                }
                crate::cli::StoreAction::Repair => {
                    let (backup, rows) = store::sqlite::repair(path)?;
                    println!("{label}: backed up to {}", backup.display());
                    for (t, n) in rows {
                        println!(
                            "  {t}: {}",
                            if n < 0 {
                                "unreadable".to_string()
                            } else {
                                format!("{n} rows recovered")
                            }
                        );
                    }
                    Ok(0)
                }
            }
        }
        Some(Command::Alert {
            action: crate::cli::AlertAction::Test { channel },
        }) => {
            if let Some(c) = &channel
                && !crate::engine::alert::CHANNELS.contains(&c.as_str())
            {
                return Err(Error::Usage(format!(
                    "--channel {c:?}: expected console, github, slack or email"
                )));
            }
            let cfg = config_or_default(args.config.as_deref())?;
            let results = crate::engine::alert::test(&cfg, channel.as_deref()).await;
            let mut failed = false;
            for r in &results {
                println!("{:<8} {:<8} {}", r.channel, r.outcome, r.detail);
                failed |= r.outcome == "failed";
            }
            Ok(if failed { 3 } else { 0 })
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "perfgate",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Some(Command::Manpage) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::Run(format!("cannot render the man page: {e}")))?;
            use std::io::Write;
            let _ = std::io::stdout().write_all(&out);
            Ok(0)
        }
        Some(Command::Runs { limit }) => {
            let (st, _) = store_for(&args)?;
            ci::commands::runs(st.as_ref(), limit)
        }
        Some(Command::Triage { action }) => {
            let (mut st, _) = store_for(&args)?;
            ci::commands::triage(st.as_mut(), action)
        }
    }
}

/// A headless run request; the store override and the A/B noise threshold always
/// come from the command line.
fn ci_request(
    args: &RunArgs,
    options: RunOptions,
    output: Option<PathBuf>,
    formats: Vec<crate::engine::report::Format>,
    compare_to: Option<String>,
) -> CiRequest {
    CiRequest {
        options,
        output,
        formats,
        store: args.store.clone(),
        compare_to,
        noise_pct: args.noise_pct,
    }
}

/// `--shard I/N`, or JOB_COMPLETION_INDEX with the config's `shards`.
fn shard_of(args: &RunArgs, cfg: &Config) -> Result<Option<(u32, u32)>> {
    let parsed = match &args.shard {
        Some(s) => {
            let bad = || {
                Error::Usage(format!(
                    "--shard {s:?}: expected I/N with 0 <= I < N, e.g. 0/3"
                ))
            };
            let (i, n) = s.split_once('/').ok_or_else(bad)?;
            let (i, n): (u32, u32) = (
                i.trim().parse().map_err(|_| bad())?,
                n.trim().parse().map_err(|_| bad())?,
            );
            if n == 0 || i >= n {
                return Err(bad());
            }
            Some((i, n))
        }
        None if args.run_group.is_some() && cfg.shards > 1 => {
            let idx = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
                Error::Usage(
                    "--run-group with `shards` > 1 needs --shard I/N or JOB_COMPLETION_INDEX"
                        .into(),
                )
            })?;
            let i: u32 = idx
                .trim()
                .parse()
                .ok()
                .filter(|i| *i < cfg.shards)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "JOB_COMPLETION_INDEX {idx:?}: expected 0..{}",
                        cfg.shards
                    ))
                })?;
            Some((i, cfg.shards))
        }
        None => None,
    };
    if parsed.is_some() && args.run_group.is_none() {
        return Err(Error::Usage(
            "--shard needs --run-group ID so `perfgate merge` can find the shards".into(),
        ));
    }
    Ok(parsed)
}

pub(crate) fn demo_options(a: &crate::cli::DemoServerArgs) -> Result<DemoOptions> {
    if !(0.0..=100.0).contains(&a.error_pct) {
        return Err(Error::Usage(format!(
            "--error-pct {}: expected a percentage 0..100",
            a.error_pct
        )));
    }
    if a.stall_ms > 0 && a.stall_ms >= a.stall_every_ms {
        return Err(Error::Usage(format!(
            "--stall-ms {} must be shorter than --stall-every-ms {}",
            a.stall_ms, a.stall_every_ms
        )));
    }
    Ok(DemoOptions {
        delay_ms: a.delay_ms,
        jitter_ms: a.jitter_ms,
        error_pct: a.error_pct,
        stall_every_ms: a.stall_every_ms,
        stall_ms: a.stall_ms,
        reset_pct: a.reset_pct,
        truncate_pct: a.truncate_pct,
        endless_pct: a.endless_pct,
        close_pct: a.close_pct,
        tls: a.tls,
        slowdown: Default::default(),
    })
}
