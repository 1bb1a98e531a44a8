//! `perfgate report RUN`: a stored run re-rendered in any format, judged as it was.

use std::path::PathBuf;

use super::store_for;
use crate::ci;
use crate::cli::RunArgs;
use crate::engine::error::{Error, Result};
use crate::engine::store;

pub fn run(
    args: &RunArgs,
    run: String,
    format: Vec<String>,
    output: Option<PathBuf>,
) -> Result<i32> {
    let (st, cfg) = store_for(args)?;
    let label = args
        .store
        .clone()
        .unwrap_or_else(|| cfg.tracking_db.clone());
    let id = match run.as_str() {
        "latest" => st.latest_run_id()?,
        s => s.trim_start_matches('#').parse().map_err(|_| {
            Error::Usage(format!(
                "run {s:?}: expected a run id (a number) or `latest`"
            ))
        })?,
    };
    let outcome = crate::engine::report::stored::outcome(st.as_ref(), &store::label(&label), id)?;
    let formats = ci::parse_formats(&format, output.as_ref())?;
    let ctx = crate::engine::report::context(st.as_ref(), &cfg, &outcome, &formats);
    match output {
        Some(out) => {
            for p in crate::engine::report::write_all(&outcome, &out, &formats, &ctx)? {
                eprintln!("report written: {}", p.display());
            }
        }
        None => {
            for f in &formats {
                print!("{}", crate::engine::report::render(&outcome, *f, &ctx));
            }
        }
    }
    Ok(0)
}
