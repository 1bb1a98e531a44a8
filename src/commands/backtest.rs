//! `perfgate backtest`: replay a metric history through the detector.

use std::path::Path;

use super::print;
use crate::engine::backtest;
use crate::engine::config::Config;
use crate::engine::detect::Settings;
use crate::engine::error::{Error, Result};

pub fn backtest(
    input: &Path,
    format: &str,
    output: Option<&Path>,
    cfg: Option<&Config>,
) -> Result<i32> {
    if format != "json" {
        return Err(Error::Usage(format!(
            "--format {format:?} is not available for backtest; expected json"
        )));
    }
    let text = std::fs::read_to_string(input).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot be read ({e}); expected a CSV file metric,run,value",
            input.display()
        ))
    })?;
    let settings = cfg.map(Settings::from_config).unwrap_or_default();
    let report = backtest::backtest(&text, &input.display().to_string(), &settings)?;
    let json = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    match output {
        Some(p) => std::fs::write(p, json)
            .map_err(|e| Error::Usage(format!("--output {}: cannot write ({e})", p.display())))?,
        None => print(&json),
    }
    Ok(0)
}
