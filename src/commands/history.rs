//! `perfgate history METRIC`: values, trend and change points.

use super::print;
use crate::engine::config::Config;
use crate::engine::error::Result;
use crate::engine::inspect;
use crate::engine::report::fmt_num;
use crate::engine::store::Store;

pub fn history(store: &dyn Store, cfg: &Config, metric: &str, format: &str) -> Result<i32> {
    let known = store.metric_names()?;
    if !known.contains(&metric.to_string()) {
        return Err(crate::engine::manage::unknown_metric(metric, &known));
    }
    let v = inspect::baseline_view(store, cfg, metric)?;
    if format == "json" {
        print(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
        return Ok(0);
    }
    let mut s = super::baseline::show(&v);
    s += "  run      at                         value        mark\n";
    for (i, p) in v.history.iter().enumerate() {
        // Both marks when both hold: a step's first run is suspect and a change point.
        let mark = match (p.suspect, v.change_points.contains(&i)) {
            (true, true) => "suspect ◆ change point",
            (false, true) => "◆ change point",
            (true, false) => "suspect",
            (false, false) => "",
        };
        s += &format!(
            "  #{:<6} {:<26} {:>12}  {}\n",
            p.run_id,
            p.at,
            fmt_num(p.value),
            mark
        );
    }
    print(&s);
    Ok(0)
}
