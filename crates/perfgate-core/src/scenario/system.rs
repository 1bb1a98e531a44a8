//! System resources sampled with sysinfo: CPU, memory, disk and network throughput.

use std::collections::BTreeMap;
use std::time::Duration;
use sysinfo::{
    CpuRefreshKind, DiskRefreshKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ScenarioOutput;
use crate::config::{Config, SYSTEM_METRICS, SystemScenario, system_metric_key};
use crate::live::{LiveHub, ScenarioPhase, push_bounded};

const MB: f64 = 1024.0 * 1024.0;

/// One reading of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub cpu_pct: f64,
    pub mem_mb: f64,
    pub mem_total_mb: f64,
    pub disk_mbps: f64,
    pub net_mbps: f64,
}

/// Keeps sysinfo state between readings (CPU and I/O figures are deltas).
pub struct Sampler {
    sys: System,
    disks: Disks,
    nets: Networks,
    last: Instant,
}

impl Sampler {
    pub fn new() -> Sampler {
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_cpu_usage())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        Sampler {
            sys,
            // I/O counters only: refreshing space or kind calls statvfs on every
            // mount, which blocks on a slow or vanishing mount and stalled sampling.
            disks: Disks::new_with_refreshed_list_specifics(
                DiskRefreshKind::nothing().with_io_usage(),
            ),
            nets: Networks::new_with_refreshed_list(),
            last: Instant::now(),
        }
    }

    /// Figures since the previous call.
    pub fn sample(&mut self) -> Sample {
        let secs = self.last.elapsed().as_secs_f64().max(1e-3);
        self.last = Instant::now();
        self.sys.refresh_cpu_usage();
        self.sys.refresh_memory();
        self.disks
            .refresh_specifics(false, DiskRefreshKind::nothing().with_io_usage());
        self.nets.refresh(true);
        let disk_bytes: u64 = self
            .disks
            .iter()
            .map(|d| {
                let u = d.usage();
                u.read_bytes + u.written_bytes
            })
            .sum();
        let net_bytes: u64 = self
            .nets
            .values()
            .map(|n| n.received() + n.transmitted())
            .sum();
        Sample {
            cpu_pct: self.sys.global_cpu_usage() as f64,
            mem_mb: self.sys.used_memory() as f64 / MB,
            mem_total_mb: self.sys.total_memory() as f64 / MB,
            disk_mbps: disk_bytes as f64 / MB / secs,
            net_mbps: net_bytes as f64 / MB / secs,
        }
    }
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::new()
    }
}

/// CPU % and resident memory (MB) of the watched processes (summed over every
/// process with that name, e.g. nginx's workers).
fn process_sample(sys: &mut System, target: &str) -> Option<(f64, f64)> {
    sys.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::All,
        true,
        sysinfo::ProcessRefreshKind::nothing()
            .with_cpu()
            .with_memory(),
    );
    let pid: Option<u32> = target.parse().ok();
    let mut found = false;
    let (mut cpu, mut mem) = (0.0, 0.0);
    for (p, proc_) in sys.processes() {
        let hit = match pid {
            Some(id) => p.as_u32() == id,
            None => proc_.name().to_string_lossy() == target,
        };
        if hit {
            found = true;
            cpu += proc_.cpu_usage() as f64;
            mem += proc_.memory() as f64 / MB;
        }
    }
    found.then_some((cpu, mem))
}

/// Sample for the scenario's duration, or, with `until`, until that token fires
/// (a scenario running `during` another one).
pub async fn run(
    cfg: &Config,
    s: &SystemScenario,
    live: &LiveHub,
    cancel: &CancellationToken,
    until: Option<&CancellationToken>,
) -> ScenarioOutput {
    let mut proc_sys = System::new();
    let mut proc_samples: Vec<(f64, f64)> = Vec::new();
    let target = s.process.as_ref().map(|p| p.to_string());
    if let Some(t) = &target {
        // First reading primes the CPU delta.
        process_sample(&mut proc_sys, t);
    }
    let wanted: Vec<&str> = match &s.metrics {
        Some(list) => list.iter().filter_map(|m| system_metric_key(m)).collect(),
        None => SYSTEM_METRICS.to_vec(),
    };
    let duration = Duration::from_secs_f64(s.duration.unwrap_or(cfg.test_duration));
    let interval = Duration::from_millis(s.interval_ms.unwrap_or(1000).max(1));
    let mut sampler = Sampler::new();
    // CPU usage needs two readings separated by sysinfo's minimum interval.
    tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL).await;
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    sampler.sample();
    let mut tick = tokio::time::interval_at(started + interval, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The scenario ends on time even when a late sample pushed its last tick past the
    // end (half an interval of grace for the sample due exactly at the end).
    let deadline = started + duration + interval / 2;
    let never = CancellationToken::new();
    let stop = until.unwrap_or(&never);
    loop {
        let stopped = tokio::select! {
            _ = tick.tick() => false,
            _ = cancel.cancelled() => true,
            _ = stop.cancelled() => true,
            _ = tokio::time::sleep_until(deadline), if until.is_none() => true,
        };
        if stopped {
            break;
        }
        let x = sampler.sample();
        samples.push(x);
        if let Some(t) = &target
            && let Some(p) = process_sample(&mut proc_sys, t)
        {
            proc_samples.push(p);
        }
        let elapsed = started.elapsed().as_secs_f64();
        live.update_scenario(&s.name, |ls| {
            ls.kind = crate::config::ScenarioType::System;
            ls.phase = ScenarioPhase::Running;
            ls.elapsed_s = elapsed.min(duration.as_secs_f64());
            ls.duration_s = duration.as_secs_f64();
            ls.cpu_pct = x.cpu_pct;
            ls.mem_mb = x.mem_mb;
            ls.requests = samples.len() as u64;
            push_bounded(&mut ls.rps_history, x.cpu_pct as u64);
        });
        if until.is_none() && started.elapsed() + Duration::from_millis(1) >= duration {
            break;
        }
    }
    live.update_scenario(&s.name, |ls| {
        ls.phase = if cancel.is_cancelled() {
            ScenarioPhase::Stopped
        } else {
            ScenarioPhase::Done
        };
        ls.elapsed_s = started.elapsed().as_secs_f64().min(duration.as_secs_f64());
    });
    let mut metrics = BTreeMap::new();
    if !samples.is_empty() {
        let n = samples.len() as f64;
        let mean = |f: fn(&Sample) -> f64| samples.iter().map(f).sum::<f64>() / n;
        let max = |f: fn(&Sample) -> f64| samples.iter().map(f).fold(f64::MIN, f64::max);
        for key in &wanted {
            match *key {
                "cpu_usage" => {
                    metrics.insert("cpu_usage_pct".into(), mean(|x| x.cpu_pct));
                    metrics.insert("cpu_usage_max_pct".into(), max(|x| x.cpu_pct));
                }
                "memory_usage" => {
                    metrics.insert("memory_usage_mb".into(), mean(|x| x.mem_mb));
                    metrics.insert("memory_usage_max_mb".into(), max(|x| x.mem_mb));
                }
                "disk_io" => {
                    metrics.insert("disk_io_mbps".into(), mean(|x| x.disk_mbps));
                }
                "network_io" => {
                    metrics.insert("network_io_mbps".into(), mean(|x| x.net_mbps));
                }
                _ => {}
            }
        }
    }
    if !proc_samples.is_empty() {
        let n = proc_samples.len() as f64;
        metrics.insert(
            "process_cpu_pct".into(),
            proc_samples.iter().map(|p| p.0).sum::<f64>() / n,
        );
        metrics.insert(
            "process_memory_mb".into(),
            proc_samples.iter().map(|p| p.1).sum::<f64>() / n,
        );
        metrics.insert(
            "process_memory_max_mb".into(),
            proc_samples.iter().map(|p| p.1).fold(0.0, f64::max),
        );
    }
    let note = if samples.is_empty() {
        Some("stopped before the first sample".to_string())
    } else if target.is_some() && proc_samples.is_empty() {
        Some(format!(
            "process {:?} was not found: its metrics are absent",
            target.unwrap_or_default()
        ))
    } else {
        None
    };
    ScenarioOutput {
        note,
        requests: samples.len() as u64,
        interrupted: cancel.is_cancelled(),
        metrics,
        ..ScenarioOutput::default()
    }
}
