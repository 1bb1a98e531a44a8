//! A far slow mode a baseline keeps (a GC pause, a cold cache in one run of five),
//! and the fold that lays its runs over the others.

use super::*;

/// A far slow mode a baseline keeps: runs as far out on a metric's bad side as
/// spikes ([`SPIKE_FACTOR`]) but too many to be dropped as rare (a GC pause, a
/// cold cache, in one run of five). Kept, they make the scale many times the
/// noise: a step of the other runs to 30% slower stood half a sigma out and went
/// unreported for as long as the mode stayed that frequent. Measured from the
/// runs short of the outliers, as the mode's own runs inflate the robust scale
/// until none of them is a spike by it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FarMode {
    med: f64,
    over: f64,
    sign: f64,
}

impl FarMode {
    /// The far mode of `values` (a window), when the baseline keeps any of its
    /// runs; whether outliers are rare is judged over `context`, as by
    /// [`BaselineStats::compute_within`]. The runs short of it are those within
    /// the outlier threshold of the window's robust centre, or, where they leave
    /// no mode (it holds half the window, and the centre and scale with it), those
    /// short of the window's widest gap (`gap_edge`).
    pub fn of(values: &[f64], context: &[f64], threshold: f64, dir: Direction) -> Option<FarMode> {
        Self::with_strays(values, context, threshold, dir, 0).map(|(far, _)| far)
    }

    /// [`FarMode::of`], or where it tells none, the mode with up to `strays` of its
    /// runs short of its edge (a mode 20 sigma up and three times as noisy puts a
    /// run 12 sigma up one window in ten), and how many it let: 0 for the mode
    /// [`FarMode::of`] tells. Such a mode is told from the slow runs of a busy
    /// machine too, where a slowdown lands among them: see [`crate::detect::judge`].
    pub fn with_strays(
        values: &[f64],
        context: &[f64],
        threshold: f64,
        dir: Direction,
        strays: usize,
    ) -> Option<(FarMode, usize)> {
        let s = sorted(values);
        if s.len() < OUTLIER_MIN_RUNS {
            return None;
        }
        let rule = OutlierRule::of(context, threshold, Some(dir))?;
        let sign = dir.bad_sign();
        let (med, scale) = robust_center_scale(&s);
        let kept = |x: f64| !rule.rejects(x, med, scale);
        let near = |x: f64| !exceeds((x - med) * sign, threshold * scale);
        let past = |is_short: &dyn Fn(f64) -> bool, n| {
            Self::past_short(values, &s, is_short, threshold, sign, &kept, n)
        };
        (0..=strays).find_map(|n| {
            past(&near, n)
                .or_else(|| {
                    let edge = gap_edge(&s, context, sign)?;
                    past(&|x| !exceeds(x * sign, edge), n)
                })
                .map(|far| (far, n))
        })
    }

    /// The far mode past the runs of `values` (`sorted` too) that are `short`, as
    /// [`FarMode::of`] tells it, when the baseline keeps any of its runs.
    fn past_short(
        values: &[f64],
        sorted: &[f64],
        is_short: &dyn Fn(f64) -> bool,
        threshold: f64,
        sign: f64,
        kept: &dyn Fn(f64) -> bool,
        strays: usize,
    ) -> Option<FarMode> {
        let short: Vec<f64> = sorted.iter().copied().filter(|&x| is_short(x)).collect();
        if short.is_empty() {
            return None;
        }
        let med_short = median(&short);
        let in_order: Vec<f64> = values.iter().copied().filter(|&x| is_short(x)).collect();
        let spike = spike_line(&short, &in_order, sorted, threshold);
        // The mode: the runs past half a spike's distance, centred as far out as
        // a spike (nearly, for one tight mode: [`FAR_MODE_REACH`]), and apart
        // from the others, none of its runs within half its distance (a second
        // mode 8 sigma up, spread to 12, is one mode, not split in two). Told by
        // its centre, not by each run: from a window's 20 other runs their std
        // reads up to a third over the noise, and a mode 20 sigma up whose lower
        // runs fell short of 12 such stds was split, then missed. Not even one run
        // short of its edge: letting one (a mode 20 sigma up and three times as
        // noisy puts a run 12 sigma up one window in ten) caught 3 more 6-sigma
        // steps in the benchmark, but with it two fresh CI runs in three left a
        // threefold slowdown of a 5 ms server unreported in one percentile
        // (tests/detection.rs): the slow runs a busy machine gives are such a mode.
        let beyond: Vec<f64> = sorted
            .iter()
            .copied()
            .filter(|x| exceeds((x - med_short) * sign, spike / 2.0))
            .collect();
        if beyond.is_empty() {
            return None;
        }
        let far_med = median(&beyond);
        let far = FarMode {
            med: med_short,
            over: (far_med - med_short) * sign / 2.0,
            sign,
        };
        let apart = beyond.iter().filter(|&&x| !far.holds(x)).count() <= strays;
        let any_kept = sorted.iter().any(|&x| far.holds(x) && kept(x));
        let tight =
            beyond.len() >= 3 && !exceeds(mean_std(&beyond).1 * SPIKE_FACTOR * threshold, spike);
        let reach = if tight { FAR_MODE_REACH } else { 1.0 };
        (!exceeds(reach * spike, far.over * 2.0) && apart && any_kept).then_some(far)
    }

    /// Whether `x` lies in the far mode.
    pub fn holds(&self, x: f64) -> bool {
        exceeds((x - self.med) * self.sign, self.over)
    }

    /// Where the far mode begins.
    pub fn edge(&self) -> f64 {
        self.med + self.over * self.sign
    }

    /// The map that lays the mode's runs of `context` over the others (their
    /// median onto the others', their spread, where wider, onto the others'), so
    /// that a run in the mode is measured by the noise: at 20 sigma up, a step of
    /// 6 is only a third of the whole's scale. None from fewer than
    /// [`FOLD_MIN_RUNS`] of them.
    pub fn fold(&self, context: &[f64]) -> Option<Fold> {
        let (far, short): (Vec<f64>, Vec<f64>) = context.iter().partition(|&&x| self.holds(x));
        if far.len() < FOLD_MIN_RUNS || short.len() < FOLD_MIN_RUNS {
            return None;
        }
        let (far_std, short_std) = (mean_std(&far).1, mean_std(&short).1);
        let ratio = if far_std > short_std && short_std > 0.0 {
            short_std / far_std
        } else {
            1.0
        };
        Some(Fold {
            from: median(&sorted(&far)),
            to: median(&sorted(&short)),
            ratio,
        })
    }
}

/// Share of a spike's distance ([`spike_line`]) a far mode's centre must reach.
/// Not all of it: that distance rests on the std of the other runs, which from a
/// short history's 17 reads up to 1.8 times the noise (a blip's two runs among
/// them, a wide draw), and a mode 20 sigma up on a fifth of the runs then stood
/// at 11 of them; untold, the history was judged whole at ten times the noise
/// and a 6-sigma step of the other runs went unreported. Only for one tight
/// mode: three runs or more, spread no wider than the other runs (as the spike
/// line reads them). A heavy tail's few far runs lie scattered, and told as a
/// mode they took Pareto noise at CV 15% to 0.51% false alarms. Detection bench,
/// five seeds: see the README's "Where it stands". At 0.75, not 0.85, since a
/// step past a mode's halfway edge is told by its row (`row_past_mode`): a noisy
/// neighbour's bursts of two runs 10 sigma up stood at 0.8 of a spike's distance,
/// and untold, kept in the whole's scale, they hid a 6-sigma step (on 23
/// families, five seeds: burst-pairs-2%'s misses 158 -> 135 of 12,000, false
/// alarms 6 checks more of 2.8 million; at 0.7, 131 for 15 more).
pub const FAR_MODE_REACH: f64 = 0.75;

/// How far past the median of the runs short of a history's outliers (`short`,
/// sorted; `in_order`, as they came; `all`, every run sorted) a spike lies, as a
/// far mode is told by. From their std, not their MAD: from a window's few runs
/// the MAD is often half the noise, and a second mode 8 sigma up would pass for a
/// far one. Nor more than their run-to-run spread shows: a step among them (the
/// window of a change that has not yet alerted) widens their std, not that; nor
/// than they show without their lowest and highest run, which a blip's run among
/// them widens by half ([`trimmed_std`]). Nor less than the runs' resolution, as
/// for the scale: split at their widest gap, whole milliseconds of 0.3 ms of noise
/// made a far mode of the runs at 5. At least [`DROPOUT_MIN_SHARE`] of the median.
pub(super) fn spike_line(short: &[f64], in_order: &[f64], all: &[f64], threshold: f64) -> f64 {
    let std = mean_std(short)
        .1
        .min(successive_std(in_order))
        .min(trimmed_std(short))
        .max(resolution(all));
    (SPIKE_FACTOR * threshold * std).max(DROPOUT_MIN_SHARE * median(short).abs())
}

/// Where a window's runs (`sorted`) are split by their widest gap, in units of
/// `x * sign`, when [`FOLD_MIN_RUNS`] of them lie short of it and fewer than half
/// the longer history's (`context`) beyond it: a far mode the window holds in
/// half its runs or more. A mode in a quarter of the runs does one time in 70 in
/// a window of 20, and the window's centre then lay in the mode, or its scale
/// took the mode in: judged whole, at ten times the noise, a 6-sigma step of
/// the other runs went unreported.
fn gap_edge(sorted: &[f64], context: &[f64], sign: f64) -> Option<f64> {
    let mut o: Vec<f64> = sorted.iter().map(|x| x * sign).collect();
    o.sort_by(f64::total_cmp);
    let i = (FOLD_MIN_RUNS.max(1)..o.len())
        .max_by(|&a, &b| (o[a] - o[a - 1]).total_cmp(&(o[b] - o[b - 1])))?;
    let edge = (o[i] + o[i - 1]) / 2.0;
    let beyond = context.iter().filter(|&&x| exceeds(x * sign, edge)).count();
    (beyond * 2 < context.len()).then_some(edge)
}

/// Runs of a far mode a history must hold for [`FarMode::fold`]: its median and
/// spread, from fewer, would misplace the mode by as much as a step. A mode the
/// baseline keeps is more than a sixth of the runs, so from 12 runs on it has
/// them. (Five, tried first, left a mode of four unplaced in a 20-run history,
/// judged whole: far-mode false alarms +0.01 to +0.03 points.)
pub const FOLD_MIN_RUNS: usize = 3;

/// An affine map of a far mode's runs onto the other runs ([`FarMode::fold`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fold {
    /// The mode's median.
    pub from: f64,
    /// The other runs' median.
    pub to: f64,
    /// Their spread over the mode's (at most 1).
    pub ratio: f64,
}

impl Fold {
    /// `x` of the mode, laid over the other runs.
    pub fn apply(&self, x: f64) -> f64 {
        self.to + (x - self.from) * self.ratio
    }

    /// A centre among the other runs, back in the mode.
    pub fn back(&self, center: f64) -> f64 {
        self.from + (center - self.to) / self.ratio
    }
}

/// Fewest runs [`trimmed_std`] reads a spread from.
const TRIM_MIN_RUNS: usize = 10;

/// The std of `sorted` without its lowest and highest run, scaled to read as the
/// plain std does on Gaussian noise (by 1 - 1.2 ln n / n, within 1% from 10 to 90
/// runs): a blip's or a small step's run among a 20-run history's 15 other runs
/// widened their std by half, and a mode 20 sigma up on the other 5 then stood
/// under a spike's distance; judged whole, at ten times the noise, a 6-sigma step
/// went unreported. Detection benchmark, five seeds of 82 families: 6-sigma steps
/// missed within 5 runs 864 -> 846 (short-spikes-20% 56 -> 43, short-spikes-10%
/// 20 -> 15), false alarms 29 checks more of 1.97 million (at most 0.01 points in
/// a family), no other goal moved.
fn trimmed_std(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n < TRIM_MIN_RUNS {
        return f64::INFINITY;
    }
    let nf = n as f64;
    mean_std(&sorted[1..n - 1]).1 / (1.0 - 1.2 * nf.ln() / nf)
}
