//! Metrics: every metric's history as a sparkline against its baseline band, the
//! latest value, z-score, severity, trend and change points; Enter opens a chart.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, Paragraph};

use crate::engine::detect::Severity;
use crate::engine::report::fmt_num;
use crate::tui::app::{App, Tab};
use crate::tui::widgets::BandSparkline;

const NAME_W: u16 = 38;
const VALUE_W: u16 = 30;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let block = Block::bordered()
        .title(" Metrics: history against the baseline band (░ mean ± alert threshold, ─ robust centre, ╌ SLO bound, ◆ change point) ")
        .border_style(t.dim());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.views.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(
                "No history yet: run a test (Live tab, s).",
                t.dim(),
            )),
            inner,
        );
        return;
    }
    let row_h = 3u16;
    let visible = (inner.height / row_h).max(1) as usize;
    let sel = app.selected_row(Tab::Metrics);
    let first = sel.saturating_sub(visible - 1);
    for (k, (i, v)) in app
        .views
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .enumerate()
    {
        let y = inner.y + k as u16 * row_h;
        let row = Rect::new(
            inner.x,
            y,
            inner.width,
            row_h.min(inner.y + inner.height - y),
        );
        let [name_a, spark_a, val_a] = Layout::horizontal([
            Constraint::Length(NAME_W),
            Constraint::Min(10),
            Constraint::Length(VALUE_W),
        ])
        .areas(row);
        let name_style = if i == sel { t.selected() } else { t.text() };
        let marker = if i == sel { "▶ " } else { "  " };
        let state = if v.frozen {
            Span::styled("frozen: open alert", t.bad())
        } else if v.building > 0 {
            Span::styled(format!("building: {} more runs", v.building), t.dim())
        } else {
            Span::styled(
                format!("{} samples", v.stats.as_ref().map(|s| s.n).unwrap_or(0)),
                t.dim(),
            )
        };
        f.render_widget(
            Paragraph::new(vec![
                Line::styled(format!("{marker}{}", v.metric), name_style),
                Line::from(vec![Span::raw("  "), state]),
            ]),
            name_a,
        );
        let values: Vec<f64> = v.history.iter().map(|p| p.value).collect();
        f.render_widget(
            BandSparkline {
                values: &values,
                band: app.band(v),
                thresholds: app.bounds_of(&v.metric),
                change_points: &v.change_points,
                point_style: t.line(),
                out_style: t.bad(),
                band_style: t.band(),
                center_style: t.dim(),
            },
            Rect::new(
                spark_a.x,
                spark_a.y,
                spark_a.width.saturating_sub(1),
                spark_a.height,
            ),
        );
        // Severity labels a change: shown while the metric's alert is open only.
        let sev = v.latest_z.filter(|_| v.frozen).and_then(Severity::from_z);
        let z = v
            .latest_z
            .map(|z| format!("z {z:+.2}"))
            .unwrap_or_else(|| "z -".into());
        let trend = v.trend.as_ref().map(|t| t.arrow()).unwrap_or(" ");
        f.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::styled(
                        format!(
                            "{} {}",
                            v.latest.map(fmt_num).unwrap_or_else(|| "-".into()),
                            v.unit
                        ),
                        t.text(),
                    ),
                    Span::styled(format!("  {trend}"), t.accent()),
                ]),
                Line::from(vec![
                    Span::styled(format!("{z}  "), t.dim()),
                    Span::styled(sev.map_or("-", |s| s.as_str()), t.severity(sev)),
                    Span::styled(
                        if v.change_points.is_empty() {
                            String::new()
                        } else {
                            format!("  {} cp", v.change_points.len())
                        },
                        t.dim(),
                    ),
                ]),
            ]),
            val_a,
        );
    }
}

/// The value range a detail chart shows: the points, the band and the SLO bounds,
/// padded a little.
fn y_range(pts: &[(f64, f64)], band: Option<(f64, f64, f64)>, bounds: &[f64]) -> (f64, f64) {
    let mut lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some((l, _, h)) = band {
        lo = lo.min(l);
        hi = hi.max(h);
    }
    for &b in bounds {
        lo = lo.min(b);
        hi = hi.max(b);
    }
    if !lo.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-9);
    (lo - pad, hi + pad)
}

fn series<'a>(name: String, style: ratatui::style::Style, data: &'a [(f64, f64)]) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .graph_type(GraphType::Line)
        .marker(Marker::Braille)
        .style(style)
        .data(data)
}

/// The statistics line and the chart's key, below the chart.
fn detail_info<'a>(
    app: &App,
    v: &crate::engine::inspect::BaselineView,
    slo: bool,
    cps: bool,
) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut key = vec![
        Span::styled(" ⣿ value", t.line()),
        Span::styled("  ⣿ band", t.band()),
        Span::styled("  ⣿ centre", t.dim()),
    ];
    if slo {
        key.push(Span::styled("  ⣿ SLO bound", t.bad()));
    }
    if cps {
        key.push(Span::styled("  • change point", t.bad()));
    }
    let mut info = vec![];
    if let Some(s) = &v.stats {
        info.push(Span::raw(format!(
            " mean {}  std {}  median {}  n {}",
            fmt_num(s.mean),
            fmt_num(s.std),
            fmt_num(s.median),
            s.n
        )));
    }
    if let Some(tr) = &v.trend {
        info.push(Span::styled(
            format!("  trend {}", tr.describe()),
            t.accent(),
        ));
    }
    if let Some(h) = &v.health {
        info.push(Span::raw(format!("  health {:.2}", h.score)));
    }
    vec![Line::from(info), Line::from(key)]
}

/// One metric large, with axis labels, band lines and change points.
pub fn draw_detail(f: &mut Frame, app: &App, body: Rect, i: usize) {
    let t = &app.theme;
    let Some(v) = app.views.get(i) else { return };
    let area = Rect::new(
        body.x + 1,
        body.y + 1,
        body.width.saturating_sub(2),
        body.height.saturating_sub(2),
    );
    f.render_widget(Clear, area);
    let pts: Vec<(f64, f64)> = v
        .history
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64, p.value))
        .collect();
    let n = pts.len().max(2) as f64;
    // Room for the history a judged metric needs, so a few samples are not stretched
    // across the whole width; the band spans only the runs there are.
    let span = n.max(app.config.min_baseline_samples as f64);
    let band = app.band(v);
    let bound_values = app.bounds_of(&v.metric);
    let (lo, hi) = y_range(&pts, band, bound_values);
    let line = |y: f64| vec![(0.0, y), (n - 1.0, y)];
    let bounds: Vec<Vec<(f64, f64)>> = bound_values.iter().map(|&b| line(b)).collect();
    let (upper, center, lower) = match band {
        Some((l, c, h)) => (line(h), line(c), line(l)),
        None => (vec![], vec![], vec![]),
    };
    let cps: Vec<(f64, f64)> = v
        .change_points
        .iter()
        .filter_map(|&k| pts.get(k).copied())
        .collect();
    let mut datasets = vec![
        series("band +".into(), t.band(), &upper),
        series("centre".into(), t.dim(), &center),
        series("band -".into(), t.band(), &lower),
        series(v.metric.clone(), t.line(), &pts),
    ];
    for b in &bounds {
        datasets.push(series("SLO bound".into(), t.bad(), b));
    }
    if !cps.is_empty() {
        datasets.push(
            Dataset::default()
                .name("change point")
                .graph_type(GraphType::Scatter)
                .marker(Marker::Dot)
                .style(t.bad())
                .data(&cps),
        );
    }
    let run_label = |p: Option<&crate::engine::store::HistoryPoint>| {
        p.map(|p| format!("#{}", p.run_id)).unwrap_or_default()
    };
    let [chart_a, info_a] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(2)]).areas(area);
    // The key goes below the chart, where it covers no data.
    let chart = Chart::new(datasets)
        .legend_position(None)
        .block(
            Block::bordered()
                .title(format!(" {} ({}) ", v.metric, v.unit))
                .border_style(t.title()),
        )
        .x_axis(
            Axis::default()
                .title("run")
                .style(t.dim())
                .bounds([0.0, span - 1.0])
                .labels([run_label(v.history.first()), run_label(v.history.last())]),
        )
        .y_axis(
            Axis::default()
                .title(v.unit.clone())
                .style(t.dim())
                .bounds([lo, hi])
                .labels([fmt_num(lo), fmt_num((lo + hi) / 2.0), fmt_num(hi)]),
        );
    f.render_widget(chart, chart_a);
    f.render_widget(
        Paragraph::new(detail_info(app, v, !bounds.is_empty(), !cps.is_empty())),
        info_a,
    );
}
