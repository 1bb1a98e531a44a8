//! The shift rule: a step too small for the streak and CUSUM rules to confirm
//! within their few runs enters the baseline run by run (once it is `guard` runs
//! old), which then rises to meet it: it was never reported. The newest runs are
//! judged here against the runs before them, not the baseline they have entered.

use super::*;
use confirm::{lag1, sum_spread};

/// Fewest newest runs the shift rule judges: past the CUSUM's span, which judges
/// the runs before them.
pub const SHIFT_MIN_RUNS: usize = 6;

/// Most newest runs it reads back: a step it has not found by then is in the
/// baseline's window too deep (a third of it) to stand apart.
pub const SHIFT_MAX_RUNS: usize = 16;

/// Standard errors by which the newest runs' mean must stand beyond the runs
/// before them. Far past the other rules' thresholds: it is asked of each length
/// from [`SHIFT_MIN_RUNS`] up at every run, and the noise's scale is read from a
/// window.
pub const SHIFT_Z: f64 = 3.5;

/// Largest lag-1 autocorrelation credited to the history: its estimate from a
/// few dozen runs is itself noisy, and past this the mean of a few runs tells
/// nothing.
const SHIFT_MAX_RHO: f64 = 0.9;

/// Least mean z, against the judgement's own baseline, of the newest
/// [`SHIFT_MIN_RUNS`] runs for the rule to be asked at all (it recomputes the
/// baseline without them).
const SHIFT_LEAN: f64 = 0.75;

/// The shift rule, toward `sign`: the newest `m` runs (`value` the last), from
/// [`SHIFT_MIN_RUNS`] up to [`SHIFT_MAX_RUNS`], their largest left out (a spike
/// cannot carry it) and no more than one in four short of the centre (a step moves
/// every run), have a mean [`SHIFT_Z`] standard errors beyond the baseline of the
/// runs before them. The error allows for the history's autocorrelation (a mean
/// of correlated runs wanders further) and for the newest runs' own spread where
/// it is the wider (a burst of volatility is no shift). `lean` is the newest
/// [`SHIFT_MIN_RUNS`] runs' mean z against the judgement's baseline. Returns
/// `m` and the rule's text.
pub(super) fn shifted(
    s: &Settings,
    base: &[f64],
    recent: &[f64],
    value: f64,
    (sign, lean): (f64, f64),
    dir: Direction,
) -> Option<(usize, String)> {
    let newest: Vec<f64> = std::iter::once(value)
        .chain(recent.iter().rev().copied())
        .take(SHIFT_MAX_RUNS)
        .collect();
    if newest.len() < SHIFT_MIN_RUNS || lean < SHIFT_LEAN || newest.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // Its runs older than the guard may have entered the baseline.
    let overlap = newest.len().saturating_sub(1 + s.guard);
    let before = &base[..base.len().saturating_sub(overlap)];
    if before.len() < s.min_samples.max(OUTLIER_MIN_RUNS) {
        return None;
    }
    let (stats, center, scale) = baseline_of(s, before, dir)?;
    let rho = lag1(s.context(before)).clamp(0.0, SHIFT_MAX_RHO);
    let inflate = sum_spread(rho);
    let n = stats.kept().max(1) as f64;
    let zs: Vec<f64> = newest
        .iter()
        .map(|v| snap((v - center) * sign / scale))
        .collect();
    // The newest runs from `from` back: the longest that stands out, and how far.
    let stands = |from: usize| {
        (from + SHIFT_MIN_RUNS..=zs.len()).find_map(|m| {
            let (z, mean) = shift_z(&zs[from..m], n, inflate)?;
            // Its newest run is part of it: at least halfway to its mean. And it
            // moved by the minimum change, as every rule asks.
            let change = snap(mean * scale / center.abs().max(f64::MIN_POSITIVE) * 100.0);
            (z >= SHIFT_Z && zs[from] >= mean / 2.0 && change >= s.min_change_pct)
                .then_some((m - from, z))
        })
    };
    let (m, z) = stands(0)?;
    // As a streak does, it stands at `persistence` runs in a row: a run that
    // drew high cannot carry it alone.
    (1..s.persistence.max(1)).all(|p| stands(p).is_some()).then(|| {
        (
            m,
            format!(
                "the last {m} observations' mean, their largest left out, {z:.1} standard errors beyond the {} runs before them",
                before.len().min(s.window)
            ),
        )
    })
}

/// The standard errors by which the runs `zs` (z-scores toward the change),
/// their largest left out, stand beyond a baseline of `n` runs, the error
/// widened by `inflate`; None when more than one in four lies short of it.
fn shift_z(zs: &[f64], n: f64, inflate: f64) -> Option<(f64, f64)> {
    if 4 * zs.iter().filter(|z| **z <= 0.0).count() > zs.len() {
        return None;
    }
    let largest = zs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let k = (zs.len() - 1) as f64;
    let mean = (zs.iter().sum::<f64>() - largest) / k;
    let var =
        (zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>() - (largest - mean).powi(2)) / (k - 1.0);
    let sigma = var.sqrt().max(1.0) * inflate;
    Some((snap(mean / (sigma * (1.0 / k + 1.0 / n).sqrt())), mean))
}
