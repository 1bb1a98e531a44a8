//! Composes the screen.
//!
//! ```text
//! ┌ perfgate ─ Live │ Metrics │ Triage │ Baselines ──────── run #12 running ┐
//! │ body: the active tab                                                   │
//! └────────────────────────────────────────────────────────────────────────┘
//!  status line
//!  footer: the keys that work here
//! ```
//! Modals (help, detail, state picker, confirmation) draw over the body.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Tabs, Wrap};

use super::app::{App, Modal, RunState, Tab, TriageRow};
use super::tabs;
use crate::engine::model::Verdict;
use crate::engine::model::{AlertKind, TriageState};

pub fn draw(f: &mut Frame, app: &App) {
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_header(f, app, header);
    match app.tab {
        Tab::Live => tabs::live::draw(f, app, body),
        Tab::Metrics => tabs::metrics::draw(f, app, body),
        Tab::Triage => tabs::triage::draw(f, app, body),
        Tab::Baselines => tabs::baselines::draw(f, app, body),
    }
    let mut line = vec![Span::styled(app.status.clone(), app.theme.dim())];
    if let Some(h) = &app.hint {
        line.push(Span::styled(format!("  {h}"), app.theme.accent()));
    }
    f.render_widget(Paragraph::new(Line::from(line)), status);
    draw_footer(f, app, footer);
    match &app.modal {
        Modal::None => {}
        Modal::Help => draw_help(f, app, body),
        Modal::Detail(i) => tabs::metrics::draw_detail(f, app, body, *i),
        Modal::StatePicker { target, selected } => draw_picker(f, app, body, *target, *selected),
        Modal::TriageDetail {
            title,
            lines,
            scroll,
        } => draw_text(f, app, body, title, lines, *scroll),
        Modal::Confirm {
            action,
            consequence,
            reason,
        } => {
            let area = centered(body, 70, 9);
            f.render_widget(Clear, area);
            let t = &app.theme;
            let text = vec![
                Line::styled(action.title(), t.bad()),
                Line::raw(""),
                Line::raw(consequence.clone()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("Reason: ", t.key()),
                    Span::raw(reason.clone()),
                    Span::styled("▏", t.key()),
                ]),
                Line::styled(
                    "Type why, then Enter confirms (recorded with your name); Esc cancels.",
                    t.dim(),
                ),
            ];
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(" Confirm ").border_style(t.bad())),
                area,
            );
        }
    }
}

fn draw_header(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    // Untriaged regressions are counted on their tab: someone has to look at them,
    // whichever tab the console opened on.
    let untriaged = app
        .alerts
        .iter()
        .filter(|a| a.state == TriageState::Untriaged && a.kind == AlertKind::Regression)
        .count();
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let mut line = Line::from(format!("{} {}", i + 1, tab.title()));
            if *tab == Tab::Triage && untriaged > 0 {
                line.push_span(Span::styled(format!(" {untriaged} new"), t.bad()));
            }
            line
        })
        .collect();
    let idx = Tab::ALL.iter().position(|x| *x == app.tab).unwrap_or(0);
    let run = match &app.run {
        RunState::Idle => "idle".to_string(),
        RunState::Running => format!("run #{} running", app.live.run_id.unwrap_or(0)),
        RunState::Stopping => "stopping…".to_string(),
        RunState::Finished { run_id, status } => format!("run #{run_id} {status}"),
        RunState::Failed(e) => format!("failed: {e}"),
    };
    let run_style = match &app.run {
        RunState::Finished {
            status: Verdict::Regression,
            ..
        } => t.bad(),
        RunState::Finished {
            status: Verdict::Pass,
            ..
        } => t.good(),
        RunState::Failed(_) => t.bad(),
        RunState::Running | RunState::Stopping => t.warn(),
        _ => t.dim(),
    };
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(run.chars().count() as u16 + 1),
    ])
    .areas(area);
    let tabs = Tabs::new(titles)
        .select(idx)
        .style(t.dim())
        .highlight_style(t.tab_active())
        .divider("│")
        .padding(" ", " ");
    let [brand, tabs_area] =
        Layout::horizontal([Constraint::Length(10), Constraint::Min(10)]).areas(left);
    f.render_widget(Paragraph::new(Span::styled(" perfgate", t.title())), brand);
    f.render_widget(tabs, tabs_area);
    f.render_widget(Paragraph::new(Span::styled(run, run_style)), right);
}

fn draw_footer(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (k, what) in app.footer_keys() {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::styled(format!(" {what}  "), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn draw_help(f: &mut Frame, app: &App, body: Rect) {
    let t = &app.theme;
    let help = App::help();
    let area = centered(body, 84, help.len() as u16 + 2);
    f.render_widget(Clear, area);
    let lines: Vec<Line> = help
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<17}"), t.key()),
                Span::raw(*d),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ").border_style(t.title())),
        area,
    );
}

/// A modal of plain lines (the Triage detail). Long lines wrap (a rule and an
/// escalation note outrun a narrow terminal), and the text scrolls by `scroll` rows,
/// never past its last row.
fn draw_text(f: &mut Frame, app: &App, body: Rect, title: &str, lines: &[String], scroll: u16) {
    let t = &app.theme;
    let area = centered(
        body,
        body.width.saturating_sub(4),
        body.height.saturating_sub(2),
    );
    f.render_widget(Clear, area);
    let text: Vec<Line> = lines.iter().map(|l| Line::raw(l.as_str())).collect();
    let para = Paragraph::new(text).wrap(Wrap { trim: false });
    let rows = para.line_count(area.width.saturating_sub(2)) as u16;
    let last = rows.saturating_sub(area.height.saturating_sub(2));
    app.detail_last.set(last);
    f.render_widget(
        para.scroll((scroll.min(last), 0)).block(
            Block::bordered()
                .title(title.to_string())
                .border_style(t.title()),
        ),
        area,
    );
}

fn draw_picker(f: &mut Frame, app: &App, body: Rect, target: TriageRow, selected: usize) {
    let t = &app.theme;
    let area = centered(body, 46, TriageState::ALL.len() as u16 + 2);
    f.render_widget(Clear, area);
    let title = match target {
        TriageRow::Group(g) => format!(" Group g{g} state (all its alerts) "),
        TriageRow::Alert(k) => app
            .alerts
            .get(k)
            .map(|a| format!(" Alert #{} state ", a.id))
            .unwrap_or_else(|| " State ".into()),
    };
    let items: Vec<ListItem> = TriageState::ALL
        .iter()
        .map(|s| ListItem::new(format!(" {s}")))
        .collect();
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(t.title()),
        )
        .highlight_style(t.selected())
        .highlight_symbol("▶");
    let mut state = ListState::default().with_selected(Some(selected));
    f.render_stateful_widget(list, area, &mut state);
}

/// A label: value pair.
pub fn kv<'a>(app: &App, k: &'a str, v: String, style: Style) -> Vec<Span<'a>> {
    vec![Span::styled(k, app.theme.dim()), Span::styled(v, style)]
}
