//! `perfgate compare A B`: two stored runs, percentile by percentile.

use super::print;
use crate::engine::config::Config;
use crate::engine::error::{Error, Result};
use crate::engine::metrics::change_label;
use crate::engine::model::Change;
use crate::engine::report::fmt_num;
use crate::engine::store::Store;

/// `perfgate compare`: side-by-side table (text) or any report format; returns
/// whether B regressed.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    st: &dyn Store,
    cfg: &Config,
    label: &str,
    a: &str,
    b: &str,
    noise_pct: f64,
    formats: &[String],
    output: Option<&std::path::PathBuf>,
) -> Result<bool> {
    use crate::engine::compare;
    if !(noise_pct.is_finite() && noise_pct >= 0.0) {
        return Err(Error::Usage(
            "--noise-pct: expected a percentage >= 0".into(),
        ));
    }
    let (ia, ib) = (compare::resolve(st, a)?, compare::resolve(st, b)?);
    let c = compare::compare(st, ia, ib, noise_pct)?;
    let outcome = compare::as_outcome(st, label, &c)?;
    let regressed = c.metrics.iter().any(|m| m.verdict == Change::Regression);
    let fmts = crate::ci::parse_formats(formats, output)?;
    let ctx = crate::engine::report::context(st, cfg, &outcome, &fmts);
    if let Some(out) = output {
        for p in crate::engine::report::write_all(&outcome, out, &fmts, &ctx)? {
            eprintln!("report written: {}", p.display());
        }
        return Ok(regressed);
    }
    for f in &fmts {
        if *f == crate::engine::report::Format::Text {
            print(&compare_table(&c));
        } else {
            print(&crate::engine::report::render(&outcome, *f, &ctx));
        }
    }
    Ok(regressed)
}

pub fn compare_table(c: &crate::engine::compare::Comparison) -> String {
    let w = c
        .metrics
        .iter()
        .map(|m| m.metric.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let verdicts: Vec<String> = c
        .metrics
        .iter()
        .map(|m| match m.verdict {
            Change::None => "no significant change".to_string(),
            v => v.to_string(),
        })
        .collect();
    let vw = verdicts.iter().map(String::len).max().unwrap_or(7).max(7);
    let mut s = format!(
        "A = run #{}, B = run #{}, noise threshold {}%\n{:<w$}  {:>12}  {:>12}  {:>8}  {:<vw$}  {}\n",
        c.run_a, c.run_b, c.noise_pct, "metric", "A", "B", "change", "verdict", "why"
    );
    for (m, verdict) in c.metrics.iter().zip(&verdicts) {
        s += &format!(
            "{:<w$}  {:>12}  {:>12}  {:>8}  {:<vw$}  {}\n",
            m.metric,
            fmt_num(m.a),
            fmt_num(m.b),
            change_label(m.change_pct),
            verdict,
            m.why
        );
    }
    let n = c
        .metrics
        .iter()
        .filter(|m| m.verdict == Change::Regression)
        .count();
    s += &if n == 0 {
        "no significant change beyond noise\n".to_string()
    } else {
        format!("{n} regression(s) beyond noise\n")
    };
    s
}
