//! `perfgate quality`: what triage said of each metric's, scenario's and rule's alerts.

use super::print;
use crate::engine::error::{Error, Result};
use crate::engine::quality;
use crate::engine::store::Store;

pub fn quality(store: &dyn Store, format: &str) -> Result<i32> {
    let q = quality::quality(&store.alerts(false)?);
    match format {
        "json" => print(&(serde_json::to_string_pretty(&q).unwrap_or_default() + "\n")),
        "text" => print(&quality::text(&q)),
        other => {
            return Err(Error::Usage(format!(
                "quality --format {other:?} is unknown; expected text or json"
            )));
        }
    }
    Ok(0)
}
