//! Alert quality from triage: what the team said of each alert (`invalid` is a
//! false alarm; `fixed`, `acknowledged`, `accepted` are real changes) counted per
//! metric, per scenario and per detection rule, and [`tune`] to propose detection
//! settings from that record.

pub mod tune;

use serde::Serialize;
use std::collections::BTreeMap;

use crate::model::{AlertKind, TriageState};
use crate::store::Alert;

/// One line of the quality table: a metric, a scenario or a rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualityRow {
    /// The metric, scenario or rule.
    pub key: String,
    /// Alerts raised.
    pub alerts: usize,
    /// Closed by perfgate itself as recovered, never triaged by a person.
    pub self_closed: usize,
    /// Alerts by their current triage state.
    pub states: BTreeMap<TriageState, usize>,
    /// Alerts triaged as real changes.
    pub true_alarms: usize,
    /// Alerts triaged `invalid`.
    pub false_alarms: usize,
    /// true / (true + invalid); None before anything was triaged either way.
    pub precision: Option<f64>,
    /// Share of the alerts nobody has triaged yet (0..1).
    pub untriaged_share: f64,
}

impl QualityRow {
    fn add(&mut self, a: &Alert) {
        self.alerts += 1;
        *self.states.entry(a.state).or_default() += 1;
        if a.updated_by == crate::store::SELF_ACTOR {
            self.self_closed += 1;
        }
        match a.triage_outcome() {
            Some(true) => self.true_alarms += 1,
            Some(false) => self.false_alarms += 1,
            None => {}
        }
        let decided = self.true_alarms + self.false_alarms;
        self.precision = (decided > 0).then(|| self.true_alarms as f64 / decided as f64);
        let untriaged = self.states.get(&TriageState::Untriaged).copied();
        let untriaged = untriaged.unwrap_or(0) + self.self_closed;
        self.untriaged_share = untriaged as f64 / self.alerts as f64;
    }

    /// Its alerts by state, for people: "untriaged 1, fixed 2, recovered 1". An alert
    /// perfgate closed itself is `fixed` in the store but no one's answer, so it is
    /// counted apart, as recovered.
    pub fn states_text(&self) -> String {
        let mut parts: Vec<String> = self
            .states
            .iter()
            .map(|(k, n)| match k {
                TriageState::Fixed => (*k, n.saturating_sub(self.self_closed)),
                _ => (*k, *n),
            })
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if self.self_closed > 0 {
            parts.push(format!("recovered {}", self.self_closed));
        }
        parts.join(", ")
    }

    /// "67%", or "-" before any triage.
    pub fn precision_pct(&self) -> String {
        self.precision
            .map_or("-".into(), |p| format!("{:.0}%", p * 100.0))
    }

    /// "67% (2 of 3)", or "-" before any triage.
    pub fn precision_text(&self) -> String {
        match self.precision {
            Some(p) => format!(
                "{:.0}% ({} of {})",
                p * 100.0,
                self.true_alarms,
                self.true_alarms + self.false_alarms
            ),
            None => "-".into(),
        }
    }
}

/// Alert quality by metric, scenario and detection rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualityReport {
    /// Alerts counted (regressions and broken thresholds: the ones that can fail a build).
    pub alerts: usize,
    /// Per metric, lowest precision first.
    pub by_metric: Vec<QualityRow>,
    /// Per scenario.
    pub by_scenario: Vec<QualityRow>,
    /// Per detection rule (`unrecorded` for alerts stored before rules were kept).
    pub by_rule: Vec<QualityRow>,
}

impl QualityReport {
    /// The row of one metric, if it ever alerted.
    pub fn metric(&self, metric: &str) -> Option<&QualityRow> {
        self.by_metric.iter().find(|r| r.key == metric)
    }
}

/// Count the alerts' triage outcomes. Improvements are left out: they never fail a
/// build, and nobody triages them as false alarms.
pub fn quality(alerts: &[Alert]) -> QualityReport {
    let mut by_metric: BTreeMap<String, QualityRow> = BTreeMap::new();
    let mut by_scenario: BTreeMap<String, QualityRow> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, QualityRow> = BTreeMap::new();
    let mut n = 0;
    for a in alerts.iter().filter(|a| a.kind != AlertKind::Improvement) {
        n += 1;
        let scenario = crate::metrics::scenario_of(&a.metric).to_string();
        let rule = a.rule.map_or("unrecorded", |r| r.as_str()).to_string();
        for (map, key) in [
            (&mut by_metric, a.metric.clone()),
            (&mut by_scenario, scenario),
            (&mut by_rule, rule),
        ] {
            map.entry(key.clone())
                .or_insert_with(|| QualityRow {
                    key,
                    ..Default::default()
                })
                .add(a);
        }
    }
    let sorted = |m: BTreeMap<String, QualityRow>| {
        let mut v: Vec<QualityRow> = m.into_values().collect();
        v.sort_by(|a, b| {
            a.precision
                .unwrap_or(2.0)
                .total_cmp(&b.precision.unwrap_or(2.0))
                .then_with(|| a.key.cmp(&b.key))
        });
        v
    };
    QualityReport {
        alerts: n,
        by_metric: sorted(by_metric),
        by_scenario: sorted(by_scenario),
        by_rule: sorted(by_rule),
    }
}

/// The report as a text table, one section per grouping.
pub fn text(q: &QualityReport) -> String {
    let mut s = format!(
        "alert quality from triage: {} alert(s); precision = true / (true + invalid)\n",
        q.alerts
    );
    for (title, rows) in [
        ("metric", &q.by_metric),
        ("scenario", &q.by_scenario),
        ("rule", &q.by_rule),
    ] {
        let w = rows.iter().map(|r| r.key.len()).max().unwrap_or(0).max(8);
        s += &format!(
            "\nby {title}\n  {:<w$}  {:>6}  {:>5}  {:>7}  {:>10}  {:<16}  states\n",
            title, "alerts", "true", "invalid", "untriaged", "precision"
        );
        for r in rows {
            s += &format!(
                "  {:<w$}  {:>6}  {:>5}  {:>7}  {:>9.0}%  {:<16}  {}\n",
                r.key,
                r.alerts,
                r.true_alarms,
                r.false_alarms,
                r.untriaged_share * 100.0,
                r.precision_text(),
                r.states_text()
            );
        }
        if rows.is_empty() {
            s += "  (no alerts yet)\n";
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DetectionRule, Severity};

    fn alert(metric: &str, state: TriageState, rule: Option<DetectionRule>) -> Alert {
        Alert {
            id: 1,
            metric: metric.into(),
            kind: AlertKind::Regression,
            severity: Severity::High,
            state,
            opened_run_id: 1,
            last_run_id: 1,
            value: 2.0,
            baseline: 1.0,
            z: 4.0,
            change_pct: 100.0,
            updated_at: String::new(),
            updated_by: "alice".into(),
            reason: String::new(),
            group_id: None,
            good_run_id: None,
            bad_run_id: None,
            rule,
            level: None,
        }
    }

    #[test]
    fn precision_counts_triage_outcomes_per_metric_scenario_and_rule() {
        use DetectionRule::*;
        use TriageState::*;
        let alerts = vec![
            alert("api.p95", Invalid, Some(Streak)),
            alert("api.p95", Invalid, Some(Cusum)),
            alert("api.p95", Fixed, Some(Streak)),
            alert("api.p95", Untriaged, Some(Streak)),
            alert("db.mean", Accepted, Some(Streak)),
            alert("db.mean", Investigating, None),
        ];
        let q = quality(&alerts);
        let p95 = q.metric("api.p95").unwrap();
        assert_eq!((p95.true_alarms, p95.false_alarms, p95.alerts), (1, 2, 4));
        assert!((p95.precision.unwrap() - 1.0 / 3.0).abs() < 1e-9);
        assert!((p95.untriaged_share - 0.25).abs() < 1e-9);
        assert_eq!(q.by_metric[0].key, "api.p95", "lowest precision first");
        let db = q.metric("db.mean").unwrap();
        assert_eq!(db.precision, Some(1.0));
        let streak = q.by_rule.iter().find(|r| r.key == "streak").unwrap();
        assert_eq!((streak.true_alarms, streak.false_alarms), (2, 1));
        assert!(q.by_rule.iter().any(|r| r.key == "unrecorded"));
        assert_eq!(q.by_scenario.len(), 2);
        assert!(text(&q).contains("33% (1 of 3)"), "{}", text(&q));
    }

    #[test]
    fn an_alert_perfgate_closed_itself_is_not_a_triage_answer() {
        let mut a = alert("a.x", TriageState::Fixed, None);
        a.updated_by = crate::store::SELF_ACTOR.into();
        let q = quality(&[a]);
        assert_eq!(q.by_metric[0].precision, None);
        assert_eq!(q.by_metric[0].self_closed, 1);
        assert!((q.by_metric[0].untriaged_share - 1.0).abs() < 1e-9);
        // Shown apart from a person's `fixed`.
        let mut b = alert("a.x", TriageState::Fixed, None);
        b.updated_by = "bob".into();
        let q = quality(&[alert("a.x", TriageState::Fixed, None), b]);
        assert_eq!(q.by_metric[0].states_text(), "fixed 2");
        let mut a = alert("a.x", TriageState::Fixed, None);
        a.updated_by = crate::store::SELF_ACTOR.into();
        let u = alert("a.x", TriageState::Untriaged, None);
        let q = quality(&[a, u]);
        assert_eq!(q.by_metric[0].states_text(), "untriaged 1, recovered 1");
        assert!(
            text(&q).contains("untriaged 1, recovered 1"),
            "{}",
            text(&q)
        );
    }

    #[test]
    fn nothing_triaged_has_no_precision() {
        let q = quality(&[alert("a.x", TriageState::Untriaged, None)]);
        assert_eq!(q.by_metric[0].precision, None);
        assert_eq!(q.by_metric[0].precision_text(), "-");
    }
}
