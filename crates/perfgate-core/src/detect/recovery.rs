//! Recovery: when an open regression alert closes (its runs back at the baseline),
//! and which runs count as baseline samples.

use super::*;

/// Mean z (in the bad direction) below which recent clean runs are back at the
/// baseline rather than merely under the threshold.
const RECOVERED_Z: f64 = 1.0;

/// The recovery rule, one place for the live store and the replay: an open regression
/// alert closes when its last `persistence + 1` runs were all clean and their mean
/// stands within a sigma of the baseline, or its last `persistence` runs were clean
/// and average at or under the baseline's centre ([`RECOVERED_QUICK_Z`]), or, when
/// the alert's level stands far off, under the bar where they are overwhelmingly
/// the baseline's rather than the level's ([`RECOVERED_LEVEL_LLR`], never over a
/// sigma): as many runs back as it took to open it, a blip's two runs must not hide
/// a step that lands at their height a few runs later. `zs` are those runs' z-scores
/// in the bad direction (against the alert's frozen baseline), oldest first; `level`
/// the z-scores of the alert's own runs, from where its level began to its last
/// one ([`extends_alert`]). A shift that hovers just under the threshold is still the alert's
/// level, not a recovery: closing there would reopen it with a level of one run, too
/// few to see a further move. Nor is a dropout ([`RECOVERED_FLOOR`]).
pub fn recovered(zs: &[f64], suspect: &[bool], persistence: usize, level: &[f64]) -> bool {
    let quick = quick_recovery_bar(level, persistence);
    let back = |n: usize, bar: f64| {
        let from = zs.len().saturating_sub(n);
        let runs = &zs[from..];
        zs.len() >= n
            && suspect.len() == zs.len()
            && !suspect[from..].iter().any(|s| *s)
            && runs.iter().sum::<f64>() / (n as f64) < bar
            && runs.iter().all(|z| *z > -RECOVERED_FLOOR)
    };
    back(persistence + 1, RECOVERED_Z) || back(persistence.max(1), quick)
}

/// The mean z under which `persistence` clean runs recover an alert whose own runs
/// had the z-scores `level`: their log-likelihood ratio, baseline (0) over the
/// level L (its runs' median, the lesser of two), is p L (L/2 - mean) with unit
/// noise; at least [`RECOVERED_LEVEL_LLR`] puts the bar at L/2 - LLR / (p L),
/// between [`RECOVERED_QUICK_Z`] and [`RECOVERED_Z`]. A held shift's level sits
/// near its threshold, where this bar is the baseline's centre; a blip that stood
/// 10 sigma off and came back to half a sigma above the centre is gone.
fn quick_recovery_bar(level: &[f64], persistence: usize) -> f64 {
    if level.is_empty() {
        return RECOVERED_QUICK_Z;
    }
    let l = level_median(level, 1.0);
    if l <= 0.0 {
        return RECOVERED_QUICK_Z;
    }
    let p = persistence.max(1) as f64;
    (l / 2.0 - RECOVERED_LEVEL_LLR / (p * l)).clamp(RECOVERED_QUICK_Z, RECOVERED_Z)
}

/// The earliest run (index or id order) where a change after a recovered alert may
/// begin, the alert's runs ending before `last`: after the `persistence` clean runs
/// that can recover it. The detector's onset reaches back over a few runs for a
/// step that read low before it stood out; reaching into a blip that went away
/// would name the blip as where the new change began (its suspect range, what a
/// bisect searches) and count the runs back at the baseline as its level.
pub fn recovered_until(last: usize, persistence: usize) -> usize {
    last + persistence.max(1)
}

/// Whether a run that confirms an open regression alert is one of its own runs
/// (the store's `last_run_id`, after which a recovery is counted): one `suspect`
/// beyond the threshold, or any confirmed run of an alert the CUSUM or the shift
/// rule opened (its runs may all sit under the threshold). Under the threshold, a streak-raised
/// alert's CUSUM merely remembers its runs: a blip's first run back is no part of it.
pub fn extends_alert(suspect: bool, opened_by: Option<DetectionRule>) -> bool {
    suspect || matches!(opened_by, Some(DetectionRule::Cusum | DetectionRule::Shift))
}

/// Log-likelihood ratio, the baseline over an alert's level, at which its last
/// `persistence` clean runs are a recovery (see [`recovered`]): e^12, about 160 000
/// to one. Two runs of a level 5 sigma off average under a sigma one time in a
/// million; a 2-sigma shift's alert (its level about 3) keeps the centre as its bar.
pub const RECOVERED_LEVEL_LLR: f64 = 12.0;

/// Mean z under which the last `persistence` clean runs alone are a recovery: back
/// at the baseline's centre, where two runs of a 2-sigma shift land one time in 400.
pub const RECOVERED_QUICK_Z: f64 = 0.0;

/// A run this many sigmas under the baseline is a dropout (a cache hit, a run that
/// skipped its work), no sign that a change went away.
pub const RECOVERED_FLOOR: f64 = 3.0;

/// Which runs of a history (their suspect marks, oldest first) count as baseline
/// samples: every clean run, and every suspect run whose streak of suspects ended
/// shorter than `persistence` (noise that never confirmed: leaving it out would
/// shrink the scale of a metric with a second mode until the mode alarms). A streak
/// still running at the end stays out, as does any streak long enough to confirm.
pub fn baseline_eligible(suspect: &[bool], persistence: usize) -> Vec<bool> {
    eligible_of(&streaks(suspect), suspect.len(), persistence)
}

/// [`baseline_eligible`] from a history's suspect streaks (`runs`, of `len` runs).
fn eligible_of(runs: &[std::ops::Range<usize>], len: usize, persistence: usize) -> Vec<bool> {
    let mut out = vec![true; len];
    for r in runs {
        if r.end == len || r.len() >= persistence.max(1) {
            out[r.clone()].iter_mut().for_each(|e| *e = false);
        }
    }
    out
}

/// A history's baseline samples ([`baseline_eligible`]), and the runs it sets
/// aside since the first of their newest `limit` (what a judgement reads): each
/// run of a suspect streak exactly `persistence` long that ended. They stay out
/// of the scale but count towards the rate a streak is judged by
/// ([`judge_with`]): a noisy neighbour's two-run bursts 6 sd up on 5% of runs,
/// dropped as streaks long enough to confirm, left the history no record of
/// them, and each new burst confirmed as a streak of two (2.42% false alarms
/// against a bar of 2%). Kept in the baseline as well, they widened the scale a
/// step is read by. One place for the live store and the replay; `values` and
/// `suspect` oldest first.
pub fn baseline_split(
    values: &[f64],
    suspect: &[bool],
    persistence: usize,
    limit: usize,
) -> (Vec<f64>, Vec<f64>) {
    let runs = streaks(suspect);
    let eligible = eligible_of(&runs, suspect.len(), persistence);
    let kept: Vec<usize> = (0..values.len()).filter(|&i| eligible[i]).collect();
    let from = kept[kept.len().saturating_sub(limit)..]
        .first()
        .copied()
        .unwrap_or(values.len());
    let aside = runs
        .into_iter()
        .filter(|r| r.start >= from && r.end < suspect.len() && r.len() == persistence.max(1))
        .flat_map(|r| values[r].iter().copied())
        .collect();
    (kept.iter().map(|&i| values[i]).collect(), aside)
}

/// Each streak of suspect runs in `suspect`, oldest first, as the range it spans.
fn streaks(suspect: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < suspect.len() {
        let start = i;
        while i < suspect.len() && suspect[i] {
            i += 1;
        }
        if i > start {
            out.push(start..i);
        } else {
            i += 1;
        }
    }
    out
}
