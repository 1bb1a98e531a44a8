//! Judging one run: suspect against the baseline, confirmed by a streak of suspect
//! runs or a CUSUM over consecutive pairs (each judged against the history's own
//! rate of runs out that far), and a far mode's two sides each judged on their own.

use super::*;

/// Largest chance, judged from the history's own rate of suspect runs, that a
/// confirming streak is noise.
pub(super) const STREAK_CHANCE: f64 = 0.005;

/// History runs count towards that rate when they stand at least this fraction of
/// the evidence's z out: a second mode's runs sit where its new runs do, a busy
/// machine's jitter far under a threefold slowdown.
const HISTORY_LEVEL: f64 = 0.5;

/// For the streak, history runs also count from this many sigmas under the
/// evidence (or the threshold, if lower), down to [`HISTORY_LEVEL`]: a mode whose
/// runs straddle the threshold is out that often.
const HISTORY_MARGIN: f64 = 0.6;

/// Limit of the CUSUM that climbs on each run of a quiet history
/// ([`Climb::Runs`], [`Reach::quiet`]), where it replaces the pairs' CUSUM at
/// its old quiet limit of 1.7: the least of each pair threw away half the
/// evidence of a small shift whose runs scatter. Detection bench, five seeds,
/// gaussian-cv5: 2-sigma steps caught within 5 runs 77.2/75.3/78.8/78.8/74.0%
/// -> 77.3/76.5/79.7/78.8/76.2%, false alarms 0.171/0.171/0.108/0.142/0.142%
/// -> 0.150/0.133/0.096/0.117/0.133%; over all 82 families 4.8% fewer false
/// alarms, 6-sigma steps missed within 5 runs 785 -> 797. At 3.0,
/// skewed+spikes stood at its 0.3% bar.
const QUIET_CUSUM_H: f64 = 3.15;

/// How far under the centre, in sigmas, no run of a climb may lie for the
/// CUSUM of runs ([`Reach::quiet`]): `regimes` (a calm history, then a busy
/// stretch whose runs swing 2-4 sigma either way) rose 0.496 -> 0.512% false
/// alarms on one seed with only the last runs asked over the centre, 0.496%
/// with this too; Gaussian 2-sigma steps within 5 runs 1 point lower.
const QUIET_SWING: f64 = 1.0;

/// Reference of the CUSUM of runs: half the 2-sigma shift it is for (the
/// textbook choice; the 3-sigma cap and the streak rule take larger ones).
const QUIET_CUSUM_K: f64 = 1.0;

/// The CUSUM's limit grows by this factor over a history (of
/// [`OUTLIER_MIN_RUNS`] or more) that reached a spike's height
/// ([`SPIKE_THRESHOLDS`]) on the change's side: a metric that spikes has a
/// heavy tail short of its spikes too, and two of its high runs in a row cleared
/// the limit from one pair. Detection benchmark, 50 families, with the gap rule
/// counting from the threshold (`Streak::gap_len_at`), three tuning seeds and two
/// held out: false alarms 0.4-0.8 points lower summed on each seed (far-20%-wide,
/// nearest its bar, at most 0.49 -> 0.43%; skewed+spikes 0.245 -> 0.224% on
/// average); 6-sigma steps missed within 5 runs 433 -> 424 of 1.8 million; 4-sigma
/// steps caught within 3 runs 2-6 points lower where 10-25% of runs are 20-sigma
/// spikes (within 5, their goal, 98.5% or more). At 2.4 or 2.5 for every history
/// that is not quiet, Gaussian 2-sigma steps lost 1.5 points within 5 runs.
const SPIKY_CUSUM_FACTOR: f64 = 2.5 / 2.25;

/// A history is one mode when its standard deviation (outliers rejected) is within
/// this factor of its robust one: a second mode kept in it widens the first only.
const ONE_MODE_SPREAD: f64 = 1.25;

/// Largest lag-1 autocorrelation of a quiet history: runs that follow each other
/// climb a CUSUM together (AR(1) at rho 0.3 gains a fifth more false alarms from
/// the lower limit without this; about 1.5 standard errors of r1 over 36 runs).
pub(super) const QUIET_MAX_LAG1: f64 = 0.25;

/// A run this many thresholds out is a spike, not a small shift: a CUSUM climb that
/// holds one keeps the ordinary limit.
const SPIKE_THRESHOLDS: f64 = 2.0;

/// How many standard errors above the history's own rate of runs beyond
/// [`SPIKE_THRESHOLDS`] thresholds its rate is taken to be ([`reach_rate`]): its
/// one-sided 90% bound. Detection bench, seed 20261127, families with 10-25% of
/// runs 20 sigma up: false alarms 0.56/0.62/0.73/0.69% with half a run of prior,
/// 0.50/0.55/0.66/0.64% with a whole one, 0.39/0.48/0.52/0.53% at 1 standard error,
/// 0.37/0.43/0.48/0.52% at 1.28. Later, three seeds, 50 families, 1 -> 1.28:
/// far-20%-wide's false alarms 0.467/0.525/0.438% -> 0.438/0.492/0.392% (its goal
/// is 0.5%), every spike family's lower too (0.51 points summed); bimodal-8sd-10%'s
/// 4-sigma steps caught within 3 runs 97-99% -> 88-89% (within 5, its goal, still
/// 99.8-100%: a streak of three no longer suffices where its 8-sigma mode reaches);
/// 6-sigma steps missed 472 -> 476 of 360,000. From 1.15 the catch within 3 runs
/// falls as far, and false alarms stand at 0.500%.
const FAR_LEVEL_ERRORS: f64 = 1.28;

/// How much further an even bulk may reach one way than the other
/// ([`Reach::even_bulk`]): log-normal noise at CV 5% reaches 1.1 times as far
/// up, exponential noise 2.7 times, gamma at shape 2 1.9 times. With spikes
/// left out of the CUSUM's limit wherever the climb holds none, exponential
/// noise's false alarms rose 0.446 -> 0.554% (seed 20261127; its bar 0.5%),
/// Pareto's, Weibull's and gamma's as far. Only where the bulk is even: at 1.5,
/// skewed+spikes' 3-sigma steps caught within 5 runs 96.8 -> 97.3%; at 2.0,
/// 97.8%, but weibull-0.8's false alarms 0.500 -> 0.508%; at 1.75, 97.8%, with
/// the heavy tails' false alarms at most 0.021 points above before (exponential
/// 0.446 -> 0.467%, weibull-0.8 unchanged). Two seeds, all 106 families: goal
/// lines missed and 6-sigma misses unchanged, skewed+spikes' 3-sigma steps
/// within 5 runs 96.8/96.5 -> 97.8/97.0%, 4-sigma within 3 runs 98.2/97.3 ->
/// 98.5/97.5%; three more seeds, skewed+spikes alone: 97.8/97.3/97.7 ->
/// 98.0/98.0/98.3% and 96.8/97.5/97.0 -> 97.3/97.7/97.7%, false alarms
/// 0.183/0.200/0.300 -> 0.188/0.204/0.304% (its bar 0.3%).
const EVEN_BULK: f64 = 1.75;

/// Fewest history runs from which [`Reach::bounded_side`] reads a one-sided tail.
const TAIL_MIN_RUNS: usize = 30;

/// Nearest, in sigmas under the median, that a history's second lowest run on
/// the good side may stand for it to end short there ([`Reach::bounded_side`]):
/// a heavy one-sided tail (Pareto, exponential) stops short on one side and
/// reaches far on the other, and a short history shows its far runs seldom, so
/// the streak's rate is read at its upper bound there. Gaussian histories of 30
/// runs reach about 1.8 sigma down. Detection bench, 65 families, five seeds:
/// Pareto at CV 15% 0.46-0.55% false alarms -> 0.39-0.45% (its bar 0.5%),
/// Pareto at CV 5% 0.35-0.48% -> 0.30-0.38%, exponential 0.38-0.45% ->
/// 0.33-0.41%; 4-sigma steps caught within 3 runs 93-98% instead of 97-99.5%
/// in those families and bimodal-8sd-10% (within 5, their goal, 99.7% or
/// more); Gaussian 2-sigma steps within 5 runs 0.2 points lower on two seeds;
/// 6-sigma misses 600 -> 613 of 780,000. At 1.2, skewed+spikes' 4-sigma steps
/// within 3 runs fell 0.5-0.7 points too.
const TAIL_GOOD_EXTENT: f64 = 1.0;

/// How far a history's runs follow each other, as the factor by which the sum
/// of k of them spreads wider than k independent runs': sqrt((1 + r) / (1 - r))
/// for AR(1) noise, at r two standard errors (2 / sqrt(n)) under the lag-1
/// autocorrelation of the history's ranks ([`ranks`]), so only what it proves
/// counts: 1 for all but one Gaussian history in 70-125 (30-90 runs), a median
/// 1.45-2.1 for AR(1) at 0.9. Autocorrelated noise wanders a few of the
/// window's sigmas for ten runs at a time: each pair of runs out had counted
/// as fresh evidence, to a streak's rate and a CUSUM's climb alike, and AR(1)
/// at 0.9 raised 2.9% false alarms against its bar of 2%. At one standard
/// error, 2.3% (seed 20262127), but 6-sd two-run bursts on 5% of runs, which
/// follow each other a little even in their bulk, then missed 13 more 6-sigma
/// steps of 2,400 (145 -> 158; at two, 147).
pub(super) fn follow_factor(history: &[f64]) -> f64 {
    let r = lag1(&ranks(history)) - 2.0 / (history.len().max(1) as f64).sqrt();
    sum_spread(r.clamp(0.0, 0.9))
}

/// How much wider the sum of k runs of AR(1) noise at lag-1 autocorrelation `r`
/// (0 up to under 1) spreads than k independent runs' does, for k well over
/// 1 / (1 - r): sqrt((1 + r) / (1 - r)), 1 at `r` = 0.
pub(super) fn sum_spread(r: f64) -> f64 {
    ((1.0 + r) / (1.0 - r)).sqrt()
}

/// Each value's rank in `v` (equal values share their mean rank): a pair of
/// spikes or a burst's two runs stand in order as high as any other run, where
/// their values alone made a history's lag-1 autocorrelation (seed 20261127,
/// one standard error low: on the values, 6-sd bursts on 5% of runs read as
/// following, and their 6-sigma misses rose 141 -> 176 of 2,400; on the ranks,
/// 159; on the ranks of the bulk two standard errors low, 141 as before).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut rank = vec![0.0; v.len()];
    let mut below = 0;
    for tie in order.chunk_by(|&a, &b| v[a] == v[b]) {
        let mean = below as f64 + (tie.len() - 1) as f64 / 2.0;
        tie.iter().for_each(|&k| rank[k] = mean);
        below += tie.len();
    }
    rank
}

/// Lag-1 autocorrelation of a history (0 when it has under 3 runs or no spread).
/// Rounded as every ratio the rules compare is ([`snap`]): whole milliseconds
/// have a rational one, and 0.25 exactly (the quiet bar) read a rounding error
/// either side of it in another unit. A deviation within rounding of the mean
/// is none ([`difference`]): equal runs have no spread in any unit.
pub(super) fn lag1(v: &[f64]) -> f64 {
    if v.len() < 3 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let dev: Vec<f64> = v.iter().map(|&x| difference(x, m)).collect();
    let var: f64 = dev.iter().map(|d| d * d).sum();
    if var <= 0.0 {
        return 0.0;
    }
    snap(dev.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / var)
}

/// Which way (if any) one observation is suspect, given its z and change.
fn suspect_of(s: &Settings, thr: f64, z: f64, change: f64, dir: Direction) -> Option<Kind> {
    let bad = dir.bad_sign();
    let (zb, cb) = (z * bad, change * bad);
    let hit = |z: f64, c: f64| {
        c >= s.min_change_pct
            && (z >= thr || (c >= s.regression_threshold_pct && z >= PERCENT_PATH_MIN_Z))
    };
    if hit(zb, cb) {
        Some(Kind::Regression)
    } else if hit(-zb, -cb) {
        Some(Kind::Improvement)
    } else {
        None
    }
}

/// What a CUSUM climbs on.
#[derive(Clone, Copy, PartialEq)]
enum Climb {
    /// The minimum of each pair of consecutive runs, less `cusum_k`: a lone
    /// spike contributes only its neighbour's value, while a sustained shift
    /// moves every pair.
    Pairs,
    /// Each run, less [`QUIET_CUSUM_K`]: for a quiet history, where no spike is
    /// to be feared and the pairs' minimum throws away evidence.
    Runs,
}

/// CUSUM over consecutive observations (z in the direction `sign`, capped at 3
/// sigma, climbing `by` pairs or runs) across the last `cusum_span` runs and
/// `value`. Returns the sum, how many runs before `value` its climb began, and
/// how many the change began: the climb's start without its leading runs that stand
/// under a sigma or under half of where the change stands (noise the climb started on).
fn cusum(
    s: &Settings,
    zf: &dyn Fn(f64) -> f64,
    recent: &[f64],
    value: f64,
    sign: f64,
    by: Climb,
) -> (f64, usize, usize) {
    let start = recent.len().saturating_sub(s.cusum_span);
    let zs: Vec<f64> = recent[start..]
        .iter()
        .chain(std::iter::once(&value))
        .map(|&v| (zf(v) * sign).min(3.0))
        .collect();
    let (mut c, mut began) = (0.0f64, 0);
    for (i, w) in zs.windows(2).enumerate() {
        if c == 0.0 {
            began = zs.len() - 1 - i;
        }
        let (step, k) = match by {
            Climb::Pairs => (w[0].min(w[1]), s.cusum_k),
            Climb::Runs => (w[1], QUIET_CUSUM_K),
        };
        c = (c + step - k).max(0.0);
    }
    if c == 0.0 {
        return (c, 0, 0);
    }
    // The runs it climbed on before the change: under a sigma, or under half of
    // where the change stands (uncapped): the last pair, so a jump starts at the
    // jump while a spike on top of a shift (its pair is the run before it) does not
    // move the onset; or, higher, the most of the climb's runs (one jittery run
    // before a fivefold slowdown is not where it began).
    let climb: Vec<f64> = recent[recent.len() - began..]
        .iter()
        .map(|&v| zf(v) * sign)
        .collect();
    let now = zf(value) * sign;
    let pair = climb.last().map_or(now, |&z| now.min(z));
    let mut stand: Vec<f64> = climb.iter().copied().chain([now]).collect();
    stand.sort_by(f64::total_cmp);
    let floor = (pair.max(stand[stand.len() / 2]) / 2.0).max(1.0);
    let lead = climb.iter().take_while(|&&z| z < floor).count();
    (c, began, began - lead)
}

/// The streak, in runs, whose pairs the CUSUM's limit counts: of `len` (from the
/// history's rate, `out` of its runs out), the shortest unless the history was out
/// more than once. Whole runs when the last pair stands `under` the threshold: a
/// fraction of one let four runs in a row just under it confirm over a history out
/// that often (false alarms 2-9% fewer in 28 of the 37 benchmark families, more in
/// none). Over it the fraction stands: a step's third run confirms where its
/// streak asks a fourth.
fn cusum_streak(out: usize, under: bool, len: f64, shortest: f64) -> f64 {
    match out {
        0 | 1 => shortest,
        _ if under => len.ceil(),
        _ => len,
    }
}

/// A run inside a streak may dip under the threshold once (the streak then counts
/// one run more) while it stays this many sigmas out: a held 4-sigma step dips
/// under a threshold near 2.3 one run in twenty, and a pair-minimum CUSUM counts
/// that dip twice. Noise that clears the threshold twice around a run a sigma out
/// is a sixth as likely as a plain pair.
const GAP_MIN_Z: f64 = 1.0;

/// How far under the baseline's centre, in sigmas, a dropout between two spikes
/// lies for them to confirm (see [`Streak::confirms`]): a run that skipped its
/// work is under the baseline too, not only under the step around it.
const DROPOUT_UNDER: f64 = 2.0;

/// How far under the baseline's centre, in sigmas, a run lies for a longer
/// streak to reach past it (see [`Streak::confirms`]): further than
/// [`DROPOUT_UNDER`], so a second mode's ordinary low run is no dropout.
const STREAK_DROPOUT_UNDER: f64 = 3.0;

/// The streak rule of one judgement: which runs count as suspect the judged way,
/// and their z in that direction.
struct Streak<'a> {
    s: &'a Settings,
    thr: f64,
    sign: f64,
    zf: &'a dyn Fn(f64) -> f64,
    is_suspect: &'a dyn Fn(f64) -> bool,
    /// The gap rule's streak length from the evidence's z (the least of its runs),
    /// counting the history's runs from the threshold (or the evidence, if lower)
    /// up to a z cap, not [`HISTORY_MARGIN`] under it as the plain streak does:
    /// the gap's own run already allows for a mode that straddles the threshold.
    /// With the margin, a log-normal tail with spikes asked a third run beyond it
    /// (`SPIKY_CUSUM_FACTOR` alone took skewed+spikes' 4-sigma steps caught within
    /// 3 runs 97.5/97.0/97.3% -> 97.7/96.7/96.7%; with this, 98.2/97.2/97.3%).
    gap_len_at: &'a dyn Fn(f64, f64) -> usize,
    /// How many of the history's runs reach a z (in the streak's direction).
    reached: &'a dyn Fn(f64) -> usize,
    /// The runs just before swung the other way ([`swung`]).
    swung: bool,
}

impl Streak<'_> {
    /// Whether the suspect `value` confirms with the runs before it (`recent`,
    /// oldest first): its last `len - 1` runs all suspect the same way and of about
    /// one size (a real shift moves every run by about the same amount; a spike
    /// next to an ordinary high reading does not), reaching one run further back
    /// past a dropout among them where more than the shortest streak is needed
    /// (a 6-sigma step with a cache hit in it waited two more runs). Or, where the
    /// shortest streak would do (and the runs before did not swing the other way:
    /// [`swung`]), `len` suspect runs of the last `len + 1` with the one between
    /// them still [`GAP_MIN_Z`] out (or a dropout) and not all spikes, where the
    /// history is rarely out that far (counting only its runs short of a spike when
    /// none of these is one); spikes too, around a dropout, where the history never
    /// reached a spike's height (a large step with a cache hit in it). Returns how many runs before `value` the streak holds, and the rule's
    /// text.
    fn confirms(&self, recent: &[f64], value: f64, len: usize) -> Option<(usize, String)> {
        let z = |v: f64| (self.zf)(v) * self.sign;
        let consistent = |runs: &[f64]| {
            let (lo, hi) = runs
                .iter()
                .map(|&v| z(v))
                .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
            lo >= self.s.consistency * hi.min(self.s.z_cap)
        };
        let need = len - 1;
        let streak_of = |runs: &[f64]| {
            runs.len() == need + 1
                && runs[..need].iter().all(|&v| (self.is_suspect)(v))
                && consistent(runs)
        };
        let last = |n: usize| -> Vec<f64> {
            recent[recent.len().saturating_sub(n)..]
                .iter()
                .copied()
                .chain([value])
                .collect()
        };
        // Past the shortest streak, a dropout among its runs (far under them and
        // under the baseline: a run that skipped its work) says nothing of the
        // shift either way; the streak reaches one run further back instead.
        let past_dropout = || {
            let runs = last(need + 1);
            let lowest = runs
                .iter()
                .enumerate()
                .min_by(|a, b| z(*a.1).total_cmp(&z(*b.1)))?;
            let rest: Vec<f64> = runs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != lowest.0)
                .map(|(_, &v)| v)
                .collect();
            let next = rest.iter().map(|&v| z(v)).fold(f64::INFINITY, f64::min);
            let far = streak_dropout(z(*lowest.1), next);
            (len > self.s.persistence.max(1) && lowest.0 < need + 1 && far && streak_of(&rest))
                .then_some(need + 1)
        };
        let plain = streak_of(&last(need)).then_some(need).or_else(past_dropout);
        if let Some(held) = plain {
            let past = if held > need { " past a dropout" } else { "" };
            return Some((
                held,
                format!(
                    "{len} consecutive observations beyond {:.1} sigma{past}",
                    self.s.z_threshold
                ),
            ));
        }
        // Nor where the runs before swung the other way: the shortest streak
        // would not do.
        if self.swung {
            return None;
        }
        // The gap's evidence is the runs beyond the threshold, not the gap.
        let shortest = self.s.persistence.max(1);
        let len = shortest;
        if recent.len() < len {
            return None;
        }
        let runs: Vec<f64> = recent[recent.len() - len..]
            .iter()
            .copied()
            .chain([value])
            .collect();
        let (gaps, out): (Vec<f64>, Vec<f64>) =
            runs[1..len].iter().partition(|&&v| !(self.is_suspect)(v));
        let mut beyond: Vec<f64> = out.into_iter().chain([runs[0], value]).collect();
        beyond.sort_by(|a, b| z(*a).total_cmp(&z(*b)));
        // A dropout between them (far under both) says nothing of the shift either way.
        let dropout = gaps.len() == 1 && z(gaps[0]) <= z(beyond[0]) - LEVEL_DROPOUT;
        let far_dropout = dropout && z(gaps[0]) <= -DROPOUT_UNDER;
        let gap_ok =
            gaps.len() == 1 && (z(gaps[0]) >= GAP_MIN_Z || dropout) && (self.is_suspect)(runs[0]);
        // The runs beyond the threshold around the gap must not all be spikes, and
        // the history must rarely be out where they stand. When none is a spike, the
        // history's spikes are another population: they say nothing of how often
        // such runs come in pairs, so only its runs short of a spike count.
        let calm = SPIKE_THRESHOLDS * self.thr;
        let (least, most) = (z(beyond[0]), z(beyond[beyond.len() - 1]));
        let rare = (most <= calm && (self.gap_len_at)(least, calm) <= shortest)
            || (least <= calm && (self.gap_len_at)(least, f64::INFINITY) <= shortest)
            || (far_dropout && (self.reached)(calm.min(least)) == 0);
        (gap_ok && rare && consistent(&beyond)).then(|| {
            let other = if z(gaps[0]) < GAP_MIN_Z {
                "a dropout"
            } else {
                "the other"
            };
            (
                len,
                format!(
                    "{len} of {} consecutive observations beyond {:.1} sigma, {other} {:.1} sigma out",
                    len + 1,
                    self.s.z_threshold,
                    z(gaps[0])
                ),
            )
        })
    }
}

/// Whether a run at `z` is a dropout among a streak's runs whose least is at
/// `least` (all z towards the change): [`LEVEL_DROPOUT`] under them and
/// [`STREAK_DROPOUT_UNDER`] under the baseline.
fn streak_dropout(z: f64, least: f64) -> bool {
    z <= -STREAK_DROPOUT_UNDER && z <= least - LEVEL_DROPOUT
}

/// The least z of a run `z` and the `prior` runs before it (`before`, newest
/// first; all z towards the change), a dropout among them left out: it is none of
/// the shift (see [`Streak::confirms`]).
fn streak_evidence(z: f64, before: impl Iterator<Item = f64>, prior: usize) -> f64 {
    before
        .filter(|zv| !streak_dropout(*zv, z))
        .take(prior)
        .fold(z, f64::min)
}

/// How many runs before the newest of `zs` (z in the change's direction, oldest
/// first) a confirmed change began: where one step from the baseline best fits
/// them, when that is before `onset` (the rule's own). A step that read low for a
/// few runs before it stood out is not the baseline, and a level or baseline that
/// holds those runs would hide a further move.
fn began_at(zs: Vec<f64>, onset: usize) -> usize {
    let newest = zs.len() - 1;
    newest - step_start(zs, onset + 1)
}

/// How often a history of `n` runs reaches a level it reached `out` times. At a
/// spike's height its runs are a far mode's, and a few of them say little of how
/// often it comes; so too a lumpy history's next value up
/// ([`one_value_holds_half`]), and a history that ends short on the good side
/// ([`Reach::bounded_side`]), and one whose outliers were dropped as rare only by
/// a run of slack ([`crate::baseline::MODE_SLACK_RUNS`]: a cluster of spikes one
/// run short of a mode). There (`bound`) the rate is [`FAR_LEVEL_ERRORS`]
/// standard errors above what the history shows (Wilson's bound), so a history
/// that showed a fifth of runs' mode fewer times than it comes does not ask too
/// short a streak or too low a CUSUM of a run of them. Elsewhere, half a run of
/// prior.
pub(super) fn reach_rate(out: usize, n: usize, bound: bool) -> f64 {
    if !bound {
        return (out as f64 + 0.5) / (n as f64 + 1.0);
    }
    let (z, n) = (FAR_LEVEL_ERRORS, n.max(1) as f64);
    let p = out as f64 / n;
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (p + z * z / (2.0 * n) + spread) / (1.0 + z * z / n)
}

/// Judge `value` against the baseline samples `base` (eligible history, oldest first)
/// with `recent` the observations just before it (oldest first, suspect ones included).
/// None while the baseline has fewer than `min_samples` samples.
///
/// With a far slow mode the baseline keeps ([`FarMode`]), each of its two modes
/// is also judged on its own: a run short of the mode against the history without
/// the mode's runs, its streak and CUSUM running past them (they say nothing of
/// where the other runs stand); a run in the mode against the history with the
/// mode's runs laid over the others ([`FarMode::fold`]), its streak and CUSUM
/// over the mode's runs. The whole still judges a run in the mode, but confirms
/// it only past a row of the mode's runs its rate does not explain
/// (`mode_runs_in_a_row`): a move of every run to the mode's height. A mode too
/// seldom seen to place, or a history too short without it, is judged whole.
pub fn judge(
    s: &Settings,
    base: &[f64],
    read_back: &[f64],
    value: f64,
    dir: Direction,
) -> Option<Judgement> {
    judge_with(s, base, &[], read_back, value, dir)
}

/// [`judge`], with the runs the history set aside ([`baseline_split`]): out of
/// the baseline, counted towards the rate a streak is judged by.
pub fn judge_with(
    s: &Settings,
    base: &[f64],
    aside: &[f64],
    read_back: &[f64],
    value: f64,
    dir: Direction,
) -> Option<Judgement> {
    // The streak, CUSUM, rank and gap rules read the newest `span` runs; only the
    // shift rule reads further back.
    let recent = &read_back[read_back.len().saturating_sub(s.span())..];
    let mut j = judge_modes(s, base, aside, recent, value, dir)?;
    // A run in a far mode is suspect only as the mode judges it, but a step that
    // landed in a mode told from a few tail runs stands apart from them by rank.
    let kind = match j.measured {
        Measured::WholeInFarMode => j.suspect.or(Some(Kind::Regression)),
        _ => j.suspect,
    };
    if j.confirmed.is_some() {
        return Some(j);
    }
    let ranked = kind
        .and_then(|kind| {
            beyond_every_run(s, base, recent, value, kind.sign(dir))
                .map(|r| (kind, DetectionRule::Rank, r))
        })
        .or_else(|| {
            // A step into a gap between a history's two clusters is suspect by
            // no z: the clusters make the scale.
            let kinds = [Kind::Regression, Kind::Improvement];
            let mut kinds = kinds.into_iter().filter(|k| kind.is_none_or(|s| s == *k));
            kinds.find_map(|kind| {
                in_a_gap(s, base, recent, value, kind.sign(dir), j.center)
                    .map(|r| (kind, DetectionRule::Gap, r))
            })
        })
        .or_else(|| {
            // A far mode's rows are judged by the mode (`row_past_mode`).
            if !matches!(j.measured, Measured::Whole) {
                return None;
            }
            row_past_bulk(s, base, &j.baseline, recent, value, dir)
                .map(|r| (Kind::Regression, DetectionRule::Streak, r))
        })
        .or_else(|| {
            // A small step past the other rules' few runs, before the baseline
            // rises to meet it. Not in a history with a far mode: its runs come
            // in rows by chance (`mode_runs_in_a_row` judges those).
            if !matches!(j.measured, Measured::Whole) {
                return None;
            }
            let newest = [value].into_iter().chain(read_back.iter().rev().copied());
            let lean = newest
                .take(SHIFT_MIN_RUNS)
                .map(|v| j.z_toward(v, 1.0))
                .sum::<f64>()
                / SHIFT_MIN_RUNS as f64;
            [Kind::Regression, Kind::Improvement]
                .into_iter()
                .find_map(|kind| {
                    let sign = kind.sign(dir);
                    shifted(s, base, read_back, value, (sign, lean * sign), dir)
                        .map(|r| (kind, DetectionRule::Shift, r))
                })
        });
    if let Some((kind, by, (k, rule))) = ranked {
        j.suspect = Some(kind);
        j.confirm(kind, by, rule, s);
        j.onset = k - 1;
    }
    Some(j)
}

/// Most share of a history's runs beyond a gap that [`in_a_gap`] reports a step
/// into: the gap lies on the change's side of the history, and the chance it
/// asks is summed over every place a gap may lie there.
const GAP_MAX_SHARE: f64 = 0.25;

/// Least distance, in robust sigmas of the runs short of a gap, between the runs
/// in it and the history's greatest run short of them ([`in_a_gap`]): a tail's
/// sparse runs leave narrow gaps, which autocorrelated noise fills a few runs at
/// a time.
const GAP_APART: f64 = 1.0;

/// The gap rule: the last `k` runs (`value` the last of them) all lie in one gap
/// of the history, with no run of it from their least to their greatest, at most
/// [`GAP_MAX_SHARE`] of its runs past them towards `sign`, and apart from the
/// runs short of them by [`GAP_APART`] robust sigmas of those runs. Not from the
/// runs past them: a burst's run that drew low, 0.4 sigma over a step's fourth
/// run, hid the step for 20 runs, and a climb of autocorrelated noise comes from
/// the runs short of the gap, not from those past it (33 families, five seeds:
/// 6-sigma misses 506 -> 496, burst-pairs-2%'s 90 -> 81; false alarms, those of
/// autocorrelated noise too, unchanged to the check). A
/// noisy neighbour's bursts 10 sigma up, too near for a far mode and too many to
/// drop as rare, make the scale 2-4 times the noise, and a 6-sigma step into the
/// gap under them read z 2: the rank rule counted the bursts' runs against it
/// and asked 6 runs. Among `n + k` runs that merely repeat one another, the last
/// `k` lie together in such a place one time in C(n + k, k) for each of the
/// `GAP_MAX_SHARE * n + 1` places, whatever the noise's shape. `k` as for
/// [`beyond_every_run`]. Detection bench, 23 families, five seeds:
/// burst-pairs-2%'s 6-sigma misses 135 -> 101 of 12,000, false alarms unchanged
/// (autocorrelated noise's included).
pub(super) fn in_a_gap(
    s: &Settings,
    base: &[f64],
    recent: &[f64],
    value: f64,
    sign: f64,
    centre: f64,
) -> Option<(usize, String)> {
    let least = centre * sign + centre.abs() * s.min_change_pct / 100.0;
    let mut history: Vec<f64> = s
        .context(base)
        .iter()
        .map(|h| h * sign)
        .filter(|h| h.is_finite())
        .collect();
    history.sort_by(f64::total_cmp);
    let n = history.len();
    if n < s.min_samples.max(OUTLIER_MIN_RUNS) {
        return None;
    }
    let places = (GAP_MAX_SHARE * n as f64).floor() + 1.0;
    let newest = [value].into_iter().chain(recent.iter().rev().copied());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, v) in newest.take(RANK_MAX_RUNS.max(s.persistence)).enumerate() {
        if !v.is_finite() {
            return None;
        }
        (lo, hi) = (lo.min(v * sign), hi.max(v * sign));
        if lo < least {
            return None;
        }
        let (short, rest) = history.split_at(history.partition_point(|&h| h < lo));
        // Ties count against the step: a quantised metric repeats its values.
        if rest.first().is_some_and(|&h| h <= hi) {
            return None;
        }
        if rest.len() as f64 > GAP_MAX_SHARE * n as f64 || short.len() < OUTLIER_MIN_RUNS {
            return None;
        }
        let k = i + 1;
        // 1 / C(n + k, k) for each place, one factor per run of the streak.
        let chance = places * (1..=k).map(|j| j as f64 / (n + j) as f64).product::<f64>();
        if k < s.persistence.max(1) || chance > RANK_CHANCE {
            continue;
        }
        let under = short[short.len() - 1];
        // Snapped: a quantised metric's gap is whole steps of its resolution. Never
        // under the metric's meaningful step, as the judgement's own scale: one
        // byte over a constant 15 read 66.7 sigma apart beside its z of 1.
        let apart = snap((lo - under) / robust_center_scale(short).1.max(s.min_scale));
        if apart >= GAP_APART {
            let place = if rest.is_empty() {
                format!("beyond all {n} baseline runs")
            } else {
                format!(
                    "in a gap of the {n} baseline runs, beyond {} of them and short of {}",
                    short.len(),
                    rest.len()
                )
            };
            return Some((
                k,
                format!("{k} consecutive observations {place}, {apart:.1} sigma apart"),
            ));
        }
    }
    None
}

/// Largest chance, under runs that merely repeat the history (any shape of noise:
/// the test is on ranks), that the last runs all lie beyond every run of it.
const RANK_CHANCE: f64 = 2e-4;

/// Most runs the rank rule reads back (or `persistence`, if more): each further
/// length is one more test.
const RANK_MAX_RUNS: usize = 8;

/// The rank rule: the last `k` runs (`value` the last of them) all beyond every
/// run of the history but `a`, towards `sign`. Among `n + k` runs that merely
/// repeat one another, the last `k` all rank among the top `k + a` one time in
/// C(n + k, k) / C(k + a, k), whatever the noise's shape: a heavy tail or a far
/// mode that widens the scale (and so hides a step from the z rules) cannot make
/// it likelier. With `a` the history's runs at or past the least of the `k`, a
/// step that landed among a tail's or a blip's few runs is still a rank apart
/// (a 22-run history with one Pareto run and a blip at the step's height hid a
/// 6-sigma step for 7 runs, the runs judged in the far mode they made). `k` is
/// the shortest from `persistence` up to [`RANK_MAX_RUNS`] (or `persistence`)
/// that is rarer than [`RANK_CHANCE`]. Returns `k` and the rule's text.
fn beyond_every_run(
    s: &Settings,
    base: &[f64],
    recent: &[f64],
    value: f64,
    sign: f64,
) -> Option<(usize, String)> {
    let history = s.context(base);
    if history.len() < s.min_samples.max(1) {
        return None;
    }
    let n = history.len();
    let newest = [value].into_iter().chain(recent.iter().rev().copied());
    let mut least = f64::INFINITY;
    for (i, v) in newest.take(RANK_MAX_RUNS.max(s.persistence)).enumerate() {
        if !v.is_finite() {
            return None;
        }
        least = least.min(v * sign);
        let k = i + 1;
        // Ties count against the step: a quantised metric repeats its values.
        let a = history.iter().filter(|&&h| h * sign >= least).count();
        // C(k + a, k) / C(n + k, k), one factor per run of the streak.
        let chance: f64 = (1..=k).map(|j| (a + j) as f64 / (n + j) as f64).product();
        if k >= s.persistence.max(1) && chance <= RANK_CHANCE {
            let but = match a {
                0 => String::new(),
                a => format!(" but {a}"),
            };
            return Some((
                k,
                format!(
                    "{k} consecutive observations beyond every one{but} of the {n} baseline runs"
                ),
            ));
        }
    }
    None
}

/// [`judge`] without the rank rule: the whole history, or a far mode's two sides.
pub(super) fn judge_modes(
    s: &Settings,
    base: &[f64],
    aside: &[f64],
    recent: &[f64],
    value: f64,
    dir: Direction,
) -> Option<Judgement> {
    if !value.is_finite() {
        return judge_all(s, base, aside, recent, value, dir);
    }
    let far = match far_mode_of(s, base, dir) {
        Some((far, 0)) => far,
        // A mode told with one of its runs short of its edge leaves out its runs
        // for a run short of it only. A run in it is judged whole, as without a
        // mode: a busy machine's slow runs make such a mode, and a threefold
        // slowdown that landed among them went unreported when judged in it.
        Some((far, _)) if !far.holds(value) => {
            return judge_short_of(s, (base, aside), recent, value, dir, far, Short::Runs);
        }
        _ => return judge_all(s, base, aside, recent, value, dir),
    };
    if far.holds(value) {
        let whole = judge_all(s, base, aside, recent, value, dir)?;
        if whole.confirmed.is_some() && mode_runs_in_a_row(s, base, recent, &far) {
            return Some(whole);
        }
        // A mode too seldom seen to place is judged whole, as its runs always were.
        let Some(in_mode) = judge_in_far_mode(s, (base, aside), recent, value, dir, &far, &whole)
        else {
            return Some(whole);
        };
        // Only a regression: a run under the mode's runs may be the others' step.
        if in_mode.confirmed == Some(Kind::Regression) {
            return Some(in_mode);
        }
        // It is, when they come in a longer row than the mode's runs ever did,
        // each under its centre: the other runs moved past the mode's edge. A
        // noisy neighbour's bursts 10 sigma up made such a mode, and a 6-sigma
        // step, judged in it as the mode's runs drawing low, went unreported.
        if in_mode.confirmed == Some(Kind::Improvement) && row_past_mode(s, base, recent, &far) {
            let j = judge_short_of(s, (base, aside), recent, value, dir, far, Short::Row);
            if j.as_ref()
                .is_some_and(|j| j.confirmed == Some(Kind::Regression))
            {
                return j;
            }
        }
        // The mode's runs, a quarter of them each 2 sigma of the whole, climb the
        // whole's CUSUM past its limit whenever two come close: no change. Nor
        // suspect but as the mode judges it: suspect runs leave the baseline, and
        // the mode's runs, each 2 sigma of the whole, left it beside a suspect
        // run of the others until the mode read as rare spikes.
        return Some(Judgement {
            suspect: in_mode.suspect,
            confirmed: None,
            rule: None,
            detected_by: None,
            severity: None,
            onset: 0,
            measured: Measured::WholeInFarMode,
            ..whole
        });
    }
    judge_short_of(s, (base, aside), recent, value, dir, far, Short::Runs)
}

/// Which of the recent runs [`judge_short_of`] counts as the other runs'.
#[derive(Clone, Copy, PartialEq)]
enum Short {
    /// Those short of the far mode's edge: a run in the mode is the mode's.
    Runs,
    /// All of them: a row of runs past the edge is the others' step
    /// ([`row_past_mode`]).
    Row,
}

impl Short {
    fn counts(self, far: &FarMode, x: f64) -> bool {
        self == Short::Row || !far.holds(x)
    }
}

/// Fewest runs short of a far mode that [`judge_short_of`] judges by, where the
/// whole history has `min_samples`: [`OUTLIER_MIN_RUNS`], as many as a far mode
/// is told from.
const SHORT_OF_MODE_MIN_RUNS: usize = OUTLIER_MIN_RUNS;

/// `value`, a run short of the far mode `far`, judged against `base` and `recent`
/// without the mode's runs; judged whole where too few are left.
fn judge_short_of(
    s: &Settings,
    (base, aside): (&[f64], &[f64]),
    recent: &[f64],
    value: f64,
    dir: Direction,
    far: FarMode,
    counted: Short,
) -> Option<Judgement> {
    let short = |v: &[f64]| -> Vec<f64> { v.iter().copied().filter(|&x| !far.holds(x)).collect() };
    let short_base = short(base);
    let short_aside = short(aside);
    let ours: Vec<f64> = recent
        .iter()
        .copied()
        .filter(|&x| counted.counts(&far, x))
        .collect();
    // The whole history has the runs a metric needs to be judged; the runs short
    // of the mode are fewer by its share, and ten place them (the threshold widens
    // for so few). Asked for the whole's count, a 22-run history with 5 runs in a
    // mode 20 sigma up was judged whole, at the mode's spread, and a 6-sigma step
    // of the other runs read z 0.3. Not where one value holds half of them (an
    // error rate nil on most runs): so few show their spread seldom.
    let relaxed;
    let s = if short_base.len() < s.min_samples
        && base.len() >= s.min_samples
        && !one_value_holds_half(&short_base)
    {
        relaxed = Settings {
            min_samples: s.min_samples.min(SHORT_OF_MODE_MIN_RUNS),
            ..s.clone()
        };
        &relaxed
    } else {
        s
    };
    if let Some(mut j) = judge_all(s, &short_base, &short_aside, &ours, value, dir) {
        j.onset = with_runs_of(recent, j.onset, |x| counted.counts(&far, x));
        let edge = far.edge();
        let fold = far.fold(s.context(base));
        j.measured = match counted {
            Short::Runs => Measured::ShortOfFarMode { far, fold },
            Short::Row => Measured::RowPastFarMode { far },
        };
        if let Some(rule) = &mut j.rule {
            rule.push_str(&format!(
                ", judged without the far mode's runs (beyond {edge:.3})"
            ));
            if counted == Short::Row {
                rule.push_str(": a longer row in it than its runs ever came in, under its centre");
            }
        }
        return Some(j);
    }
    judge_all(s, base, aside, recent, value, dir)
}

/// `value`, a run in the far mode `far`, judged against `base` with the mode's
/// runs laid over the others, over the mode's runs of `recent`; its value, centre
/// and scale back in the mode, and the `whole` history's stats. None where the
/// history holds too few of the mode's runs to place it.
fn judge_in_far_mode(
    s: &Settings,
    (base, aside): (&[f64], &[f64]),
    recent: &[f64],
    value: f64,
    dir: Direction,
    far: &FarMode,
    whole: &Judgement,
) -> Option<Judgement> {
    let fold = far.fold(s.context(base))?;
    let laid = |x: f64| if far.holds(x) { fold.apply(x) } else { x };
    let base: Vec<f64> = base.iter().map(|&x| laid(x)).collect();
    let aside: Vec<f64> = aside.iter().map(|&x| laid(x)).collect();
    let ours: Vec<f64> = recent
        .iter()
        .filter(|&&x| far.holds(x))
        .map(|&x| fold.apply(x))
        .collect();
    let mut j = judge_all(s, &base, &aside, &ours, fold.apply(value), dir)?;
    j.onset = with_runs_of(recent, j.onset, |x| far.holds(x));
    j.value = value;
    j.center = fold.back(j.center);
    j.scale /= fold.ratio;
    j.change_pct = change_pct(value, j.center);
    j.baseline = whole.baseline.clone();
    j.measured = Measured::InFarMode {
        far: *far,
        whole: (whole.center, whole.scale),
        fold,
    };
    if let Some(rule) = &mut j.rule {
        let from = fold.from;
        rule.push_str(&format!(
            ", judged against the far mode's own runs (around {from:.3})"
        ));
    }
    Some(j)
}

/// How rare a row of a far mode's runs must be to tell that every run moved to
/// the mode's height ([`mode_runs_in_a_row`]): each run ends such a row at this
/// chance, a fifth of [`STREAK_CHANCE`] (at that, with the mode in a quarter of
/// the runs, false alarms were 0.03-0.05 points higher).
const MODE_ROW_CHANCE: f64 = 0.001;

/// Whether the far mode's runs came more often in a row, up to the one judged,
/// than the history's rate of them makes a [`MODE_ROW_CHANCE`]: every run moved
/// to the mode's height. The length is not capped as a streak's is: at a quarter
/// of the runs, four in a row come one time in 250.
fn mode_runs_in_a_row(s: &Settings, base: &[f64], recent: &[f64], far: &FarMode) -> bool {
    let history = s.context(base);
    let out = history.iter().filter(|&&x| far.holds(x)).count();
    let rate = reach_rate(out, history.len(), true);
    let need = (MODE_ROW_CHANCE.ln() / rate.ln()).max(s.persistence.max(1) as f64);
    row_of(recent, |x| far.holds(x)) as f64 >= need
}

/// How many runs `in_row` came in a row up to the one judged (itself in it),
/// counting it: the row [`mode_runs_in_a_row`], [`row_past_mode`] and
/// [`row_past_bulk`] weigh.
fn row_of(recent: &[f64], in_row: impl Fn(f64) -> bool) -> usize {
    1 + recent.iter().rev().take_while(|&&x| in_row(x)).count()
}

/// The longest row of `history`'s runs `in_row`, 0 if none is.
fn longest_row(history: &[f64], in_row: impl Fn(f64) -> bool) -> usize {
    history
        .split(|&x| !in_row(x))
        .map(<[f64]>::len)
        .max()
        .unwrap_or(0)
}

/// Whether the far mode's runs came in a longer row, up to the one judged, than
/// any the history shows of them, and than `persistence`: not the mode, whose
/// runs come as they always came, but the other runs moved past its edge. Not
/// from the mode's rate ([`mode_runs_in_a_row`]): a noisy neighbour's bursts hold
/// two runs each, and ten of their runs in 36 asked a row of eight. Detection bench,
/// five seeds: `burst-pairs-2%` (unseen) 6-sigma steps missed within 5 runs
/// 257 -> 202 of 12,000; the 90 other families' false alarms 24 checks more of
/// 10.5 million (at most 0.01 points in a family), one more 6-sigma step missed,
/// further alerts while a held step holds unchanged. A row as long as
/// `persistence` caught no more, for twice the false alarms.
fn row_past_mode(s: &Settings, base: &[f64], recent: &[f64], far: &FarMode) -> bool {
    let in_mode = |x| far.holds(x);
    let row = row_of(recent, in_mode);
    row > longest_row(s.context(base), in_mode) && row > s.persistence.max(1)
}

/// The far mode of `base`'s window and context, as the baseline sees them, or one
/// told with one of its runs short of its edge, and how many are
/// ([`FarMode::with_strays`]).
pub(super) fn far_mode_of(s: &Settings, base: &[f64], dir: Direction) -> Option<(FarMode, usize)> {
    let window = &base[base.len().saturating_sub(s.window)..];
    let context = s.context(base);
    FarMode::with_strays(window, context, s.outlier_threshold, dir, 1).or_else(|| {
        // A blip or a step's first runs among a window's few other runs widen
        // their std past a far mode's distance, and a step of them was judged
        // whole, at ten times the noise, never reported; over the longer context
        // they weigh less. Such a mode is told for a run short of it only, as one
        // with a stray: a heavy tail's few far runs make one, and a step that
        // landed among them waited for a mode's row.
        if context.len() == window.len() {
            return None; // the same runs
        }
        FarMode::with_strays(context, context, s.outlier_threshold, dir, 1)
            .map(|(far, strays)| (far, strays.max(1)))
    })
}

/// How many of `recent`'s runs (oldest first) lie after the `onset`-th last of
/// those `counted`: an onset counted over some of the runs, counted over all.
fn with_runs_of(recent: &[f64], onset: usize, counted: impl Fn(f64) -> bool) -> usize {
    let mut seen = 0;
    for (i, v) in recent.iter().rev().enumerate() {
        if seen == onset {
            return i;
        }
        seen += usize::from(counted(*v));
    }
    recent.len()
}

/// A history measured against one baseline (`zf`: a value's z, capped), and how
/// often it reaches a level: what the streak and the CUSUM ask more runs for.
struct Reach<'a> {
    s: &'a Settings,
    history: &'a [f64],
    /// The runs the history set aside ([`baseline_split`]): they count towards
    /// how often it reaches a level, not towards its order or scale.
    aside: &'a [f64],
    zf: &'a dyn Fn(f64) -> f64,
    thr: f64,
    /// One value holds over half the history ([`one_value_holds_half`]).
    lumpy: bool,
    /// The history's outliers on a side were dropped as rare only by a run of
    /// slack ([`crate::baseline::BaselineStats::clustered`]).
    clustered: bool,
    /// The history's z, lowest first ([`Reach::sorted`]).
    sorted: std::cell::OnceCell<Vec<f64>>,
    /// The window's median and robust sigma ([`Reach::follow`]).
    robust: (f64, f64),
    /// How much its runs follow each other ([`Reach::follow`]).
    follow: std::cell::OnceCell<f64>,
}

impl Reach<'_> {
    /// How much the history's runs follow each other ([`follow_factor`]), read
    /// on its bulk: the runs within the threshold of the window's median, in
    /// robust sigmas (its MAD, which bursts do not widen as they widen the
    /// scale). A noisy neighbour's two-run bursts follow each other by nature,
    /// and with them counted its 6-sigma steps went unreported more often.
    /// Noise that wanders follows each other within the band too, if less: the
    /// band cuts its excursions (at AR(1) 0.9's streak and CUSUM false alarms,
    /// r read a median 0.21 after its two standard errors). Widened to two
    /// thresholds it read more, and the bursts' 6-sigma misses rose (README).
    fn follow(&self) -> f64 {
        *self.follow.get_or_init(|| {
            let (median, robust) = self.robust;
            let band = self.thr * robust;
            let near = |v: &&f64| difference(**v, median).abs() <= band;
            let bulk: Vec<f64> = self.history.iter().filter(near).copied().collect();
            follow_factor(&bulk)
        })
    }

    /// Whether the history ends short on the good side of `sign`: its second
    /// lowest run that way within [`TAIL_GOOD_EXTENT`] sigmas of the median.
    fn bounded_side(&self, sign: f64) -> bool {
        if self.history.len() < TAIL_MIN_RUNS {
            return false;
        }
        self.median(sign) - self.ranked(sign, 1) < TAIL_GOOD_EXTENT
    }

    /// Whether the history's bulk reaches as far towards `sign` as away from
    /// it: its 90th percentile that way within [`EVEN_BULK`] times the 10th's
    /// distance from the median. Percentiles by nearest rank, runs of the
    /// history: [`EVEN_BULK`] was set on them. Interpolated
    /// ([`crate::baseline::percentile`]), skewed+spikes' 3-sigma steps within 5
    /// runs read 97.8/97.2/98.0/97.8/98.3% on five seeds, not
    /// 97.8/97.0/98.0/98.0/98.3%: a wash that costs seed 4 its 98% bar.
    fn even_bulk(&self, sign: f64) -> bool {
        let n = self.history.len();
        if n < OUTLIER_MIN_RUNS {
            return false;
        }
        let at = |q: f64| self.ranked(sign, ((n - 1) as f64 * q).round() as usize);
        let median = self.median(sign);
        at(0.9) - median <= EVEN_BULK * (median - at(0.1))
    }

    /// The history's z, lowest first: sorted once, on the first judgement of
    /// its order on either side.
    fn sorted(&self) -> &[f64] {
        self.sorted.get_or_init(|| {
            let mut zs: Vec<f64> = self.history.iter().map(|&v| (self.zf)(v)).collect();
            zs.sort_by(f64::total_cmp);
            zs
        })
    }

    /// The history's `k`-th lowest z in the direction `sign` (±1): negating
    /// reverses the order, so one sort serves both sides.
    fn ranked(&self, sign: f64, k: usize) -> f64 {
        let zs = self.sorted();
        if sign > 0.0 {
            zs[k]
        } else {
            -zs[zs.len() - 1 - k]
        }
    }

    /// The history's median z in the direction `sign` (±1); exact, as negating
    /// the middle runs (or their mean) is.
    fn median(&self, sign: f64) -> f64 {
        crate::baseline::median(self.sorted()) * sign
    }

    /// The shortest streak that may confirm.
    fn shortest(&self) -> f64 {
        self.s.persistence.max(1) as f64
    }

    /// The streak that confirms grows with how often the history itself reaches
    /// `level` (z in the direction `sign`) up to `cap`: two consecutive runs out
    /// of a metric that is out one run in ten (a second mode, autocorrelated
    /// noise) are chance. That rate is read over the longer history, not the
    /// window: a mode in one run of eight is absent from a window of 30 one time
    /// in fifty. Where the history's runs follow each other ([`follow_factor`]),
    /// each run after the first tells that much less: the runs after the first
    /// grow by the factor, as does the most it may ask past the shortest.
    /// In runs, fractional; also returns how many history runs were out.
    fn streak_len(&self, sign: f64, level: f64, cap: f64) -> (f64, usize) {
        let out = self
            .history
            .iter()
            .chain(self.aside)
            .filter(|&&v| (level..=cap).contains(&((self.zf)(v) * sign)))
            .count();
        let far = level > SPIKE_THRESHOLDS * self.thr;
        let bound = far || self.lumpy || self.clustered || self.bounded_side(sign);
        let rate = reach_rate(out, self.history.len() + self.aside.len(), bound);
        let shortest = self.shortest();
        let len = 1.0 + (STREAK_CHANCE.ln() / rate.ln() - 1.0) * self.follow();
        let len = len.clamp(shortest, shortest + 2.0 * self.follow());
        (len, out)
    }

    /// Whether the history is quiet where a climb stands: no more runs out where
    /// its last pair stands (`pair`, the lesser z of the last two runs) than
    /// Gaussian noise leaves there ([`Reach::quiet_allowance`]), runs
    /// that do not follow each other, one tight mode (`one_mode`), no spike in
    /// the climb (its runs, the judged one last; z in the direction `sign`), its
    /// last `persistence + 1` runs over the centre and none of its runs
    /// [`QUIET_SWING`] under it: a level that moved lifts every run, where a
    /// busier stretch of noise swings both ways. There the CUSUM climbs on each
    /// run ([`Climb::Runs`]).
    fn quiet(&self, climb: &[f64], pair: f64, sign: f64, one_mode: bool) -> bool {
        let z = |v: &f64| (self.zf)(*v) * sign;
        let calm = climb.iter().all(|v| z(v) <= SPIKE_THRESHOLDS * self.thr);
        let carried = &climb[climb.len().saturating_sub(self.s.persistence + 1)..];
        let lifted =
            carried.iter().all(|v| z(v) > 0.0) && climb.iter().all(|v| z(v) > -QUIET_SWING);
        let level = self.thr.max(pair * HISTORY_LEVEL);
        calm && lifted
            && one_mode
            && lag1(self.history) < QUIET_MAX_LAG1
            && self.streak_len(sign, level, f64::INFINITY).1 <= self.quiet_allowance(level)
    }

    /// How many runs of the history may reach `level` for it to count as quiet:
    /// the median of how many runs Gaussian noise puts there in a history of
    /// its length (binomial): none up to 44-64 runs (thresholds 2.15-2.3), one
    /// in a judgement's 90 runs of context. None at all had made 90 runs seldom
    /// quiet, and Gaussian 2-sigma steps within 5 runs stood at 73.3-78.2% over
    /// 80 and 160 runs (five seeds); with it 76.0-80.3%, false alarms 1.6% more
    /// summed over 11 long families, every false-alarm bar still met.
    fn quiet_allowance(&self, level: f64) -> usize {
        use statrs::distribution::{ContinuousCDF, Normal};
        let p = Normal::standard().sf(level);
        let n = self.history.len();
        // P(X <= m), summed term by term: pmf(m + 1) = pmf(m) (n - m) p / ((m + 1) q).
        let (mut pmf, mut cdf) = ((1.0 - p).powi(n as i32), 0.0);
        (0..n)
            .find(|&m| {
                cdf += pmf;
                pmf *= (n - m) as f64 * p / ((m + 1) as f64 * (1.0 - p));
                cdf >= 0.5
            })
            .unwrap_or(n)
    }

    /// The pairs CUSUM's limit where the history is not quiet ([`Reach::quiet`]).
    /// A history seen more than
    /// once beyond the threshold where the last pair stands (`pair`, the lesser z
    /// of the last two runs; a second mode the
    /// outlier rule took for spikes) needs more CUSUM: h is about one pair at the
    /// 3-sigma cap, and m such pairs are m + 1 runs of that mode in a row, so h
    /// grows to the pairs of the streak that would make them as rare. Not assumed
    /// from one slow run of a short history: there the CUSUM is what confirms a
    /// change. Where none of the climb's runs (`climb`, the judged one last) is
    /// a spike, the history's bulk is even ([`Reach::even_bulk`]) and none of
    /// its runs stands the threshold out the other way, its runs past a spike's
    /// height are another population, which says nothing of how often the
    /// climb's level comes in rows: only its runs short of a spike count, as for
    /// the streak's gap. A one-sided heavy tail (exponential, Pareto, Weibull)
    /// reaches a spike's height from its bulk, and a busier stretch of noise
    /// swings both ways: there they count.
    fn cusum_limit(&self, pair: f64, sign: f64, climb: &[f64]) -> f64 {
        let (s, thr, zf) = (self.s, self.thr, self.zf);
        let calm = SPIKE_THRESHOLDS * thr;
        // Cheapest first: the bulk's test sorts the history.
        let short_of_spikes = climb.iter().all(|&v| zf(v) * sign <= calm)
            && self.history.iter().all(|&v| zf(v) * sign > -thr)
            && self.even_bulk(sign);
        let cap = if short_of_spikes { calm } else { f64::INFINITY };
        let (len, out) = self.streak_len(sign, thr.max(pair * HISTORY_LEVEL), cap);
        let shortest = self.shortest();
        let len = cusum_streak(out, pair < thr, len, shortest);
        let spiky = self.history.len() >= OUTLIER_MIN_RUNS
            && self.history.iter().any(|&v| zf(v) * sign > calm);
        let limit = if spiky { SPIKY_CUSUM_FACTOR } else { 1.0 } * s.cusum_h;
        // Its climb is a sum of runs: where they follow each other it spreads
        // wider by the factor, whatever streak the history's rate asked.
        limit * ((len - 1.0) / (shortest - 1.0).max(1.0)).max(1.0) * self.follow()
    }
}

/// The CUSUM's confirmation of a shift too small to clear the z threshold twice
/// in a row, either way: its kind, how many runs before `value` its change began,
/// and the rule's text. `(z, change)` are `value`'s; `one_mode` says the baseline
/// is one tight mode ([`Reach::quiet`]). Over a quiet history the CUSUM climbs
/// on each run ([`Climb::Runs`]), else on pairs ([`Reach::cusum_limit`]).
fn cusum_confirms(
    reach: &Reach,
    recent: &[f64],
    value: f64,
    (z, change): (f64, f64),
    one_mode: bool,
    dir: Direction,
) -> Option<(Kind, usize, String)> {
    let s = reach.s;
    let climb = |began: usize| -> Vec<f64> {
        recent[recent.len() - began..]
            .iter()
            .copied()
            .chain([value])
            .collect()
    };
    // No alert from fewer runs than `persistence`, by either rule.
    let long_enough = |began: usize| began + 1 >= s.persistence;
    for kind in [Kind::Regression, Kind::Improvement] {
        let sign = kind.sign(dir);
        let (zn, cn) = (z * sign, change * sign);
        if !(zn >= 1.0 && cn >= s.min_change_pct) {
            continue;
        }
        let pair = recent.last().map_or(zn, |&v| zn.min((reach.zf)(v) * sign));
        let (c, began, began_change) = cusum(s, reach.zf, recent, value, sign, Climb::Runs);
        let h = QUIET_CUSUM_H;
        if c >= h && long_enough(began) && reach.quiet(&climb(began), pair, sign, one_mode) {
            let text = format!("CUSUM {c:.2} >= {h:.2} over recent runs of a quiet history");
            return Some((kind, began_change, text));
        }
        let (c, began, began_change) = cusum(s, reach.zf, recent, value, sign, Climb::Pairs);
        // Only looked at once the CUSUM clears the lowest limit.
        if !(c >= s.cusum_h && long_enough(began)) {
            continue;
        }
        let h = reach.cusum_limit(pair, sign, &climb(began));
        if c >= h {
            let text = format!("CUSUM {c:.2} >= {h:.2} over recent runs");
            return Some((kind, began_change, text));
        }
    }
    None
}

/// Runs before a streak that [`swung`] reads.
const SWING_RUNS: usize = 5;

/// Whether one of the last [`SWING_RUNS`] runs of `recent` stood beyond the
/// threshold the other way (`sign`), short of a dropout's [`LEVEL_DROPOUT`]:
/// noise that got busier swings both ways, where a level that moved lifts every
/// run. Not a dropout among a large step's runs (a run that skipped its work
/// between runs past twice the threshold): `now` is the judged run's z. A window
/// that sat in a calm stretch of volatility that clusters measures a busy one by
/// the calm noise, and two of its runs cleared the threshold in a row.
/// Detection bench, five seeds, 98 families: vol-clusters' false alarms
/// 0.51-0.59% -> 0.467-0.504% (its bar 0.5%), regimes' 0.39-0.50% -> 0.35-0.45%,
/// every other family's as low or lower (1.1% fewer summed); 6-sigma misses
/// 924 -> 927 of 1.18 million; Gaussian 3-sigma steps caught within 3
/// runs up to 0.5 points fewer (within 5 unchanged), 4-sigma steps with 5%
/// dropouts within 3 runs 1-2 points fewer (within 5, their goal, 99% or more).
/// The CUSUM asked as much (a pair more) took vol-clusters to 0.40-0.45%, but
/// skewed+spikes' 4-sigma steps within 3 runs 0.5-1.7 points lower, and 6-sigma
/// steps with dropouts went unreported.
fn swung(zf: &dyn Fn(f64) -> f64, recent: &[f64], now: f64, sign: f64, thr: f64) -> bool {
    let z = |i: usize| zf(recent[i]) * sign;
    let n = recent.len();
    (n.saturating_sub(SWING_RUNS)..n).any(|i| {
        let after = (i + 1..n).map(z).fold(now, f64::max);
        let inside = i > 0 && z(i - 1) >= thr && after >= SPIKE_THRESHOLDS * thr;
        (-LEVEL_DROPOUT..=-thr).contains(&z(i)) && !inside
    })
}

/// A slowdown's row of runs over the history's bulk, where the whole's scale
/// hides it: `value` and the runs just before it all stand the threshold out in
/// robust sigmas (the window's MAD, which slow runs that come often do not widen
/// as they widen the scale), more of them in a row than the history ever shows,
/// and more than `persistence`, and a row its rate of such runs makes a
/// [`STREAK_CHANCE`]. A noisy neighbour's two-run bursts 6 sigma up, kept in the
/// scale, made it twice the noise or more; a step to their height read z 1.5-2
/// and waited for the CUSUM past five runs. Regressions only: such rows are
/// slowdowns (a neighbour, a pause), and the good side shows none. Returns the
/// row's length, `value` counted, and the rule's text. Detection bench: see the
/// README.
fn row_past_bulk(
    s: &Settings,
    base: &[f64],
    stats: &BaselineStats,
    recent: &[f64],
    value: f64,
    dir: Direction,
) -> Option<(usize, String)> {
    let (history, sign) = (s.context(base), dir.bad_sign());
    let (median, robust) = (stats.median, stats.robust_std);
    let thr = effective_threshold(s.z_threshold, stats.kept());
    let out = |v: f64| (v - median) * sign > thr * robust;
    // Cheapest first: most runs are not out.
    if robust <= 0.0
        || history.len() < OUTLIER_MIN_RUNS
        || !out(value)
        || change_pct(value, median) * sign < s.min_change_pct
        || one_value_holds_half(history)
    {
        return None;
    }
    // Not where it ends short on the good side (its second-best run within
    // [`TAIL_GOOD_EXTENT`] robust sigmas of the median, as [`Reach::bounded_side`]
    // reads it in sigmas): a one-sided heavy tail (exponential, Weibull, gamma)
    // reaches past the MAD's threshold on the slow side in rows of its own.
    let mut toward: Vec<f64> = history.iter().map(|&v| (v - median) * sign).collect();
    toward.select_nth_unstable_by(1, f64::total_cmp);
    if -toward[1] < TAIL_GOOD_EXTENT * robust {
        return None;
    }
    let row = row_of(recent, out);
    let longest = longest_row(history, out);
    let seen = history.iter().filter(|&&v| out(v)).count();
    let rate = reach_rate(seen, history.len(), true);
    let need = (STREAK_CHANCE.ln() / rate.ln()).max((s.persistence.max(1) + 1) as f64);
    // Alike, as a streak's runs are (a step moves every run about as far): a
    // one-sided heavy tail's rows are one far run among runs just out.
    let (lo, hi) = recent[recent.len() + 1 - row..]
        .iter()
        .chain([&value])
        .map(|&v| (v - median) * sign)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
    let alike = lo >= s.consistency * hi;
    (alike && row > longest && row as f64 >= need).then(|| {
        (
            row,
            format!(
                "{row} consecutive observations beyond {:.1} robust sigma of the history's bulk, a longer row than it shows",
                thr
            ),
        )
    })
}

/// Whether one value holds over half of `history` (its MAD is nil): an error
/// rate nil on most runs, a count mostly 0. Such a history reaches a level in
/// lumps, its next value up a few times in 40 runs, and at the point rate two of
/// those in a row confirmed at a chance near [`STREAK_CHANCE`] itself: the
/// streak reads its rate at the upper bound ([`reach_rate`]) there. Detection
/// bench, five seeds: false alarms of an error rate nil on 70% of runs
/// 0.49-0.60% -> 0.31-0.39%, of counts at 0.4 a run 0.43-0.59% -> 0.31-0.40%;
/// of the 50 other families only quantised ones moved (quantised-0.3's 4-sigma
/// steps caught within 3 runs 98-99% -> 92-95%, within 5 still 99% or more).
pub(super) fn one_value_holds_half(history: &[f64]) -> bool {
    let mut v = history.to_vec();
    v.sort_by(f64::total_cmp);
    let m = crate::baseline::median(&v);
    2 * v.iter().filter(|&&x| x == m).count() > v.len()
}

pub(super) fn judge_all(
    s: &Settings,
    base: &[f64],
    aside: &[f64],
    recent: &[f64],
    value: f64,
    dir: Direction,
) -> Option<Judgement> {
    if base.len() < s.min_samples || !value.is_finite() {
        return None;
    }
    let (stats, center, scale) = baseline_of(s, base, dir)?;
    let history = s.context(base);
    // Capped: against a constant history any change is "infinitely" many sigmas.
    let zf = |v: f64| snap((v - center) / scale).clamp(-Z_CAP, Z_CAP);
    let z = zf(value);
    let change = change_pct(value, center);
    let thr = effective_threshold(s.z_threshold, stats.kept());
    let suspect = suspect_of(s, thr, z, change, dir);

    let mut confirmed = None;
    let mut rule = None;
    let mut detected_by = None;
    let mut onset = 0;
    let reach = Reach {
        s,
        history,
        aside,
        zf: &zf,
        thr,
        lumpy: one_value_holds_half(history),
        clustered: stats.clustered,
        sorted: std::cell::OnceCell::new(),
        robust: (stats.median, stats.robust_std),
        follow: std::cell::OnceCell::new(),
    };
    if let Some(kind) = suspect {
        let sign = kind.sign(dir);
        // The evidence is the shortest streak that could confirm; the history
        // counts where it reaches nearly as far (runs just under the threshold
        // are the same mode as a pair just over it), or half as far for a large
        // change (a busy machine's jitter says nothing of a threefold slowdown).
        let prior = recent.iter().rev().map(|&v| zf(v) * sign);
        let evidence = streak_evidence(z * sign, prior, s.persistence.max(1) - 1);
        let len_at = |evidence: f64, cap: f64, margin: f64| {
            let level = (thr.min(evidence) - margin).max(evidence * HISTORY_LEVEL);
            reach.streak_len(sign, level, cap).0.ceil() as usize
        };
        // One run more where the runs before swung the other way, unless the
        // streak stands past twice the threshold.
        let swing = evidence < SPIKE_THRESHOLDS * thr && swung(&zf, recent, z * sign, sign, thr);
        let is_suspect =
            |v: f64| suspect_of(s, thr, zf(v), change_pct(v, center), dir) == Some(kind);
        let base_len = len_at(evidence, f64::INFINITY, HISTORY_MARGIN) + usize::from(swing);
        // A streak the percent path let in under the threshold asks one run
        // more ([`PERCENT_PATH_MIN_Z`]).
        let percent_only = std::iter::once(value)
            .chain(recent.iter().rev().copied())
            .take(base_len)
            .any(|v| is_suspect(v) && zf(v) * sign < thr);
        let len = base_len + usize::from(percent_only);
        let streak = Streak {
            s,
            thr,
            sign,
            zf: &zf,
            is_suspect: &is_suspect,
            gap_len_at: &|evidence, cap| len_at(evidence, cap, 0.0),
            reached: &|level| reach.streak_len(sign, level, f64::INFINITY).1,
            swung: swing,
        };
        if let Some((need, text)) = streak.confirms(recent, value, len) {
            confirmed = Some(kind);
            // The change may have begun before the streak, under the threshold.
            onset = need.max(cusum(s, &zf, recent, value, sign, Climb::Pairs).2);
            detected_by = Some(DetectionRule::Streak);
            rule = Some(text);
        }
    }
    if confirmed.is_none() {
        let one_mode = stats.std <= ONE_MODE_SPREAD * stats.robust_std;
        if let Some((kind, began, text)) =
            cusum_confirms(&reach, recent, value, (z, change), one_mode, dir)
        {
            confirmed = Some(kind);
            onset = began;
            detected_by = Some(DetectionRule::Cusum);
            rule = Some(text);
        }
    }
    if let Some(kind) = confirmed {
        onset = began_at(
            recent
                .iter()
                .chain([&value])
                .map(|&v| zf(v) * kind.sign(dir))
                .collect::<Vec<_>>(),
            onset,
        );
    }
    // Severity labels a change; an observation within its baseline has none.
    let severity = confirmed.map(|_| severity_of(s, z));
    Some(Judgement {
        value,
        z,
        change_pct: change,
        severity,
        suspect,
        confirmed,
        rule,
        detected_by,
        baseline: stats,
        center,
        scale,
        escalated: false,
        measured: Measured::Whole,
        onset,
    })
}
