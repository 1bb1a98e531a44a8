//! The interactive console: a view over the same engine `--ci` runs.
//!
//! One `tokio::select!` loop over terminal input, the engine's live snapshot
//! (`watch`, latest value only), its lifecycle events (bounded `mpsc`) and a
//! render tick. Every queued key is handled before one draw. The engine runs in
//! its own task with its own store connection; the UI never blocks it and stops
//! it through a cancellation token.

pub mod app;
#[doc(hidden)]
pub mod sample;
pub mod tabs;
pub mod theme;
mod triage_detail;
pub mod ui;
pub mod widgets;

#[cfg(test)]
mod tests;

use crossterm::event::{self, Event};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::config::LoadedConfig;
use crate::engine::error::{Error, Result};
use crate::engine::inspect;
use crate::engine::live::{LiveHub, LiveReceiver};
use crate::engine::manage;
use crate::engine::report::{self, fmt_num};
use crate::engine::run::{self, RunOptions, RunOutcome};
use crate::engine::store::{self, Store};
use app::{App, Command, ConfirmAction, RunState};

/// Redraw at most this often when something changed (>= 4 updates per second).
const FRAME: Duration = Duration::from_millis(200);
/// While the machine is saturated the console steps back to the slowest rate that
/// still moves the numbers 4 times a second: drawing must not compete with the load.
const FRAME_SATURATED: Duration = Duration::from_millis(250);

/// The frame period for the machine's load now.
fn frame_period(app: &App) -> Duration {
    if app.running() && app.live.system.cpu_pct >= 85.0 {
        FRAME_SATURATED
    } else {
        FRAME
    }
}

/// A run as the console sees it once the engine is done with it.
struct Completed {
    outcome: RunOutcome,
    finished: run::Finished,
}

struct Running {
    task: tokio::task::JoinHandle<Result<Completed>>,
    cancel: CancellationToken,
    rx: LiveReceiver,
}

/// Load everything the tabs show from the store.
pub fn refresh(app: &mut App, st: &dyn Store) -> Result<()> {
    app.set_views(inspect::baseline_views(st, &app.config)?);
    app.alerts = st.alerts(false)?;
    app.sort_alerts();
    app.ranges = app
        .alerts
        .iter()
        .filter_map(|a| match report::stored::suspect_range(st, a) {
            Ok(Some(r)) => Some(Ok((a.id, r))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_>>()?;
    app.audit = st.audit(100)?;
    Ok(())
}

/// Carry out a confirmed baseline or triage action, recorded with who and why.
pub fn apply(st: &mut dyn Store, action: &ConfirmAction, reason: &str) -> Result<String> {
    let who = store::actor();
    Ok(match action {
        ConfirmAction::ResetMetric(m) => {
            manage::reset(st, m, &who, reason)?;
            format!("baseline of {m} reset by {who}")
        }
        ConfirmAction::ResetAll => {
            manage::reset(st, "*", &who, reason)?;
            format!("every baseline reset by {who}")
        }
        ConfirmAction::Undo(t) => {
            let done = manage::undo(st, t, &who, reason)?;
            format!(
                "reset of {} by {} taken back by {who}; {} alert(s) open again",
                manage::target_name(t),
                done.event.who,
                done.reopened.len()
            )
        }
        ConfirmAction::Accept(m) => {
            format!("{m}: {} by {who}", manage::accept(st, m, &who, reason)?)
        }
        ConfirmAction::SetGroupState { group, state, .. } => {
            let n = st.set_group_state(*group, *state, &who, reason)?;
            format!(
                "group g{group}: {n} alert(s) now {state}{}",
                store::rules::state_effect(*state)
            )
        }
        ConfirmAction::SetAlertState { id, state, .. } => {
            st.set_alert_state(*id, *state, &who, reason)?;
            format!(
                "alert #{id} is now {state}{}",
                store::rules::state_effect(*state)
            )
        }
    })
}

/// Start the one run pipeline (execute, then finish: compare, reports, alerts) exactly
/// as the headless front-end does.
fn start(
    loaded: &LoadedConfig,
    label: &str,
    opts: &RunOptions,
    finish: &run::FinishOptions,
    only: Vec<String>,
) -> Result<Running> {
    let mut st = store::open(label)?;
    let (hub, rx): (LiveHub, LiveReceiver) = LiveHub::new();
    let cancel = CancellationToken::new();
    let loaded = loaded.clone();
    let label = label.to_string();
    let mut opts = opts.clone();
    opts.only = only;
    let c = cancel.clone();
    let finish = finish.clone();
    let task = tokio::spawn(async move {
        let mut outcome =
            run::execute(&loaded, st.as_mut(), &store::label(&label), &opts, &hub, &c).await?;
        let finished = run::finish(
            st.as_mut(),
            &loaded.config,
            &mut outcome,
            &opts,
            &finish,
            &c,
        )
        .await?;
        Ok(Completed { outcome, finished })
    });
    Ok(Running { task, cancel, rx })
}

/// The console's side of a run: the store, what starts a run, and the run in flight.
struct Session {
    loaded: LoadedConfig,
    opts: RunOptions,
    finish: run::FinishOptions,
    label: String,
    st: Box<dyn Store>,
    task: Option<tokio::task::JoinHandle<Result<Completed>>>,
    rx: Option<LiveReceiver>,
    cancel: Option<CancellationToken>,
    quitting: bool,
    /// Alerts (id, metric) a running re-run is confirming.
    reconfirming: Vec<(i64, String)>,
}

impl Session {
    fn launch(&mut self, only: Vec<String>) -> Result<()> {
        let r = start(&self.loaded, &self.label, &self.opts, &self.finish, only)?;
        self.task = Some(r.task);
        self.rx = Some(r.rx);
        self.cancel = Some(r.cancel);
        Ok(())
    }

    /// The run task ended: show its outcome and reload what it changed.
    fn finished(
        &mut self,
        app: &mut App,
        res: std::result::Result<Result<Completed>, tokio::task::JoinError>,
    ) {
        self.task = None;
        self.cancel = None;
        if let Some(r) = self.rx.take() {
            app.live = r.snapshot.borrow().clone();
        }
        match res {
            Ok(Ok(Completed { outcome, finished })) => {
                app.on_finished(&finished);
                app.status = format!(
                    "run #{} {}: {} regression(s), {} improvement(s)",
                    outcome.run_id,
                    outcome.status,
                    outcome.regressions.len(),
                    outcome.improvements.len()
                );
                app.hint = (outcome.failing > 0).then(|| {
                    "next: 3 Triage, d detail, Enter to acknowledge; 4 Baselines, a accept or r reset"
                        .to_string()
                });
                app.run = RunState::Finished {
                    run_id: outcome.run_id,
                    status: outcome.status,
                };
                self.record_reconfirmation(app, &outcome);
                app.outcome = Some(outcome);
            }
            Ok(Err(e)) => {
                app.status = e.to_string();
                app.run = RunState::Failed(e.to_string());
            }
            Err(e) => {
                app.status = format!("run task failed: {e}");
                app.run = RunState::Failed("task".into());
            }
        }
        self.reload(app);
    }

    fn reload(&self, app: &mut App) {
        if let Err(e) = refresh(app, self.st.as_ref()) {
            app.status = e.to_string();
        }
    }

    fn stop(&self, app: &mut App) {
        if let Some(c) = &self.cancel {
            c.cancel();
            app.run = RunState::Stopping;
        }
    }

    /// Carry out what the keys asked for.
    fn command(&mut self, app: &mut App, c: Command) {
        match c {
            Command::Quit => {
                self.quitting = true;
                // Stop the run and wait for it to save the partial results.
                if self.cancel.is_some() {
                    self.stop(app);
                    app.status = "stopping: saving the partial run…".into();
                }
            }
            Command::Start(only) if self.task.is_none() => match self.launch(only) {
                Ok(()) => {
                    app.run = RunState::Running;
                    app.live = Default::default();
                    app.status = "running…".into();
                }
                Err(e) => app.status = e.to_string(),
            },
            Command::Start(_) => {}
            Command::Stop => self.stop(app),
            Command::Refresh => {
                app.status = "reloaded".into();
                self.reload(app);
            }
            Command::Confirmed(action, reason) => {
                app.status = match apply(self.st.as_mut(), &action, &reason) {
                    Ok(msg) => {
                        app.last_reset = match action {
                            ConfirmAction::ResetMetric(m) => Some(m),
                            ConfirmAction::ResetAll => Some("*".into()),
                            ConfirmAction::Undo(_) => None,
                            _ => app.last_reset.take(),
                        };
                        msg
                    }
                    Err(e) => e.to_string(),
                };
                self.reload(app);
            }
            Command::Detail(row) => {
                app.modal = triage_detail::detail(app, row, self.st.as_ref());
            }
            Command::Reconfirm(row) => {
                let members: Vec<(i64, String)> = triage_detail::members(app, row)
                    .iter()
                    .map(|a| (a.id, a.metric.clone()))
                    .collect();
                let Some(scenario) = members
                    .first()
                    .map(|m| m.1.split('.').next().unwrap_or(&m.1).to_string())
                else {
                    return;
                };
                match self.launch(vec![scenario.clone()]) {
                    Ok(()) => {
                        app.run = RunState::Running;
                        app.live = Default::default();
                        app.status = format!("re-running {scenario} to confirm…");
                        self.reconfirming = members;
                    }
                    Err(e) => app.status = e.to_string(),
                }
            }
        }
    }

    /// After a confirming re-run: each alert's metric still beyond its band is
    /// confirmed, one back inside is evidence for `invalid`; both are audited.
    fn record_reconfirmation(&mut self, app: &mut App, outcome: &RunOutcome) {
        let checked = std::mem::take(&mut self.reconfirming);
        if checked.is_empty() {
            return;
        }
        let who = store::actor();
        let mut still = 0;
        for (id, metric) in &checked {
            let Some(m) = outcome.metrics.iter().find(|m| &m.name == metric) else {
                continue;
            };
            // A re-run better than the baseline is no sign the regression holds.
            let beyond = m.beyond_on_bad_side();
            still += beyond as usize;
            let band = m
                .baseline
                .as_ref()
                .map(|b| {
                    let z = crate::engine::detect::Settings::from_config(&app.config)
                        .for_metric(&m.name)
                        .z_threshold;
                    let (lo, _, hi) = b.band(z);
                    format!("band {}..{}", fmt_num(lo), fmt_num(hi))
                })
                .unwrap_or_else(|| "no band".into());
            let what = format!(
                "re-run #{}: {} {} against {band}: {}",
                outcome.run_id,
                fmt_num(m.value),
                m.unit,
                if beyond {
                    "still beyond, confirmed"
                } else {
                    "back within, evidence for invalid"
                }
            );
            if let Err(e) = self.st.record_evidence(*id, metric, &who, &what) {
                app.status = e.to_string();
                return;
            }
            app.push_log(format!("#{id} {metric}: {what}"));
        }
        app.status = format!(
            "re-run #{}: {still} of {} metric(s) still beyond their band{}",
            outcome.run_id,
            checked.len(),
            if still == 0 {
                " (evidence for invalid)"
            } else {
                " (confirmed)"
            }
        );
    }
}

/// Terminal input on its own thread (crossterm's read blocks), until `stop`.
fn spawn_input(stop: CancellationToken) -> mpsc::Receiver<Event> {
    let (keys_tx, keys) = mpsc::channel::<Event>(64);
    std::thread::spawn(move || {
        while !stop.is_cancelled() {
            // A long poll: the flag is only checked when the console closes.
            if let Ok(true) = event::poll(Duration::from_millis(500))
                && let Ok(ev) = event::read()
                && keys_tx.blocking_send(ev).is_err()
            {
                break;
            }
        }
    });
    keys
}

/// Run the console until the user quits. `autostart` begins a run at once.
pub async fn run(
    loaded: LoadedConfig,
    opts: RunOptions,
    finish: run::FinishOptions,
    label: String,
    autostart: bool,
) -> Result<i32> {
    let st = store::open(&label)?;
    let mut app = App::new(
        loaded.config.clone(),
        loaded.path.display().to_string(),
        store::label(&label),
        theme::Theme::from_env(),
    );
    refresh(&mut app, st.as_ref())?;
    let mut s = Session {
        loaded,
        opts,
        finish,
        label,
        st,
        task: None,
        rx: None,
        cancel: None,
        quitting: false,
        reconfirming: Vec::new(),
    };
    let input_stop = CancellationToken::new();
    let mut keys = spawn_input(input_stop.clone());
    let mut term = ratatui::init();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Run(format!("cannot watch SIGTERM: {e}")))?;
    if autostart {
        s.launch(Vec::new())?;
        app.run = RunState::Running;
    }
    let mut period = FRAME;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let result: Result<()> = loop {
        if dirty {
            if let Err(e) = term.draw(|f| ui::draw(f, &app)) {
                break Err(Error::Run(format!("cannot draw the terminal: {e}")));
            }
            dirty = false;
        }
        let mut commands = Vec::new();
        tokio::select! {
            ev = keys.recv() => {
                // Coalesce whatever input queued up into one redraw.
                let mut batch = ev.into_iter().collect::<Vec<_>>();
                while let Ok(more) = keys.try_recv() {
                    batch.push(more);
                }
                for ev in batch {
                    if let Event::Key(k) = ev {
                        commands.extend(app.on_key(k));
                    }
                }
                dirty = true;
            }
            _ = sigterm.recv() => {
                // A second signal while stopping ends the console at once.
                if s.quitting {
                    ratatui::restore();
                    std::process::exit(130);
                }
                commands.push(Command::Quit);
            }
            ev = async { match s.rx.as_mut() { Some(r) => r.events.recv().await, None => std::future::pending().await } } => {
                if let Some(ev) = ev {
                    app.on_engine_event(&ev);
                    dirty = true;
                }
            }
            res = async { match s.task.as_mut() { Some(t) => t.await, None => std::future::pending().await } } => {
                s.finished(&mut app, res);
                dirty = true;
                if s.quitting {
                    break Ok(());
                }
            }
            // The tick only matters while a run publishes: an idle console sleeps
            // until a key or an engine event arrives.
            _ = tick.tick(), if s.rx.is_some() => {
                if let Some(r) = s.rx.as_mut()
                    && r.snapshot.has_changed().unwrap_or(false)
                {
                    app.live = r.snapshot.borrow_and_update().clone();
                    dirty = true;
                }
                let want = frame_period(&app);
                if want != period {
                    period = want;
                    tick = tokio::time::interval(period);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                }
            }
        }
        for c in commands {
            s.command(&mut app, c);
        }
        if s.quitting && s.task.is_none() {
            break Ok(());
        }
    };
    input_stop.cancel();
    ratatui::restore();
    result.map(|_| 0)
}
