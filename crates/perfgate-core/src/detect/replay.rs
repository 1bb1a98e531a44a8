//! Replaying a metric's history run by run, as `perfgate backtest` and the CI gate see it:
//! the open alert, its level and escalations, the runs that recovered it.

use super::*;

/// Replays one metric's history through the detector, as `perfgate backtest` and
/// the CI gate both see it: each run judged only on the runs before it.
pub struct Replay<'a> {
    /// The detection settings (private: `frozen` is derived from them).
    settings: std::borrow::Cow<'a, Settings>,
    /// The metric's good direction.
    pub dir: Direction,
    /// The settings while an alert freezes the baseline ([`Settings::frozen`]).
    frozen: Settings,
    values: Vec<f64>,
    suspect_bad: Vec<bool>,
    /// Index of the first run of the open regression alert, if any.
    alert_from: Option<usize>,
    /// Index of the first run at the open alert's current level (moves on escalation).
    pub(super) level_from: usize,
    /// Where the open alert's change began: its first level's first run.
    change_from: usize,
    /// Runs from `level_from` that raised the alert or its last escalation.
    level_min: usize,
    /// Where a new change may begin at the earliest: after the last regression
    /// alert's runs and the runs that recovered it ([`recovered_until`]).
    after_recovery: usize,
    /// Index after the open (or last) regression alert's last confirmed run, as
    /// the store's `last_run_id`.
    seen_until: usize,
    /// The rule that opened the open (or last) regression alert.
    opened_by: Option<DetectionRule>,
    improvement_open: bool,
}

impl<'a> Replay<'a> {
    /// A replay borrowing `settings`.
    pub fn new(settings: &'a Settings, dir: Direction) -> Replay<'a> {
        Replay::with(std::borrow::Cow::Borrowed(settings), dir)
    }

    /// A replay that owns its settings (for a long-lived detector).
    pub fn owned(settings: Settings, dir: Direction) -> Replay<'static> {
        Replay::with(std::borrow::Cow::Owned(settings), dir)
    }

    fn with(settings: std::borrow::Cow<'a, Settings>, dir: Direction) -> Replay<'a> {
        Replay {
            frozen: settings.frozen(),
            settings,
            dir,
            values: Vec::new(),
            suspect_bad: Vec::new(),
            alert_from: None,
            change_from: 0,
            level_from: 0,
            level_min: 0,
            after_recovery: 0,
            seen_until: 0,
            opened_by: None,
            improvement_open: false,
        }
    }

    /// Judge the next value, then add it to the history. The second element is the
    /// kind of alert this run *opens* (None while an alert of that kind stays open).
    pub fn push(&mut self, value: f64) -> Option<(Judgement, Option<Kind>)> {
        let end = self
            .alert_from
            .unwrap_or_else(|| self.settings.baseline_end(self.values.len()));
        let (base, aside) = baseline_split(
            &self.values[..end],
            &self.suspect_bad[..end],
            self.settings.persistence,
            self.settings.base_limit(),
        );
        // Nor do a recovered alert's runs count towards a new one's streak or CUSUM.
        let recent_from = self
            .values
            .len()
            .saturating_sub(self.settings.read_back())
            .max(self.after_recovery.min(self.values.len()));
        let s = match self.alert_from {
            Some(_) => &self.frozen,
            None => &*self.settings,
        };
        let j = judge_with(
            s,
            &base,
            &aside,
            &self.values[recent_from..],
            value,
            self.dir,
        );
        let bad = j
            .as_ref()
            .is_some_and(|j| j.suspect == Some(Kind::Regression));
        let mut opened = None;
        let mut escalated = None;
        if let Some(j) = &j {
            if j.confirmed == Some(Kind::Regression) && self.alert_from.is_none() {
                // Freeze the baseline at the start of the suspect streak.
                let mut from = self.values.len();
                while from > 0 && self.suspect_bad[from - 1] {
                    from -= 1;
                }
                // The alert's level starts where the change began: never in an
                // earlier alert's runs nor in those that recovered it.
                self.level_from = from
                    .min(self.values.len() - j.onset.min(self.values.len()))
                    .max(self.after_recovery.min(from));
                self.level_min = self.values.len() + 1 - self.level_from;
                self.change_from = self.level_from;
                // So does the baseline, where enough of it is left to judge by
                // (`frozen_min`): the runs since the onset are the change, not its noise.
                let kept = baseline_eligible(
                    &self.suspect_bad[..self.level_from],
                    self.settings.persistence,
                )
                .iter()
                .filter(|e| **e)
                .count();
                if kept >= self.settings.frozen_min() {
                    from = self.level_from;
                }
                self.alert_from = Some(from);
                self.opened_by = j.detected_by;
                opened = Some(Kind::Regression);
            } else if let Some((k, rule)) = self.escalates(j) {
                // Reported as an alert of its own, at the run where it happened.
                self.level_from = self.values.len() + 1 - k;
                self.level_min = k;
                opened = Some(Kind::Regression);
                escalated = Some((k, rule));
            } else if self.alert_from.is_some() && j.suspect != Some(Kind::Regression) {
                // A run that is an improvement's suspect is clean for the regression,
                // as the store marks it.
                // Only runs after its last confirmed one (as the store reads them).
                let n = self.settings.persistence + 1;
                let from = (self.values.len() + 1)
                    .saturating_sub(n)
                    .max(self.seen_until.min(self.values.len()));
                let sign = self.dir.bad_sign();
                let zs: Vec<f64> = self.values[from..]
                    .iter()
                    .chain([&value])
                    .map(|&v| j.z_toward(v, sign))
                    .collect();
                let mut suspect = self.suspect_bad[from..].to_vec();
                suspect.push(false);
                let level = self.level_zs(j);
                if recovered(&zs, &suspect, self.settings.persistence, &level) {
                    self.alert_from = None;
                    self.after_recovery =
                        recovered_until(self.seen_until, self.settings.persistence);
                }
            }
            if j.confirmed == Some(Kind::Improvement) {
                if !self.improvement_open {
                    opened = Some(Kind::Improvement);
                }
                self.improvement_open = true;
            } else if j.suspect != Some(Kind::Improvement) {
                self.improvement_open = false;
            }
        }
        self.values.push(value);
        self.suspect_bad.push(bad);
        j.map(|mut j| {
            if let Some((k, rule)) = escalated {
                j.escalate(&self.settings, k, rule);
            }
            if j.confirmed == Some(Kind::Regression)
                && self.alert_from.is_some()
                && extends_alert(bad, self.opened_by)
            {
                self.seen_until = self.values.len();
            }
            (j, opened)
        })
    }

    /// The z-scores against `j`'s baseline of the open alert's own runs: from where
    /// its level began to its last confirmed run, the newest `window` of them (as
    /// the store reads them).
    fn level_zs(&self, j: &Judgement) -> Vec<f64> {
        let sign = self.dir.bad_sign();
        let to = self.seen_until.min(self.values.len());
        let from = self
            .level_from
            .max(to.saturating_sub(self.settings.window))
            .min(to);
        self.values[from..to]
            .iter()
            .map(|&v| j.z_toward(v, sign))
            .collect()
    }

    /// Whether `j` escalates the open regression alert (see [`escalation`]).
    fn escalates(&self, j: &Judgement) -> Option<(usize, String)> {
        self.alert_from?;
        // As the store reads it: the level's newest `history_limit` runs.
        let from = self
            .values
            .len()
            .saturating_sub(self.settings.history_limit())
            .max(self.change_from);
        escalation(
            &self.settings,
            j,
            &self.values[from..],
            self.level_from.saturating_sub(from),
            self.level_min
                .saturating_sub(from.saturating_sub(self.level_from)),
            self.dir,
        )
    }
}

/// What a replay decides of one run, none of it in the metric's unit: the same
/// runs recorded in seconds and in milliseconds must be decided alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The run's own kind of change, unconfirmed ([`Judgement::suspect`]).
    pub suspect: Option<Kind>,
    /// The change it confirmed.
    pub confirmed: Option<Kind>,
    /// Its severity (a change only).
    pub severity: Option<Severity>,
    /// The rule that confirmed it.
    pub detected_by: Option<DetectionRule>,
    /// A further move beyond an open alert's level.
    pub escalated: bool,
    /// The kind of alert the run opened.
    pub opened: Option<Kind>,
    /// How many runs before it the change began.
    pub onset: usize,
}

impl Decision {
    /// Each run's decision, replaying `values` from the start (None while the
    /// history is too short to judge).
    pub fn of_each(s: &Settings, values: &[f64], dir: Direction) -> Vec<Option<Decision>> {
        let mut r = Replay::new(s, dir);
        values
            .iter()
            .map(|&v| {
                r.push(v).map(|(j, opened)| Decision {
                    suspect: j.suspect,
                    confirmed: j.confirmed,
                    severity: j.severity,
                    detected_by: j.detected_by,
                    escalated: j.escalated,
                    opened,
                    onset: j.onset,
                })
            })
            .collect()
    }
}
