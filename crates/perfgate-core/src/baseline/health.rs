//! A baseline's health score: enough samples, fresh, quiet, stable and clean.

use super::*;

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
            Some(t) if t.significant && stats.median != 0.0 => {
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
