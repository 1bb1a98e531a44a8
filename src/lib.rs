//! perfgate: a performance-regression console.
//!
//! The engine (crate `perfgate-core`, re-exported as `engine`) runs, measures, judges,
//! stores and reports; `ci` and `tui` are two front-ends over the same run path. `app`
//! picks one and maps errors to exit codes.

pub mod app;
pub mod ci;
pub mod cli;
pub mod commands;
pub mod demo;
pub use perfgate_core as engine;
#[cfg(feature = "tui")]
pub mod tui;

pub use perfgate_core::VERSION;
