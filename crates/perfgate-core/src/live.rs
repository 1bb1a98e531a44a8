//! Live state the engine publishes while it runs: a `watch` snapshot where only the
//! latest value matters, and a bounded event channel for what must not be lost.

use std::collections::BTreeMap;
use tokio::sync::{mpsc, watch};

/// Points kept in the live sparklines (one per publish tick).
pub const LIVE_HISTORY: usize = 120;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSnapshot {
    pub run_id: Option<i64>,
    pub phase: String,
    pub scenarios: Vec<LiveScenario>,
    pub system: LiveSystem,
    /// Snapshots published so far (lets a UI measure its refresh rate).
    pub seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSystem {
    pub cpu_pct: f64,
    pub mem_mb: f64,
    pub mem_total_mb: f64,
    /// Machine CPU percent, one point per sample (bounded, newest last).
    pub cpu_history: Vec<u64>,
    /// Highest CPU percent sampled since the run started.
    pub cpu_peak_pct: f64,
}

/// Machine CPU at or above this percent is saturated: the load generator then
/// queues requests itself, and latency includes its own waiting.
pub const SATURATED_CPU_PCT: f64 = 90.0;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScenarioPhase {
    #[default]
    Pending,
    Warmup,
    Running,
    Confirming,
    Done,
    Failed,
    Stopped,
}

impl ScenarioPhase {
    pub fn label(self) -> &'static str {
        match self {
            ScenarioPhase::Pending => "pending",
            ScenarioPhase::Warmup => "warm-up",
            ScenarioPhase::Running => "running",
            ScenarioPhase::Confirming => "confirming",
            ScenarioPhase::Done => "done",
            ScenarioPhase::Failed => "failed",
            ScenarioPhase::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveScenario {
    pub name: String,
    pub kind: crate::config::ScenarioType,
    pub phase: ScenarioPhase,
    pub elapsed_s: f64,
    pub duration_s: f64,
    pub requests: u64,
    pub errors: BTreeMap<String, u64>,
    /// Over the rolling window.
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub rps_history: Vec<u64>,
    pub p95_history: Vec<u64>,
    /// System scenarios: latest samples.
    pub cpu_pct: f64,
    pub mem_mb: f64,
}

impl LiveScenario {
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Events a front-end must see even if it drew no frame in between.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    RunStarted {
        run_id: i64,
    },
    ScenarioStarted {
        name: String,
    },
    ScenarioFinished {
        name: String,
        ok: bool,
        message: Option<String>,
    },
    Confirming {
        scenario: String,
    },
    Log(String),
    RunFinished {
        run_id: i64,
        status: String,
    },
}

/// The engine's side of the live channels.
#[derive(Clone)]
pub struct LiveHub {
    pub snapshot: watch::Sender<LiveSnapshot>,
    pub events: mpsc::Sender<EngineEvent>,
}

pub struct LiveReceiver {
    pub snapshot: watch::Receiver<LiveSnapshot>,
    pub events: mpsc::Receiver<EngineEvent>,
}

impl LiveHub {
    pub fn new() -> (LiveHub, LiveReceiver) {
        let (stx, srx) = watch::channel(LiveSnapshot::default());
        let (etx, erx) = mpsc::channel(256);
        (
            LiveHub {
                snapshot: stx,
                events: etx,
            },
            LiveReceiver {
                snapshot: srx,
                events: erx,
            },
        )
    }

    /// Update one scenario's live entry (adding it if new) and publish.
    pub fn update_scenario(&self, name: &str, f: impl FnOnce(&mut LiveScenario)) {
        self.snapshot.send_modify(|s| {
            let idx = match s.scenarios.iter().position(|x| x.name == name) {
                Some(i) => i,
                None => {
                    s.scenarios.push(LiveScenario {
                        name: name.to_string(),
                        ..Default::default()
                    });
                    s.scenarios.len() - 1
                }
            };
            f(&mut s.scenarios[idx]);
            s.seq += 1;
        });
    }

    pub fn update(&self, f: impl FnOnce(&mut LiveSnapshot)) {
        self.snapshot.send_modify(|s| {
            f(s);
            s.seq += 1;
        });
    }

    /// Send an event without ever blocking the engine: if the UI is far behind,
    /// wait briefly, then drop log lines (never lifecycle events).
    pub async fn emit(&self, ev: EngineEvent) {
        let lossy = matches!(ev, EngineEvent::Log(_));
        if lossy {
            let _ = self.events.try_send(ev);
        } else {
            let _ = self.events.send(ev).await;
        }
    }
}

pub fn push_bounded(v: &mut Vec<u64>, x: u64) {
    if v.len() >= LIVE_HISTORY {
        v.remove(0);
    }
    v.push(x);
}
