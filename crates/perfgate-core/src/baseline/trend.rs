//! The trend over a baseline's window: a least-squares slope per run, or per day
//! where the history spans the days, with a confidence interval that contains it.

use super::*;

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
            if my != 0.0 { x / my.abs() * 100.0 } else { 0.0 }
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
