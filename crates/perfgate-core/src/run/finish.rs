//! The last stage of every run, the same for both front-ends: the A/B merge of
//! `--compare-to`, the report files and the alerts. Front-ends only show the result.

use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

use super::{RunOptions, RunOutcome};
use crate::alert::{self, AlertSummary};
use crate::compare::{self, Comparison};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::{self, Format};
use crate::store::Store;

/// What to do once the run is stored.
#[derive(Debug, Clone, Default)]
pub struct FinishOptions {
    /// A/B against this stored run as well (a run id, `latest`, a saved name, a commit).
    pub compare_to: Option<String>,
    /// Smallest change the A/B comparison counts, percent.
    pub noise_pct: f64,
    /// Report files go here (a file, or a folder for several formats).
    pub output: Option<PathBuf>,
    /// Report formats to write.
    pub formats: Vec<Format>,
}

/// What the finish stage did, for the front-end to show.
#[derive(Debug, Default)]
pub struct Finished {
    /// The `--compare-to` comparison, when asked for.
    pub comparison: Option<Comparison>,
    /// Report files written.
    pub written: Vec<PathBuf>,
    /// Alert delivery, when the run alerts at all (not while establishing baselines,
    /// not for a shard). An error here never changes the verdict.
    pub alerts: Option<std::result::Result<AlertSummary, String>>,
    /// A stop was asked for while alerts were going out: they were abandoned.
    pub alerts_abandoned: bool,
}

/// Compare, write the reports, then alert; `cancel` abandons pending deliveries.
pub async fn finish(
    st: &mut dyn Store,
    cfg: &Config,
    outcome: &mut RunOutcome,
    run: &RunOptions,
    opts: &FinishOptions,
    cancel: &CancellationToken,
) -> Result<Finished> {
    let mut done = Finished::default();
    if let Some(r) = &opts.compare_to {
        done.comparison = Some(merge_comparison(&*st, outcome, r, opts.noise_pct)?);
    }
    if let Some(out) = &opts.output {
        let ctx = report::context(&*st, cfg, outcome, &opts.formats);
        done.written = report::write_all(outcome, out, &opts.formats, &ctx)?;
    }
    if run.establish_baselines || run.shard.is_some() || cancel.is_cancelled() {
        return Ok(done);
    }
    tokio::select! {
        r = alert::dispatch(st, cfg, outcome) => {
            done.alerts = Some(r.map_err(|e| e.to_string()));
        }
        _ = cancel.cancelled() => done.alerts_abandoned = true,
    }
    Ok(done)
}

/// `--compare-to REF`: regressions against the reference run join the verdict.
fn merge_comparison(
    st: &dyn Store,
    outcome: &mut RunOutcome,
    r: &str,
    noise_pct: f64,
) -> Result<Comparison> {
    let reference = compare::resolve(st, r)?;
    if reference == outcome.run_id {
        return Err(Error::Usage(format!(
            "--compare-to {r:?} resolves to this run (#{reference}); expected an earlier run"
        )));
    }
    let c = compare::compare(st, reference, outcome.run_id, noise_pct)?;
    let ab = compare::as_outcome(st, &outcome.store, &c)?;
    for reg in ab.regressions {
        if !outcome.regressions.iter().any(|x| x.metric == reg.metric) {
            outcome.regressions.push(reg);
            outcome.failing += 1;
        }
    }
    if outcome.failing > 0 {
        outcome.status = crate::model::Verdict::Regression;
    }
    Ok(c)
}
