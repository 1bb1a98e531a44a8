//! Triage: alert groups (what changed together in one run and scenario), open ones
//! first, each with the runs it was seen in (as its alerts); Space expands a group
//! to its alerts, Enter sets the state of a group or an alert through a confirmation
//! step, d opens the detail with the suspect range and the commits in it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::engine::metrics::change_label;
use crate::engine::model::TriageState;
use crate::engine::store::Alert;
use crate::tui::app::{App, Tab, TriageRow};

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let open = app.alerts.iter().filter(|a| a.state.is_open()).count();
    let block = Block::bordered()
        .title(format!(
            " Regressions: {open} open, {} total ",
            app.alerts.len()
        ))
        .border_style(t.dim());
    if app.alerts.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(
            Paragraph::new(Line::styled(
                "No regressions recorded. Confirmed regressions appear here.",
                t.dim(),
            )),
            inner,
        );
        return;
    }
    let header = Row::new([
        "id", "metric", "severity", "change", "z", "state", "runs", "updated", "reason",
    ])
    .style(t.title());
    let rows: Vec<Row> = app
        .triage_rows()
        .into_iter()
        .filter_map(|r| match r {
            TriageRow::Group(g) => group_row(app, g),
            TriageRow::Alert(k) => app.alerts.get(k).map(|a| alert_row(app, a)),
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(7),
            Constraint::Min(34),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(t.selected())
    .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(app.selected_row(Tab::Triage)));
    f.render_stateful_widget(table, area, &mut state);
}

fn state_style(app: &App, s: TriageState) -> Style {
    let t = &app.theme;
    match s {
        TriageState::Untriaged => t.bad(),
        s if s.is_open() => t.warn(),
        _ => t.dim(),
    }
}

/// A group: its scenario and size, its worst severity, its lead's state and the
/// suspect range.
fn group_row<'a>(app: &App, g: i64) -> Option<Row<'a>> {
    let t = &app.theme;
    let members = app.members(g);
    let lead = members.first()?;
    let worst = members.iter().map(|a| a.severity).max()?;
    let mark = if app.expanded.contains(&g) {
        "▾"
    } else {
        "▸"
    };
    let scenario = lead.metric.split('.').next().unwrap_or(&lead.metric);
    Some(Row::new(vec![
        Cell::from(format!("{mark}g{g}")),
        Cell::from(format!("{scenario}: {} {}(s)", members.len(), lead.kind)),
        Cell::from(worst.as_str()).style(t.severity(Some(worst))),
        Cell::from(change_label(lead.change_pct)),
        Cell::from(format!("{:+.2}", lead.z)),
        Cell::from(lead.state.as_str()).style(state_style(app, lead.state)),
        // The runs it was seen in, as on its metrics' rows; the suspect range (last
        // good..first bad run, which may differ) is in the detail, with its commits.
        Cell::from(lead.runs()),
        Cell::from(""),
        Cell::from(lead.reason.clone()),
    ]))
}

fn alert_row<'a>(app: &App, a: &Alert) -> Row<'a> {
    let t = &app.theme;
    Row::new(vec![
        Cell::from(format!("  #{}", a.id)),
        Cell::from(a.metric.clone()),
        Cell::from(a.severity.as_str()).style(t.severity(Some(a.severity))),
        Cell::from(change_label(a.change_pct)),
        Cell::from(format!("{:+.2}", a.z)),
        Cell::from(a.state.as_str()).style(state_style(app, a.state)),
        Cell::from(a.runs()),
        Cell::from(format!(
            "{} {}",
            a.updated_at
                .get(5..16)
                .unwrap_or(&a.updated_at)
                .replace('T', " "),
            a.updated_by
        )),
        Cell::from(a.reason.clone()),
    ])
}
