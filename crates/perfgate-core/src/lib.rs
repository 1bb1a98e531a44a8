//! perfgate's engine as a library: performance tests (HTTP load, database queries,
//! system resources) judged against baselines kept in a store, with the regression
//! detector, alerts and reports of the `perfgate` command line.
//!
//! The designed API is at the top: [`Framework`] with [`ApiTest`], [`DatabaseTest`]
//! and [`SystemTest`] (the seed's programmatic usage), [`Detector`] to judge a
//! metric's values on their own, [`BaselineTracker`] for stored baselines, and the
//! outcome types ([`RunOutcome`], [`Verdict`]) in [`run`], with [`config`],
//! [`detect`], [`baseline`] and [`manage`] behind them. The modules hidden from
//! these docs are the `perfgate` binary's internals (front-end plumbing, store
//! backends, report formats): public for that binary, with no stability promise.
//! Nothing here depends on a terminal UI or command-line crate.
#![deny(missing_docs)]

mod api;
pub use api::{
    ApiTest, BaselineTracker, DatabaseTest, Detector, Framework, Observation, PerformanceTest,
    SystemTest,
};
pub use error::{Error, Result};
pub use model::Verdict;
pub use outcome::RunOutcome;

#[doc(hidden)]
pub mod alert;
#[doc(hidden)]
pub mod backtest;
pub mod baseline;
#[doc(hidden)]
pub mod changepoint;
#[doc(hidden)]
pub mod compare;
pub mod config;
#[doc(hidden)]
pub mod demo_server;
pub mod detect;
pub mod error;
#[doc(hidden)]
pub mod host;
#[doc(hidden)]
pub mod ingest;
#[doc(hidden)]
pub mod inspect;
#[doc(hidden)]
pub mod live;
pub mod manage;
#[doc(hidden)]
pub mod metrics;
pub mod model;
pub mod outcome;
pub mod quality;
#[doc(hidden)]
pub mod report;
pub mod run;
#[doc(hidden)]
pub mod scenario;
#[doc(hidden)]
pub mod shard;
#[doc(hidden)]
pub mod store;
#[doc(hidden)]
pub use config::threshold;

/// Version with the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PERFGATE_GIT_COMMIT"),
    ")"
);
