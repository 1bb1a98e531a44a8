//! One self-contained HTML file: inline CSS, charts drawn by plotters as inline
//! SVG, every user-supplied string escaped by the template engine.

use minijinja::{Environment, Value, context};
use plotters::prelude::*;
use serde::Serialize;

use super::fmt_num;
use super::stored::Extras;
use crate::model::MetricVerdict;
use crate::outcome::RunOutcome;

const TEMPLATE: &str = include_str!("../../assets/report.html.j2");

#[derive(Serialize)]
struct Chart {
    title: String,
    class: String,
    svg: String,
}

/// History of one metric with its band, centre, change points and this run.
fn history_svg(
    values: &[(i64, f64)],
    band: Option<(f64, f64, f64)>,
    cps: &[usize],
    bad: bool,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, 220)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = values.len().max(2) as f64;
        let mut lo = values.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let mut hi = values.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        if let Some((l, _, h)) = band {
            lo = lo.min(l);
            hi = hi.max(h);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-9);
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..(n - 1.0).max(1.0), (lo - pad)..(hi + pad));
        let Ok(mut chart) = chart else {
            return svg_fallback();
        };
        let first = values.first().map(|p| p.0).unwrap_or(0);
        let _ = chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|x| format!("#{}", first + *x as i64))
            .y_label_formatter(&|y| fmt_num(*y))
            .light_line_style(RGBColor(240, 240, 240))
            .draw();
        if let Some((l, c, h)) = band {
            let band_color = RGBColor(219, 231, 245);
            let _ = chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, l), (n - 1.0, h)],
                band_color.filled(),
            )));
            let _ = chart.draw_series(DashedLineSeries::new(
                vec![(0.0, c), (n - 1.0, c)],
                4,
                3,
                RGBColor(90, 110, 140).into(),
            ));
        }
        let line = RGBColor(25, 118, 210);
        let _ = chart.draw_series(LineSeries::new(
            values.iter().enumerate().map(|(i, p)| (i as f64, p.1)),
            line.stroke_width(2),
        ));
        let _ = chart.draw_series(
            values
                .iter()
                .enumerate()
                .map(|(i, p)| Circle::new((i as f64, p.1), 2, line.filled())),
        );
        let _ = chart.draw_series(
            cps.iter()
                .filter_map(|&i| values.get(i).map(|p| (i as f64, p.1)))
                .map(|(x, y)| TriangleMarker::new((x, y), 6, RGBColor(230, 120, 0).filled())),
        );
        if let Some(last) = values.last() {
            let color = if bad {
                RGBColor(198, 40, 40)
            } else {
                RGBColor(46, 125, 50)
            };
            let _ = chart.draw_series(std::iter::once(Circle::new(
                ((n - 1.0).max(0.0), last.1),
                5,
                color.filled(),
            )));
        }
        let _ = root.present();
    }
    svg
}

/// Latency (ms) by percentile for one scenario of this run, against the baseline
/// runs' (grey) when they are stored.
fn latency_svg(curve: &[(f64, f64)], before: Option<&Vec<(f64, f64)>>) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, 220)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let hi = curve
            .iter()
            .chain(before.into_iter().flatten())
            .map(|p| p.1)
            .fold(0.0, f64::max)
            .max(1e-3);
        let labels: Vec<String> = curve.iter().map(|p| format!("p{}", p.0)).collect();
        let chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..(curve.len().max(2) - 1) as f64, 0f64..hi * 1.1);
        let Ok(mut chart) = chart else {
            return svg_fallback();
        };
        let _ = chart
            .configure_mesh()
            .x_labels(curve.len())
            .x_label_formatter(&|x| labels.get(x.round() as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|y| format!("{} ms", fmt_num(*y)))
            .light_line_style(RGBColor(240, 240, 240))
            .draw();
        if let Some(before) = before {
            let _ = chart.draw_series(LineSeries::new(
                before.iter().enumerate().map(|(i, p)| (i as f64, p.1)),
                RGBColor(150, 150, 150).stroke_width(2),
            ));
        }
        let c = RGBColor(123, 31, 162);
        let _ = chart.draw_series(LineSeries::new(
            curve.iter().enumerate().map(|(i, p)| (i as f64, p.1)),
            c.stroke_width(2),
        ));
        let _ = chart.draw_series(
            curve
                .iter()
                .enumerate()
                .map(|(i, p)| Circle::new((i as f64, p.1), 3, c.filled())),
        );
        let _ = root.present();
    }
    svg
}

fn svg_fallback() -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"40\"><text x=\"8\" y=\"24\">chart unavailable</text></svg>".into()
}

pub fn render(o: &RunOutcome, ex: &Extras, settings: &crate::detect::Settings) -> String {
    let mut charts = Vec::new();
    for m in &o.metrics {
        let mut values = ex.history.get(&m.name).cloned().unwrap_or_default();
        if values.last().map(|p| p.0) != Some(o.run_id) {
            values.push((o.run_id, m.value));
        }
        let z = settings.for_metric(&m.name).z_threshold;
        let band = m.baseline.as_ref().map(|b| b.band(z));
        let cps = ex.change_points.get(&m.name).cloned().unwrap_or_default();
        let bad = m.verdict == MetricVerdict::Regression;
        charts.push(Chart {
            title: format!(
                "{} ({}) — {} {}{}",
                m.name,
                m.unit,
                fmt_num(m.value),
                m.verdict_label(),
                m.severity
                    .as_ref()
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default()
            ),
            class: m.verdict.to_string(),
            svg: history_svg(&values, band, &cps, bad),
        });
    }
    let latency: Vec<Chart> = ex
        .latency
        .iter()
        .map(|(s, curve)| {
            let before = ex.baseline_latency.get(s);
            Chart {
                title: if before.is_some() {
                    format!("{s}: latency by percentile, this run (purple) against the baseline runs (grey)")
                } else {
                    format!("{s}: latency by percentile")
                },
                class: String::new(),
                svg: latency_svg(curve, before),
            }
        })
        .collect();
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_filter("num", |v: f64| fmt_num(v));
    env.add_filter("pct", crate::metrics::change_label);
    env.add_filter("z", |v: f64| format!("{v:+.2}"));
    if let Err(e) = env.add_template("report.html", TEMPLATE) {
        return format!(
            "<!DOCTYPE html><p>report template error: {}</p>",
            super::junit::xml_escape(&e.to_string())
        );
    }
    let tmpl = match env.get_template("report.html") {
        Ok(t) => t,
        Err(e) => {
            return format!(
                "<!DOCTYPE html><p>{}</p>",
                super::junit::xml_escape(&e.to_string())
            );
        }
    };
    tmpl.render(context! {
        o => Value::from_serialize(o),
        charts => charts,
        latency => latency,
        machine => ex.machine.clone(),
        saturation => o.saturation_note(),
        quality => Value::from_serialize(&ex.quality),
        version => crate::VERSION,
    })
    .unwrap_or_else(|e| {
        format!(
            "<!DOCTYPE html><p>report rendering failed: {}</p>",
            super::junit::xml_escape(&e.to_string())
        )
    })
}
