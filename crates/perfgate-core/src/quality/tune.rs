//! `perfgate tune`: replay each metric's stored history through the detector with a
//! range of settings and propose, per metric, the settings that meet a false-alarm
//! target with the shortest detection delay, judged against the team's own triage.
//!
//! A replayed alert is a hit when it falls on a change triage called real (`fixed`,
//! `acknowledged`, `accepted`: from the alert's first bad run to a few runs after its
//! last); every other replayed alert is a false alarm: on runs later marked
//! `invalid`, or on stretches where nobody saw a change.

use serde::Serialize;

use crate::config::DetectionOverride;
use crate::detect::{Kind, Replay, Settings};
use crate::error::Result;
use crate::metrics::Direction;
use crate::store::{Alert, HistoryPoint, Store};

/// Runs after a real change's last alerted run in which a replayed alert still
/// belongs to that change (the alert stays open until the metric recovers).
const TAIL: usize = 3;
/// Runs before a real change's first bad run in which an earlier replayed alert
/// still counts as catching it (a lower threshold may see it sooner).
const LEAD: usize = 2;

/// One point of the grid of settings tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candidate {
    /// z threshold.
    pub z_threshold: f64,
    /// Consecutive suspect runs that confirm.
    pub persistence: usize,
    /// Smallest change that can alert, percent.
    pub min_change_pct: f64,
    /// Whether the `regression_threshold` percent path is on.
    pub percent_path: bool,
}

impl Candidate {
    fn of(s: &Settings) -> Candidate {
        Candidate {
            z_threshold: s.z_threshold,
            persistence: s.persistence,
            min_change_pct: s.min_change_pct,
            percent_path: s.regression_threshold_pct.is_finite(),
        }
    }

    /// The override that sets these settings (every field, so a later change of the
    /// global `detection` section does not silently change a tuned metric).
    pub fn as_override(&self, reason: String) -> DetectionOverride {
        DetectionOverride {
            z_threshold: Some(self.z_threshold),
            persistence: Some(self.persistence),
            min_change_pct: Some(self.min_change_pct),
            percent_path: Some(self.percent_path),
            report_only: None,
            reason: Some(reason),
        }
    }

    /// How far these settings are from `other`, in rough steps of sensitivity.
    fn distance(&self, other: &Candidate) -> f64 {
        (self.z_threshold / other.z_threshold).ln().abs() * 2.0
            + self.persistence.abs_diff(other.persistence) as f64 * 0.5
            + ((self.min_change_pct + 1.0) / (other.min_change_pct + 1.0))
                .ln()
                .abs()
            + if self.percent_path == other.percent_path {
                0.0
            } else {
                0.25
            }
    }

    /// "z 3.0, persistence 3, min change 10%, percent path off".
    pub fn describe(&self) -> String {
        format!(
            "z {}, persistence {}, min change {}%, percent path {}",
            self.z_threshold,
            self.persistence,
            self.min_change_pct,
            if self.percent_path { "on" } else { "off" }
        )
    }
}

/// How a candidate did on one metric's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// Runs judged.
    pub checks: usize,
    /// Replayed alerts on no real change.
    pub false_alarms: usize,
    /// False alarms per 100 judged runs.
    pub false_alarms_per_100: f64,
    /// Real changes caught.
    pub caught: usize,
    /// Real changes missed.
    pub missed: usize,
    /// Mean runs from a caught change's first bad run to the replayed alert.
    pub mean_delay_runs: Option<f64>,
}

/// The proposal for one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricTuning {
    /// The metric.
    pub metric: String,
    /// Runs in its stored history.
    pub runs: usize,
    /// Alerts triage called real / invalid.
    pub real_changes: usize,
    /// Alerts triaged invalid.
    pub invalid_alerts: usize,
    /// The settings it runs with today, and how they did.
    pub current: Candidate,
    /// How today's settings did.
    pub before: Score,
    /// The proposed settings.
    pub proposed: Candidate,
    /// How the proposed settings did.
    pub after: Score,
    /// Whether the proposal meets the target.
    pub meets_target: bool,
    /// Whether the proposal differs from today's settings.
    pub changed: bool,
}

/// What to tune.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// Only metrics matching this glob (`*` wildcards); all when None.
    pub metric: Option<String>,
    /// Largest acceptable false alarms per 100 judged runs.
    pub target_false_alarms_pct: f64,
}

/// A real change as triage saw it: runs (indices into the history) it spans.
struct Labelled {
    from: usize,
    to: usize,
}

/// Propose settings for every metric with history and triaged alerts.
pub fn tune(
    store: &dyn Store,
    settings: &Settings,
    opts: &TuneOptions,
) -> Result<Vec<MetricTuning>> {
    let alerts = store.alerts(false)?;
    let mut out = Vec::new();
    for metric in store.metric_names()? {
        if let Some(g) = &opts.metric
            && !crate::config::threshold::glob(g, &metric)
        {
            continue;
        }
        let history = store.history(&metric, 0, 100_000, None)?;
        let mine: Vec<&Alert> = alerts.iter().filter(|a| a.metric == metric).collect();
        let current = settings.for_metric(&metric);
        // Without a single triage answer there is nothing to learn from: every alert
        // would count as a false alarm, and the "best" settings would never alert.
        let triaged = mine.iter().any(|a| a.triage_outcome().is_some());
        if history.len() <= current.min_samples || !triaged {
            continue;
        }
        out.push(tune_metric(&metric, &history, &mine, &current, opts));
    }
    Ok(out)
}

fn tune_metric(
    metric: &str,
    history: &[HistoryPoint],
    alerts: &[&Alert],
    current: &Settings,
    opts: &TuneOptions,
) -> MetricTuning {
    let index_of = |run: i64| history.iter().position(|p| p.run_id >= run);
    let real: Vec<Labelled> = alerts
        .iter()
        .filter(|a| a.triage_outcome() == Some(true))
        .filter_map(|a| {
            let from = index_of(a.change_from())?;
            let to = index_of(a.last_run_id).unwrap_or(history.len() - 1);
            Some(Labelled { from, to })
        })
        .collect();
    let invalid = alerts
        .iter()
        .filter(|a| a.triage_outcome() == Some(false))
        .count();
    let values: Vec<f64> = history.iter().map(|p| p.value).collect();
    let dir = Direction::of(metric);
    let before = score(current, &values, dir, &real);
    let current_c = Candidate::of(current);
    let mut best = (current_c, before);
    for c in grid(current) {
        let mut s = current.clone();
        s.apply(&c.as_override(String::new()));
        let sc = score(&s, &values, dir, &real);
        let target = opts.target_false_alarms_pct;
        // Equal scores: the smaller step from today's settings (the most sensitive
        // settings that still meet the target).
        let closer = || {
            !better(&best.1, &sc, target) && c.distance(&current_c) < best.0.distance(&current_c)
        };
        if better(&sc, &best.1, target) || closer() {
            best = (c, sc);
        }
    }
    MetricTuning {
        metric: metric.to_string(),
        runs: history.len(),
        real_changes: real.len(),
        invalid_alerts: invalid,
        current: current_c,
        before,
        proposed: best.0,
        after: best.1,
        meets_target: best.1.false_alarms_per_100 <= opts.target_false_alarms_pct,
        changed: best.0 != current_c,
    }
}

/// The grid: today's settings and stricter or looser ones around them.
fn grid(current: &Settings) -> Vec<Candidate> {
    let mut zs = vec![current.z_threshold, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0];
    let mut mins = vec![current.min_change_pct, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 35.0];
    for v in [&mut zs, &mut mins] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let mut out = Vec::new();
    for &z in &zs {
        for persistence in 1..=4 {
            for &m in &mins {
                for percent_path in [true, false] {
                    out.push(Candidate {
                        z_threshold: z,
                        persistence,
                        min_change_pct: m,
                        percent_path,
                    });
                }
            }
        }
    }
    out
}

/// Whether `a` beats `b`: within the target first, then fewer missed changes, then a
/// shorter delay, then fewer false alarms. Ties keep `b` (today's settings come first).
fn better(a: &Score, b: &Score, target: f64) -> bool {
    let within = |s: &Score| s.false_alarms_per_100 <= target;
    let key = |s: &Score| {
        (
            !within(s),
            s.missed,
            // Outside the target, fewer false alarms matter before the delay.
            if within(s) {
                0.0
            } else {
                s.false_alarms_per_100
            },
            s.mean_delay_runs.unwrap_or(0.0),
            s.false_alarms_per_100,
        )
    };
    let (ka, kb) = (key(a), key(b));
    (ka.0, ka.1)
        .cmp(&(kb.0, kb.1))
        .then(ka.2.total_cmp(&kb.2))
        .then(ka.3.total_cmp(&kb.3))
        .then(ka.4.total_cmp(&kb.4))
        .is_lt()
}

/// Replay the history with `s`, matching its regression alerts to the real changes.
fn score(s: &Settings, values: &[f64], dir: Direction, real: &[Labelled]) -> Score {
    let mut replay = Replay::new(s, dir);
    let mut checks = 0;
    let mut false_alarms = 0;
    let mut delay: Vec<Option<usize>> = vec![None; real.len()];
    for (i, &v) in values.iter().enumerate() {
        let Some((_, opened)) = replay.push(v) else {
            continue;
        };
        checks += 1;
        if opened != Some(Kind::Regression) {
            continue;
        }
        match real
            .iter()
            .position(|r| i + LEAD >= r.from && i <= r.to + TAIL)
        {
            Some(k) => {
                delay[k].get_or_insert(i.saturating_sub(real[k].from));
            }
            None => false_alarms += 1,
        }
    }
    let caught: Vec<usize> = delay.iter().flatten().copied().collect();
    Score {
        checks,
        false_alarms,
        false_alarms_per_100: if checks == 0 {
            0.0
        } else {
            false_alarms as f64 * 100.0 / checks as f64
        },
        caught: caught.len(),
        missed: real.len() - caught.len(),
        mean_delay_runs: (!caught.is_empty())
            .then(|| caught.iter().sum::<usize>() as f64 / caught.len() as f64),
    }
}

/// The proposals as a before/after table.
pub fn text(rows: &[MetricTuning], target: f64) -> String {
    let mut s =
        format!("perfgate tune: target at most {target}% false alarms (per 100 judged runs)\n\n");
    if rows.is_empty() {
        s += "no metric has both a history and triaged alerts to learn from: mark false alarms `invalid` and real changes `fixed`/`acknowledged`/`accepted` (perfgate triage set)\n";
        return s;
    }
    let delay = |d: Option<f64>| d.map_or("-".to_string(), |d| format!("{d:.1}"));
    for r in rows {
        s += &format!(
            "{}  ({} runs, {} real change(s), {} invalid alert(s))\n",
            r.metric, r.runs, r.real_changes, r.invalid_alerts
        );
        let line = |label: &str, sc: &Score, c: &Candidate| {
            format!(
                "  {label:<7} {:>5.2} false alarms/100 runs, caught {}/{}, delay {} runs  [{}]",
                sc.false_alarms_per_100,
                sc.caught,
                r.real_changes,
                delay(sc.mean_delay_runs),
                c.describe()
            )
        };
        s += &line("before:", &r.before, &r.current);
        s += "\n";
        s += &format!(
            "{}{}\n",
            line("after:", &r.after, &r.proposed),
            match (r.changed, r.meets_target) {
                (false, _) => "  (keep)",
                (true, true) => "",
                (true, false) => "  (best found; misses the target: consider report-only)",
            }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steady noise with a two-run burst every 15 runs: each burst alarms at
    /// persistence 2, and the metric is back at its baseline in between.
    fn noisy(n: usize) -> Vec<f64> {
        let wobble = [0.0, 1.5, -1.0, 2.0, -2.0, 0.5, -0.5, 1.0, -1.5, 0.0, 2.5];
        (0..n)
            .map(|i| {
                let burst = i >= 20 && i % 15 < 2;
                100.0 + wobble[i % 11] + if burst { 12.0 } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn a_stricter_setting_wins_when_the_default_cries_wolf() {
        let s = Settings {
            min_samples: 5,
            window: 20,
            ..Settings::default()
        };
        let values = noisy(200);
        let before = score(&s, &values, Direction::Lower, &[]);
        let mut strict = s.clone();
        strict.z_threshold = 5.0;
        strict.persistence = 4;
        let after = score(&strict, &values, Direction::Lower, &[]);
        assert!(before.false_alarms > 0, "{before:?}");
        assert!(
            after.false_alarms < before.false_alarms,
            "{after:?} vs {before:?}"
        );
        assert!(better(&after, &before, 0.0));
    }

    #[test]
    fn a_real_step_is_caught_and_its_delay_measured() {
        let s = Settings {
            min_samples: 5,
            window: 20,
            ..Settings::default()
        };
        let mut values: Vec<f64> = (0..40).map(|i| 100.0 + (i % 3) as f64).collect();
        values.extend((0..10).map(|i| 150.0 + (i % 3) as f64));
        let real = [Labelled { from: 40, to: 49 }];
        let sc = score(&s, &values, Direction::Lower, &real);
        assert_eq!((sc.caught, sc.missed, sc.false_alarms), (1, 0, 0));
        assert!(sc.mean_delay_runs.unwrap() <= 2.0, "{sc:?}");
    }

    #[test]
    fn within_target_beats_fewer_delays() {
        let fast_noisy = Score {
            checks: 100,
            false_alarms: 5,
            false_alarms_per_100: 5.0,
            caught: 1,
            missed: 0,
            mean_delay_runs: Some(1.0),
        };
        let slow_quiet = Score {
            false_alarms: 0,
            false_alarms_per_100: 0.0,
            mean_delay_runs: Some(3.0),
            ..fast_noisy
        };
        assert!(better(&slow_quiet, &fast_noisy, 1.0));
        assert!(!better(&fast_noisy, &slow_quiet, 1.0));
    }
}
