//! Baselines: sample count, centre and spread, health and why, last update; reset,
//! reset all and accept through a confirmation step; the audit log below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::engine::baseline::HEALTH_REFRESH_BELOW;
use crate::engine::inspect::BaselineView;
use crate::engine::model::TriageState;
use crate::tui::app::{App, Tab};
use crate::tui::theme::Theme;

/// Below this precision most of a metric's alerts were false alarms.
const LOW_PRECISION: f64 = 0.5;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let [top, detail_a, audit_a] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(1),
        Constraint::Length(8),
    ])
    .areas(area);
    let block = Block::bordered()
        .title(format!(" Baselines ({}) ", app.store_label))
        .border_style(t.dim());
    if app.views.is_empty() {
        let inner = block.inner(top);
        f.render_widget(block, top);
        f.render_widget(
            Paragraph::new(Line::styled(
                "No baselines yet: every run adds history.",
                t.dim(),
            )),
            inner,
        );
    } else {
        let header = Row::new([
            "metric",
            "n",
            "mean",
            "std",
            "median",
            "health",
            "why",
            "prec",
            "state",
            "last update",
        ])
        .style(t.title());
        let rows: Vec<Row> = app.views.iter().map(|v| row(v, t)).collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(36),
                Constraint::Length(4),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(6),
                Constraint::Min(12),
                Constraint::Length(5),
                Constraint::Length(12),
                Constraint::Length(11),
            ],
        )
        .header(header)
        .block(block)
        .row_highlight_style(t.selected())
        .highlight_symbol("▶ ");
        let selected = app.selected_row(Tab::Baselines);
        let mut state = TableState::default().with_selected(Some(selected));
        f.render_stateful_widget(table, top, &mut state);
        if let Some(v) = app.views.get(selected) {
            f.render_widget(Paragraph::new(detail(v, t)), detail_a);
        }
    }
    let block = Block::bordered().title(" Audit log ").border_style(t.dim());
    let inner = block.inner(audit_a);
    f.render_widget(block, audit_a);
    let lines: Vec<Line> = if app.audit.is_empty() {
        vec![Line::styled("No baseline or triage actions yet.", t.dim())]
    } else {
        app.audit
            .iter()
            .take(inner.height as usize)
            .map(|a| {
                Line::raw(format!(
                    "{}  {:<10} {:<20} {:<36} {}",
                    a.at.get(..19).unwrap_or(&a.at),
                    a.who,
                    a.action,
                    a.target,
                    a.reason
                ))
            })
            .collect()
    };
    f.render_widget(Paragraph::new(lines), inner);
}

/// One metric's row: its baseline, health, alert precision and state.
fn row<'a>(v: &'a BaselineView, t: &Theme) -> Row<'a> {
    let [n, mean, std, med] = v.stat_cells();
    let (health, why, hstyle) = match &v.health {
        Some(h) => (
            format!("{:.2}", h.score),
            if h.reasons.is_empty() {
                "healthy".to_string()
            } else {
                h.reasons.join("; ")
            },
            if h.advises_refresh() {
                t.bad()
            } else if h.score < HEALTH_REFRESH_BELOW {
                t.dim()
            } else {
                t.good()
            },
        ),
        None => ("-".into(), "no samples".into(), t.dim()),
    };
    let precision = v.quality.as_ref().and_then(|q| q.precision);
    let prec = v.quality.as_ref().map_or("-".into(), |q| q.precision_pct());
    let pstyle = match precision {
        Some(p) if p < LOW_PRECISION => t.bad(),
        Some(_) => t.good(),
        None => t.dim(),
    };
    let (state, sstyle) = if v.frozen {
        ("frozen".to_string(), t.bad())
    } else if v.building > 0 {
        (format!("building +{}", v.building), t.warn())
    } else if v.report_only {
        ("report only".to_string(), t.warn())
    } else {
        ("active".to_string(), t.good())
    };
    Row::new(vec![
        Cell::from(v.metric.clone()),
        Cell::from(n),
        Cell::from(mean),
        Cell::from(std),
        Cell::from(med),
        Cell::from(health).style(hstyle),
        Cell::from(why).style(t.dim()),
        Cell::from(prec).style(pstyle),
        Cell::from(state).style(sstyle),
        Cell::from(
            v.last_update
                .as_deref()
                .and_then(|s| s.get(5..16))
                .map(|s| s.replace('T', " "))
                .unwrap_or_else(|| "-".into()),
        ),
    ])
}

/// The selected metric's alert record, in a sentence.
fn detail<'a>(v: &BaselineView, t: &Theme) -> Line<'a> {
    let Some(q) = &v.quality else {
        return Line::styled(format!(" {}: no alerts yet", v.metric), t.dim());
    };
    let untriaged = q.states.get(&TriageState::Untriaged).copied().unwrap_or(0);
    // The hints first: a long metric name must not push them off the screen.
    let tune = if q.precision.is_some_and(|p| p < LOW_PRECISION) {
        " (tune)"
    } else {
        ""
    };
    let report_only = if v.report_only { "  report only" } else { "" };
    let mut s = format!(
        " {}  precision {}{tune}{report_only}  alerts {}: real {}, invalid {}, untriaged {}",
        v.metric,
        q.precision_text(),
        q.alerts,
        q.true_alarms,
        q.false_alarms,
        untriaged
    );
    if q.self_closed > 0 {
        s += &format!(", recovered {}", q.self_closed);
    }
    Line::styled(s, t.dim())
}
