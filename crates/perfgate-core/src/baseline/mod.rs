//! Baseline statistics of a metric's history: classical (mean/std after outlier
//! rejection, percentiles) and robust (median, MAD), the trend over the window
//! with its confidence interval, and a health score. The far slow mode a baseline
//! keeps lives in `far_mode`, the trend in `trend`, the health score in `health`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::Direction;

mod far_mode;
mod health;
mod trend;

pub use far_mode::{FOLD_MIN_RUNS, FarMode, Fold};
pub use health::{HEALTH_REFRESH_BELOW, Health};
pub use trend::{MIN_TREND_DAYS, MIN_TREND_RUNS, Trend, TrendPer};

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
    /// Its outliers on one side were dropped as rare only by [`MODE_SLACK_RUNS`]:
    /// how often the history reaches them is read at its upper bound.
    #[serde(skip)]
    pub clustered: bool,
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

/// Runs of slack a side's outliers get before they count as a mode, where a gap
/// of [`MODE_SLACK_GAP`] sets them apart from the other runs and none lies past
/// the spike line a far mode is told by (`mode_slack`). Detection bench, five
/// seeds of 82 families: see the README's "Where it stands".
pub const MODE_SLACK_RUNS: usize = 1;

/// Least gap, in robust sigmas, between a side's outliers and the other runs for
/// [`MODE_SLACK_RUNS`]: a tail that runs on into its outliers (Pareto, a wide
/// second mode) is no cluster, and with slack there its outliers, dropped, left
/// the scale short of its runs (false alarms 0.50-0.55% with Pareto noise).
pub const MODE_SLACK_GAP: f64 = 1.5;

/// Fewer runs than this tell no outliers, no far mode and no spikes: among a few
/// runs one slow run is a busy machine's jitter, not a tail.
pub const OUTLIER_MIN_RUNS: usize = 10;

/// The noise's standard deviation as the differences between successive `values`
/// show it (infinite from fewer than two): a step among them barely moves it.
fn successive_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::INFINITY;
    }
    let sq: f64 = values.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
    (sq / (2.0 * (values.len() - 1) as f64)).sqrt()
}

/// Mean and sample standard deviation of `values` (std 0 from one value). A
/// std under [`ROUNDING`] of the mean is the sum's rounding error, read as
/// 0: 30 equal runs of 3.5e-21 had a std of 2.3e-36 where those of 3.5e-18 had
/// none, and the one history's scale collapsed to its floor (z 999) while the
/// other's was told from the runs before.
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let std = var.sqrt();
    (
        mean,
        if std > ROUNDING * mean.abs() {
            std
        } else {
            0.0
        },
    )
}

/// Largest rounding error, relative to the values, of a sum or mean of a
/// history's runs (a mean of 30 equal runs is off by some 1e-15 of them); no
/// measured spread or difference is so small. [`mean_std`] and [`difference`]
/// read one under it as none.
const ROUNDING: f64 = 1e-12;

/// `r` rounded to 1e-9. A ratio of a quantised metric's values lands on a bar
/// (two steps over a one-step scale read z 2) in one unit and a rounding error
/// either side of it in another (seconds for milliseconds): snapped, the verdict
/// no longer depends on the unit the metric is recorded in.
pub fn snap(r: f64) -> f64 {
    if r.abs() < 1e6 {
        (r * 1e9).round() / 1e9
    } else {
        r
    }
}

/// `a > b` for two values in the metric's own unit, not by a rounding error
/// (see [`snap`]): the same values in another unit compare alike.
pub fn exceeds(a: f64, b: f64) -> bool {
    a > b && !within_rounding(a - b, a, b, 1e-9)
}

/// Whether `d`, the difference of `a` and `b`, is under `share` of their size:
/// never for an infinite one (infinity is no rounding error of itself).
fn within_rounding(d: f64, a: f64, b: f64, share: f64) -> bool {
    d.is_finite() && d.abs() <= share * a.abs().max(b.abs())
}

/// `a - b` for two values in the metric's own unit, 0 where it is their rounding
/// error (under 1e-12 of their size): measured in sigmas of a tiny scale,
/// that error decides.
pub fn difference(a: f64, b: f64) -> f64 {
    let d = a - b;
    if within_rounding(d, a, b, ROUNDING) {
        0.0
    } else {
        d
    }
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
    // At a centre of exactly 0 the resolution alone, where there is one: the
    // absolute floor there is no unit's (a rate nil as 0 and recorded in
    // millionths had runs 1e-10 apart, and the 1e-9 floor decided).
    let res = resolution(&s);
    let floor = if med == 0.0 && res > 0.0 {
        res
    } else {
        relative_floor(med).max(res)
    };
    (med, mad.max(floor))
}

/// The least scale of a history centred at `centre`: 0.1% of it, whatever the
/// unit (an absolute floor made a metric of 100 ns recorded in seconds read 1%
/// noisier than in nanoseconds); an absolute 1e-9 only at a centre of 0.
pub fn relative_floor(centre: f64) -> f64 {
    if centre == 0.0 {
        1e-9
    } else {
        centre.abs() * 1e-3
    }
}

/// The smallest step between distinct values of `sorted` ([`smallest_step`]), 0
/// when they are all equal.
fn resolution(sorted: &[f64]) -> f64 {
    let step = smallest_step(sorted);
    if step.is_finite() { step } else { 0.0 }
}

/// The runs of slack ([`MODE_SLACK_RUNS`]) a side's outliers (`outer`) get
/// before they count as a mode, in a history (`values`; `sorted`; `inner`, its
/// runs within the threshold, sorted) of `2 * OUTLIER_MIN_RUNS` runs or more:
/// where a gap of [`MODE_SLACK_GAP`] robust sigmas sets them apart from the
/// other runs and none lies past the spike line a far mode is told by
/// ([`far_mode::spike_line`]). Three of log-normal noise's 3% of spikes in a
/// 22-run history (6-8 sigma up, short of the line) were a mode by a run, kept,
/// they made the scale twice the noise, and a 6-sigma step as high as they were
/// went unreported for 5 runs. Past the line they are a far mode's runs, which
/// the other runs are judged without: dropped as rare, the far mode went untold,
/// and judged whole, a 20-sigma mode's three runs in 20 counted against the
/// CUSUM of the others' step.
fn mode_slack(
    rule: &OutlierRule,
    values: &[f64],
    sorted: &[f64],
    inner: &[f64],
    outer: &[f64],
) -> usize {
    let Some(&first) = outer.first() else {
        return 0;
    };
    if sorted.len() < 2 * OUTLIER_MIN_RUNS || inner.is_empty() {
        return 0;
    }
    let sign = if first > rule.med { 1.0 } else { -1.0 };
    let z = |x: f64| (x - rule.med) / rule.scale * sign;
    let nearest_out = outer.iter().map(|&x| z(x)).fold(f64::INFINITY, f64::min);
    let farthest_in = inner
        .iter()
        .map(|&x| z(x))
        .fold(f64::NEG_INFINITY, f64::max);
    let in_order: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&x| x.is_finite() && !rule.out(x, rule.med, rule.scale))
        .collect();
    let line = far_mode::spike_line(inner, &in_order, sorted, rule.threshold);
    let centre = median(inner);
    let past_line = outer.iter().any(|&x| exceeds((x - centre) * sign, line));
    // Snapped: a quantised metric's runs stand whole steps apart, and a gap of
    // exactly 1.5 read a rounding error either side of it in another unit.
    if snap(nearest_out - farthest_in) >= MODE_SLACK_GAP && !past_line {
        MODE_SLACK_RUNS
    } else {
        0
    }
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
    /// A side's outliers are rare only by its [`MODE_SLACK_RUNS`].
    clustered: bool,
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
            clustered: false,
        };
        let inner: Vec<f64> = s
            .iter()
            .copied()
            .filter(|&x| !rule.out(x, med, scale))
            .collect();
        if inner.len() >= OUTLIER_MIN_RUNS {
            rule.inner_scale = robust_center_scale(&inner).1.min(scale);
        }
        let few = |far: &dyn Fn(f64) -> bool, one_in: usize| {
            s.iter().filter(|x| far(**x)).count() * one_in <= s.len() && s.len() >= OUTLIER_MIN_RUNS
        };
        rule.drop_dropouts = few(&|x| rule.dropout(x, med, scale), GOOD_SIDE_RARE);
        rule.drop_spikes = few(&|x| rule.spike(x, med, scale), SPIKE_RARE);
        // Outliers are rare by definition: when more than a tenth of the history lies
        // beyond the threshold on one side, it is a second mode of the metric (a
        // cache, a GC cycle), and dropping it would shrink the scale until the mode
        // alarms. A mode lies on one side: spikes above and dropouts below are each
        // rare, not a mode together. Dropouts that are dropped are not counted. A
        // tenth is rounded to the nearest run: 4 spikes in 36 runs are still rare.
        // Dropped spikes are not counted either, unless two or more outliers short
        // of them lie on that side: then they are one far mode, which inflates the
        // MAD until the spike line cuts through it (5 of 35 runs 20 sigma up, one
        // past the line, left the other four a rare tenth: no mode, and two of its
        // runs in a row escalated an open alert to the mode's height). Three
        // seeds: false alarms 0.02-0.05 points lower summed, 4-sigma steps caught
        // within 3 runs 5-8 points higher where a fifth of the runs are a wide far
        // mode, 0.3-0.9 lower with Pareto noise; 6-sigma misses 238 -> 237.
        let side = |high: bool| {
            s.iter()
                .filter(move |&&x| rule.out(x, med, scale) && (x > med) == high)
                .filter(|&&x| !(rule.drop_dropouts && rule.dropout(x, med, scale)))
        };
        let counted = |high: bool| {
            let others = side(high)
                .filter(|&&x| !(rule.drop_spikes && rule.spike(x, med, scale)))
                .count();
            if others >= 2 {
                side(high).count()
            } else {
                others
            }
        };
        // A tight cluster past the other runs gets a run of slack ([`mode_slack`]).
        let rare = |high: bool, slack: usize| counted(high) * 10 <= s.len() + 5 + 10 * slack;
        let slack = |high: bool| {
            mode_slack(
                &rule,
                values,
                &s,
                &inner,
                &side(high).copied().collect::<Vec<_>>(),
            )
        };
        // Whether a side's outliers are dropped, and whether only by the slack
        // (asked only where they are not rare without it: this runs every judgement).
        let dropped = |h: bool| {
            if rare(h, 0) {
                (true, false)
            } else {
                let by_slack = rare(h, slack(h));
                (by_slack, by_slack)
            }
        };
        let [high, low] = [true, false].map(dropped);
        (rule.drop_high, rule.drop_low) = (high.0, low.0);
        rule.clustered = high.1 || low.1;
        Some(rule)
    }

    fn out(&self, x: f64, med: f64, scale: f64) -> bool {
        snap((x - med) / scale).abs() > self.threshold
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
            snap(over / scale) > factor * self.threshold
                && snap(over / med.abs()) > DROPOUT_MIN_SHARE
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
            clustered: rule.clustered,
        })
    }

    /// Coefficient of variation from the robust scale.
    pub fn cv(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            self.robust_std / self.median.abs()
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
