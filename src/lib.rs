//! perfgate: a performance-regression console.
//!
//! `engine` runs, measures, judges, stores and reports; `ci` and `tui` are two
//! front-ends over the same run path. `app` picks one and maps errors to exit codes.

pub mod app;
pub mod ci;
pub mod cli;
pub mod demo;
pub mod engine;
#[cfg(feature = "tui")]
pub mod tui;

/// Version with the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PERFGATE_GIT_COMMIT"),
    ")"
);
