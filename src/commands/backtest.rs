//! `perfgate backtest`: replay a metric history through the detector, from a CSV
//! file or from the store, with the config's settings and `detection_overrides`.

use std::path::{Path, PathBuf};

use super::{config_or_default, print, store_for};
use crate::cli::RunArgs;
use crate::engine::backtest;
use crate::engine::detect::Settings;
use crate::engine::error::{Error, Result};

/// Where the history comes from.
pub enum Source {
    /// A CSV file `metric,run,value[,direction]`.
    File(PathBuf),
    /// The store's history, metrics matching the glob (all when None).
    Store(Option<String>),
}

pub fn backtest(
    args: &RunArgs,
    source: Source,
    format: &str,
    output: Option<&Path>,
) -> Result<i32> {
    if format != "json" {
        return Err(Error::Usage(format!(
            "--format {format:?} is not available for backtest; expected json"
        )));
    }
    let report = match source {
        Source::File(input) => {
            let text = std::fs::read_to_string(&input).map_err(|e| {
                Error::Usage(format!(
                    "{}: cannot be read ({e}); expected a CSV file metric,run,value",
                    input.display()
                ))
            })?;
            let cfg = config_or_default(args.config.as_deref())?;
            let settings = Settings::from_config(&cfg);
            backtest::backtest(&text, &input.display().to_string(), &settings)?
        }
        Source::Store(glob) => {
            let (st, cfg) = store_for(args)?;
            backtest::from_store(st.as_ref(), glob.as_deref(), &Settings::from_config(&cfg))?
        }
    };
    let json = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    match output {
        Some(p) => std::fs::write(p, json)
            .map_err(|e| Error::Usage(format!("--output {}: cannot write ({e})", p.display())))?,
        None => print(&json),
    }
    Ok(0)
}
