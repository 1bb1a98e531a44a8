//! Live: each scenario's progress and rolling figures, sparklines of the selected
//! one, machine CPU/memory, and the engine's event log.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Sparkline, Wrap};

use crate::engine::live::{LiveScenario, ScenarioPhase};
use crate::engine::metrics::Direction;
use crate::engine::report::fmt_num;
use crate::tui::app::{App, Tab};
use crate::tui::ui::kv;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let n = app.live.scenarios.len().max(1) as u16;
    let [list, detail, bottom] = Layout::vertical([
        Constraint::Length((n * 2 + 2).min(area.height.saturating_sub(10)).max(4)),
        Constraint::Max(12),
        Constraint::Min(4),
    ])
    .areas(area);

    let block = Block::bordered()
        .title(" Scenarios: live figure (baseline centre), ▲▼ outside its band ")
        .border_style(t.dim());
    let inner = block.inner(list);
    f.render_widget(block, list);
    if app.live.scenarios.is_empty() {
        f.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    format!(
                        "No load is sent until you start a run. Press s to run {} scenario(s) of {}",
                        app.config.test_scenarios.len(),
                        app.config_label,
                    ),
                    t.text(),
                ),
                Line::styled(format!("against {}", app.config.base_url), t.warn()),
            ]),
            inner,
        );
    }
    let sel = app.selected_row(Tab::Live);
    for (i, s) in app.live.scenarios.iter().enumerate() {
        let y = inner.y + (i as u16) * 2;
        if y + 1 >= inner.y + inner.height {
            break;
        }
        let row = Rect::new(inner.x, y, inner.width, 1);
        let stats = Rect::new(inner.x, y + 1, inner.width, 1);
        let [name_a, gauge_a] =
            Layout::horizontal([Constraint::Length(34), Constraint::Min(10)]).areas(row);
        let marker = if i == sel { "▶ " } else { "  " };
        let phase_style = match s.phase {
            ScenarioPhase::Running | ScenarioPhase::Warmup | ScenarioPhase::Confirming => t.warn(),
            ScenarioPhase::Done => t.good(),
            ScenarioPhase::Failed | ScenarioPhase::Stopped => t.bad(),
            ScenarioPhase::Pending => t.dim(),
        };
        let name_style = if i == sel { t.selected() } else { t.text() };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("{marker}{}", s.name), name_style),
                Span::styled(format!(" {} ", s.kind), t.dim()),
                Span::styled(s.phase.label(), phase_style),
            ])),
            name_a,
        );
        let ratio = if s.duration_s > 0.0 {
            (s.elapsed_s / s.duration_s).clamp(0.0, 1.0)
        } else {
            0.0
        };
        f.render_widget(
            Gauge::default()
                .gauge_style(t.gauge())
                .ratio(ratio)
                .label(format!("{:.1} / {:.0} s", s.elapsed_s, s.duration_s)),
            gauge_a,
        );
        f.render_widget(Paragraph::new(Line::from(stats_spans(app, s))), stats);
    }

    // Sparklines of the selected scenario.
    let block = Block::bordered().title(" Selected ").border_style(t.dim());
    let inner = block.inner(detail);
    f.render_widget(block, detail);
    if let Some(s) = app.live.scenarios.get(sel) {
        let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(inner);
        let (ta, tb) = if s.kind == crate::engine::config::ScenarioType::Api {
            (
                format!("requests/s  now {}", fmt_num(s.rps)),
                format!("p95 ms  now {}", fmt_num(s.p95_ms)),
            )
        } else {
            (
                format!("cpu %  now {}", fmt_num(s.cpu_pct)),
                format!("memory MB  now {}", fmt_num(s.mem_mb)),
            )
        };
        let spark = |title: String, data: &[u64], style| {
            let w = inner.width as usize / 2;
            let data = &data[data.len().saturating_sub(w.saturating_sub(2))..];
            // Show variation, not the offset: bars start at 80% of the window's minimum.
            let floor = data.iter().copied().min().unwrap_or(0) * 4 / 5;
            Sparkline::default()
                .block(Block::default().title(Span::styled(title, t.dim())))
                .data(data.iter().map(|v| v - floor).collect::<Vec<u64>>())
                .style(style)
        };
        f.render_widget(spark(ta, &s.rps_history, t.line()), a);
        f.render_widget(spark(tb, &s.p95_history, t.accent()), b);
    }

    let [sys, log] =
        Layout::horizontal([Constraint::Length(36), Constraint::Min(20)]).areas(bottom);
    draw_machine(f, app, sys);
    draw_events(f, app, log);
}

/// CPU and memory of the machine, as a run samples them.
fn draw_machine(f: &mut Frame, app: &App, sys: Rect) {
    let t = &app.theme;
    let block = Block::bordered().title(" Machine ").border_style(t.dim());
    let inner = block.inner(sys);
    f.render_widget(block, sys);
    let [c, m, note, history] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);
    let sys = &app.live.system;
    let cpu = sys.cpu_pct;
    let (mem, total) = (sys.mem_mb, sys.mem_total_mb);
    // The machine is sampled by a run (an idle console costs nothing): before the
    // first sample there is nothing to show, not a machine with 0 MB.
    if total <= 0.0 {
        f.render_widget(Line::styled("cpu, mem: sampled during a run", t.dim()), c);
        return;
    }
    f.render_widget(
        Gauge::default()
            .gauge_style(t.gauge())
            .ratio((cpu / 100.0).clamp(0.0, 1.0))
            .label(format!("cpu {cpu:.0}%")),
        c,
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(t.gauge())
            .ratio((mem / total).clamp(0.0, 1.0))
            .label(format!("mem {:.0} / {:.0} MB", mem, total)),
        m,
    );
    // A saturated machine is the first suspect of a slow run measured on it.
    let peak = sys.cpu_peak_pct;
    let said = if peak >= crate::engine::live::SATURATED_CPU_PCT {
        Line::styled(
            format!("saturated (peak {peak:.0}%): latency includes local queueing"),
            t.warn(),
        )
    } else {
        Line::styled(format!("peak {peak:.0}%: the machine had room"), t.dim())
    };
    f.render_widget(Paragraph::new(said).wrap(Wrap { trim: true }), note);
    let w = history.width as usize;
    let data = &sys.cpu_history[sys.cpu_history.len().saturating_sub(w)..];
    f.render_widget(
        Sparkline::default()
            .block(Block::default().title(Span::styled("cpu % over time", t.dim())))
            .data(data)
            .max(100)
            .style(t.line()),
        history,
    );
}

/// The engine's event log, newest at the bottom.
fn draw_events(f: &mut Frame, app: &App, log: Rect) {
    let t = &app.theme;
    let block = Block::bordered().title(" Events ").border_style(t.dim());
    let inner = block.inner(log);
    f.render_widget(block, log);
    let lines: Vec<Line> = app
        .log
        .iter()
        .rev()
        .take(inner.height as usize)
        .rev()
        .map(|l| Line::styled(l.clone(), t.text()))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn stats_spans<'a>(app: &App, s: &LiveScenario) -> Vec<Span<'a>> {
    let t = &app.theme;
    let mut v = vec![Span::raw("    ")];
    if s.kind == crate::engine::config::ScenarioType::Api {
        for (label, short, value, unit) in [
            ("req/s ", "throughput_rps", s.rps, ""),
            ("p50 ", "response_time_p50_ms", s.p50_ms, " ms"),
            ("p95 ", "response_time_p95_ms", s.p95_ms, " ms"),
            ("p99 ", "response_time_p99_ms", s.p99_ms, " ms"),
        ] {
            v.extend(figure(
                app,
                label,
                &format!("{}.{short}", s.name),
                value,
                unit,
            ));
        }
        v.extend(kv(app, "requests ", format!("{:<9}", s.requests), t.text()));
        let errs = s.error_total();
        let style = if errs > 0 { t.bad() } else { t.good() };
        let detail = if errs > 0 {
            s.errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "0".into()
        };
        v.extend(kv(app, "errors ", detail, style));
    } else {
        v.extend(kv(
            app,
            "cpu ",
            format!("{:<7}", format!("{:.1}%", s.cpu_pct)),
            t.text(),
        ));
        v.extend(kv(app, "mem ", format!("{:.0} MB", s.mem_mb), t.text()));
        v.extend(kv(app, "  samples ", s.requests.to_string(), t.text()));
    }
    v
}

/// A live figure with its unit and its baseline centre; while the run goes on,
/// marked with the way it left its band (▲ above, ▼ below), in the bad colour on
/// the metric's bad side and the good one on its good side (a run far faster than
/// its baseline is news too: a changed target, a cache, a skipped step).
fn figure<'a>(app: &App, label: &'a str, metric: &str, value: f64, unit: &str) -> Vec<Span<'a>> {
    let t = &app.theme;
    let mut v = kv(app, label, format!("{}{unit}", fmt_num(value)), t.text());
    if let Some(&(low, centre, high)) = app.bands.get(metric) {
        let mark = if value > high {
            Some(("▲", Direction::of(metric) == Direction::Lower))
        } else if value < low {
            Some(("▼", Direction::of(metric) == Direction::Higher))
        } else {
            None
        };
        if let Some((arrow, bad)) = mark.filter(|_| value > 0.0) {
            let style = if bad { t.bad() } else { t.good() };
            v[1] = Span::styled(format!("{}{unit} {arrow}", fmt_num(value)), style);
        }
        v.push(Span::styled(format!(" ({}) ", fmt_num(centre)), t.dim()));
    } else {
        v.push(Span::raw(" "));
    }
    v
}
