//! Closed-loop HTTP load: one task per virtual user, each on its own keep-alive
//! connection through hyper's connection API (no pool, no per-request results kept).
//!
//! Workers record latencies (microseconds) into a small per-worker interval tally
//! behind an uncontended mutex; a monitor drains the tallies every publish tick into
//! the run total and a rolling window for the live view.

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request, Uri, header};
use hyper_util::rt::TokioIo;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ScenarioOutput;
use crate::engine::config::{Config, ScenarioConfig};
use crate::engine::live::{LiveHub, ScenarioPhase, push_bounded};

/// How often the live aggregate is published.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(250);
/// Rolling window of the live percentiles, in publish ticks (2 s).
const WINDOW_TICKS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorClass {
    Connect,
    Timeout,
    Http4xx,
    Http5xx,
    Body,
    Io,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 6] = [
        ErrorClass::Connect,
        ErrorClass::Timeout,
        ErrorClass::Http4xx,
        ErrorClass::Http5xx,
        ErrorClass::Body,
        ErrorClass::Io,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Connect => "connect",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Http4xx => "http_4xx",
            ErrorClass::Http5xx => "http_5xx",
            ErrorClass::Body => "body",
            ErrorClass::Io => "io",
        }
    }
}

pub fn new_histogram() -> Histogram<u64> {
    // Auto-resizing, 3 significant digits: stays small for fast services.
    Histogram::new(3).expect("3 significant digits is a valid histogram")
}

/// What a worker accumulated since the monitor last drained it.
struct Tally {
    hist: Histogram<u64>,
    ok: u64,
    bytes: u64,
    errors: [u64; 6],
}

impl Tally {
    fn new() -> Tally {
        Tally {
            hist: new_histogram(),
            ok: 0,
            bytes: 0,
            errors: [0; 6],
        }
    }
    fn drain_into(&mut self, other: &mut Tally) {
        let _ = other.hist.add(&self.hist);
        self.hist.reset();
        other.ok += std::mem::take(&mut self.ok);
        other.bytes += std::mem::take(&mut self.bytes);
        for (o, s) in other.errors.iter_mut().zip(self.errors.iter_mut()) {
            *o += std::mem::take(s);
        }
    }
    fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }
}

/// Warm-up and measured figures are kept apart so warm-up never leaks into metrics.
struct Interval {
    warm: Tally,
    measured: Tally,
}

/// The fixed parts of every request of a scenario.
struct Target {
    addr: String,
    host_header: header::HeaderValue,
    method: Method,
    uri: Uri,
    headers: header::HeaderMap,
    body: Bytes,
    timeout: Duration,
}

impl Target {
    fn from_config(cfg: &Config, s: &ScenarioConfig) -> Result<Target, String> {
        let base = cfg.base_url.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("base_url {base:?}: only http:// targets are supported"))?;
        let (authority, base_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let addr = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let path = format!("{base_path}{}", s.endpoint.as_deref().unwrap_or("/"));
        let uri: Uri = path
            .parse()
            .map_err(|e| format!("endpoint {path:?} is not a valid path: {e}"))?;
        let method = Method::from_bytes(
            s.method
                .as_deref()
                .unwrap_or("GET")
                .to_ascii_uppercase()
                .as_bytes(),
        )
        .map_err(|e| format!("method: {e}"))?;
        let mut headers = header::HeaderMap::new();
        let mut body = Bytes::new();
        if let Some(b) = &s.body {
            body = match b {
                serde_json::Value::String(s) => Bytes::from(s.clone()),
                other => {
                    headers.insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                    Bytes::from(other.to_string())
                }
            };
        }
        for (k, v) in s.headers.iter().flatten() {
            let name = header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("header name {k:?} is invalid"))?;
            let value = header::HeaderValue::from_str(v)
                .map_err(|_| format!("header {k:?} has an invalid value"))?;
            headers.insert(name, value);
        }
        Ok(Target {
            host_header: header::HeaderValue::from_str(authority)
                .map_err(|_| format!("base_url host {authority:?} is invalid"))?,
            addr,
            method,
            uri,
            headers,
            body,
            timeout: Duration::from_secs_f64(s.timeout.unwrap_or(30.0)),
        })
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        let h = req.headers_mut();
        h.clone_from(&self.headers);
        h.insert(header::HOST, self.host_header.clone());
        req
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> std::io::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

enum Outcome {
    Ok { bytes: u64 },
    Err(ErrorClass),
}

async fn one_request(sender: &mut Sender, target: &Target) -> Outcome {
    if sender.ready().await.is_err() {
        return Outcome::Err(ErrorClass::Io);
    }
    let resp = match sender.send_request(target.request()).await {
        Ok(r) => r,
        Err(_) => return Outcome::Err(ErrorClass::Io),
    };
    let status = resp.status();
    let mut body = resp.into_body();
    let mut bytes = 0u64;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Some(d) = f.data_ref() {
                    bytes += d.len() as u64;
                }
            }
            Err(_) => return Outcome::Err(ErrorClass::Body),
        }
    }
    if status.is_server_error() {
        Outcome::Err(ErrorClass::Http5xx)
    } else if status.is_client_error() {
        Outcome::Err(ErrorClass::Http4xx)
    } else {
        Outcome::Ok { bytes }
    }
}

async fn worker(
    target: Arc<Target>,
    shared: Arc<Mutex<Interval>>,
    measure_from: Instant,
    deadline: Instant,
    cancel: CancellationToken,
) {
    let mut conn: Option<Sender> = None;
    let mut backoff = Duration::from_millis(5);
    loop {
        let now = Instant::now();
        if now >= deadline || cancel.is_cancelled() {
            break;
        }
        let record = |class: Result<(u64, u64), ErrorClass>| {
            let mut g = shared.lock().unwrap_or_else(|p| p.into_inner());
            let t = if Instant::now() < measure_from {
                &mut g.warm
            } else {
                &mut g.measured
            };
            match class {
                Ok((micros, bytes)) => {
                    let _ = t.hist.record(micros.max(1));
                    t.ok += 1;
                    t.bytes += bytes;
                }
                Err(c) => t.errors[c as usize] += 1,
            }
        };
        let sender = match conn.as_mut() {
            Some(s) => s,
            None => {
                let wait = target.timeout.min(deadline - now);
                let r = tokio::select! {
                    r = tokio::time::timeout(wait, connect(&target.addr)) => r,
                    _ = cancel.cancelled() => break,
                };
                match r {
                    Ok(Ok(s)) => {
                        backoff = Duration::from_millis(5);
                        conn.insert(s)
                    }
                    Ok(Err(_)) | Err(_) => {
                        let class = if r.is_err() {
                            ErrorClass::Timeout
                        } else {
                            ErrorClass::Connect
                        };
                        record(Err(class));
                        // Back off so a dead target costs little CPU and error counts stay meaningful.
                        let pause = backoff.min(deadline.saturating_duration_since(Instant::now()));
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {},
                            _ = cancel.cancelled() => break,
                        }
                        backoff = (backoff * 2).min(Duration::from_millis(250));
                        continue;
                    }
                }
            }
        };
        let start = Instant::now();
        let res = tokio::select! {
            biased;
            r = tokio::time::timeout(target.timeout, one_request(sender, &target)) => r,
            _ = cancel.cancelled() => break,
        };
        let micros = start.elapsed().as_micros() as u64;
        match res {
            Ok(Outcome::Ok { bytes }) => record(Ok((micros, bytes))),
            Ok(Outcome::Err(c)) => {
                record(Err(c));
                if matches!(c, ErrorClass::Io | ErrorClass::Body) {
                    conn = None;
                }
            }
            Err(_) => {
                record(Err(ErrorClass::Timeout));
                conn = None;
            }
        }
    }
}

/// Run one API scenario to completion (or cancellation) and compute its metrics.
pub async fn run(
    cfg: &Config,
    s: &ScenarioConfig,
    live: &LiveHub,
    cancel: &CancellationToken,
) -> ScenarioOutput {
    let target = match Target::from_config(cfg, s) {
        Ok(t) => Arc::new(t),
        Err(e) => return ScenarioOutput::failed(e),
    };
    let users = s.concurrent_users.unwrap_or(cfg.concurrent_users).max(1) as usize;
    let duration = Duration::from_secs_f64(cfg.scenario_duration(s));
    let warmup = Duration::from_secs_f64(s.warmup.unwrap_or(0.0));
    let started = Instant::now();
    let measure_from = started + warmup;
    let deadline = started + duration;
    let stop = cancel.child_token();

    let slots: Vec<Arc<Mutex<Interval>>> = (0..users)
        .map(|_| {
            Arc::new(Mutex::new(Interval {
                warm: Tally::new(),
                measured: Tally::new(),
            }))
        })
        .collect();
    let mut handles = Vec::with_capacity(users);
    for slot in &slots {
        handles.push(tokio::spawn(worker(
            target.clone(),
            slot.clone(),
            measure_from,
            deadline,
            stop.clone(),
        )));
    }

    let mut total = Tally::new();
    let mut window: VecDeque<Tally> = VecDeque::with_capacity(WINDOW_TICKS + 1);
    let mut all_requests = 0u64;
    let mut all_errors = [0u64; 6];
    let mut tick = tokio::time::interval(PUBLISH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut finished = futures_join(handles);
    let name = s.name.clone();
    loop {
        let done = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut finished => true,
        };
        // Drain every worker's interval into this tick's slice and the total.
        let mut slice = Tally::new();
        for slot in &slots {
            let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
            g.warm.drain_into(&mut slice);
            let mut m = Tally::new();
            std::mem::swap(&mut m, &mut g.measured);
            drop(g);
            let _ = total.hist.add(&m.hist);
            total.ok += m.ok;
            total.bytes += m.bytes;
            for (t, e) in total.errors.iter_mut().zip(m.errors.iter()) {
                *t += e;
            }
            m.drain_into(&mut slice);
        }
        all_requests += slice.ok + slice.error_count();
        for (a, e) in all_errors.iter_mut().zip(slice.errors.iter()) {
            *a += e;
        }
        let slice_rps = (slice.ok as f64 / PUBLISH_EVERY.as_secs_f64()) as u64;
        window.push_back(slice);
        if window.len() > WINDOW_TICKS {
            window.pop_front();
        }
        let mut wh = new_histogram();
        let mut wok = 0;
        for t in &window {
            let _ = wh.add(&t.hist);
            wok += t.ok;
        }
        let elapsed = started.elapsed();
        let win_secs = (window.len() as f64 * PUBLISH_EVERY.as_secs_f64())
            .min(elapsed.as_secs_f64().max(0.001));
        let q = |p: f64| {
            if wh.is_empty() {
                0.0
            } else {
                wh.value_at_quantile(p) as f64 / 1000.0
            }
        };
        let (p50, p95, p99) = (q(0.5), q(0.95), q(0.99));
        live.update_scenario(&name, |ls| {
            ls.kind = "api".into();
            ls.phase = if done {
                if cancel.is_cancelled() {
                    ScenarioPhase::Stopped
                } else {
                    ScenarioPhase::Done
                }
            } else if Instant::now() < measure_from {
                ScenarioPhase::Warmup
            } else {
                ScenarioPhase::Running
            };
            ls.elapsed_s = elapsed.as_secs_f64().min(duration.as_secs_f64());
            ls.duration_s = duration.as_secs_f64();
            ls.requests = all_requests;
            ls.rps = wok as f64 / win_secs;
            ls.p50_ms = p50;
            ls.p95_ms = p95;
            ls.p99_ms = p99;
            for c in ErrorClass::ALL {
                let n = all_errors[c as usize];
                if n > 0 {
                    ls.errors.insert(c.as_str().to_string(), n);
                }
            }
            push_bounded(&mut ls.rps_history, slice_rps);
            push_bounded(&mut ls.p95_history, (p95 * 1000.0) as u64);
        });
        if done {
            break;
        }
    }

    let measured_secs = (started.elapsed().saturating_sub(warmup))
        .as_secs_f64()
        .max(1e-3);
    let attempts = total.ok + total.error_count();
    let mut metrics = BTreeMap::new();
    if total.ok > 0 {
        let h = &total.hist;
        metrics.insert("response_time_mean_ms".into(), h.mean() / 1000.0);
        metrics.insert(
            "response_time_p50_ms".into(),
            h.value_at_quantile(0.50) as f64 / 1000.0,
        );
        metrics.insert(
            "response_time_p95_ms".into(),
            h.value_at_quantile(0.95) as f64 / 1000.0,
        );
        metrics.insert(
            "response_time_p99_ms".into(),
            h.value_at_quantile(0.99) as f64 / 1000.0,
        );
        metrics.insert(
            "response_size_bytes".into(),
            total.bytes as f64 / total.ok as f64,
        );
    }
    metrics.insert(
        "error_rate_pct".into(),
        if attempts == 0 {
            100.0
        } else {
            total.error_count() as f64 * 100.0 / attempts as f64
        },
    );
    metrics.insert("throughput_rps".into(), total.ok as f64 / measured_secs);
    let mut errors = BTreeMap::new();
    for c in ErrorClass::ALL {
        let n = total.errors[c as usize];
        if n > 0 {
            errors.insert(c.as_str().to_string(), n);
        }
    }
    let mut hist_blob = Vec::new();
    {
        use hdrhistogram::serialization::Serializer;
        let _ =
            hdrhistogram::serialization::V2Serializer::new().serialize(&total.hist, &mut hist_blob);
    }
    ScenarioOutput {
        metrics,
        errors,
        requests: attempts,
        error: None,
        histogram: Some(hist_blob),
        interrupted: cancel.is_cancelled(),
        note: (total.ok == 0)
            .then(|| "no successful responses: latency metrics are absent".to_string()),
    }
}

/// Resolve when every worker has ended.
fn futures_join(
    handles: Vec<tokio::task::JoinHandle<()>>,
) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        for h in handles {
            let _ = h.await;
        }
    })
}
