//! A console with made-up history, alerts and a live run: what the snapshot tests
//! draw and what the frame-time benchmark (`cargo bench --bench frame`) measures.

use std::collections::BTreeMap;

use super::app::{App, RunState};
use super::theme::Theme;
use crate::engine::baseline::{BaselineStats, Health, Trend};
use crate::engine::changepoint::change_points;
use crate::engine::config::{Config, ScenarioType};
use crate::engine::inspect::BaselineView;
use crate::engine::live::{LiveScenario, LiveSnapshot, LiveSystem, ScenarioPhase};
use crate::engine::metrics::{Direction, unit_of};
use crate::engine::model::{AlertKind, Severity, TriageState};
use crate::engine::quality::QualityRow;
use crate::engine::store::{Alert, AuditEntry, HistoryPoint};

pub fn view(metric: &str, values: &[f64], frozen: bool) -> BaselineView {
    let history: Vec<HistoryPoint> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| HistoryPoint {
            run_id: i as i64 + 1,
            at: format!("2026-11-{:02}T10:00:00.000Z", 1 + i % 27),
            value: v,
            suspect: false,
        })
        .collect();
    let base = &values[..values.len().min(24)];
    let stats = BaselineStats::compute(base, 3.0);
    let pts: Vec<(f64, f64)> = base
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as f64, v))
        .collect();
    let trend = Trend::of_history(&pts);
    let health = stats
        .as_ref()
        .map(|s| Health::score(s, trend.as_ref(), 0.5, 20, 30.0, 0.15));
    let latest = values.last().copied();
    let latest_z = stats
        .as_ref()
        .zip(latest)
        .map(|(s, v)| (v - s.mean) / s.std.max(1e-9));
    BaselineView {
        metric: metric.into(),
        unit: unit_of(metric).into(),
        direction: Direction::of(metric),
        building: 20usize.saturating_sub(base.len()),
        stats,
        health,
        trend,
        last_update: history.last().map(|p| p.at.clone()),
        latest,
        latest_z,
        open_alert: None,
        change_points: change_points(values, 3),
        history,
        frozen,
        quality: None,
        report_only: false,
        z_threshold: 2.15,
    }
}

pub fn sample_app() -> App {
    let mut app = App::new(
        Config::default(),
        "config/quickstart.json".into(),
        "performance_baselines/tracking.db".into(),
        Theme { color: false },
    );
    let noise = [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.4, -0.3, 0.1];
    let p95: Vec<f64> = (0..30)
        .map(|i| 6.6 + noise[i % 10] * 0.2 + if i >= 26 { 10.0 } else { 0.0 })
        .collect();
    let rps: Vec<f64> = (0..30)
        .map(|i| 600.0 + noise[(i + 4) % 10] * 20.0 - if i >= 26 { 350.0 } else { 0.0 })
        .collect();
    let err: Vec<f64> = vec![0.0; 12];
    let mut p95_view = view("health_check.response_time_p95_ms", &p95, true);
    // Triage said: one real regression, two false alarms; one recovered by itself.
    p95_view.quality = Some(QualityRow {
        key: p95_view.metric.clone(),
        alerts: 5,
        self_closed: 1,
        states: BTreeMap::from([
            (TriageState::Fixed, 2),
            (TriageState::Invalid, 2),
            (TriageState::Untriaged, 1),
        ]),
        true_alarms: 1,
        false_alarms: 2,
        precision: Some(1.0 / 3.0),
        untriaged_share: 0.4,
    });
    app.set_views(vec![
        p95_view,
        view("health_check.throughput_rps", &rps, true),
        view("health_check.error_rate_pct", &err, false),
    ]);
    app.live = LiveSnapshot {
        run_id: Some(31),
        phase: "running".into(),
        seq: 42,
        system: LiveSystem {
            cpu_pct: 37.5,
            mem_mb: 2048.0,
            mem_total_mb: 8192.0,
            // A run that pushed the machine to 96% for a while.
            cpu_history: (0..60u64)
                .map(|i| {
                    if (20..35).contains(&i) {
                        96
                    } else {
                        30 + i % 9
                    }
                })
                .collect(),
            cpu_peak_pct: 96.0,
        },
        scenarios: vec![
            LiveScenario {
                name: "health_check".into(),
                kind: ScenarioType::Api,
                phase: ScenarioPhase::Running,
                elapsed_s: 6.5,
                duration_s: 10.0,
                requests: 4096,
                errors: BTreeMap::from([("http_5xx".to_string(), 12), ("timeout".to_string(), 3)]),
                rps: 612.0,
                p50_ms: 6.4,
                p95_ms: 6.9,
                p99_ms: 8.1,
                rps_history: vec![580, 600, 612, 640, 590, 605, 612],
                p95_history: vec![6900, 7000, 6800, 7100, 6950, 6900, 6900],
                ..Default::default()
            },
            LiveScenario {
                name: "system_resources".into(),
                kind: ScenarioType::System,
                phase: ScenarioPhase::Pending,
                duration_s: 10.0,
                ..Default::default()
            },
        ],
    };
    app.run = RunState::Running;
    app.alerts = vec![
        alert(
            7,
            "health_check.throughput_rps",
            "critical",
            "untriaged",
            -58.0,
            -17.5,
            "",
        ),
        alert(
            6,
            "health_check.response_time_p95_ms",
            "critical",
            "acknowledged",
            151.9,
            216.6,
            "slow dependency",
        ),
        alert(
            3,
            "health_check.response_time_p99_ms",
            "medium",
            "invalid",
            6.1,
            2.4,
            "noisy neighbour",
        ),
    ];
    app.sort_alerts();
    app.audit = vec![AuditEntry {
        id: 1,
        at: "2026-11-27T12:00:00.000Z".into(),
        who: "alice".into(),
        action: "alert acknowledged".into(),
        target: "#6 health_check.response_time_p95_ms".into(),
        reason: "slow dependency".into(),
    }];
    app.log.extend([
        "run #31 started".to_string(),
        "health_check: started".to_string(),
    ]);
    app
}

pub fn alert(
    id: i64,
    metric: &str,
    sev: &str,
    state: &str,
    change: f64,
    z: f64,
    reason: &str,
) -> Alert {
    Alert {
        id,
        metric: metric.into(),
        kind: AlertKind::Regression,
        severity: Severity::parse(sev).expect("a severity name"),
        state: TriageState::parse(state).expect("a triage state name"),
        opened_run_id: 27,
        last_run_id: 30,
        value: 1.0,
        baseline: 1.0,
        z,
        change_pct: change,
        updated_at: "2026-11-27T12:00:00.000Z".into(),
        updated_by: "alice".into(),
        reason: reason.into(),
        group_id: None,
        good_run_id: None,
        bad_run_id: None,
        rule: Some(crate::engine::model::DetectionRule::Streak),
        level: None,
    }
}
