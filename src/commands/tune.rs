//! `perfgate tune`: per-metric detection settings proposed from the store's own
//! history and the team's triage; `--apply` writes them into the config, audited.

use super::{load_config, print, store_for};
use crate::cli::RunArgs;
use crate::engine::detect::Settings;
use crate::engine::error::{Error, Result};
use crate::engine::manage;
use crate::engine::quality::tune::{self, TuneOptions};
use crate::engine::store;

/// What `perfgate tune` was asked to do.
pub struct Request {
    pub metric: Option<String>,
    pub target_false_alarms: f64,
    pub apply: bool,
    pub format: String,
}

pub fn run(args: &RunArgs, r: Request) -> Result<i32> {
    if !(r.target_false_alarms.is_finite() && r.target_false_alarms >= 0.0) {
        return Err(Error::Usage(format!(
            "--target-false-alarms {}: expected a percentage >= 0",
            r.target_false_alarms
        )));
    }
    if !matches!(r.format.as_str(), "text" | "json") {
        return Err(Error::Usage(format!(
            "tune --format {:?} is unknown; expected text or json",
            r.format
        )));
    }
    // --apply writes into the config file, so it needs one.
    let loaded = if r.apply {
        Some(load_config(args.config.as_deref())?)
    } else {
        None
    };
    let (mut st, cfg) = store_for(args)?;
    let opts = TuneOptions {
        metric: r.metric,
        target_false_alarms_pct: r.target_false_alarms,
    };
    let rows = tune::tune(st.as_ref(), &Settings::from_config(&cfg), &opts)?;
    let mut text = tune::text(&rows, r.target_false_alarms);
    if let Some(loaded) = loaded {
        let written = manage::apply_tuning(st.as_mut(), &loaded.path, &rows, &store::actor())?;
        text += &match written.len() {
            0 => "\nnothing to apply: every metric keeps its settings\n".to_string(),
            n => format!(
                "\napplied: {n} override(s) written to {} (detection_overrides): {}\n",
                loaded.path.display(),
                written.join(", ")
            ),
        };
    } else if rows.iter().any(|t| t.changed) {
        text += "\nrun again with --apply to write these as detection_overrides\n";
    }
    if r.format == "json" {
        print(&(serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n"));
    } else {
        print(&text);
    }
    Ok(0)
}
