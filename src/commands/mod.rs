//! One module per subcommand; the helpers they share load the config and the store.

pub mod alert;
pub mod backtest;
pub mod baseline;
pub mod compare;
pub mod demo_server;
pub mod docs;
pub mod history;
pub mod ingest;
pub mod merge;
pub mod quality;
pub mod report;
pub mod runs;
pub mod save_baseline;
pub mod store;
pub mod triage;
pub mod tune;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::RunArgs;
use crate::engine::config::{Config, LoadedConfig};
use crate::engine::error::{Error, Result};
use crate::engine::store as stores;

/// The config file read when no `--config` is given.
pub const DEFAULT_CONFIG: &str = "performance_test_config.json";

/// `--config FILE`, else `performance_test_config.json` in the working directory.
pub fn load_config(path: Option<&Path>) -> Result<LoadedConfig> {
    let p = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let d = PathBuf::from(DEFAULT_CONFIG);
            if !d.exists() {
                return Err(Error::Usage(format!(
                    "no config: pass --config FILE or create {DEFAULT_CONFIG} (see config/quickstart.json), or try `perfgate demo`"
                )));
            }
            d
        }
    };
    Ok(Config::load(&p)?)
}

/// `--config FILE`, else `performance_test_config.json` when present, else the
/// seed's defaults (for commands that work without a config).
pub fn config_or_default(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?.config),
        None if Path::new(DEFAULT_CONFIG).exists() => {
            Ok(Config::load(Path::new(DEFAULT_CONFIG))?.config)
        }
        None => Ok(Config::default()),
    }
}

/// The store for management commands: --store, else the config's tracking_db,
/// else the seed's default location.
pub fn store_for(args: &RunArgs) -> Result<(Box<dyn stores::Store>, Config)> {
    let cfg = config_or_default(args.config.as_deref())?;
    let label = args
        .store
        .clone()
        .unwrap_or_else(|| cfg.tracking_db.clone());
    // A URL (postgres://, or a scheme `open` refuses) is not a file to look for.
    if !label.contains("://") && !label.contains("${") && !Path::new(&label).exists() {
        return Err(Error::Store(format!(
            "{label}: no store here yet; run `perfgate --ci` first or point --store/--config at one"
        )));
    }
    Ok((stores::open(&label)?, cfg))
}

pub(crate) fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}
