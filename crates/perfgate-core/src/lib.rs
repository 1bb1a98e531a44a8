//! The engine: everything but the front-ends. Imports nothing from the TUI.

pub mod alert;
pub mod backtest;
pub mod baseline;
pub mod changepoint;
pub mod compare;
pub mod config;
pub mod demo_server;
pub mod detect;
pub mod error;
pub mod ingest;
pub mod inspect;
pub mod live;
pub mod manage;
pub mod metrics;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod store;
pub mod threshold;

/// Version with the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PERFGATE_GIT_COMMIT"),
    ")"
);
