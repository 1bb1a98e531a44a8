//! One module per tab.

pub mod baselines;
pub mod live;
pub mod metrics;
pub mod triage;
