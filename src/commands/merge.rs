//! `perfgate merge`: the shards of a run group, added exactly, judged as one run.

use std::path::PathBuf;

use super::load_config;
use crate::ci;
use crate::cli::RunArgs;
use crate::engine::error::{Error, Result};
use crate::engine::run::RunOptions;
use crate::engine::store;

pub async fn run(
    args: &RunArgs,
    run_group: String,
    fail_on_regression: bool,
    expect: Option<usize>,
    wait: u64,
    output: Option<PathBuf>,
    format: Vec<String>,
) -> Result<i32> {
    let loaded = load_config(args.config.as_deref())?;
    let label = ci::store_label(&loaded, args.store.as_deref());
    let st = store::open(&label)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    let ids = loop {
        let ids = st.group_shards(&run_group)?;
        if expect.is_none_or(|n| ids.len() >= n) || std::time::Instant::now() >= deadline {
            break ids;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    if let Some(n) = expect
        && ids.len() < n
    {
        return Err(Error::Run(format!(
            "run group {run_group:?}: {} of {n} shards stored",
            ids.len()
        )));
    }
    let t0 = std::time::Instant::now();
    let ingested = crate::engine::shard::merge(st.as_ref(), &ids, &run_group)?;
    drop(st);
    eprintln!(
        "merged {} shard(s) of {run_group:?} in {:.1} ms",
        ids.len(),
        t0.elapsed().as_secs_f64() * 1000.0
    );
    let opts = RunOptions {
        fail_on_regression: fail_on_regression || loaded.config.fail_on_regression,
        mode: crate::engine::model::RunMode::Merge,
        ingested,
        ..Default::default()
    };
    let formats = ci::parse_formats(&format, output.as_ref())?;
    let req = ci::CiRequest::new(args, opts, output, formats, None);
    ci::run(loaded, req).await
}
