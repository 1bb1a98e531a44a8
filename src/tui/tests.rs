//! Screen snapshots (TestBackend + insta) and state-transition tests.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Command, ConfirmAction, Modal, RunState, Tab, TriageRow};
use super::sample::sample_app;
use super::ui;
use crate::engine::model::{RunStatus, TriageState, Verdict};
use crate::engine::store::{RunMeta, SqliteStore, Store};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    t
}

fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn live_tab_snapshot() {
    let app = sample_app();
    let t = render(&app, 120, 40);
    let s = screen(&t);
    assert!(s.contains("health_check") && s.contains("6.5 / 10 s") && s.contains("http_5xx 12"));
    assert!(
        s.contains("x stop"),
        "footer shows the stop key while running"
    );
    // The run pushed the machine to 96%: said, with the CPU over time under it.
    assert!(
        s.contains("saturated (peak 96%)") && s.contains("cpu % over time"),
        "{s}"
    );
    insta::assert_snapshot!("live_120x40", s);
    let mut calm = sample_app();
    calm.live.system.cpu_peak_pct = 41.0;
    let s = screen(&render(&calm, 120, 40));
    assert!(s.contains("peak 41%: the machine had room"), "{s}");
}

#[test]
fn metrics_tab_snapshot_and_detail() {
    let mut app = sample_app();
    app.on_key(key(KeyCode::Char('2')));
    let s = screen(&render(&app, 120, 40));
    assert!(
        s.contains("health_check.response_time_p95_ms") && s.contains("░") && s.contains("frozen")
    );
    insta::assert_snapshot!("metrics_120x40", s);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.modal, Modal::Detail(0));
    let s = screen(&render(&app, 120, 40));
    assert!(
        s.contains("run") && s.contains("#1") && s.contains("#30"),
        "axis labels"
    );
    insta::assert_snapshot!("metrics_detail_120x40", s);
}

#[test]
fn triage_tab_snapshot() {
    let mut app = sample_app();
    // The change landed between runs 26 and 27: the runs column still says where the
    // group was seen, as on its alerts' rows; the range is the detail's.
    app.ranges.insert(
        7,
        crate::engine::outcome::SuspectRange {
            good_run: Some(26),
            bad_run: 27,
            good_commit: Some("1a2b3c4d5e".into()),
            bad_commit: Some("9f8e7d6c5b".into()),
        },
    );
    app.on_key(key(KeyCode::Char('3')));
    let s = screen(&render(&app, 120, 40));
    // Groups, open ones first, by severity: the untriaged critical one leads.
    let line_of = |s: &str, id: &str| {
        s.lines()
            .position(|l| l.contains(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} missing:\n{s}"))
    };
    assert!(
        line_of(&s, "g7") < line_of(&s, "g6") && line_of(&s, "g6") < line_of(&s, "g3"),
        "{s}"
    );
    assert!(!s.contains("#7 "), "groups start collapsed:\n{s}");
    let g7 = s.lines().find(|l| l.contains("g7 ")).unwrap();
    assert!(!g7.contains("#26") && g7.contains("  #27..#30 "), "{g7}");
    // Space expands the selected group to its alerts.
    app.on_key(key(KeyCode::Char(' ')));
    let s = screen(&render(&app, 120, 40));
    assert!(line_of(&s, "g7") < line_of(&s, "#7"), "{s}");
    assert!(line_of(&s, "#7") < line_of(&s, "g6"), "{s}");
    insta::assert_snapshot!("triage_120x40", s);
}

#[test]
fn baselines_tab_snapshot() {
    let mut app = sample_app();
    app.on_key(key(KeyCode::Char('4')));
    let s = screen(&render(&app, 120, 40));
    assert!(s.contains("Audit log") && s.contains("alice") && s.contains("building +8"));
    // Alert quality from triage: a precision column and the selected metric's record.
    assert!(s.contains("prec") && s.contains("33%"), "{s}");
    assert!(s.contains("precision 33% (1 of 3)"), "{s}");
    assert!(
        s.contains("real 1, invalid 2, untriaged 1, recovered 1"),
        "an alert that closed itself is counted apart: {s}"
    );
    insta::assert_snapshot!("baselines_120x40", s);
}

#[test]
fn every_tab_fits_80x24() {
    let mut app = sample_app();
    for k in ['1', '2', '3', '4'] {
        app.on_key(key(KeyCode::Char(k)));
        let s = screen(&render(&app, 80, 24));
        assert!(s.lines().next().unwrap().contains("perfgate"), "{s}");
        assert!(
            s.lines().last().unwrap().contains("q quit"),
            "footer visible at 80x24:\n{s}"
        );
        if k == '4' {
            insta::assert_snapshot!("baselines_80x24", s);
        }
    }
    app.on_key(key(KeyCode::Char('?')));
    let s = screen(&render(&app, 80, 24));
    assert!(s.contains("Keys") && s.contains("Shift-Tab"));
    // Every help line is shown whole, even at 80 columns.
    for (_, what) in App::help() {
        assert!(s.contains(what), "help line cut: {what:?}\n{s}");
    }
}

#[test]
fn live_figures_carry_units_and_their_baseline() {
    let mut app = sample_app();
    // p95 far above its band (about 6.6 ms): marked while the run goes on.
    app.live.scenarios[0].p95_ms = 40.0;
    let s = screen(&render(&app, 160, 40));
    assert!(s.contains("p95 40.00 ms ▲"), "{s}");
    assert!(
        s.contains("(6.61)"),
        "baseline centre beside the figure: {s}"
    );
    app.live.scenarios[0].p95_ms = 6.6;
    let s = screen(&render(&app, 160, 40));
    assert!(!s.contains("6.60 ms ▲"), "inside the band, no mark: {s}");
    // Far under its band (better): marked the way it moved, in the good colour.
    app.live.scenarios[0].p95_ms = 0.5;
    app.theme.color = true;
    let t = render(&app, 160, 40);
    let s = screen(&t);
    assert!(s.contains("p95 0.500 ms ▼"), "{s}");
    let buf = t.backend().buffer();
    let (x, y) = (0..buf.area.height)
        .find_map(|y| {
            let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            let col = row.find("0.500 ms ▼")?;
            Some((row[..col].chars().count() as u16, y))
        })
        .unwrap();
    assert_eq!(buf[(x, y)].fg, app.theme.good().fg.unwrap(), "{s}");
}

#[test]
fn an_idle_console_names_its_target_and_sends_nothing() {
    let mut app = sample_app();
    app.live = Default::default();
    app.run = RunState::Idle;
    let s = screen(&render(&app, 120, 40));
    assert!(s.contains("No load is sent until you start a run"), "{s}");
    assert!(s.contains("against http://localhost:8000"), "{s}");
    // Nothing sampled yet: the machine panel says so, not "mem 0 / 0 MB".
    assert!(
        s.contains("cpu, mem: sampled during a run") && !s.contains("mem 0 / 0"),
        "{s}"
    );
}

#[test]
fn tabs_switch_with_numbers_and_tab_keys() {
    let mut app = sample_app();
    assert_eq!(app.tab, Tab::Live);
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Metrics);
    app.on_key(key(KeyCode::BackTab));
    app.on_key(key(KeyCode::BackTab));
    assert_eq!(app.tab, Tab::Baselines);
    app.on_key(key(KeyCode::Char('3')));
    assert_eq!(app.tab, Tab::Triage);
    app.on_key(key(KeyCode::Char('j')));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    assert_eq!(
        app.selected_row(Tab::Triage),
        2,
        "selection stops at the last row"
    );
    app.on_key(key(KeyCode::Char('k')));
    assert_eq!(app.selected_row(Tab::Triage), 1);
    assert_eq!(app.on_key(key(KeyCode::Char('q'))), Some(Command::Quit));
    let mut app = sample_app();
    assert_eq!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Command::Quit)
    );
}

#[test]
fn live_keys_start_stop_and_rerun() {
    let mut app = sample_app();
    assert_eq!(app.on_key(key(KeyCode::Char('x'))), Some(Command::Stop));
    assert_eq!(
        app.on_key(key(KeyCode::Char('s'))),
        None,
        "no second run while one runs"
    );
    app.run = RunState::Finished {
        run_id: 31,
        status: crate::engine::model::Verdict::Pass,
    };
    app.on_key(key(KeyCode::Char('j')));
    assert_eq!(
        app.on_key(key(KeyCode::Char('r'))),
        Some(Command::Start(vec!["system_resources".into()]))
    );
    assert_eq!(
        app.on_key(key(KeyCode::Char('s'))),
        Some(Command::Start(vec![]))
    );
}

#[test]
fn triage_state_goes_through_picker_and_confirmation() {
    let mut app = sample_app();
    // Alerts 7 and 6 changed together: one group, led by 7.
    app.alerts[1].group_id = Some(7);
    app.sort_alerts();
    app.on_key(key(KeyCode::Char('3')));
    app.on_key(key(KeyCode::Enter));
    assert!(matches!(
        app.modal,
        Modal::StatePicker {
            target: TriageRow::Group(7),
            selected: 0
        }
    ));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Enter));
    match &app.modal {
        Modal::Confirm {
            action,
            consequence,
            ..
        } => {
            assert_eq!(
                action,
                &ConfirmAction::SetGroupState {
                    group: 7,
                    members: 2,
                    state: TriageState::Acknowledged
                }
            );
            assert!(
                consequence.contains("health_check.response_time_p95_ms"),
                "the group's metrics are named: {consequence}"
            );
        }
        m => panic!("expected confirmation, got {m:?}"),
    }
    app.on_key(key(KeyCode::Esc));
    // d opens the detail, c re-runs the group's scenario: both need the store.
    assert_eq!(
        app.on_key(key(KeyCode::Char('d'))),
        Some(Command::Detail(TriageRow::Group(7)))
    );
    assert_eq!(
        app.on_key(key(KeyCode::Char('c'))),
        None,
        "no re-run while a run is going"
    );
    app.run = RunState::Idle;
    assert_eq!(
        app.on_key(key(KeyCode::Char('c'))),
        Some(Command::Reconfirm(TriageRow::Group(7)))
    );
    // One alert of the group: expand, move to it, Enter.
    app.on_key(key(KeyCode::Char(' ')));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Enter));
    assert!(matches!(
        app.modal,
        Modal::StatePicker {
            target: TriageRow::Alert(0),
            selected: 0
        }
    ));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Enter));
    match &app.modal {
        Modal::Confirm {
            action,
            consequence,
            ..
        } => {
            assert_eq!(
                action,
                &ConfirmAction::SetAlertState {
                    id: 7,
                    metric: "health_check.throughput_rps".into(),
                    state: TriageState::Acknowledged
                }
            );
            assert!(
                consequence.contains("untriaged to acknowledged"),
                "{consequence}"
            );
        }
        m => panic!("expected confirmation, got {m:?}"),
    }
    for c in "known".chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
    app.on_key(key(KeyCode::Backspace));
    let cmd = app.on_key(key(KeyCode::Enter));
    assert_eq!(
        cmd,
        Some(Command::Confirmed(
            ConfirmAction::SetAlertState {
                id: 7,
                metric: "health_check.throughput_rps".into(),
                state: TriageState::Acknowledged
            },
            "know".into()
        ))
    );
    assert_eq!(app.modal, Modal::None);
}

#[test]
fn baseline_reset_needs_confirmation_and_names_the_loss() {
    let mut app = sample_app();
    app.on_key(key(KeyCode::Char('4')));
    app.on_key(key(KeyCode::Char('r')));
    match &app.modal {
        Modal::Confirm { consequence, .. } => {
            assert!(
                consequence.contains("24 baseline samples of health_check.response_time_p95_ms"),
                "{consequence}"
            )
        }
        m => panic!("{m:?}"),
    }
    let s = screen(&render(&app, 120, 40));
    assert!(s.contains("Reset baseline of health_check.response_time_p95_ms?"));
    assert_eq!(app.on_key(key(KeyCode::Esc)), None);
    assert_eq!(app.modal, Modal::None);
    assert_eq!(app.status, "cancelled");
    app.on_key(key(KeyCode::Char('R')));
    // No reason, no action: the audit log would say nothing.
    assert_eq!(app.on_key(key(KeyCode::Enter)), None);
    assert!(
        matches!(app.modal, Modal::Confirm { .. }),
        "{:?}",
        app.modal
    );
    assert!(app.status.contains("type a reason first"), "{}", app.status);
    for c in "moved".chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
    let cmd = app.on_key(key(KeyCode::Enter));
    assert_eq!(
        cmd,
        Some(Command::Confirmed(ConfirmAction::ResetAll, "moved".into()))
    );
}

#[test]
fn confirmed_actions_change_the_store_and_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let meta = RunMeta {
        started_at: "2026-11-27T10:00:00Z".into(),
        config_fingerprint: "x".into(),
        mode: crate::engine::model::RunMode::Ci,
        ..Default::default()
    };
    for i in 0..3 {
        let id = st.begin_run(&meta).unwrap();
        let row = crate::engine::store::MetricRow {
            scenario: "a".into(),
            metric: "a.x_ms".into(),
            value: 1.0 + i as f64,
            unit: "ms".into(),
            ..Default::default()
        };
        st.finish_run(id, RunStatus::Complete, Verdict::Pass, &[], &[row])
            .unwrap();
    }
    assert_eq!(st.baseline_epoch("a.x_ms").unwrap(), 0);
    let msg = super::apply(
        &mut st,
        &ConfirmAction::ResetMetric("a.x_ms".into()),
        "moved hosts",
    )
    .unwrap();
    assert!(msg.contains("reset"));
    assert_eq!(st.baseline_epoch("a.x_ms").unwrap(), 3);
    assert!(st.history("a.x_ms", 3, 10, None).unwrap().is_empty());
    let audit = st.audit(10).unwrap();
    assert_eq!(audit[0].action, "baseline reset");
    assert_eq!(audit[0].reason, "moved hosts");
    // The TUI reloads what it shows from the store after an action.
    let mut app = sample_app();
    super::refresh(&mut app, &st).unwrap();
    assert_eq!(app.views.len(), 1);
    assert_eq!(app.views[0].building, 20);
    assert_eq!(app.audit.len(), 1);
    // Taken back before the next run: the history counts again.
    let msg = super::apply(&mut st, &ConfirmAction::Undo("a.x_ms".into()), "wrong one").unwrap();
    assert!(msg.contains("taken back"), "{msg}");
    assert_eq!(st.baseline_epoch("a.x_ms").unwrap(), 0);
    assert_eq!(st.audit(1).unwrap()[0].action, "baseline undo");
}

#[test]
fn undo_takes_back_the_reset_just_made_else_the_selected_metrics() {
    let mut app = sample_app();
    app.on_key(key(KeyCode::Char('4')));
    app.on_key(key(KeyCode::Char('U')));
    let undo = |app: &App| match &app.modal {
        Modal::Confirm {
            action: ConfirmAction::Undo(t),
            consequence,
            ..
        } => (t.clone(), consequence.clone()),
        m => panic!("{m:?}"),
    };
    let (target, consequence) = undo(&app);
    assert_eq!(target, "health_check.response_time_p95_ms");
    assert!(
        consequence.contains("Refused once a run was judged"),
        "{consequence}"
    );
    app.on_key(key(KeyCode::Esc));
    // After R (every baseline reset) in this console, U takes that one back.
    app.last_reset = Some("*".into());
    app.on_key(key(KeyCode::Char('U')));
    assert_eq!(undo(&app).0, "*");
    let s = screen(&render(&app, 120, 40));
    assert!(s.contains("Take back the reset of EVERY baseline?"), "{s}");
}

#[test]
fn metrics_tab_draws_slo_bounds_beside_the_band() {
    let mut app = sample_app();
    app.config.test_scenarios = vec![crate::engine::config::ScenarioConfig::named(
        crate::engine::config::ScenarioType::Api,
        "health_check".into(),
    )];
    app.config.thresholds.insert(
        "health_check.response_time_p95_ms".into(),
        crate::engine::threshold::ThresholdSpec::Expr("< 12".into()),
    );
    // Thresholds are parsed when the views load, never per frame.
    let views = app.views.clone();
    app.set_views(views);
    app.on_key(key(KeyCode::Char('2')));
    let s = screen(&render(&app, 120, 40));
    let first_metric: Vec<&str> = s.lines().skip(2).take(3).collect();
    assert!(
        first_metric.iter().any(|l| l.contains('╌')),
        "bound drawn for the p95 row:\n{s}"
    );
    let second_metric: Vec<&str> = s.lines().skip(5).take(3).collect();
    assert!(
        !second_metric.iter().any(|l| l.contains('╌')),
        "no bound on throughput:\n{s}"
    );
}

#[test]
fn untriaged_regressions_are_counted_on_the_triage_tab() {
    let mut app = sample_app();
    let header = |app: &App| {
        screen(&render(app, 120, 40))
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert!(header(&app).contains("3 Triage 1 new"), "{}", header(&app));
    for a in &mut app.alerts {
        a.state = TriageState::Acknowledged;
    }
    assert!(!header(&app).contains("new"), "{}", header(&app));
}

#[test]
fn marking_a_group_invalid_says_its_runs_count_as_baseline_again() {
    let mut app = sample_app();
    app.on_key(key(KeyCode::Char('3')));
    app.on_key(key(KeyCode::Enter));
    for _ in 0..3 {
        app.on_key(key(KeyCode::Down));
    }
    app.on_key(key(KeyCode::Enter));
    match &app.modal {
        Modal::Confirm {
            action: ConfirmAction::SetGroupState { state, .. },
            consequence,
            ..
        } => {
            assert_eq!(*state, TriageState::Invalid);
            assert!(
                consequence.contains("count as baseline again"),
                "{consequence}"
            );
        }
        m => panic!("expected confirmation, got {m:?}"),
    }
}

#[test]
fn the_triage_detail_wraps_long_lines_and_scrolls() {
    let mut app = sample_app();
    app.tab = Tab::Triage;
    let long = "  #1    svc.response_time_p95_ms  critical  97.00 -> 132.1 (+34.9%, z +6.82, \
                by cusum; escalated in #42, level since #41)";
    let mut lines = vec![long.to_string()];
    lines.extend((1..=40).map(|i| format!("commit {i:02}")));
    app.modal = Modal::TriageDetail {
        title: " g1 ".into(),
        lines,
        scroll: 0,
    };
    let s = screen(&render(&app, 80, 24));
    // The end of a line wider than the screen wraps into view.
    assert!(s.contains("level since #41"), "{s}");
    assert!(s.contains("commit 01") && !s.contains("commit 40"), "{s}");
    assert!(footer_has(&s, "j/k scroll"), "{s}");
    for _ in 0..100 {
        app.on_key(key(KeyCode::Char('j')));
    }
    let s = screen(&render(&app, 80, 24));
    // Scrolled to the end, never past it: the last line is on screen, and one
    // step back moves at once.
    assert!(s.contains("commit 40") && !s.contains("commit 01"), "{s}");
    app.on_key(key(KeyCode::Char('k')));
    assert!(!screen(&render(&app, 80, 24)).contains("commit 40"));
    app.on_key(key(KeyCode::Char('g')));
    assert!(screen(&render(&app, 80, 24)).contains("level since #41"));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.modal, Modal::None);
}

fn footer_has(screen: &str, keys: &str) -> bool {
    let footer = screen.lines().last().unwrap_or("");
    footer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .contains(keys)
}
