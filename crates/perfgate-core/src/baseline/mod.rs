//! Baseline statistics of a metric's history: classical (mean/std after outlier
//! rejection, percentiles) and robust (median, MAD), the trend over the window
//! with its confidence interval, and a health score.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::Direction;

/// MAD to standard deviation for normal data.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// Statistics of a metric's baseline samples.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct BaselineStats {
    /// Samples the baseline was computed from (before outlier rejection).
    pub n: usize,
    /// Samples rejected as outliers from mean/std.
    pub outliers: usize,
    /// Mean of the kept samples.
    pub mean: f64,
    /// Standard deviation of the kept samples.
    pub std: f64,
    /// Median of all samples.
    pub median: f64,
    /// 1.4826 * MAD: a standard deviation that a few spikes cannot inflate.
    pub robust_std: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
}

/// Dropouts (a cache hit, a run that skipped its work: beyond [`DROPOUT_FACTOR`]
/// times the outlier threshold on a metric's good side) are dropped from its
/// baseline up to one run in this many, where other outliers are only up to one in
/// ten: kept, they would only inflate the scale that a regression is measured by
/// (5% of runs 10 sigma low make it about 5 times the noise), while dropped, a
/// frequent fast mode can at most read as an improvement.
pub const GOOD_SIDE_RARE: usize = 5;

/// How many outlier thresholds above the centre, on a metric's bad side, a spike
/// lies: past the second modes metrics have (a cache miss, a GC cycle: a few sigma
/// up). Spikes are dropped up to one run in [`SPIKE_RARE`] and, dropped, not
/// counted against the other outliers' tenth: a cluster of rare spikes (2% of runs
/// 20 sigma up, five of them in 40 runs, or four and one ordinary outlier) would
/// otherwise count as a mode and be kept, widening the scale tenfold until they
/// leave the history; a step to 30% slower stood half a sigma out and was never
/// reported. Dropped, a far mode's runs are suspect, but the streak that confirms
/// grows with how often the history reaches them.
pub const SPIKE_FACTOR: f64 = 4.0;

/// Spikes ([`SPIKE_FACTOR`]) are dropped up to one run in this many. Not one in
/// five, as dropouts: a far slow mode in a fifth of the runs, dropped from a short
/// history where it showed in fewer, alarms on three of its runs in a row (a
/// 20-sigma mode in 18% of runs, 0.49 -> 0.58% false alarms). Nor one in eight: 5%
/// of runs spiking 20 sigma put six or more in 40 runs one history in twenty, kept
/// as a mode they made the scale eight times the noise, and 6-sigma steps went
/// unreported in 1-2% of series (detection benchmark, held-out family spikes-5%,
/// three seeds: 6-sigma misses 16 -> 6 plain, 20 -> 8 behind an alert, 27 -> 7
/// after a blip; no other family's false alarms moved; probes with 20-sigma spikes
/// on 12-22% of runs: false alarms +0.02 to +0.12 points, 4-sigma steps caught
/// within 5 runs +14 to +25 points).
pub const SPIKE_RARE: usize = 6;

/// How many outlier thresholds beyond the centre a dropout lies: no tail of the
/// noise reaches that far, so ordinary low runs still count as the noise's own.
pub const DROPOUT_FACTOR: f64 = 2.0;

/// A dropout also lies at least this share of the centre under it: a run that
/// skipped its work is far off in proportion, not only in robust sigmas.
pub const DROPOUT_MIN_SHARE: f64 = 0.1;

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
        // As with outliers, no mode is told from fewer than ten runs.
        if s.len() < 10 {
            return None;
        }
        let rule = OutlierRule::of(context, threshold, Some(dir))?;
        let sign = dir.bad_sign();
        let (med, scale) = robust_center_scale(&s);
        let kept = |x: f64| !rule.rejects(x, med, scale);
        let near = |x: f64| (x - med) * sign <= threshold * scale;
        let past = |is_short: &dyn Fn(f64) -> bool, n| {
            Self::past_short(values, &s, is_short, threshold, sign, &kept, n)
        };
        (0..=strays).find_map(|n| {
            past(&near, n)
                .or_else(|| {
                    let edge = gap_edge(&s, context, sign)?;
                    past(&|x| x * sign <= edge, n)
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
        // Their std, not their MAD: from a window's few runs the MAD is often half
        // the noise, and a second mode 8 sigma up would pass for a far one. Nor
        // more than their run-to-run spread shows: a step among them (the window
        // of a change that has not yet alerted) widens their std, not that. Nor
        // less than their resolution, as for the scale: split at their widest gap,
        // whole milliseconds of 0.3 ms of noise made a far mode of the runs at 5.
        let med_short = median(&short);
        let in_order: Vec<f64> = values.iter().copied().filter(|&x| is_short(x)).collect();
        let std = mean_std(&short)
            .1
            .min(successive_std(&in_order))
            .max(resolution(sorted));
        let spike = (SPIKE_FACTOR * threshold * std).max(DROPOUT_MIN_SHARE * med_short.abs());
        // The mode: the runs past half a spike's distance, centred as far out as a
        // spike, and apart from the others, none of its runs within half its
        // distance (a second mode 8 sigma up, spread to 12, is one mode, not split
        // in two). Told by its centre, not by each run: from a window's 20 other
        // runs their std reads up to a third over the noise, and a mode 20 sigma up
        // whose lower runs fell short of 12 such stds was split, then missed. Not
        // even one run short of its edge: letting one (a mode 20 sigma up and three
        // times as noisy puts a run 12 sigma up one window in ten) caught 3 more
        // 6-sigma steps in the benchmark, but with it two fresh CI runs in three
        // left a threefold slowdown of a 5 ms server unreported in one percentile
        // (tests/detection.rs): the slow runs a busy machine gives are such a mode.
        let beyond: Vec<f64> = sorted
            .iter()
            .copied()
            .filter(|x| (x - med_short) * sign > spike / 2.0)
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
        (far.over * 2.0 >= spike && apart && any_kept).then_some(far)
    }

    /// Whether `x` lies in the far mode.
    pub fn holds(&self, x: f64) -> bool {
        (x - self.med) * self.sign > self.over
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
    let beyond = context.iter().filter(|&&x| x * sign > edge).count();
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

/// The noise's standard deviation as the differences between successive `values`
/// show it (infinite from fewer than two): a step among them barely moves it.
fn successive_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::INFINITY;
    }
    let sq: f64 = values.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    (sq / (2.0 * (values.len() - 1) as f64)).sqrt()
}

/// Mean and sample standard deviation of `values` (std 0 from one value).
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Median of already sorted values (0 when empty).
pub fn median(sorted: &[f64]) -> f64 {
    percentile(sorted, 50.0)
}

/// Linear-interpolated percentile of sorted data.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let w = rank - lo as f64;
    sorted[lo] * (1.0 - w) + sorted[hi] * w
}

/// The smallest step between distinct values of `sorted` (infinite when they are
/// all equal): a quantised metric's resolution.
pub fn smallest_step(sorted: &[f64]) -> f64 {
    sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min)
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Robust centre and scale; the scale never collapses to zero so that a constant
/// history still gives finite z-scores.
pub fn robust_center_scale(values: &[f64]) -> (f64, f64) {
    let s = sorted(values);
    let med = median(&s);
    let mut dev: Vec<f64> = s.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = MAD_TO_SIGMA * median(&dev);
    // Floor: the data's resolution (its smallest step between distinct values), so
    // quantised metrics whose samples are mostly equal keep a sane scale and their
    // neighbouring values are not thrown out as outliers; else 0.1% of the centre.
    let floor = (med.abs() * 1e-3).max(1e-9).max(resolution(&s));
    (med, mad.max(floor))
}

/// The smallest step between distinct values of `sorted` ([`smallest_step`]), 0
/// when they are all equal.
fn resolution(sorted: &[f64]) -> f64 {
    let step = smallest_step(sorted);
    if step.is_finite() { step } else { 0.0 }
}

/// Which outliers of a history are dropped: those beyond the outlier threshold
/// while they are rare, and dropouts (far out on the metric's good side) while
/// they are no more than one run in [`GOOD_SIDE_RARE`].
#[derive(Debug, Clone, Copy)]
struct OutlierRule {
    threshold: f64,
    /// The robust centre and scale of the history the rule was made from.
    med: f64,
    scale: f64,
    dir: Option<Direction>,
    drop_dropouts: bool,
    /// Spikes ([`SPIKE_FACTOR`]) are dropped: no more than one run in [`SPIKE_RARE`].
    drop_spikes: bool,
    /// Outliers above the centre are dropped (rare on that side).
    drop_high: bool,
    /// Outliers below it.
    drop_low: bool,
    /// The robust scale of the runs within the threshold of the centre, which
    /// dropouts are told by: their own runs inflate the MAD (4 of 30 runs 10 sigma
    /// low made it 1.7 times the noise, none of them read as a dropout, and kept,
    /// they made the scale a regression is measured by 3.5 times the noise).
    inner_scale: f64,
}

impl OutlierRule {
    /// The rule for `values` (any order); None when it holds no finite value.
    fn of(values: &[f64], threshold: f64, dir: Option<Direction>) -> Option<OutlierRule> {
        let s = sorted(values);
        if s.is_empty() {
            return None;
        }
        let (med, scale) = robust_center_scale(&s);
        let mut rule = OutlierRule {
            threshold,
            med,
            scale,
            dir,
            drop_dropouts: false,
            drop_spikes: false,
            drop_high: false,
            drop_low: false,
            inner_scale: scale,
        };
        let inner: Vec<f64> = s
            .iter()
            .copied()
            .filter(|&x| !rule.out(x, med, scale))
            .collect();
        if inner.len() >= 10 {
            rule.inner_scale = robust_center_scale(&inner).1.min(scale);
        }
        // As with other outliers, nothing is rejected from fewer than ten runs.
        let few = |far: &dyn Fn(f64) -> bool, one_in: usize| {
            s.iter().filter(|x| far(**x)).count() * one_in <= s.len() && s.len() >= 10
        };
        rule.drop_dropouts = few(&|x| rule.dropout(x, med, scale), GOOD_SIDE_RARE);
        rule.drop_spikes = few(&|x| rule.spike(x, med, scale), SPIKE_RARE);
        // Outliers are rare by definition: when more than a tenth of the history lies
        // beyond the threshold on one side, it is a second mode of the metric (a
        // cache, a GC cycle), and dropping it would shrink the scale until the mode
        // alarms. A mode lies on one side: spikes above and dropouts below are each
        // rare, not a mode together. Dropouts that are dropped are not counted. A
        // tenth is rounded to the nearest run: 4 spikes in 36 runs are still rare.
        // Dropped spikes are not counted either.
        let counted = |high: bool| {
            s.iter()
                .filter(|&&x| rule.out(x, med, scale) && (x > med) == high)
                .filter(|&&x| !(rule.drop_dropouts && rule.dropout(x, med, scale)))
                .filter(|&&x| !(rule.drop_spikes && rule.spike(x, med, scale)))
                .count()
        };
        let rare = |n: usize| n * 10 <= s.len() + 5;
        (rule.drop_high, rule.drop_low) = (rare(counted(true)), rare(counted(false)));
        Some(rule)
    }

    fn out(&self, x: f64, med: f64, scale: f64) -> bool {
        ((x - med) / scale).abs() > self.threshold
    }

    /// Far out on the good side, where no tail of the noise reaches, and far in
    /// proportion too: a near-constant history's MAD collapses, and a run 1% under
    /// the rest is then many robust sigmas out.
    fn dropout(&self, x: f64, med: f64, scale: f64) -> bool {
        self.far(-x, -med, scale.min(self.inner_scale), DROPOUT_FACTOR)
    }

    /// Far out on the bad side ([`SPIKE_FACTOR`]), as far in proportion as a dropout.
    fn spike(&self, x: f64, med: f64, scale: f64) -> bool {
        self.far(x, med, scale, SPIKE_FACTOR)
    }

    /// `x` is beyond `factor` thresholds and [`DROPOUT_MIN_SHARE`] of the centre
    /// above `med`, on the metric's bad side (None: no side is).
    fn far(&self, x: f64, med: f64, scale: f64, factor: f64) -> bool {
        self.dir.is_some_and(|d| {
            let over = (x - med) * d.bad_sign();
            over > factor * self.threshold * scale && over > DROPOUT_MIN_SHARE * med.abs()
        })
    }

    /// Whether `x` is left out of a history whose robust centre and scale are these.
    /// Only an outlier of the history the rule was made from too, on the same
    /// side: a window that holds a far mode in half its runs has its centre in
    /// the mode, and the runs the rest of the history is made of were dropped as
    /// dropouts, rare there: the baseline became the mode.
    fn rejects(&self, x: f64, med: f64, scale: f64) -> bool {
        self.out(x, med, scale)
            && self.out(x, self.med, self.scale)
            && (x > med) == (x > self.med)
            && if self.dropout(x, med, scale) {
                self.drop_dropouts
            } else if self.spike(x, med, scale) {
                self.drop_spikes
            } else if x > med {
                self.drop_high
            } else {
                self.drop_low
            }
    }
}

impl BaselineStats {
    /// Samples the mean and std come from (outliers excluded).
    pub fn kept(&self) -> usize {
        self.n - self.outliers
    }

    /// The baseline band by [`band`].
    pub fn band(&self, z_threshold: f64) -> (f64, f64, f64) {
        band(z_threshold, self.mean, self.std, self.median, self.kept())
    }

    /// Statistics of `values`, rejecting outliers beyond `outlier_threshold` robust sigmas.
    pub fn compute(values: &[f64], outlier_threshold: f64) -> Option<BaselineStats> {
        Self::compute_for(values, outlier_threshold, None)
    }

    /// [`BaselineStats::compute`] for a metric whose good direction is `dir`:
    /// dropouts on its good side are dropped up to one in [`GOOD_SIDE_RARE`] of the
    /// history, and the rest's outliers are rare or not without them.
    pub fn compute_for(
        values: &[f64],
        outlier_threshold: f64,
        dir: Option<Direction>,
    ) -> Option<BaselineStats> {
        Self::compute_within(values, values, outlier_threshold, dir)
    }

    /// [`BaselineStats::compute_for`] of `values` (the window), with whether its
    /// outliers and dropouts are rare judged over `context` (a longer stretch of
    /// the same history, ending with the window): three 20-sigma spikes in a window
    /// of 30 are a cluster of rare spikes when the 90 runs around them hold no
    /// more, and keeping them would make the scale five times the noise until they
    /// leave the window.
    pub fn compute_within(
        values: &[f64],
        context: &[f64],
        outlier_threshold: f64,
        dir: Option<Direction>,
    ) -> Option<BaselineStats> {
        let s = sorted(values);
        if s.is_empty() {
            return None;
        }
        let (med, scale) = robust_center_scale(&s);
        let rule = match OutlierRule::of(context, outlier_threshold, dir) {
            Some(rule) => rule,
            None => OutlierRule::of(&s, outlier_threshold, dir)?,
        };
        let kept: Vec<f64> = s
            .iter()
            .copied()
            .filter(|&x| !rule.rejects(x, med, scale))
            .collect();
        let kept = if kept.is_empty() { s.clone() } else { kept };
        let (mean, std) = mean_std(&kept);
        Some(BaselineStats {
            n: s.len(),
            outliers: s.len() - kept.len(),
            mean,
            std,
            median: med,
            robust_std: scale,
            p5: percentile(&s, 5.0),
            p25: percentile(&s, 25.0),
            p75: percentile(&s, 75.0),
            p95: percentile(&s, 95.0),
            min: s[0],
            max: s[s.len() - 1],
        })
    }

    /// Coefficient of variation from the robust scale.
    pub fn cv(&self) -> f64 {
        if self.median.abs() < 1e-12 {
            0.0
        } else {
            self.robust_std / self.median.abs()
        }
    }
}

/// What a trend's slope is measured per.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TrendPer {
    /// Per run: the history is too short in time for a rate per day.
    Run,
    /// Per day: the history spans at least [`MIN_TREND_DAYS`].
    Day,
}

impl std::fmt::Display for TrendPer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            TrendPer::Run => "run",
            TrendPer::Day => "day",
        })
    }
}

/// No trend is fitted on fewer runs: a slope from a handful of points is noise.
pub const MIN_TREND_RUNS: usize = 8;
/// A rate per day needs history spread over at least this many days; runs seconds
/// apart extrapolated to a day give absurd rates.
pub const MIN_TREND_DAYS: f64 = 2.0;

/// Least-squares slope of value over runs (or days) with a 95% confidence interval,
/// in the metric's unit and in percent of its mean level; each interval contains its
/// estimate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trend {
    /// Samples the trend was fitted on.
    pub samples: usize,
    /// Whether the slope is per run or per day.
    pub per: TrendPer,
    /// OLS slope, in the metric's unit per run or per day.
    pub slope: f64,
    /// Lower bound of the slope's 95% confidence interval.
    pub ci_low: f64,
    /// Upper bound of the slope's 95% confidence interval.
    pub ci_high: f64,
    /// The slope relative to the mean level, percent.
    pub pct: f64,
    /// The interval relative to the mean level, percent.
    pub pct_ci_low: f64,
    /// The interval relative to the mean level, percent.
    pub pct_ci_high: f64,
    /// Runs or days the fit covers.
    pub span: f64,
    /// The interval excludes zero.
    pub significant: bool,
}

impl Trend {
    /// The trend of a history given as (days since its first point, value), oldest
    /// first: per day when it spans [`MIN_TREND_DAYS`], else per run; none from
    /// fewer than [`MIN_TREND_RUNS`] points.
    pub fn of_history(points: &[(f64, f64)]) -> Option<Trend> {
        if points.len() < MIN_TREND_RUNS {
            return None;
        }
        let days = points.last()?.0 - points.first()?.0;
        if days >= MIN_TREND_DAYS {
            Trend::fit(points, TrendPer::Day)
        } else {
            let by_run: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, p.1))
                .collect();
            Trend::fit(&by_run, TrendPer::Run)
        }
    }

    /// Fit (x, value) points, x in runs or days as `per` says. Needs 3 points spread
    /// over x.
    pub fn fit(points: &[(f64, f64)], per: TrendPer) -> Option<Trend> {
        let n = points.len();
        if n < 3 {
            return None;
        }
        let nf = n as f64;
        let mx = points.iter().map(|p| p.0).sum::<f64>() / nf;
        let my = points.iter().map(|p| p.1).sum::<f64>() / nf;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        if sxx <= 1e-12 {
            return None;
        }
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let sse: f64 = points
            .iter()
            .map(|p| (p.1 - intercept - slope * p.0).powi(2))
            .sum();
        let se = (sse / (nf - 2.0) / sxx).sqrt();
        let t = StudentsT::new(0.0, 1.0, nf - 2.0)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(1.96);
        let (lo, hi) = (slope - t * se, slope + t * se);
        // Values near f64's range overflow the sums: no trend, rather than inf/NaN.
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let pct = |x: f64| {
            if my.abs() > 1e-12 {
                x / my.abs() * 100.0
            } else {
                0.0
            }
        };
        let xs = points.iter().map(|p| p.0);
        let span = xs.clone().fold(f64::NEG_INFINITY, f64::max) - xs.fold(f64::INFINITY, f64::min);
        Some(Trend {
            samples: n,
            per,
            slope,
            ci_low: lo,
            ci_high: hi,
            pct: pct(slope),
            pct_ci_low: pct(lo),
            pct_ci_high: pct(hi),
            span,
            significant: lo > 0.0 || hi < 0.0,
        })
    }

    /// An arrow for the trend's direction (flat when not significant).
    pub fn arrow(&self) -> &'static str {
        if !self.significant {
            "→"
        } else if self.slope > 0.0 {
            "↗"
        } else {
            "↘"
        }
    }

    /// `↗ +1.20%/run`: direction and relative rate.
    pub fn short(&self) -> String {
        format!("{} {:+.2}%/{}", self.arrow(), self.pct, self.per)
    }

    /// `↗ +1.20%/run (95% CI +0.40..+2.00%, 12 runs)`.
    pub fn describe(&self) -> String {
        format!(
            "{} (95% CI {:+.2}..{:+.2}%, {} runs)",
            self.short(),
            self.pct_ci_low,
            self.pct_ci_high,
            self.samples
        )
    }
}

/// Health of a baseline in [0, 1]:
///
/// `count * (0.20 * freshness + 0.30 * quietness + 0.30 * stability + 0.20 * cleanliness)`
///
/// Too few samples scale everything down: a baseline of 10 runs out of 20 cannot
/// score above 0.5 however quiet it is.
/// - count = min(1, n / min_baseline_samples)
/// - freshness = 1 - age of the newest sample / trend_window_days (clamped to [0, 1])
/// - quietness = 1 / (1 + (cv / 0.10)^2), cv = robust std / median
/// - stability = 1 - |relative drift over the window| / baseline_update_threshold, where the
///   drift is the trend slope times the span it was fitted on, relative to the median (0 when the
///   trend is not significant)
/// - cleanliness = 1 - outlier share / 0.20
///
/// Below 0.7 the seed advises refreshing the baseline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Health {
    /// The health score in [0, 1].
    pub score: f64,
    /// Share of `min_baseline_samples` present.
    pub count: f64,
    /// 1 for a fresh newest sample, 0 at `trend_window_days` old.
    pub freshness: f64,
    /// Low noise: 1 / (1 + (cv / 0.10)^2).
    pub quietness: f64,
    /// No significant drift over the window.
    pub stability: f64,
    /// Few outliers.
    pub cleanliness: f64,
    /// Why the score is what it is, worst factor first.
    pub reasons: Vec<String>,
}

/// Below this health score a baseline should be refreshed (the seed's advice).
pub const HEALTH_REFRESH_BELOW: f64 = 0.7;

impl Health {
    /// Whether refreshing the baseline is advised: a low score of a baseline that
    /// has all its samples. One still building needs runs, not a reset.
    pub fn advises_refresh(&self) -> bool {
        self.score < HEALTH_REFRESH_BELOW && self.count >= 1.0
    }

    /// The health of a baseline from its statistics, trend and age.
    pub fn score(
        stats: &BaselineStats,
        trend: Option<&Trend>,
        age_days: f64,
        min_samples: usize,
        trend_window_days: f64,
        update_threshold: f64,
    ) -> Health {
        let count = (stats.n as f64 / min_samples.max(1) as f64).min(1.0);
        let freshness = (1.0 - age_days / trend_window_days.max(1e-9)).clamp(0.0, 1.0);
        let cv = stats.cv();
        let quietness = 1.0 / (1.0 + (cv / 0.10).powi(2));
        let drift = match trend {
            Some(t) if t.significant && stats.median.abs() > 1e-12 => {
                (t.slope * t.span / stats.median.abs()).abs()
            }
            _ => 0.0,
        };
        let stability = (1.0 - drift / update_threshold.max(1e-9)).clamp(0.0, 1.0);
        let share = if stats.n == 0 {
            0.0
        } else {
            stats.outliers as f64 / stats.n as f64
        };
        let cleanliness = (1.0 - share / 0.20).clamp(0.0, 1.0);
        let score =
            count * (0.20 * freshness + 0.30 * quietness + 0.30 * stability + 0.20 * cleanliness);
        let mut factors = [
            (count, format!("{} of {} samples", stats.n, min_samples)),
            (freshness, format!("newest sample {age_days:.1} days old")),
            (quietness, format!("noise cv {:.1}%", cv * 100.0)),
            (
                stability,
                format!("drift {:.1}% over the window", drift * 100.0),
            ),
            (cleanliness, format!("{:.0}% outliers", share * 100.0)),
        ];
        factors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let reasons = factors
            .iter()
            .filter(|f| f.0 < 0.8)
            .map(|f| f.1.clone())
            .collect();
        Health {
            score: score.clamp(0.0, 1.0),
            count,
            freshness,
            quietness,
            stability,
            cleanliness,
            reasons,
        }
    }
}

/// The band rule, the one place it is written: the values a metric can take without
/// alerting, `(low, centre, high)` = mean -/+ the t-corrected threshold times the std
/// of the `kept` samples (outliers excluded), drawn around the median. The judge,
/// the console and every report use it.
pub fn band(z_threshold: f64, mean: f64, std: f64, median: f64, kept: usize) -> (f64, f64, f64) {
    let k = effective_threshold(z_threshold, kept);
    (mean - k * std, median, mean + k * std)
}

/// The z threshold corrected for a baseline estimated from `n` samples: a new
/// observation's z against an estimated mean/std follows Student's t with n-1
/// degrees of freedom scaled by sqrt(1 + 1/n), so the same nominal threshold keeps
/// the same false-alarm rate whether the history holds 20 runs or 200.
pub fn effective_threshold(z: f64, n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    if n < 3 {
        return z;
    }
    let p = Normal::standard().cdf(z);
    let nf = n as f64;
    match StudentsT::new(0.0, 1.0, nf - 1.0) {
        Ok(t) => t.inverse_cdf(p) * (1.0 + 1.0 / nf).sqrt(),
        Err(_) => z,
    }
}

#[cfg(test)]
mod tests;
