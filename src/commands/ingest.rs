//! `perfgate ingest`: another tool's results stored as a run and judged by the same gate.

use std::path::PathBuf;

use super::config_or_default;
use crate::ci;
use crate::cli::RunArgs;
use crate::engine::config::LoadedConfig;
use crate::engine::error::{Error, Result};
use crate::engine::run::RunOptions;

/// What `perfgate ingest` was asked to do.
pub struct Request {
    pub format: String,
    pub scenario: Option<String>,
    pub fail_on_regression: bool,
    pub establish_baselines: bool,
    pub output: Option<PathBuf>,
    pub report_format: Vec<String>,
    pub files: Vec<PathBuf>,
}

pub async fn run(args: &RunArgs, r: Request) -> Result<i32> {
    let Request {
        format,
        scenario,
        fail_on_regression,
        establish_baselines,
        output,
        report_format,
        files,
    } = r;
    let source = crate::engine::ingest::Source::parse(&format).ok_or_else(|| {
        Error::Usage(format!(
            "ingest --format {format:?} is unknown; expected one of {}",
            crate::engine::ingest::FORMATS
        ))
    })?;
    let ingested = crate::engine::ingest::load(source, &files, scenario.as_deref())?;
    let cfg = config_or_default(args.config.as_deref())?;
    let loaded = LoadedConfig {
        path: format!("ingest:{format}").into(),
        config: cfg,
    };
    let opts = RunOptions {
        establish_baselines,
        fail_on_regression: fail_on_regression || loaded.config.fail_on_regression,
        mode: crate::engine::model::RunMode::Ingest,
        only: Vec::new(),
        ingested,
        shard: None,
        run_group: None,
    };
    let formats = ci::parse_formats(&report_format, output.as_ref())?;
    let req = ci::CiRequest::new(args, opts, output, formats, None);
    ci::run(loaded, req).await
}
