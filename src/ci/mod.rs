//! The headless front-end: run, print progress and a summary, write reports,
//! and turn the verdict into an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::engine::config::LoadedConfig;
use crate::engine::error::{Error, Result};
use crate::engine::live::{EngineEvent, LiveHub, LiveReceiver};
use crate::engine::report::{self, Format};
use crate::engine::run::{self, RunOptions, RunOutcome};
use crate::engine::store;

/// What the headless run needs besides the config.
#[derive(Debug, Clone, Default)]
pub struct CiRequest {
    pub options: RunOptions,
    pub output: Option<PathBuf>,
    pub formats: Vec<Format>,
    pub store: Option<String>,
    /// A/B against this stored run as well (`--compare-to`).
    pub compare_to: Option<String>,
    pub noise_pct: f64,
}

pub fn parse_formats(names: &[String], output: Option<&PathBuf>) -> Result<Vec<Format>> {
    let mut v = Vec::new();
    for n in names.iter().filter(|n| !n.trim().is_empty()) {
        let f = Format::parse(n).ok_or_else(|| {
            Error::Usage(format!(
                "--format {n:?} is unknown; expected one of {}",
                Format::NAMES
            ))
        })?;
        if !v.contains(&f) {
            v.push(f);
        }
    }
    if v.is_empty() && output.is_some() {
        let ext = output
            .and_then(|o| o.extension())
            .and_then(|e| e.to_str())
            .unwrap_or("json");
        v.push(Format::parse(ext).unwrap_or(Format::Json));
    }
    Ok(v)
}

/// Print progress from the live channels on stderr until the run ends.
async fn progress(mut rx: LiveReceiver, tty: bool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut err = std::io::stderr();
    loop {
        tokio::select! {
            ev = rx.events.recv() => {
                let Some(ev) = ev else { break };
                let line = match ev {
                    EngineEvent::ScenarioStarted { name } => Some(format!("▶ {name}")),
                    EngineEvent::ScenarioFinished { name, ok, message } => Some(format!(
                        "{} {name}{}",
                        if ok { "✓" } else { "✗" },
                        message.map(|m| format!(": {m}")).unwrap_or_default()
                    )),
                    EngineEvent::Confirming { scenario } => Some(format!("↻ {scenario}: suspect result, re-running to confirm")),
                    EngineEvent::Log(l) => Some(l),
                    EngineEvent::RunFinished { .. } => { if tty { let _ = write!(err, "\r\x1b[2K"); } break }
                    EngineEvent::RunStarted { .. } => None,
                };
                if let Some(l) = line {
                    if tty { let _ = write!(err, "\r\x1b[2K"); }
                    let _ = writeln!(err, "{l}");
                }
            }
            _ = tick.tick(), if tty => {
                let snap = rx.snapshot.borrow().clone();
                if let Some(s) = snap.scenarios.iter().find(|s| matches!(s.phase,
                    crate::engine::live::ScenarioPhase::Running
                    | crate::engine::live::ScenarioPhase::Warmup
                    | crate::engine::live::ScenarioPhase::Confirming)) {
                    let line = if s.kind == crate::engine::config::ScenarioType::Api {
                        format!("  {} {:>5.1}/{:.0}s  {:>9.0} req/s  p95 {:>8.2} ms  errors {}", s.name, s.elapsed_s, s.duration_s, s.rps, s.p95_ms, s.error_total())
                    } else {
                        format!("  {} {:>5.1}/{:.0}s  cpu {:>5.1}%  mem {:.0} MB", s.name, s.elapsed_s, s.duration_s, s.cpu_pct, s.mem_mb)
                    };
                    let _ = write!(err, "\r\x1b[2K{line}");
                    let _ = err.flush();
                }
            }
        }
    }
}

/// How long a stopped run may take to save before the process exits regardless.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Cancel on the first SIGINT/SIGTERM (partial run saved); exit at once on the second.
pub fn install_signals(cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut count = 0;
        loop {
            #[cfg(unix)]
            {
                let mut term =
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        Ok(t) => t,
                        Err(_) => return,
                    };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            count += 1;
            if count == 1 {
                eprintln!("\nstopping: saving the partial run (press Ctrl-C again to abort)");
                cancel.cancel();
                // Saving is bounded: a run still busy after the grace period exits as
                // interrupted (the store keeps it whole: an unfinished run is marked
                // incomplete by the next perfgate).
                tokio::spawn(async {
                    tokio::time::sleep(STOP_GRACE).await;
                    eprintln!(
                        "perfgate: still stopping after {} s; exiting as interrupted",
                        STOP_GRACE.as_secs()
                    );
                    std::process::exit(3);
                });
            } else {
                std::process::exit(130);
            }
        }
    });
}

pub fn store_label(loaded: &LoadedConfig, override_store: Option<&str>) -> String {
    override_store
        .map(str::to_string)
        .unwrap_or_else(|| loaded.config.tracking_db.clone())
}

/// Run headless and return the exit code.
pub async fn run(loaded: LoadedConfig, req: CiRequest) -> Result<i32> {
    let label = store_label(&loaded, req.store.as_deref());
    let mut st = store::open(&label)?;
    let (hub, rx): (LiveHub, LiveReceiver) = LiveHub::new();
    let cancel = CancellationToken::new();
    install_signals(cancel.clone());
    let printer = tokio::spawn(progress(rx, std::io::stderr().is_terminal()));
    let shown = store::label(&label);
    let outcome = run::execute(&loaded, st.as_mut(), &shown, &req.options, &hub, &cancel).await;
    drop(hub);
    let _ = printer.await;
    let mut outcome = outcome?;
    let done = run::finish(
        st.as_mut(),
        &loaded.config,
        &mut outcome,
        &req.options,
        &req.finish_options(),
        &cancel,
    )
    .await?;
    show(&outcome, &req, &done, &loaded.config, st.as_ref());
    Ok(outcome.exit_code(req.options.fail_on_regression))
}

impl CiRequest {
    /// A headless run request; the store override and the A/B noise threshold always
    /// come from the command line.
    pub fn new(
        args: &crate::cli::RunArgs,
        options: RunOptions,
        output: Option<PathBuf>,
        formats: Vec<Format>,
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

    pub fn finish_options(&self) -> run::FinishOptions {
        run::FinishOptions {
            compare_to: self.compare_to.clone(),
            noise_pct: self.noise_pct,
            output: self.output.clone(),
            formats: self.formats.clone(),
        }
    }
}

/// Everything the finish stage did, on stdout (the report) and stderr (the rest).
fn show(
    outcome: &RunOutcome,
    req: &CiRequest,
    done: &run::Finished,
    cfg: &crate::engine::config::Config,
    st: &dyn store::Store,
) {
    if let Some(c) = &done.comparison {
        eprint!("{}", crate::commands::compare::compare_table(c));
    }
    for p in &done.written {
        eprintln!("report written: {}", p.display());
    }
    let ctx = report::context(st, cfg, outcome, &req.formats);
    print_reports(outcome, req, &ctx);
    // Alerts never change the verdict: failures are reported once, here.
    match &done.alerts {
        Some(Ok(summary)) => {
            for l in &summary.console {
                eprintln!("{l}");
            }
            for c in &summary.channels {
                if c.outcome == crate::engine::alert::Delivery::Failed {
                    eprintln!("alert channel {} failed: {}", c.channel, c.detail);
                } else {
                    tracing::info!(channel = %c.channel, outcome = %c.outcome, detail = %c.detail, "alert channel");
                }
            }
            for s in &summary.suppressed {
                tracing::info!("alert suppressed: {s}");
            }
            if !summary.undelivered.is_empty() {
                eprintln!(
                    "undelivered, will be sent again with the next run: {}",
                    summary.undelivered.join(", ")
                );
            }
        }
        Some(Err(e)) => eprintln!("alerts were not sent: {e}"),
        None => {}
    }
    if done.alerts_abandoned {
        eprintln!("alerts abandoned: stopped by a signal before delivery finished");
    }
}

/// stdout carries exactly one thing: the formats asked for when there is no
/// `--output` (the text summary by default), or the text summary beside written
/// files, so `perfgate --ci --format markdown > r.md` is a markdown file.
pub fn print_reports(outcome: &RunOutcome, req: &CiRequest, ctx: &report::ReportContext) {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = std::io::stdout().lock();
    let to_stdout: Vec<String> = if req.output.is_some() || req.formats.is_empty() {
        vec![report::text::render(outcome, color)]
    } else {
        req.formats
            .iter()
            .map(|f| match f {
                Format::Text => report::text::render(outcome, color),
                f => report::render(outcome, *f, ctx),
            })
            .collect()
    };
    for part in to_stdout {
        // A closed pipe (e.g. `| head`) is not an error.
        let _ = out.write_all(part.as_bytes());
    }
    let _ = out.flush();
    if let Ok(summary) = std::env::var("GITHUB_STEP_SUMMARY")
        && !summary.is_empty()
    {
        let md = report::markdown::render(outcome);
        let _ = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&summary)
            .and_then(|mut f| f.write_all(md.as_bytes()));
    }
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        for r in &outcome.regressions {
            let level = if r.severity >= crate::engine::detect::Severity::High {
                "error"
            } else {
                "warning"
            };
            println!(
                "::{level} title=perfgate regression::{} {} ({}, {})",
                r.metric,
                crate::engine::metrics::change_label(r.change_pct),
                r.size(),
                r.severity
            );
        }
    }
}
