//! One contract for every store backend: the same cases against SQLite and a real
//! PostgreSQL (a throwaway server, or PERFGATE_TEST_POSTGRES_URL), through the
//! `Store` interface the engine uses. A backend that answers differently fails here.

mod common;

use perfgate::engine::model::{
    AlertKind, BaselineAction, DetectionRule, MetricVerdict, RunMode, RunStatus, ScenarioStatus,
    Severity, TriageState, Verdict,
};
use perfgate::engine::store::{self, Alert, MetricRow, RunMeta, ScenarioRow, Store};

type Case = fn(&mut dyn Store);

const CASES: &[(&str, Case)] = &[
    ("runs round-trip with their metrics", runs_round_trip),
    (
        "history is complete runs only, after the latest reset",
        history_and_epoch,
    ),
    (
        "an open alert is refreshed, a closed one is not",
        upsert_alert_if_open,
    ),
    (
        "the last alert perfgate closed as recovered is found",
        last_recovered_alert,
    ),
    ("accepting an alert moves the baseline", accept_alert),
    (
        "a false alarm's runs count as baseline again",
        invalid_alert,
    ),
    (
        "an escalated alert keeps its change and its new level",
        escalated_alert,
    ),
    (
        "a false alarm that escalated releases all its runs",
        escalated_alert_called_invalid,
    ),
    (
        "a baseline change closes open alerts",
        baseline_events_close_alerts,
    ),
    (
        "a reset is taken back until a run is judged after it",
        undo_a_reset,
    ),
    ("triage states are checked", triage_state_checks),
    (
        "a group's state reaches every member, audited each",
        group_triage,
    ),
    ("a saved run name moves to the newer run", named_runs),
    ("the alert log feeds throttling", alert_log),
];

fn meta(mode: RunMode) -> RunMeta {
    RunMeta {
        started_at: store::now_string(),
        config_fingerprint: "f".into(),
        host: "h".into(),
        mode,
        ..RunMeta::default()
    }
}

fn row(metric: &str, value: f64, suspect: bool) -> MetricRow {
    MetricRow {
        scenario: metric.split('.').next().unwrap().into(),
        metric: metric.into(),
        value,
        unit: "ms".into(),
        suspect,
        verdict: Some(MetricVerdict::Ok),
        baseline_n: Some(5),
        ..MetricRow::default()
    }
}

/// A complete run holding `values` of `metric`; returns its id.
fn run_with(st: &mut dyn Store, metric: &str, value: f64, suspect: bool) -> i64 {
    let id = st.begin_run(&meta(RunMode::Ci)).unwrap();
    let scen = ScenarioRow {
        scenario: "api".into(),
        kind: perfgate::engine::config::ScenarioType::Api,
        status: ScenarioStatus::Ok,
        errors_json: "{}".into(),
        ..ScenarioRow::default()
    };
    st.finish_run(
        id,
        RunStatus::Complete,
        Verdict::Pass,
        &[scen],
        &[row(metric, value, suspect)],
    )
    .unwrap();
    id
}

fn alert(metric: &str, run: i64, severity: Severity) -> Alert {
    Alert {
        id: 0,
        metric: metric.into(),
        kind: AlertKind::Regression,
        severity,
        state: TriageState::Untriaged,
        opened_run_id: run,
        last_run_id: run,
        value: 2.0,
        baseline: 1.0,
        z: 5.0,
        change_pct: 100.0,
        updated_at: String::new(),
        updated_by: String::new(),
        reason: String::new(),
        group_id: None,
        good_run_id: None,
        bad_run_id: None,
        rule: Some(DetectionRule::Cusum),
        level: None,
    }
}

fn runs_round_trip(st: &mut dyn Store) {
    let id = run_with(st, "api.p95_ms", 12.5, false);
    assert_eq!(st.latest_run_id().unwrap(), id);
    let r = st.run(id).unwrap().expect("stored");
    assert_eq!(
        (r.status, r.verdict),
        (RunStatus::Complete, Some(Verdict::Pass))
    );
    let m = st.run_metrics(id).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].value, m[0].baseline_n), (12.5, Some(5)));
    assert_eq!(st.run_scenarios(id).unwrap()[0].status, ScenarioStatus::Ok);
    assert_eq!(m[0].verdict, Some(MetricVerdict::Ok));
    assert_eq!(st.metric_names().unwrap(), vec!["api.p95_ms".to_string()]);
    assert_eq!(st.runs(10).unwrap().len(), 1);
}

fn history_and_epoch(st: &mut dyn Store) {
    let a = run_with(st, "api.p95_ms", 1.0, false);
    let b = run_with(st, "api.p95_ms", 2.0, true);
    let running = st.begin_run(&meta(RunMode::Ci)).unwrap();
    let h = st.history("api.p95_ms", 0, 10, None).unwrap();
    assert_eq!(h.iter().map(|p| p.run_id).collect::<Vec<_>>(), vec![a, b]);
    assert!(h[1].suspect && !h[0].suspect);
    assert!(
        !h.iter().any(|p| p.run_id == running),
        "a running run is no history"
    );
    let h = st.history("api.p95_ms", 0, 10, Some(b)).unwrap();
    assert_eq!(h.len(), 1, "excluded run left out");
    let c = run_with(st, "api.p95_ms", 3.0, false);
    let h = st.history_between("api.p95_ms", 0, c, 1, None).unwrap();
    assert_eq!(
        h.iter().map(|p| p.run_id).collect::<Vec<_>>(),
        vec![b],
        "the newest before the bound"
    );
    st.baseline_event("api.p95_ms", BaselineAction::Reset, b, "t", "why")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), b);
    st.baseline_event("*", BaselineAction::Reset, b + 1, "t", "all")
        .unwrap();
    assert_eq!(
        st.baseline_epoch("api.other_ms").unwrap(),
        b + 1,
        "'*' resets all"
    );
    // Accepting the latest run's level right after resetting at it: the newest
    // event rules, so that run is the new baseline's first sample.
    st.baseline_event("api.p95_ms", BaselineAction::Reset, c, "t", "reset")
        .unwrap();
    st.baseline_event("api.p95_ms", BaselineAction::Accept, c - 1, "t", "accept")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), c - 1);
}

fn upsert_alert_if_open(st: &mut dyn Store) {
    let r1 = run_with(st, "api.p95_ms", 2.0, true);
    let id = st
        .upsert_alert(&alert("api.p95_ms", r1, Severity::High))
        .unwrap();
    let r2 = run_with(st, "api.p95_ms", 3.0, true);
    let mut again = alert("api.p95_ms", r2, Severity::Critical);
    again.opened_run_id = r1;
    assert_eq!(
        st.upsert_alert(&again).unwrap(),
        id,
        "the open alert is refreshed"
    );
    let open = st.open_alert("api.p95_ms").unwrap().unwrap();
    assert_eq!((open.last_run_id, open.severity), (r2, Severity::Critical));
    assert_eq!(open.opened_run_id, r1);
    assert_eq!(open.rule, Some(DetectionRule::Cusum), "the rule is kept");
    st.set_alert_state(id, TriageState::Fixed, "t", "recovered")
        .unwrap();
    assert!(st.open_alert("api.p95_ms").unwrap().is_none());
    let new = st
        .upsert_alert(&alert("api.p95_ms", r2, Severity::Low))
        .unwrap();
    assert_ne!(new, id, "a closed alert is never reopened");
    assert_eq!(st.alerts(true).unwrap().len(), 1);
    assert_eq!(st.alerts(false).unwrap().len(), 2);
}

fn last_recovered_alert(st: &mut dyn Store) {
    let m = "api.p95_ms";
    let r1 = run_with(st, m, 2.0, true);
    let id = st.upsert_alert(&alert(m, r1, Severity::High)).unwrap();
    assert!(st.last_recovered_alert(m).unwrap().is_none(), "still open");
    st.set_alert_state(id, TriageState::Fixed, store::SELF_ACTOR, "recovered")
        .unwrap();
    // A later one a person closed, and another metric's, are not recoveries.
    let r2 = run_with(st, m, 3.0, true);
    let by_hand = st.upsert_alert(&alert(m, r2, Severity::High)).unwrap();
    st.set_alert_state(by_hand, TriageState::Fixed, "oncall", "fixed in #123")
        .unwrap();
    let other = st
        .upsert_alert(&alert("api.p99_ms", r2, Severity::Low))
        .unwrap();
    st.set_alert_state(other, TriageState::Fixed, store::SELF_ACTOR, "recovered")
        .unwrap();
    let found = st
        .last_recovered_alert(m)
        .unwrap()
        .map(|a| (a.id, a.last_run_id));
    assert_eq!(found, Some((id, r1)));
}

fn accept_alert(st: &mut dyn Store) {
    run_with(st, "api.p95_ms", 1.0, false);
    let r = run_with(st, "api.p95_ms", 2.0, true);
    let id = st
        .upsert_alert(&alert("api.p95_ms", r, Severity::High))
        .unwrap();
    st.set_alert_state(id, TriageState::Accepted, "oncall", "new level")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), r - 1);
    let h = st.history("api.p95_ms", r - 1, 10, None).unwrap();
    assert!(!h[0].suspect, "the accepted level may enter the baseline");
    let audit = st.audit(10).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.who == "oncall" && a.reason.contains("new level"))
    );
    // Confirmed a run after the change began: the level starts at its first bad run.
    let bad = run_with(st, "api.p95_ms", 3.0, true);
    let r = run_with(st, "api.p95_ms", 3.1, true);
    let id = st
        .upsert_alert(&Alert {
            bad_run_id: Some(bad),
            ..alert("api.p95_ms", r, Severity::High)
        })
        .unwrap();
    st.set_alert_state(id, TriageState::Accepted, "oncall", "new level")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), bad - 1);
    let h = st.history("api.p95_ms", bad - 1, 10, None).unwrap();
    assert_eq!(h.len(), 2);
    assert!(h.iter().all(|p| !p.suspect), "{h:?}");
}

fn invalid_alert(st: &mut dyn Store) {
    run_with(st, "api.p95_ms", 1.0, false);
    let bad = run_with(st, "api.p95_ms", 2.0, true);
    let last = run_with(st, "api.p95_ms", 2.1, true);
    let after = run_with(st, "api.p95_ms", 2.2, true);
    let id = st
        .upsert_alert(&Alert {
            bad_run_id: Some(bad),
            last_run_id: last,
            ..alert("api.p95_ms", last, Severity::High)
        })
        .unwrap();
    st.set_alert_state(id, TriageState::Invalid, "oncall", "a second mode")
        .unwrap();
    let h = st.history("api.p95_ms", 0, 10, None).unwrap();
    let marks: Vec<(i64, bool)> = h.iter().map(|p| (p.run_id, p.suspect)).collect();
    assert_eq!(
        marks,
        vec![(bad - 1, false), (bad, false), (last, false), (after, true)],
        "the alert's runs only"
    );
    assert_eq!(
        st.baseline_epoch("api.p95_ms").unwrap(),
        0,
        "no baseline event"
    );
}

fn escalated_alert(st: &mut dyn Store) {
    run_with(st, "api.p95_ms", 1.0, false);
    let bad = run_with(st, "api.p95_ms", 2.0, true);
    let opened = run_with(st, "api.p95_ms", 2.1, true);
    let id = st
        .upsert_alert(&Alert {
            bad_run_id: Some(bad),
            ..alert("api.p95_ms", opened, Severity::Medium)
        })
        .unwrap();
    // A further move from `moved` escalates it at `raised`.
    let moved = run_with(st, "api.p95_ms", 5.0, true);
    let raised = run_with(st, "api.p95_ms", 5.1, true);
    let refreshed = st
        .upsert_alert(&Alert {
            level: Some((moved, raised)),
            ..alert("api.p95_ms", raised, Severity::High)
        })
        .unwrap();
    assert_eq!(refreshed, id, "the open alert is refreshed");
    // A refresh that is no escalation keeps the level.
    let later = run_with(st, "api.p95_ms", 5.0, true);
    st.upsert_alert(&alert("api.p95_ms", later, Severity::High))
        .unwrap();
    let a = st.open_alert("api.p95_ms").unwrap().unwrap();
    assert_eq!(
        (
            a.change_from(),
            a.level_from(),
            a.level_raised(),
            a.last_run_id
        ),
        (bad, moved, raised, later),
        "{a:?}"
    );
    // Accepted, the current level becomes the baseline, not the change's first.
    st.set_alert_state(id, TriageState::Accepted, "oncall", "new level")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), moved - 1);
}

fn escalated_alert_called_invalid(st: &mut dyn Store) {
    run_with(st, "api.p95_ms", 1.0, false);
    let bad = run_with(st, "api.p95_ms", 2.0, true);
    let moved = run_with(st, "api.p95_ms", 5.0, true);
    let id = st
        .upsert_alert(&Alert {
            bad_run_id: Some(bad),
            ..alert("api.p95_ms", bad, Severity::Medium)
        })
        .unwrap();
    st.upsert_alert(&Alert {
        level: Some((moved, moved)),
        ..alert("api.p95_ms", moved, Severity::High)
    })
    .unwrap();
    // A false alarm releases every run from where the change began.
    st.set_alert_state(id, TriageState::Invalid, "oncall", "noise")
        .unwrap();
    let h = st.history("api.p95_ms", 0, 10, None).unwrap();
    assert!(h.iter().all(|p| !p.suspect), "{h:?}");
}

fn baseline_events_close_alerts(st: &mut dyn Store) {
    let r = run_with(st, "api.p95_ms", 2.0, true);
    st.upsert_alert(&alert("api.p95_ms", r, Severity::High))
        .unwrap();
    st.upsert_alert(&alert("api.p99_ms", r, Severity::High))
        .unwrap();
    st.baseline_event("api.p95_ms", BaselineAction::Accept, r - 1, "t", "ok")
        .unwrap();
    let all = st.alerts(false).unwrap();
    let state = |m: &str| all.iter().find(|a| a.metric == m).unwrap().state;
    assert_eq!(state("api.p95_ms"), TriageState::Accepted);
    assert_eq!(state("api.p99_ms"), TriageState::Untriaged);
    st.baseline_event("*", BaselineAction::Reset, r, "t", "all")
        .unwrap();
    let all = st.alerts(false).unwrap();
    assert!(
        all.iter()
            .any(|a| a.metric == "api.p99_ms" && a.state == TriageState::Fixed)
    );
    assert!(st.alerts(true).unwrap().is_empty());
}

fn undo_a_reset(st: &mut dyn Store) {
    run_with(st, "api.p95_ms", 1.0, false);
    let r = run_with(st, "api.p95_ms", 2.0, true);
    let id = st
        .upsert_alert(&alert("api.p95_ms", r, Severity::High))
        .unwrap();
    st.set_alert_state(id, TriageState::Acknowledged, "t", "looking")
        .unwrap();
    let other = st
        .upsert_alert(&alert("api.p99_ms", r, Severity::High))
        .unwrap();
    // The wrong metric reset at 3am: its alert closed, its history gone.
    st.baseline_event("api.p95_ms", BaselineAction::Reset, r, "oncall", "oops")
        .unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), r);
    assert!(st.open_alert("api.p95_ms").unwrap().is_none());
    let done = st.undo_reset("api.p95_ms", "lead", "meant p99").unwrap();
    assert_eq!(st.baseline_epoch("api.p95_ms").unwrap(), 0, "history back");
    assert_eq!(
        (done.event.who.as_str(), done.reopened.clone()),
        ("oncall", vec![id])
    );
    let open = st.open_alert("api.p95_ms").unwrap().expect("open again");
    assert_eq!((open.id, open.state), (id, TriageState::Untriaged));
    assert_eq!(
        st.open_alert("api.p99_ms").unwrap().map(|a| a.id),
        Some(other),
        "another metric's alert is left alone"
    );
    assert!(
        st.audit(5)
            .unwrap()
            .iter()
            .any(|a| a.action == "baseline undo" && a.who == "lead" && a.reason.contains("oops")),
        "audited with the reset it took back"
    );
    let err = |r: Result<_, perfgate::engine::error::Error>| r.map(drop).unwrap_err().to_string();
    let e = err(st.undo_reset("api.p95_ms", "lead", "again"));
    assert!(e.contains("no reset to take back"), "{e}");
    // An accept is not taken back; nor a reset once a run was judged after it.
    st.baseline_event("api.p95_ms", BaselineAction::Accept, r - 1, "t", "ok")
        .unwrap();
    let e = err(st.undo_reset("api.p95_ms", "lead", "no"));
    assert!(
        e.contains("accept") && e.contains("cannot be undone"),
        "{e}"
    );
    st.baseline_event("*", BaselineAction::Reset, r, "t", "all")
        .unwrap();
    let later = run_with(st, "api.p95_ms", 1.0, false);
    let e = err(st.undo_reset("*", "lead", "late"));
    assert!(
        e.contains(&format!("#{later}")) && e.contains("judged"),
        "{e}"
    );
    assert_eq!(st.baseline_epoch("api.p99_ms").unwrap(), r, "still reset");
    // Every metric's reset, taken back at once, reopens what it closed (not what
    // the reset before it closed).
    let fresh = st
        .upsert_alert(&alert("api.p99_ms", later, Severity::High))
        .unwrap();
    st.baseline_event("*", BaselineAction::Reset, later, "t", "all again")
        .unwrap();
    let done = st.undo_reset("*", "lead", "too much").unwrap();
    assert_eq!(done.reopened, vec![fresh]);
    assert_ne!(fresh, other);
    assert_eq!(
        st.baseline_epoch("api.p99_ms").unwrap(),
        r,
        "the earlier one stands"
    );
}

fn triage_state_checks(st: &mut dyn Store) {
    let r = run_with(st, "api.p95_ms", 2.0, true);
    let id = st
        .upsert_alert(&alert("api.p95_ms", r, Severity::High))
        .unwrap();
    assert!(TriageState::parse("bogus").is_none(), "no such state");
    let audited = st.audit(100).unwrap().len();
    let err = st
        .set_alert_state(id + 1000, TriageState::Fixed, "t", "x")
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_eq!(
        st.audit(100).unwrap().len(),
        audited,
        "a refused change writes nothing"
    );
    st.set_alert_state(id, TriageState::Acknowledged, "t", "known")
        .unwrap();
    let a = st
        .open_alert("api.p95_ms")
        .unwrap()
        .expect("acknowledged is still open");
    assert_eq!(
        (a.state, a.updated_by.as_str()),
        (TriageState::Acknowledged, "t")
    );
}

fn group_triage(st: &mut dyn Store) {
    let r = run_with(st, "api.p95_ms", 2.0, true);
    let lead = st
        .upsert_alert(&alert("api.p95_ms", r, Severity::High))
        .unwrap();
    let mut member = alert("api.p99_ms", r, Severity::High);
    member.group_id = Some(lead);
    member.good_run_id = Some(r - 1);
    member.bad_run_id = Some(r);
    let second = st.upsert_alert(&member).unwrap();
    let other = st
        .upsert_alert(&alert("db.query_ms", r, Severity::Low))
        .unwrap();
    let audited = st.audit(100).unwrap().len();
    assert_eq!(
        st.set_group_state(lead, TriageState::Investigating, "t", "one cause")
            .unwrap(),
        2
    );
    assert_eq!(
        st.audit(100).unwrap().len(),
        audited + 2,
        "one entry per member"
    );
    let all = st.alerts(false).unwrap();
    let get = |id: i64| all.iter().find(|a| a.id == id).unwrap();
    assert_eq!(get(lead).state, TriageState::Investigating);
    assert_eq!(get(second).state, TriageState::Investigating);
    assert_eq!(get(other).state, TriageState::Untriaged, "another group");
    assert_eq!(
        (get(second).group(), get(second).good_run_id),
        (lead, Some(r - 1))
    );
    assert!(
        st.set_group_state(9999, TriageState::Fixed, "t", "x")
            .is_err()
    );
}

fn named_runs(st: &mut dyn Store) {
    let a = run_with(st, "api.p95_ms", 1.0, false);
    let b = run_with(st, "api.p95_ms", 1.0, false);
    assert_eq!(st.named_run("main").unwrap(), None);
    st.save_named_run("main", a, "t").unwrap();
    assert_eq!(st.named_run("main").unwrap(), Some(a));
    st.save_named_run("main", b, "t").unwrap();
    assert_eq!(st.named_run("main").unwrap(), Some(b));
}

fn alert_log(st: &mut dyn Store) {
    let r = run_with(st, "api.p95_ms", 1.0, false);
    let now = chrono_now();
    assert!(
        st.severities_sent_since("api.p95_ms", now - 60)
            .unwrap()
            .is_empty()
    );
    st.record_alert_sent("api.p95_ms", "high", "slack", r, now)
        .unwrap();
    st.record_alert_sent("api.p99_ms", "low", "console", r, now - 7200)
        .unwrap();
    assert_eq!(
        st.severities_sent_since("api.p95_ms", now - 60).unwrap(),
        vec!["high".to_string()]
    );
    assert_eq!(st.alerts_sent_since(now - 3600).unwrap(), 1);
    assert_eq!(st.alerts_sent_since(now - 8000).unwrap(), 2);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn run_all(open: &dyn Fn(&str) -> Box<dyn Store>) {
    for (name, case) in CASES {
        let mut st = open(name);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(st.as_mut())));
        if let Err(e) = outcome {
            std::panic::resume_unwind(Box::new(format!("case {name:?}: {e:?}")));
        }
    }
}

#[test]
fn sqlite_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::cell::Cell::new(0);
    run_all(&|_| {
        n.set(n.get() + 1);
        store::open(
            dir.path()
                .join(format!("s{}.db", n.get()))
                .to_str()
                .unwrap(),
        )
        .unwrap()
    });
}

/// The PostgreSQL store blocks on the runtime it is opened in, as in perfgate itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_store_contract() {
    let admin = common::services::postgres_url();
    tokio::task::block_in_place(|| {
        let n = std::cell::Cell::new(0);
        run_all(&|_| {
            n.set(n.get() + 1);
            let name = format!("contract{}_{}", n.get(), std::process::id());
            store::open(&fresh_db(&admin, &name)).unwrap()
        });
    });
}

/// A fresh database on the server; returns its URL.
fn fresh_db(admin: &str, name: &str) -> String {
    tokio::runtime::Handle::current().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(admin).await.unwrap();
        for q in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(q))
                .execute(&mut c)
                .await
                .unwrap();
        }
    });
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}
