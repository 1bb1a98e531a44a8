//! `perfgate store migrate|copy|check|repair`: the store itself.

use std::path::Path;

use super::config_or_default;
use crate::cli::{RunArgs, StoreAction};
use crate::engine::error::{Error, Result};
use crate::engine::store;

pub fn run(args: &RunArgs, action: StoreAction) -> Result<i32> {
    let cfg = config_or_default(args.config.as_deref())?;
    let label = args
        .store
        .clone()
        .unwrap_or_else(|| cfg.tracking_db.clone());
    let path = Path::new(&label);
    if matches!(
        action,
        StoreAction::Export { .. } | StoreAction::Import { .. }
    ) && store::is_postgres(&label)
    {
        return Err(Error::Usage(format!(
            "{}: export and import work on an SQLite store; a PostgreSQL store is already shared and outlives CI caches",
            store::label(&label)
        )));
    }
    match action {
        StoreAction::Migrate => {
            drop(store::open(&label)?);
            println!("{}: schema is current", store::label(&label));
            Ok(0)
        }
        StoreAction::Copy { from, to } => {
            let src = from
                .strip_prefix("sqlite://")
                .or_else(|| from.strip_prefix("sqlite:"))
                .unwrap_or(&from);
            if !Path::new(src).exists() {
                return Err(Error::Usage(format!("--from {src}: no such SQLite store")));
            }
            let url = crate::engine::config::expand_env(&to)
                .map_err(|e| Error::Usage(format!("--to {e}")))?;
            if !store::is_postgres(&url) {
                return Err(Error::Usage("--to: expected a postgresql:// URL".into()));
            }
            let pg = store::postgres::PgStore::open(&url)?;
            let t0 = std::time::Instant::now();
            let counts = store::postgres::copy_from_sqlite(Path::new(src), &pg)?;
            println!(
                "copied {src} to {} in {:.2} s:",
                store::label(&url),
                t0.elapsed().as_secs_f64()
            );
            for (t, n) in counts {
                println!("  {t}: {n} rows");
            }
            Ok(0)
        }
        StoreAction::Check => {
            let r = store::sqlite::check(path)?;
            println!(
                "{label}: integrity {}, schema version {} (this perfgate: {}), {}",
                r.integrity,
                r.version,
                store::sqlite::SCHEMA_VERSION,
                r.runs
                    .map_or("runs unreadable".to_string(), |n| format!("{n} runs"))
            );
            if r.integrity != "ok" {
                println!(
                    "  `perfgate store repair` backs it up, then rebuilds it from every readable row"
                );
            }
            Ok(
                if r.integrity == "ok" && r.version <= store::sqlite::SCHEMA_VERSION {
                    0
                } else {
                    3
                },
            )
        }
        StoreAction::Export { file } => {
            let r = store::sqlite::export(path, Path::new(&file))?;
            println!("{label}: exported {} runs to {file}", r.runs.unwrap_or(0));
            Ok(0)
        }
        StoreAction::Import { file } => {
            let (backup, r) = store::sqlite::import(path, Path::new(&file))?;
            if let Some(b) = backup {
                println!("{label}: previous store backed up to {}", b.display());
            }
            println!("{label}: imported {} runs from {file}", r.runs.unwrap_or(0));
            Ok(0)
        }
        StoreAction::Repair => {
            let (backup, rows) = store::sqlite::repair(path)?;
            println!("{label}: backed up to {}", backup.display());
            for (t, n) in rows {
                println!(
                    "  {t}: {}",
                    n.map_or("unreadable".to_string(), |n| format!("{n} rows recovered"))
                );
            }
            Ok(0)
        }
    }
}
