//! The regression rule. A single point never fails a build:
//!
//! 1. **Suspect**: against the baseline (mean and standard deviation of the last
//!    `baseline_window` eligible runs once rare outliers are left out, never under
//!    the metric's meaningful step; see [`baseline_of`]), an observation is suspect in
//!    the bad direction when its change is at least `min_change_pct` and either its z
//!    reaches `z_threshold` (widened for a short baseline), or its change reaches
//!    `regression_threshold` percent with z >= 2 (large changes on noisy metrics).
//! 2. **Confirmed**: the last `persistence` observations (earlier runs, or confirmation
//!    re-runs inside the same CI run) are all suspect in the same direction (one run
//!    among them may dip under the threshold while it stays a sigma out), a longer
//!    streak where the history itself is often out that far or the runs just before
//!    swung the other way; or a CUSUM over the
//!    minima of consecutive pairs crosses its limit (small sustained shifts that
//!    rarely clear the z threshold twice in a row); or the last runs all stand beyond
//!    every run of the history but a few, or together in a gap of it apart from its
//!    runs either side, rank tests as rare as 1 in 5,000 whatever the noise's shape (a
//!    heavy tail or a second cluster that widens the scale cannot hide a step from them).
//! 3. Suspect runs never enter the baseline; while an alert is open the baseline is
//!    frozen and a further move against the alert's own level escalates it;
//!    improvements are reported and never fail.
//!
//! Severity is the seed's band of |z|: critical > 4, high 3-4, medium 2-3, low 1.5-2.
//!
//! Where each part lives: this module holds the settings, the judgement and the
//! baseline a run is measured against; `confirm` judges one run (suspect, streak,
//! CUSUM, far modes), `escalation` raises an open alert on a further move, `recovery`
//! closes it, and `replay` runs a history through all of them, run by run.

use serde::Serialize;

use crate::baseline::{BaselineStats, FarMode, Fold, OUTLIER_MIN_RUNS, robust_center_scale};
use crate::config::{Config, DetectionOverride};
use crate::metrics::{CHANGE_CAP, Direction};
use crate::model::DetectionRule;

pub use crate::model::Severity;

mod confirm;
mod escalation;
mod recovery;
mod replay;
mod shift;

pub use confirm::{judge, judge_with};
pub use escalation::{
    ESCALATION_APART, ESCALATION_CRITICAL_LEVEL_RUNS, ESCALATION_CRITICAL_MARGIN,
    ESCALATION_CRITICAL_RISE, ESCALATION_KEEP_LARGEST, ESCALATION_LONG_Z, ESCALATION_MIN_RISE,
    ESCALATION_NEAR_BAR, ESCALATION_RISE, ESCALATION_YOUNG_RUNS, ESCALATION_YOUNG_Z, ESCALATION_Z,
    LEVEL_BIAS_STEPS, STEP_FIT_TOL, escalation,
};
use escalation::{LEVEL_DROPOUT, level_median, step_start};
pub use recovery::{
    RECOVERED_FLOOR, RECOVERED_LEVEL_LLR, RECOVERED_QUICK_Z, baseline_eligible, baseline_split,
    extends_alert, recovered, recovered_until,
};
pub use replay::{Decision, Replay};
use shift::shifted;
pub use shift::{SHIFT_MAX_RUNS, SHIFT_MIN_RUNS, SHIFT_Z};

impl Severity {
    /// The seed's bands.
    pub fn from_z(z: f64) -> Option<Severity> {
        let a = z.abs();
        if a > CRITICAL_Z {
            Some(Severity::Critical)
        } else if a >= 3.0 {
            Some(Severity::High)
        } else if a >= 2.0 {
            Some(Severity::Medium)
        } else if a >= 1.5 {
            Some(Severity::Low)
        } else {
            None
        }
    }
}

/// Where the critical band of |z| begins.
pub const CRITICAL_Z: f64 = 4.0;

/// The direction of a confirmed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Worse than the baseline.
    Regression,
    /// Better than the baseline.
    Improvement,
}

impl Kind {
    /// The sign of a change of this kind in z, for a metric whose bad way is `dir`.
    pub fn sign(self, dir: Direction) -> f64 {
        match self {
            Kind::Regression => dir.bad_sign(),
            Kind::Improvement => -dir.bad_sign(),
        }
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regression => "regression",
            Kind::Improvement => "improvement",
        }
    }
}

impl From<Kind> for crate::model::AlertKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Regression => crate::model::AlertKind::Regression,
            Kind::Improvement => crate::model::AlertKind::Improvement,
        }
    }
}

/// Detection settings, from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Nominal z for a suspect observation.
    pub z_threshold: f64,
    /// Consecutive suspect observations that confirm.
    pub persistence: usize,
    /// Smallest relative change that can fail a build, percent.
    pub min_change_pct: f64,
    /// The config's `regression_threshold`, percent.
    pub regression_threshold_pct: f64,
    /// Most recent eligible runs a baseline is computed from.
    pub window: usize,
    /// Runs needed before a metric is judged.
    pub min_samples: usize,
    /// Robust z beyond which history samples are outliers.
    pub outlier_threshold: f64,
    /// CUSUM reference (per-observation allowance, in robust sigmas).
    pub cusum_k: f64,
    /// CUSUM decision limit.
    pub cusum_h: f64,
    /// Observations a CUSUM looks back over.
    pub cusum_span: usize,
    /// The most recent runs kept out of the baseline (once there are enough before
    /// them): a change too small to confirm at once would otherwise slip into the
    /// baseline it is judged against and hide itself.
    pub guard: usize,
    /// Smallest ratio between the weakest and the (capped) strongest z of a
    /// confirming streak: a real shift moves every run alike, a spike does not.
    pub consistency: f64,
    /// Cap on z when comparing a streak for consistency.
    pub z_cap: f64,
    /// Smallest noise scale: the metric's meaningful step (one byte, one row), so
    /// a change in a constant metric is measured in those steps, not in an
    /// infinite z. Set per metric by [`Settings::for_metric`].
    pub min_scale: f64,
    /// Report only: a confirmed regression is shown and alerted at low severity but
    /// never fails the build. Set per metric by [`Settings::for_metric`].
    pub report_only: bool,
    /// Per-metric overrides (`detection_overrides`), keyed by metric glob.
    pub overrides: Vec<(String, DetectionOverride)>,
}

impl Settings {
    /// These settings for one metric: its meaningful step as the smallest scale, and
    /// the most specific `detection_overrides` entry that matches it.
    pub fn for_metric(&self, metric: &str) -> Settings {
        let mut s = Settings {
            min_scale: crate::metrics::meaningful_step(metric),
            ..self.clone()
        };
        if let Some(o) = self.override_for(metric) {
            s.apply(o);
        }
        s
    }

    /// The override that applies to `metric`: an exact key before wildcards, fewer
    /// wildcards before more.
    pub fn override_for(&self, metric: &str) -> Option<&DetectionOverride> {
        self.overrides
            .iter()
            .filter(|(k, _)| crate::config::threshold::key_matches(k, metric))
            .min_by_key(|(k, _)| (k.matches('*').count(), usize::MAX - k.len()))
            .map(|(_, o)| o)
    }

    /// These settings with an override's values in place.
    pub fn apply(&mut self, o: &DetectionOverride) {
        if let Some(z) = o.z_threshold {
            self.z_threshold = z;
        }
        if let Some(p) = o.persistence {
            self.persistence = p;
        }
        if let Some(m) = o.min_change_pct {
            self.min_change_pct = m;
        }
        if o.percent_path == Some(false) {
            self.regression_threshold_pct = f64::INFINITY;
        }
        if let Some(r) = o.report_only {
            self.report_only = r;
        }
    }

    /// Where the baseline of a history of `n` runs ends (exclusive) while no alert
    /// freezes it: `guard` runs short of the newest, once `min_samples` remain.
    pub fn baseline_end(&self, n: usize) -> usize {
        if n >= self.min_samples + self.guard {
            n - self.guard
        } else {
            n
        }
    }

    /// Smallest baseline an open alert may judge by. The alert's baseline ends where
    /// its change began, which may be up to `guard` runs inside a short history:
    /// those runs are the change, and judging against them would hide the next one.
    pub fn frozen_min(&self) -> usize {
        self.min_samples.saturating_sub(self.guard).max(2)
    }

    /// How many runs before the judged one the streak and CUSUM rules read.
    pub fn span(&self) -> usize {
        self.cusum_span.max(self.persistence)
    }

    /// How many runs before the judged one a judgement is given: the shift
    /// rule's ([`SHIFT_MAX_RUNS`]), which reads further back than the others.
    pub fn read_back(&self) -> usize {
        self.span().max(SHIFT_MAX_RUNS - 1)
    }

    /// How many of a metric's newest runs one judgement reads, and how many of an
    /// open alert's (its level, for an escalation).
    pub fn history_limit(&self) -> usize {
        self.window * 4 + self.cusum_span + self.persistence
    }

    /// How many of the newest baseline samples a judgement reads: its window, and
    /// the longer stretch whose outliers say whether the window's are rare.
    pub fn base_limit(&self) -> usize {
        self.window * OUTLIER_CONTEXT
    }

    /// The newest [`Settings::base_limit`] samples of `base`: what a judgement reads.
    pub fn context<'a>(&self, base: &'a [f64]) -> &'a [f64] {
        &base[base.len().saturating_sub(self.base_limit())..]
    }

    /// These settings for judging against an open alert's frozen baseline.
    pub fn frozen(&self) -> Settings {
        Settings {
            min_samples: self.frozen_min(),
            ..self.clone()
        }
    }

    /// The settings of a config; the rest are the detector's own constants.
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            z_threshold: c.detection.z_threshold,
            persistence: c.detection.persistence,
            min_change_pct: c.detection.min_change_pct,
            regression_threshold_pct: c.regression_threshold,
            window: c.detection.baseline_window,
            min_samples: c.min_baseline_samples,
            outlier_threshold: c.outlier_threshold,
            cusum_k: 0.75,
            cusum_h: 2.25,
            cusum_span: 6,
            guard: 4,
            consistency: 0.45,
            z_cap: 100.0,
            min_scale: 0.0,
            report_only: false,
            overrides: c
                .detection_overrides
                .iter()
                .map(|(k, o)| (k.clone(), o.clone()))
                .collect(),
        }
    }
}

impl Default for Settings {
    /// The settings of the default config.
    fn default() -> Self {
        Settings::from_config(&Config::default())
    }
}

/// Windows of baseline over which a window's outliers are judged rare or a mode
/// ([`BaselineStats::compute_within`]): within [`Settings::history_limit`], and long
/// enough that 2% spikes rarely reach a tenth of it (three in a window of 30 do
/// one time in a hundred).
const OUTLIER_CONTEXT: usize = 3;

/// Which of the history's runs a judgement measured a run against ([`judge`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Measured {
    /// All of them.
    #[default]
    Whole,
    /// Those short of the far mode: a run short of it.
    ShortOfFarMode {
        /// The far mode.
        far: FarMode,
        /// How the mode's runs lie over the others', where the history holds
        /// enough of both to tell.
        fold: Option<Fold>,
    },
    /// The far mode's own, laid over the others: a run in it.
    InFarMode {
        /// The far mode.
        far: FarMode,
        /// The centre and scale of the whole history, where a run beyond the mode
        /// is measured against an alert whose level lies beyond it too.
        whole: (f64, f64),
        /// How the mode's runs lie over the others'.
        fold: Fold,
    },
    /// Those short of the far mode, for a run in it that ends a longer row of its
    /// runs than the history shows, each under its centre: the other runs moved
    /// past its edge, and the row's runs are theirs.
    RowPastFarMode {
        /// The far mode.
        far: FarMode,
    },
    /// All of them, for a run in the far mode that came in no longer a row of
    /// the mode's runs than its rate explains: no change, nor a further move.
    WholeInFarMode,
}

/// An observation judged against a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    /// The value judged.
    pub value: f64,
    /// Robust z, signed as the raw change (positive = value went up).
    pub z: f64,
    /// Change against the baseline centre, percent.
    pub change_pct: f64,
    /// Magnitude label from the z-score; only for a confirmed change.
    pub severity: Option<Severity>,
    /// Suspect on its own (one observation).
    pub suspect: Option<Kind>,
    /// Confirmed by persistence or CUSUM: an alert.
    pub confirmed: Option<Kind>,
    /// How it was confirmed, for people.
    pub rule: Option<String>,
    /// Which rule confirmed it.
    pub detected_by: Option<DetectionRule>,
    /// The baseline the value was judged against.
    pub baseline: BaselineStats,
    /// The centre z is measured from.
    pub center: f64,
    /// The scale z is measured in (one sigma of the baseline's noise).
    pub scale: f64,
    /// A further move beyond an open alert's level (see [`escalation`]).
    pub escalated: bool,
    /// Which runs it was measured against ([`judge`]).
    #[serde(skip)]
    pub measured: Measured,
    /// For a confirmed change, how many runs before this one it began (the first
    /// run of the confirming streak, or where the CUSUM started to climb).
    #[serde(skip)]
    pub onset: usize,
}

impl Judgement {
    /// How many sigmas `v` stands from the baseline's centre, positive towards
    /// `sign` (a direction's `bad_sign`).
    fn z_toward(&self, v: f64, sign: f64) -> f64 {
        self.apart(v, self.center, sign)
    }

    /// How many sigmas `v` stands from `from`, positive towards `sign`, with a
    /// rounding error's difference read as none ([`difference`]): against a scale
    /// of 1e-21 (a nil error rate's floor) the 1e-16 a mean of equal runs is off
    /// by read 3e4 sigma, over a held step's level in one unit and under it in
    /// another.
    fn apart(&self, v: f64, from: f64, sign: f64) -> f64 {
        self.sigmas(difference(v, from) * sign)
    }

    /// A distance in the metric's unit, in sigmas of this judgement's scale,
    /// [`snap`]ped: every rule compares these, so the unit a metric is recorded in
    /// (seconds or milliseconds) decides nothing.
    fn sigmas(&self, d: f64) -> f64 {
        snap(d / self.scale)
    }

    /// Confirm the change (by a re-run or the tool's own data): it gets its rule
    /// and, now that it is a change, its severity.
    pub fn confirm(&mut self, kind: Kind, by: DetectionRule, rule: String, s: &Settings) {
        self.confirmed = Some(kind);
        self.rule = Some(rule);
        self.detected_by = Some(by);
        self.severity = Some(severity_of(s, self.z));
    }

    /// Reported as a further move beyond an open alert's level: a confirmed
    /// regression, whether or not the run's own streak was (a dropout breaks one).
    /// `k` runs, this one included, made the move: the level begins at the first.
    pub fn escalate(&mut self, s: &Settings, k: usize, rule: String) {
        self.confirmed = Some(Kind::Regression);
        self.onset = k.saturating_sub(1);
        self.severity.get_or_insert_with(|| severity_of(s, self.z));
        self.rule = Some(rule);
        self.detected_by = Some(DetectionRule::Escalation);
        self.escalated = true;
    }
}

/// A confirmed change's magnitude label; a report-only metric's changes are low.
pub fn severity_of(s: &Settings, z: f64) -> Severity {
    if s.report_only {
        Severity::Low
    } else {
        Severity::from_z(z).unwrap_or(Severity::Low)
    }
}

/// Centre and scale for z: mean and std of the history after robust outlier
/// rejection. With spikes rejected these are far more efficient than median/MAD
/// (the MAD of 20 samples is off by ~35% routinely, which makes the z threshold
/// itself noisy), and a spike cannot inflate them. Falls back to the robust pair
/// when too few samples survive.
pub fn center_scale(stats: &BaselineStats, window: &[f64]) -> (f64, f64) {
    let (med, robust) = robust_center_scale(window);
    if stats.n - stats.outliers >= 5 && stats.std > 0.0 {
        // No absolute floor at a mean of 0: the std is the data's own, and a mean
        // that sums to exactly 0 in millionths is -6e-20 in the rate's own unit,
        // where 1e-9 had read the rate in millionths 30 times noisier.
        let floor = if stats.mean == 0.0 {
            0.0
        } else {
            crate::baseline::relative_floor(stats.mean)
        };
        (stats.mean, stats.std.max(floor))
    } else {
        (med, robust)
    }
}

pub use crate::baseline::{band, difference, effective_threshold, snap};

/// What a value of a metric is measured against, one place for the judge and every
/// view of the baseline: the statistics of its last `window` samples, and the centre
/// and scale (never under the metric's meaningful step) of its z.
pub fn baseline_of(
    s: &Settings,
    base: &[f64],
    dir: Direction,
) -> Option<(BaselineStats, f64, f64)> {
    let window = &base[base.len().saturating_sub(s.window)..];
    let context = s.context(base);
    let stats = BaselineStats::compute_within(window, context, s.outlier_threshold, Some(dir))?;
    let (center, scale) = center_scale(&stats, window);
    let scale = if stats.std > 0.0 {
        scale
    } else {
        scale.max(context_scale(s, context, dir))
    };
    Some((stats, center, scale.max(s.min_scale)))
}

/// The noise scale of the longer history `context`, for a window whose values are
/// all equal: a quantised metric whose noise is under its resolution (0.3 ms of it
/// in whole milliseconds) shows no other value for 30 runs now and then, and its
/// scale fell to 0.1% of the centre (a 1 ms change read z 333, critical). What the
/// window cannot see of the noise, the runs before it can. 0 when they are all
/// equal too (a constant metric: its meaningful step measures it).
fn context_scale(s: &Settings, context: &[f64], dir: Direction) -> f64 {
    BaselineStats::compute_within(context, context, s.outlier_threshold, Some(dir))
        .filter(|c| c.kept() >= 5)
        .map_or(0.0, |c| c.std)
}

/// Largest |z| reported.
pub const Z_CAP: f64 = 999.0;

/// The change of `value` from `center` in percent; against a centre of exactly 0
/// (an absolute cut-off, 1e-12, read a centre of 1e-13 as nil in one unit and not
/// in another), capped at [`CHANGE_CAP`].
fn change_pct(value: f64, center: f64) -> f64 {
    if center == 0.0 {
        if value == 0.0 {
            0.0
        } else {
            CHANGE_CAP * value.signum()
        }
    } else {
        snap((value - center) / center.abs() * 100.0).clamp(-CHANGE_CAP, CHANGE_CAP)
    }
}

/// The `regression_threshold` percent path fires below the z threshold only where
/// the change also stands out from the noise by this many sigmas: at CV 15% a 20%
/// change is 1.3 sigma, noise that must not fail builds. A streak with such a run
/// asks one run more: two in a row 2 sigma out are a 1-in-1,900 draw of Gaussian
/// noise, two past a 40-run history's threshold (2.3) 1 in 8,600, three 2 sigma
/// out 1 in 85,000; at two runs a metric too noisy for the z test had more false
/// alarms than the same noise on a quiet one.
const PERCENT_PATH_MIN_Z: f64 = 2.0;

#[cfg(test)]
mod tests;
