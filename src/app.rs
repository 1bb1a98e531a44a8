//! Picks the front-end for a command line and maps every error to its exit code
//! (DESIGN.md: 0 pass, 1 regression with failing on, 2 bad usage/config, 3 run not carried out).

use std::io::IsTerminal;

use crate::ci;
use crate::cli::{Cli, Command, RunArgs};
use crate::commands::{load_config, store_for};
use crate::engine::config::{Config, LoadedConfig};
use crate::engine::error::{Error, Result};
use crate::engine::run::{RunMode, RunOptions};

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

fn run_options(args: &RunArgs, cfg: &Config, mode: RunMode) -> RunOptions {
    RunOptions {
        establish_baselines: args.establish_baselines,
        fail_on_regression: args.fail_on_regression || cfg.fail_on_regression,
        mode,
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
        if !loaded
            .config
            .test_scenarios
            .iter()
            .any(|s| s.name() == name)
        {
            return Err(Error::Usage(format!(
                "--scenario {name:?} is not in {}; expected one of: {}",
                loaded.path.display(),
                loaded
                    .config
                    .test_scenarios
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let formats = ci::parse_formats(&args.format, args.output.as_ref())?;
    let shard = shard_of(args, &loaded.config)?;
    if shard.is_some() {
        let req = crate::ci::CiRequest::new(
            args,
            RunOptions {
                shard,
                ..run_options(args, &loaded.config, RunMode::Shard)
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
        let opts = run_options(args, &loaded.config, RunMode::Tui);
        let finish = crate::ci::CiRequest::new(
            args,
            opts.clone(),
            args.output.clone(),
            formats,
            args.compare_to.clone(),
        )
        .finish_options();
        return crate::tui::run(loaded, opts, finish, label, autostart).await;
    }
    let req = crate::ci::CiRequest::new(
        args,
        run_options(args, &loaded.config, RunMode::Ci),
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
            crate::commands::demo_server::run(host, port, server).await
        }
        Some(Command::Demo {
            duration,
            ci,
            server,
        }) => crate::demo::run(&args.or_ci(ci), duration, &server).await,
        Some(Command::Backtest {
            input,
            file,
            from_store,
            metric,
            format,
            output,
        }) => {
            let source = match input.or(file) {
                Some(p) if !from_store => crate::commands::backtest::Source::File(p),
                _ => crate::commands::backtest::Source::Store(metric),
            };
            crate::commands::backtest::backtest(&args, source, &format, output.as_deref())
        }
        Some(Command::Quality { format }) => {
            let (st, _) = store_for(&args)?;
            crate::commands::quality::quality(st.as_ref(), &format)
        }
        Some(Command::Tune {
            metric,
            target_false_alarms,
            apply,
            format,
        }) => {
            let request = crate::commands::tune::Request {
                metric,
                target_false_alarms,
                apply,
                format,
            };
            crate::commands::tune::run(&args, request)
        }
        Some(Command::Baseline { action }) => {
            let (mut st, cfg) = store_for(&args)?;
            crate::commands::baseline::baseline(st.as_mut(), &cfg, action, args.config.as_deref())
        }
        Some(Command::History { metric, format }) => {
            let (st, cfg) = store_for(&args)?;
            crate::commands::history::history(st.as_ref(), &cfg, &metric, &format)
        }
        Some(Command::Report {
            run,
            format,
            output,
        }) => crate::commands::report::run(&args, run, format, output),
        Some(Command::Compare {
            run_a,
            run_b,
            noise_pct,
            fail_on_regression,
            format,
            output,
        }) => {
            let (st, cfg) = store_for(&args)?;
            // Shown in reports and messages: its password masked.
            let label =
                crate::engine::store::label(args.store.as_ref().unwrap_or(&cfg.tracking_db));
            crate::commands::compare::compare(
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
            crate::commands::merge::run(
                &args,
                run_group,
                fail_on_regression,
                expect,
                wait,
                output,
                format,
            )
            .await
        }
        Some(Command::SaveBaseline { name, run }) => {
            crate::commands::save_baseline::run(&args, name, run)
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
            let request = crate::commands::ingest::Request {
                format,
                scenario,
                fail_on_regression,
                establish_baselines,
                output,
                report_format,
                files,
            };
            crate::commands::ingest::run(&args, request).await
        }
        Some(Command::Store { action }) => crate::commands::store::run(&args, action),
        Some(Command::Alert {
            action: crate::cli::AlertAction::Test { channel },
        }) => crate::commands::alert::run(&args, channel).await,
        Some(Command::Completions { shell }) => crate::commands::docs::completions(shell),
        Some(Command::Manpage) => crate::commands::docs::manpage(),
        Some(Command::Runs { limit }) => {
            let (st, _) = store_for(&args)?;
            crate::commands::runs::runs(st.as_ref(), limit)
        }
        Some(Command::Triage { action }) => {
            let (mut st, _) = store_for(&args)?;
            crate::commands::triage::triage(st.as_mut(), action)
        }
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
