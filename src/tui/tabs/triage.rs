//! Triage: regressions (open ones first, by severity) with their state, who set it
//! and why; Enter sets a state through a confirmation step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::engine::model::TriageState;
use crate::tui::app::{App, Tab};

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
        .alerts
        .iter()
        .map(|a| {
            let state_style = match a.state {
                TriageState::Untriaged => t.bad(),
                s if s.is_open() => t.warn(),
                _ => t.dim(),
            };
            Row::new(vec![
                Cell::from(format!("#{}", a.id)),
                Cell::from(a.metric.clone()),
                Cell::from(a.severity.as_str()).style(t.severity(Some(a.severity))),
                Cell::from(format!("{:+.1}%", a.change_pct)),
                Cell::from(format!("{:+.2}", a.z)),
                Cell::from(a.state.as_str()).style(state_style),
                Cell::from(format!("#{}..#{}", a.opened_run_id, a.last_run_id)),
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
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Min(34),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(18),
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
