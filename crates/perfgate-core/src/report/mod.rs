//! Report formats, all written from the same `RunOutcome`.

pub mod csv;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod stored;
pub mod text;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::outcome::RunOutcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Text,
    Csv,
    Junit,
    Html,
}

impl Format {
    pub const NAMES: &'static str = "json, markdown, html, csv, junit, text";

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "markdown" | "md" => Some(Format::Markdown),
            "text" | "txt" => Some(Format::Text),
            "csv" => Some(Format::Csv),
            "junit" | "xml" => Some(Format::Junit),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Text => "txt",
            Format::Csv => "csv",
            Format::Junit => "xml",
            Format::Html => "html",
        }
    }
}

/// What reports need beyond the outcome: history for charts, the detection settings
/// (each metric's band is drawn at its own threshold, overrides included).
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    pub extras: stored::Extras,
    pub settings: crate::detect::Settings,
}

/// The context for `formats`: chart history is read only when HTML is asked for.
pub fn context(
    st: &dyn crate::store::Store,
    cfg: &crate::config::Config,
    outcome: &RunOutcome,
    formats: &[Format],
) -> ReportContext {
    let extras = if formats.contains(&Format::Html) {
        stored::extras(st, outcome.run_id).unwrap_or_default()
    } else {
        Default::default()
    };
    ReportContext {
        extras,
        settings: crate::detect::Settings::from_config(cfg),
    }
}

pub fn render(outcome: &RunOutcome, format: Format, ctx: &ReportContext) -> String {
    match format {
        Format::Json => json(outcome),
        Format::Markdown => markdown::render(outcome),
        Format::Text => text::render(outcome, false),
        Format::Csv => csv::render(outcome),
        Format::Junit => junit::render(outcome),
        Format::Html => html::render(outcome, &ctx.extras, &ctx.settings),
    }
}

pub fn json(outcome: &RunOutcome) -> String {
    serde_json::to_string_pretty(outcome).unwrap_or_else(|_| "{}".into()) + "\n"
}

/// Where a format goes: `output` is a file when one format is asked for and it does not
/// name a directory; otherwise a directory holding `perfgate-report.<ext>` files.
pub fn output_path(output: &Path, format: Format, many: bool) -> PathBuf {
    let is_dir = output.is_dir() || output.to_string_lossy().ends_with('/');
    if many || is_dir {
        output.join(format!("perfgate-report.{}", format.extension()))
    } else {
        output.to_path_buf()
    }
}

/// Write every asked-for format; creates parent directories.
pub fn write_all(
    outcome: &RunOutcome,
    output: &Path,
    formats: &[Format],
    ctx: &ReportContext,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for &f in formats {
        let path = output_path(output, f, formats.len() > 1);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Usage(format!(
                    "--output {}: cannot create directory {} ({e})",
                    output.display(),
                    dir.display()
                ))
            })?;
        }
        // Write then rename, so a reader never sees half a report.
        let tmp = path.with_extension(format!("{}.tmp", f.extension()));
        std::fs::write(&tmp, render(outcome, f, ctx))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                Error::Usage(format!("--output {}: cannot write ({e})", path.display()))
            })?;
        written.push(path);
    }
    Ok(written)
}

/// Numbers for people: 3 significant digits, no exponent for ordinary values (an
/// exponent past a billion and under a thousandth: 1e308 is not 309 digits).
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e9).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(cpu_peak: Option<f64>) -> RunOutcome {
        RunOutcome {
            machine_cpu_peak_pct: cpu_peak,
            ..RunOutcome::empty(3, crate::model::Verdict::Regression, "abc".into())
        }
    }

    #[test]
    fn a_run_that_saturated_its_machine_says_so_in_every_report() {
        let ctx = ReportContext {
            extras: Default::default(),
            settings: Default::default(),
        };
        let hot = bare(Some(97.4));
        for f in [Format::Text, Format::Markdown, Format::Html] {
            let r = render(&hot, f, &ctx);
            assert!(r.contains("CPU peaked at 97% during the run"), "{f:?}: {r}");
        }
        assert!(json(&hot).contains("\"machine_cpu_peak_pct\": 97.4"));
        let calm = bare(Some(41.0));
        for f in [Format::Text, Format::Markdown, Format::Html] {
            assert!(!render(&calm, f, &ctx).contains("peaked"), "{f:?}");
        }
        // Not measured (a re-rendered run): no field, no note.
        assert!(!json(&bare(None)).contains("machine_cpu_peak_pct"));
    }

    #[test]
    fn numbers_keep_three_digits_at_any_magnitude() {
        assert_eq!(fmt_num(1e308), "1.00e308");
        assert_eq!(fmt_num(-2.5e-7), "-2.50e-7");
        assert_eq!(fmt_num(5000.0), "5000");
        assert_eq!(fmt_num(12.345), "12.35");
        assert_eq!(fmt_num(0.5), "0.500");
        assert_eq!(fmt_num(f64::NAN), "-");
    }
}
