//! Read-only views over the store that both front-ends show: baselines with health,
//! trend and change points, and a metric's history.

use serde::Serialize;

use crate::baseline::{BaselineStats, Health, Trend};
use crate::changepoint::change_points;
use crate::config::Config;
use crate::detect::Settings;
use crate::error::Result;
use crate::metrics::{Direction, unit_of};
use crate::quality::{QualityReport, QualityRow};
use crate::store::{Alert, HistoryPoint, Store};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineView {
    pub metric: String,
    pub unit: String,
    pub direction: Direction,
    pub stats: Option<BaselineStats>,
    pub health: Option<Health>,
    pub trend: Option<Trend>,
    /// Samples still needed before the metric is judged.
    pub building: usize,
    pub last_update: Option<String>,
    pub latest: Option<f64>,
    pub latest_z: Option<f64>,
    pub open_alert: Option<Alert>,
    /// Whole-history values (after the last reset/accept), oldest first.
    pub history: Vec<HistoryPoint>,
    /// Indexes into `history` where a new level starts.
    pub change_points: Vec<usize>,
    pub frozen: bool,
    /// Its alerts' triage record (precision), when it ever alerted.
    pub quality: Option<QualityRow>,
    /// Report only (a `detection_overrides` choice): never fails a build.
    pub report_only: bool,
    /// The z threshold its band is drawn at (overrides included).
    pub z_threshold: f64,
}

impl BaselineView {
    /// Samples, mean, std and median as shown in tables ("0", "-" before any sample).
    pub fn stat_cells(&self) -> [String; 4] {
        use crate::report::fmt_num;
        match &self.stats {
            Some(s) => [
                s.n.to_string(),
                fmt_num(s.mean),
                fmt_num(s.std),
                fmt_num(s.median),
            ],
            None => ["0".into(), "-".into(), "-".into(), "-".into()],
        }
    }
}

fn days_between(a: &str, b: &str) -> f64 {
    let p = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    match (p(a), p(b)) {
        (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 86_400_000.0,
        _ => 0.0,
    }
}

/// One metric's baseline view.
pub fn baseline_view(store: &dyn Store, cfg: &Config, metric: &str) -> Result<BaselineView> {
    let quality = crate::quality::quality(&store.alerts(false)?);
    view(store, cfg, metric, &quality)
}

fn view(
    store: &dyn Store,
    cfg: &Config,
    metric: &str,
    quality: &QualityReport,
) -> Result<BaselineView> {
    let s = Settings::from_config(cfg);
    let ctx = metric_context(store, &s, metric, None)?;
    let epoch = store.baseline_epoch(metric)?;
    let history = store.history(metric, epoch, 500, None)?;
    let dir = Direction::of(metric);
    let ms = s.for_metric(metric);
    let measure = crate::detect::baseline_of(&ms, &ctx.base, dir);
    let stats = measure.as_ref().map(|m| m.0.clone());
    let now = crate::store::now_string();
    // Trend over trend_window_days of eligible history.
    let base_points: Vec<&HistoryPoint> = history
        .iter()
        .filter(|p| !p.suspect && days_between(&p.at, &now) <= cfg.trend_window_days as f64)
        .collect();
    let first_at = base_points.first().map(|p| p.at.clone());
    let pts: Vec<(f64, f64)> = base_points
        .iter()
        .map(|p| {
            (
                days_between(first_at.as_deref().unwrap_or(&p.at), &p.at),
                p.value,
            )
        })
        .collect();
    let trend = Trend::of_history(&pts);
    let last_update = history
        .iter()
        .rev()
        .find(|p| !p.suspect)
        .map(|p| p.at.clone());
    let health = stats.as_ref().map(|st| {
        let age = last_update
            .as_deref()
            .map(|l| days_between(l, &now))
            .unwrap_or(0.0);
        Health::score(
            st,
            trend.as_ref(),
            age,
            cfg.min_baseline_samples,
            cfg.trend_window_days as f64,
            cfg.baseline_update_threshold,
        )
    });
    let values: Vec<f64> = history.iter().map(|p| p.value).collect();
    let latest = values.last().copied();
    // The z the judge gives it.
    let latest_z = match (&measure, latest) {
        (Some((_, c, sc)), Some(v)) if ctx.base.len() >= 2 => {
            Some(((v - c) / sc).clamp(-crate::detect::Z_CAP, crate::detect::Z_CAP))
        }
        _ => None,
    };
    Ok(BaselineView {
        metric: metric.to_string(),
        unit: unit_of(metric).to_string(),
        direction: Direction::of(metric),
        building: cfg.min_baseline_samples.saturating_sub(ctx.base.len()),
        stats,
        health,
        trend,
        last_update,
        latest,
        latest_z,
        frozen: ctx.open_alert.is_some(),
        open_alert: ctx.open_alert,
        quality: quality.metric(metric).cloned(),
        report_only: ms.report_only,
        z_threshold: ms.z_threshold,
        change_points: change_points(&values, 3),
        history,
    })
}

/// Every metric's baseline view.
pub fn baseline_views(store: &dyn Store, cfg: &Config) -> Result<Vec<BaselineView>> {
    let quality = crate::quality::quality(&store.alerts(false)?);
    store
        .metric_names()?
        .iter()
        .map(|m| view(store, cfg, m, &quality))
        .collect()
}

/// Baseline samples and recent observations for a metric, honouring resets,
/// accepts and the freeze of an open alert.
pub struct MetricContext {
    /// Baseline samples, the newest [`Settings::base_limit`]: the judged window
    /// and the longer stretch that says whether its outliers are rare.
    pub base: Vec<f64>,
    /// The runs the history set aside since the first of those
    /// ([`crate::detect::baseline_split`]): counted towards a streak's rate.
    pub aside: Vec<f64>,
    /// The most recent values, for persistence and CUSUM.
    pub recent: Vec<f64>,
    /// The most recent history points.
    pub recent_points: Vec<HistoryPoint>,
    /// The metric's open alert.
    pub open_alert: Option<Alert>,
    /// Values since the open alert's change began, oldest first.
    pub since_change: Vec<f64>,
    /// Where among those its current level begins (after an escalation, the
    /// streak that escalated it).
    pub level_at: usize,
    /// How many from there raised the alert or its escalation (always level).
    pub level_min: usize,
}

/// Where in `hist` (a metric's runs, oldest first) a new regression may begin:
/// after the runs of its last alert that perfgate closed as recovered and the
/// runs that recovered it ([`crate::detect::recovered_until`], as the replay
/// judges it); 0 when that alert is older than `hist`.
pub fn after_recovered_alert(
    store: &dyn Store,
    metric: &str,
    hist: &[HistoryPoint],
    persistence: usize,
) -> Result<usize> {
    let last = store.last_recovered_alert(metric)?.map(|a| a.last_run_id);
    Ok(match last {
        Some(last) if hist.first().is_some_and(|p| p.run_id <= last) => {
            let after = hist.iter().take_while(|p| p.run_id <= last).count();
            crate::detect::recovered_until(after, persistence)
        }
        _ => 0,
    })
}

/// A metric's baseline and recent history from the store, by the metric's own
/// settings (`s.for_metric`: an overridden persistence decides which suspect
/// streaks are noise to keep in the baseline, as in the replay).
pub fn metric_context(
    store: &dyn Store,
    s: &Settings,
    metric: &str,
    exclude_run: Option<i64>,
) -> Result<MetricContext> {
    let s = &s.for_metric(metric);
    let epoch = store.baseline_epoch(metric)?;
    let limit = s.history_limit();
    let open_alert = store.open_alert(metric)?;
    // The open alert's baseline stops at its first bad run (where the change began)
    // when enough of it is left to judge by (`Settings::frozen_min`), else at the
    // run that opened it (as the replay does). Its level starts there too, or where
    // a further move escalated it, and the runs up to the one that raised it are
    // always level.
    let (change_from, opened, level_from, raised) = open_alert
        .as_ref()
        .map(|a| {
            (
                a.change_from(),
                a.opened_run_id,
                a.level_from(),
                a.level_raised(),
            )
        })
        .unwrap_or((i64::MAX, i64::MAX, i64::MAX, i64::MAX));
    // The newest runs, and the frozen baseline before an open alert's change however
    // long ago it began: a regression left open for a few months of runs must not
    // become its own baseline.
    let mut hist = store.history_between(metric, epoch, change_from, limit, exclude_run)?;
    if open_alert.is_some() {
        let since = change_from - 1;
        hist.extend(store.history(metric, since.max(epoch), limit, exclude_run)?);
    }
    let eligible_before = |end: i64| {
        let (values, suspect): (Vec<f64>, Vec<bool>) = hist
            .iter()
            .filter(|p| p.run_id < end)
            .map(|p| (p.value, p.suspect))
            .unzip();
        crate::detect::baseline_split(&values, &suspect, s.persistence, s.base_limit())
    };
    let (mut base, mut aside) = match open_alert {
        Some(_) => eligible_before(change_from),
        // Without an alert, the baseline stops `guard` runs short of the newest.
        None => eligible_before(
            hist.get(s.baseline_end(hist.len()))
                .map_or(i64::MAX, |p| p.run_id),
        ),
    };
    if open_alert.is_some() && base.len() < s.frozen_min() {
        (base, aside) = eligible_before(opened);
    }
    let base = s.context(&base).to_vec();
    let span = s.read_back();
    // A recovered alert's runs count towards no new one's streak or CUSUM.
    let floor = after_recovered_alert(store, metric, &hist, s.persistence)?;
    let recent_points = hist[hist.len().saturating_sub(span).max(floor.min(hist.len()))..].to_vec();
    let since_change: Vec<f64> = hist
        .iter()
        .filter(|p| p.run_id >= change_from)
        .map(|p| p.value)
        .collect();
    let level_at = hist
        .iter()
        .filter(|p| (change_from..level_from).contains(&p.run_id))
        .count();
    let level_min = hist
        .iter()
        .filter(|p| (level_from..=raised).contains(&p.run_id))
        .count();
    Ok(MetricContext {
        base,
        aside,
        recent: recent_points.iter().map(|p| p.value).collect(),
        recent_points,
        since_change,
        level_at,
        level_min,
        open_alert,
    })
}
