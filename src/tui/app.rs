//! TUI state and the key handling that changes it. Pure: keys in, `Command`s out;
//! the event loop in `mod.rs` carries the commands out against the engine and store.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::VecDeque;

use super::theme::Theme;
use crate::engine::config::Config;
use crate::engine::config::threshold;
use crate::engine::inspect::BaselineView;
use crate::engine::live::{EngineEvent, LiveSnapshot};
use crate::engine::model::{Severity, TriageState};
use crate::engine::run::RunOutcome;
use crate::engine::store::{Alert, AuditEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Live,
    Metrics,
    Triage,
    Baselines,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Live, Tab::Metrics, Tab::Triage, Tab::Baselines];
    pub fn title(self) -> &'static str {
        match self {
            Tab::Live => "Live",
            Tab::Metrics => "Metrics",
            Tab::Triage => "Triage",
            Tab::Baselines => "Baselines",
        }
    }
    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
    fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % 4]
    }
    fn prev(self) -> Tab {
        Tab::ALL[(self.index() + 3) % 4]
    }
}

/// A destructive action awaiting confirmation (gitui's ConfirmAction).
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmAction {
    ResetMetric(String),
    ResetAll,
    /// Take back the newest reset of a metric, or of every metric (`*`).
    Undo(String),
    Accept(String),
    SetAlertState {
        id: i64,
        metric: String,
        state: TriageState,
    },
    /// Every alert of a group.
    SetGroupState {
        group: i64,
        members: usize,
        state: TriageState,
    },
}

/// A row of the Triage tab: a group, or one of its alerts (an index of `alerts`)
/// when the group is expanded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriageRow {
    Group(i64),
    Alert(usize),
}

impl ConfirmAction {
    pub fn title(&self) -> String {
        match self {
            ConfirmAction::ResetMetric(m) => format!("Reset baseline of {m}?"),
            ConfirmAction::ResetAll => "Reset EVERY baseline?".into(),
            ConfirmAction::Undo(t) if t == "*" => "Take back the reset of EVERY baseline?".into(),
            ConfirmAction::Undo(m) => format!("Take back the reset of {m}?"),
            ConfirmAction::Accept(m) => format!("Accept the current level of {m} as its baseline?"),
            ConfirmAction::SetAlertState { id, state, .. } => {
                format!("Mark alert #{id} as {state}?")
            }
            ConfirmAction::SetGroupState {
                group,
                members,
                state,
            } => format!("Mark group g{group} ({members} alerts) as {state}?"),
        }
    }
}

/// What the event loop must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Start a run (all scenarios, or only these).
    Start(Vec<String>),
    Stop,
    Refresh,
    /// A confirmed action with the reason typed in the confirmation step.
    Confirmed(ConfirmAction, String),
    /// Open the Triage detail of a row (it reads the store: the distributions).
    Detail(TriageRow),
    /// Re-run the scenario of a Triage row now and record what it shows.
    Reconfirm(TriageRow),
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    None,
    Help,
    /// The metric at this index of `views`, drawn large.
    Detail(usize),
    /// Pick a triage state for an alert or a group.
    StatePicker {
        target: TriageRow,
        selected: usize,
    },
    /// A regression's story: its group, suspect range and the commits in it,
    /// scrolled down by `scroll` rows (a group's commits can outrun the screen).
    TriageDetail {
        title: String,
        lines: Vec<String>,
        scroll: u16,
    },
    /// Confirmation step: names what will be lost, takes a reason.
    Confirm {
        action: ConfirmAction,
        consequence: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Running,
    Stopping,
    Finished {
        run_id: i64,
        status: crate::engine::model::Verdict,
    },
    Failed(String),
}

pub struct App {
    pub tab: Tab,
    pub theme: Theme,
    pub config: Config,
    pub config_label: String,
    pub store_label: String,
    pub live: LiveSnapshot,
    pub run: RunState,
    pub outcome: Option<RunOutcome>,
    pub views: Vec<BaselineView>,
    pub alerts: Vec<Alert>,
    pub audit: Vec<AuditEntry>,
    /// Selected row per tab.
    pub sel: [usize; 4],
    pub modal: Modal,
    pub status: String,
    /// The last row the open triage detail can scroll to, as it was last drawn
    /// (its lines wrap to the screen's width, which only the draw knows).
    pub detail_last: std::cell::Cell<u16>,
    pub log: VecDeque<String>,
    pub quit: bool,
    /// Baseline band per metric, computed when the views load (not per frame).
    pub bands: std::collections::HashMap<String, (f64, f64, f64)>,
    /// SLO bounds per metric, from the config's thresholds parsed when the views
    /// load (not per frame).
    pub slo_bounds: std::collections::HashMap<String, Vec<f64>>,
    /// What to try next, shown in the footer (the demo's guide).
    pub hint: Option<String>,
    /// Triage groups shown with their alerts.
    pub expanded: std::collections::HashSet<i64>,
    /// Suspect range per alert id, read when the alerts load.
    pub ranges: std::collections::HashMap<i64, crate::engine::outcome::SuspectRange>,
    /// What the last reset made in this console was for (a metric, or `*`): the
    /// one `U` takes back.
    pub last_reset: Option<String>,
}

impl App {
    pub fn new(config: Config, config_label: String, store_label: String, theme: Theme) -> App {
        App {
            tab: Tab::Live,
            theme,
            config,
            config_label,
            store_label,
            live: LiveSnapshot::default(),
            run: RunState::Idle,
            outcome: None,
            views: Vec::new(),
            alerts: Vec::new(),
            audit: Vec::new(),
            sel: [0; 4],
            modal: Modal::None,
            status: String::new(),
            detail_last: std::cell::Cell::new(0),
            log: VecDeque::new(),
            quit: false,
            bands: Default::default(),
            slo_bounds: Default::default(),
            hint: None,
            expanded: Default::default(),
            ranges: Default::default(),
            last_reset: None,
        }
    }

    /// Install freshly loaded baseline views and the bands drawn from them.
    pub fn set_views(&mut self, views: Vec<BaselineView>) {
        self.bands = views
            .iter()
            .filter_map(|v| Some((v.metric.clone(), self.band(v)?)))
            .collect();
        let thresholds = threshold::parse_all(&self.config, "").unwrap_or_default();
        self.slo_bounds = views
            .iter()
            .map(|v| {
                let b = thresholds.iter().filter(|t| t.matches(&v.metric));
                (v.metric.clone(), b.map(|t| t.bound).collect())
            })
            .collect();
        self.views = views;
    }

    /// The SLO bounds drawn for a metric.
    pub fn bounds_of(&self, metric: &str) -> &[f64] {
        self.slo_bounds.get(metric).map_or(&[], Vec::as_slice)
    }

    pub fn running(&self) -> bool {
        matches!(self.run, RunState::Running | RunState::Stopping)
    }

    /// Alerts in triage order: open first, then by severity, newest first.
    pub fn sort_alerts(&mut self) {
        // A group sorts where its most urgent alert would.
        let mut rank: std::collections::HashMap<i64, (bool, std::cmp::Reverse<Severity>)> =
            Default::default();
        for a in &self.alerts {
            let k = (!a.state.is_open(), std::cmp::Reverse(a.severity));
            let e = rank.entry(a.group()).or_insert(k);
            *e = (*e).min(k);
        }
        self.alerts.sort_by_key(|a| {
            (
                rank[&a.group()],
                std::cmp::Reverse(a.group()),
                !a.state.is_open(),
                std::cmp::Reverse(a.severity),
                std::cmp::Reverse(a.id),
            )
        });
    }

    /// The Triage tab's rows: each group, then its alerts when expanded.
    pub fn triage_rows(&self) -> Vec<TriageRow> {
        let mut rows = Vec::new();
        let mut last = None;
        for (i, a) in self.alerts.iter().enumerate() {
            if last != Some(a.group()) {
                rows.push(TriageRow::Group(a.group()));
                last = Some(a.group());
            }
            if self.expanded.contains(&a.group()) {
                rows.push(TriageRow::Alert(i));
            }
        }
        rows
    }

    /// The alerts of a group.
    pub fn members(&self, group: i64) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.group() == group).collect()
    }

    /// Baseline band of a metric: (centre - k*std, robust centre, centre + k*std),
    /// k the t-corrected alert threshold.
    pub fn band(&self, v: &BaselineView) -> Option<(f64, f64, f64)> {
        Some(v.stats.as_ref()?.band(v.z_threshold))
    }

    fn rows(&self) -> usize {
        match self.tab {
            Tab::Live => self.live.scenarios.len(),
            Tab::Metrics | Tab::Baselines => self.views.len(),
            Tab::Triage => self.triage_rows().len(),
        }
    }

    fn selected(&self) -> usize {
        self.sel[self.tab.index()].min(self.rows().saturating_sub(1))
    }

    pub fn selected_row(&self, tab: Tab) -> usize {
        let rows = match tab {
            Tab::Live => self.live.scenarios.len(),
            Tab::Metrics | Tab::Baselines => self.views.len(),
            Tab::Triage => self.triage_rows().len(),
        };
        self.sel[tab.index()].min(rows.saturating_sub(1))
    }

    fn move_sel(&mut self, delta: isize) {
        let rows = self.rows();
        if rows == 0 {
            return;
        }
        let i = self.selected() as isize + delta;
        self.sel[self.tab.index()] = i.clamp(0, rows as isize - 1) as usize;
    }

    /// Keys of the state picker: choose a state, then confirm it for the alert or
    /// for every alert of the group.
    fn on_picker_key(&mut self, code: KeyCode, target: TriageRow, selected: usize) {
        let last = TriageState::ALL.len() - 1;
        let state = TriageState::ALL[selected.min(last)];
        let (action, consequence) = match code {
            KeyCode::Char('j') | KeyCode::Down => {
                let selected = (selected + 1).min(last);
                self.modal = Modal::StatePicker { target, selected };
                return;
            }
            KeyCode::Char('k') | KeyCode::Up => {
                let selected = selected.saturating_sub(1);
                self.modal = Modal::StatePicker { target, selected };
                return;
            }
            KeyCode::Enter => match target {
                TriageRow::Alert(k) => {
                    let Some(a) = self.alerts.get(k) else {
                        self.modal = Modal::None;
                        return;
                    };
                    let consequence = if state == TriageState::Accepted {
                        format!(
                            "The level of {} since run #{} becomes its baseline; the runs before stop counting.",
                            a.metric,
                            a.level_from()
                        )
                    } else if state == TriageState::Invalid {
                        format!(
                            "Alert #{} on {} is a false alarm: runs #{}..#{} count as its baseline again.",
                            a.id,
                            a.metric,
                            a.change_from(),
                            a.last_run_id
                        )
                    } else {
                        format!(
                            "Alert #{} on {} goes from {} to {}.",
                            a.id, a.metric, a.state, state
                        )
                    };
                    let action = ConfirmAction::SetAlertState {
                        id: a.id,
                        metric: a.metric.clone(),
                        state,
                    };
                    (action, consequence)
                }
                TriageRow::Group(g) => {
                    let members = self.members(g);
                    let names: Vec<&str> = members.iter().map(|a| a.metric.as_str()).collect();
                    let consequence = format!(
                        "Every alert of group g{g} goes to {state}, each audited: {}{}.",
                        names.join(", "),
                        crate::engine::store::rules::state_effect(state)
                    );
                    let action = ConfirmAction::SetGroupState {
                        group: g,
                        members: members.len(),
                        state,
                    };
                    (action, consequence)
                }
            },
            KeyCode::Esc => {
                self.modal = Modal::None;
                return;
            }
            _ => return,
        };
        self.modal = Modal::Confirm {
            action,
            consequence,
            reason: String::new(),
        };
    }

    pub fn on_engine_event(&mut self, ev: &EngineEvent) {
        let line = match ev {
            EngineEvent::RunStarted { run_id } => format!("run #{run_id} started"),
            EngineEvent::ScenarioStarted { name } => format!("{name}: started"),
            EngineEvent::ScenarioFinished { name, ok, message } => format!(
                "{name}: {}{}",
                if *ok { "done" } else { "failed" },
                message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            EngineEvent::Confirming { scenario } => {
                format!("{scenario}: suspect result, re-running to confirm")
            }
            EngineEvent::Log(l) => l.clone(),
            EngineEvent::RunFinished { run_id, status } => {
                format!("run #{run_id} finished: {status}")
            }
        };
        self.push_log(line);
    }

    /// The event log keeps its latest 50 lines.
    pub fn push_log(&mut self, line: String) {
        if self.log.len() >= 50 {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    /// The finish stage's news in the event log: alerts sent, failed channels, reports.
    pub fn on_finished(&mut self, done: &crate::engine::run::Finished) {
        let mut lines: Vec<String> = done
            .written
            .iter()
            .map(|p| format!("report written: {}", p.display()))
            .collect();
        match &done.alerts {
            Some(Ok(s)) => {
                lines.extend(s.console.iter().cloned());
                lines.extend(
                    s.channels
                        .iter()
                        .map(|c| format!("alert {}: {} ({})", c.channel, c.outcome, c.detail)),
                );
            }
            Some(Err(e)) => lines.push(format!("alerts were not sent: {e}")),
            None => {}
        }
        if done.alerts_abandoned {
            lines.push("alerts abandoned: the run was stopped".into());
        }
        for l in lines {
            self.push_log(l);
        }
    }

    /// The keys that work right now, for the footer.
    pub fn footer_keys(&self) -> Vec<(&'static str, &'static str)> {
        match &self.modal {
            Modal::Help => return vec![("Esc/?", "close")],
            Modal::Detail(_) => return vec![("j/k", "prev/next metric"), ("Esc", "close")],
            Modal::StatePicker { .. } => {
                return vec![("j/k", "choose"), ("Enter", "set"), ("Esc", "cancel")];
            }
            Modal::TriageDetail { .. } => return vec![("j/k", "scroll"), ("Esc", "close")],
            Modal::Confirm { .. } => {
                return vec![("type", "reason"), ("Enter", "confirm"), ("Esc", "cancel")];
            }
            Modal::None => {}
        }
        let mut keys = vec![("1-4/Tab", "tabs"), ("j/k", "move")];
        match self.tab {
            Tab::Live => {
                if self.running() {
                    keys.push(("x", "stop"));
                } else {
                    keys.push(("s", "run all"));
                    keys.push(("r", "re-run selected"));
                }
            }
            Tab::Metrics => keys.push(("Enter", "open")),
            Tab::Triage => {
                keys.push(("Enter", "state"));
                keys.push(("Space", "expand"));
                keys.push(("d", "detail"));
            }
            Tab::Baselines => {
                keys.push(("r", "reset"));
                keys.push(("R", "reset all"));
                keys.push(("a", "accept"));
                keys.push(("U", "undo"));
            }
        }
        keys.push(("?", "help"));
        keys.push(("q", "quit"));
        keys
    }

    /// Every key, for the help screen.
    pub fn help() -> &'static [(&'static str, &'static str)] {
        &[
            ("1 2 3 4", "Live, Metrics, Triage, Baselines"),
            ("Tab / Shift-Tab", "next / previous tab"),
            ("j k / ↓ ↑", "move the selection"),
            ("g / G", "first / last row"),
            ("Enter", "open: metric detail (Metrics), set state (Triage)"),
            ("Space", "Triage: expand or fold a group to its alerts"),
            (
                "d",
                "Triage: detail (j/k scroll): suspect range, commits, latency",
            ),
            ("c", "Triage: re-run the scenario now to confirm (audited)"),
            ("s", "Live: start a run of every scenario"),
            ("r", "Live: re-run the selected scenario"),
            ("r", "Baselines: reset the selected baseline"),
            ("x", "Live: stop the running scenario (partial run saved)"),
            ("R", "Baselines: reset every baseline"),
            ("a", "Baselines: accept the current level as baseline"),
            (
                "U",
                "Baselines: take back the last reset (before the next run)",
            ),
            ("F5 / u", "reload from the store"),
            ("?", "this help"),
            ("q / Ctrl-C", "quit (a running test is stopped and saved)"),
        ]
    }

    /// Handle one key; returns what the loop must do.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return Some(Command::Quit);
        }
        match self.modal.clone() {
            Modal::None => {}
            Modal::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter
                ) {
                    self.modal = Modal::None;
                }
                return None;
            }
            Modal::Detail(i) => {
                match key.code {
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => self.modal = Modal::None,
                    KeyCode::Char('j') | KeyCode::Down if i + 1 < self.views.len() => {
                        self.modal = Modal::Detail(i + 1);
                        self.sel[Tab::Metrics.index()] = i + 1;
                    }
                    KeyCode::Char('k') | KeyCode::Up if i > 0 => {
                        self.modal = Modal::Detail(i - 1);
                        self.sel[Tab::Metrics.index()] = i - 1;
                    }
                    _ => {}
                }
                return None;
            }
            Modal::StatePicker { target, selected } => {
                self.on_picker_key(key.code, target, selected);
                return None;
            }
            Modal::TriageDetail { scroll, .. } => {
                let to = match key.code {
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
                        self.modal = Modal::None;
                        return None;
                    }
                    KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
                    KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
                    KeyCode::PageDown => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::Home | KeyCode::Char('g') => 0,
                    _ => scroll,
                };
                if let Modal::TriageDetail { scroll, .. } = &mut self.modal {
                    *scroll = to.min(self.detail_last.get());
                }
                return None;
            }
            Modal::Confirm {
                action,
                consequence,
                mut reason,
            } => {
                match key.code {
                    KeyCode::Esc => {
                        self.modal = Modal::None;
                        self.status = "cancelled".into();
                    }
                    // The reason goes to the audit log: an entry without one says
                    // nothing to whoever reads it at 3am.
                    KeyCode::Enter if reason.trim().is_empty() => {
                        self.status = "type a reason first: it is recorded in the audit log".into();
                        self.modal = Modal::Confirm {
                            action,
                            consequence,
                            reason,
                        };
                    }
                    KeyCode::Enter => {
                        self.modal = Modal::None;
                        return Some(Command::Confirmed(action, reason.trim().to_string()));
                    }
                    KeyCode::Backspace => {
                        reason.pop();
                        self.modal = Modal::Confirm {
                            action,
                            consequence,
                            reason,
                        };
                    }
                    KeyCode::Char(c) if reason.len() < 200 => {
                        reason.push(c);
                        self.modal = Modal::Confirm {
                            action,
                            consequence,
                            reason,
                        };
                    }
                    _ => {}
                }
                return None;
            }
        }
        match key.code {
            KeyCode::Char('q') => {
                self.quit = true;
                Some(Command::Quit)
            }
            KeyCode::Char('?') => {
                self.modal = Modal::Help;
                None
            }
            KeyCode::Char('1') => self.switch(Tab::Live),
            KeyCode::Char('2') => self.switch(Tab::Metrics),
            KeyCode::Char('3') => self.switch(Tab::Triage),
            KeyCode::Char('4') => self.switch(Tab::Baselines),
            KeyCode::Tab => self.switch(self.tab.next()),
            KeyCode::BackTab => self.switch(self.tab.prev()),
            KeyCode::Char('j') | KeyCode::Down => {
                self.move_sel(1);
                None
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.move_sel(-1);
                None
            }
            KeyCode::Char('g') | KeyCode::Home => {
                self.sel[self.tab.index()] = 0;
                None
            }
            KeyCode::Char('G') | KeyCode::End => {
                self.sel[self.tab.index()] = self.rows().saturating_sub(1);
                None
            }
            KeyCode::F(5) | KeyCode::Char('u') => Some(Command::Refresh),
            _ => self.tab_key(key.code),
        }
    }

    fn switch(&mut self, tab: Tab) -> Option<Command> {
        self.tab = tab;
        None
    }

    fn tab_key(&mut self, code: KeyCode) -> Option<Command> {
        let i = self.selected();
        match (self.tab, code) {
            (Tab::Live, KeyCode::Char('s')) if !self.running() => Some(Command::Start(Vec::new())),
            (Tab::Live, KeyCode::Char('r')) if !self.running() => {
                let name = self.live.scenarios.get(i).map(|s| s.name.clone())?;
                Some(Command::Start(vec![name]))
            }
            (Tab::Live, KeyCode::Char('x')) if self.running() => Some(Command::Stop),
            (Tab::Metrics, KeyCode::Enter) if !self.views.is_empty() => {
                self.modal = Modal::Detail(i);
                None
            }
            (Tab::Triage, KeyCode::Enter) => {
                let target = *self.triage_rows().get(i)?;
                let state = match target {
                    TriageRow::Group(g) => self.members(g).first()?.state,
                    TriageRow::Alert(k) => self.alerts.get(k)?.state,
                };
                let current = TriageState::ALL.iter().position(|s| *s == state);
                self.modal = Modal::StatePicker {
                    target,
                    selected: current.unwrap_or(0),
                };
                None
            }
            (Tab::Triage, KeyCode::Char(' ') | KeyCode::Right | KeyCode::Left) => {
                let g = match *self.triage_rows().get(i)? {
                    TriageRow::Group(g) => g,
                    TriageRow::Alert(k) => self.alerts.get(k)?.group(),
                };
                if !self.expanded.remove(&g) {
                    self.expanded.insert(g);
                }
                // Keep the selection on the group's row.
                let at = self
                    .triage_rows()
                    .iter()
                    .position(|r| *r == TriageRow::Group(g));
                self.sel[Tab::Triage.index()] = at.unwrap_or(0);
                None
            }
            (Tab::Triage, KeyCode::Char('d')) => Some(Command::Detail(*self.triage_rows().get(i)?)),
            (Tab::Triage, KeyCode::Char('c')) if !self.running() => {
                Some(Command::Reconfirm(*self.triage_rows().get(i)?))
            }
            (Tab::Baselines, KeyCode::Char('r')) => {
                let v = self.views.get(i)?;
                let n = v.stats.as_ref().map(|s| s.n).unwrap_or(0);
                self.modal = Modal::Confirm {
                    action: ConfirmAction::ResetMetric(v.metric.clone()),
                    consequence: format!(
                        "{n} baseline samples of {} stop counting; it is not judged again until {} new runs.",
                        v.metric, self.config.min_baseline_samples
                    ),
                    reason: String::new(),
                };
                None
            }
            (Tab::Baselines, KeyCode::Char('R')) if !self.views.is_empty() => {
                self.modal = Modal::Confirm {
                    action: ConfirmAction::ResetAll,
                    consequence: format!(
                        "The history of all {} metrics stops counting; nothing is judged until {} new runs.",
                        self.views.len(),
                        self.config.min_baseline_samples
                    ),
                    reason: String::new(),
                };
                None
            }
            (Tab::Baselines, KeyCode::Char('U')) => {
                // The reset just made here, else the selected metric's newest one.
                let target = match &self.last_reset {
                    Some(t) => t.clone(),
                    None => self.views.get(i)?.metric.clone(),
                };
                self.modal = Modal::Confirm {
                    consequence: format!(
                        "The newest reset of {} is taken back: its history counts again and the alerts it closed are open again. Refused once a run was judged after it.",
                        crate::engine::manage::target_name(&target)
                    ),
                    action: ConfirmAction::Undo(target),
                    reason: String::new(),
                };
                None
            }
            (Tab::Baselines, KeyCode::Char('a')) => {
                let v = self.views.get(i)?;
                let consequence = match &v.open_alert {
                    Some(a) => format!(
                        "The level of {} since run #{} becomes its baseline; alert #{} is closed as accepted.",
                        v.metric,
                        a.level_from(),
                        a.id
                    ),
                    None => format!(
                        "The latest run starts a new baseline for {}; older runs stop counting.",
                        v.metric
                    ),
                };
                self.modal = Modal::Confirm {
                    action: ConfirmAction::Accept(v.metric.clone()),
                    consequence,
                    reason: String::new(),
                };
                None
            }
            _ => None,
        }
    }
}
