//! HTTP load: one task per virtual user, each on its own keep-alive connection (the
//! raw HTTP/1.1 path of `h1` for cleartext targets, hyper's connection API for TLS and
//! HTTP/2; no pool, no per-request results kept), spread over `threads` OS threads
//! that each run a current-thread runtime.
//!
//! Workers record latencies (microseconds) into their thread's interval tally behind
//! an uncontended mutex; a monitor drains the tallies every publish tick into the run
//! total and a rolling window for the live view.

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

use super::{ScenarioOutput, h1};
use crate::config::{ApiScenario, Arrival, Config};
use crate::live::{LiveHub, ScenarioPhase, push_bounded};

/// How often the live aggregate is published: 250 ms, or `PERFGATE_LIVE_MS` (the
/// live-view cost benchmark compares intervals).
pub fn publish_every() -> Duration {
    static EVERY: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *EVERY.get_or_init(|| {
        let ms = std::env::var("PERFGATE_LIVE_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| (10..=60_000).contains(ms))
            .unwrap_or(250);
        Duration::from_millis(ms)
    })
}
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
    /// What a user reads when every request failed this way.
    fn meaning(self) -> &'static str {
        match self {
            ErrorClass::Connect => "could not connect (refused, unreachable or TLS rejected)",
            ErrorClass::Timeout => "timed out",
            ErrorClass::Http4xx => "client errors (HTTP 4xx)",
            ErrorClass::Http5xx => "server errors (HTTP 5xx)",
            ErrorClass::Body => "broken response bodies",
            ErrorClass::Io => "connections dropped mid-response",
        }
    }
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
    // 1 us .. 1 s at 3 significant digits up front, so memory does not grow with the
    // test's length as slower outliers arrive; still auto-resizes beyond 1 s.
    let mut h = Histogram::new_with_bounds(1, 1_000_000, 3).expect("valid histogram bounds");
    h.auto(true);
    h
}

/// What a worker accumulated since the monitor last drained it.
struct Tally {
    /// Latency (open loop: from the intended send time).
    hist: Histogram<u64>,
    /// Open loop only: latency from the actual send time (uncorrected).
    raw: Histogram<u64>,
    ok: u64,
    bytes: u64,
    errors: [u64; 6],
    /// Open loop: requests sent later than intended.
    late: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            hist: new_histogram(),
            raw: new_histogram(),
            ok: 0,
            bytes: 0,
            errors: [0; 6],
            late: 0,
        }
    }
    fn drain_into(&mut self, other: &mut Tally) {
        let _ = other.hist.add(&self.hist);
        self.hist.reset();
        let _ = other.raw.add(&self.raw);
        self.raw.reset();
        other.late += std::mem::take(&mut self.late);
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
    /// TLS (https targets): the server name to verify and the client config.
    tls: Option<(
        rustls::pki_types::ServerName<'static>,
        tokio_rustls::TlsConnector,
    )>,
    http2: bool,
    host_header: header::HeaderValue,
    method: Method,
    uri: Uri,
    headers: header::HeaderMap,
    body: Bytes,
    timeout: Duration,
    /// Cleartext HTTP/1.1: the request serialised once, for the fast path.
    raw: Option<Vec<u8>>,
}

impl Target {
    fn from_config(cfg: &Config, s: &ApiScenario) -> Result<Target, String> {
        let base = cfg.base_url.trim_end_matches('/');
        let (https, rest) = match (base.strip_prefix("https://"), base.strip_prefix("http://")) {
            (Some(r), _) => (true, r),
            (None, Some(r)) => (false, r),
            _ => {
                return Err(format!(
                    "base_url {base:?}: expected an http:// or https:// URL"
                ));
            }
        };
        let (authority, base_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            && !authority.ends_with(']');
        let addr = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:{}", if https { 443 } else { 80 })
        };
        let http2 = s.http2.unwrap_or(false);
        let tls = if https {
            let host = addr
                .rsplit_once(':')
                .map(|(h, _)| h)
                .unwrap_or(&addr)
                .trim_matches(|c| c == '[' || c == ']');
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|_| format!("base_url host {host:?} is not a valid TLS server name"))?;
            Some((name, tls_connector(http2, s.tls_insecure.unwrap_or(false))))
        } else {
            None
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
        let raw = (tls.is_none() && !http2).then(|| {
            let hs: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            h1::serialise(method.as_str(), &path, authority, &hs, &body)
        });
        Ok(Target {
            tls,
            http2,
            host_header: header::HeaderValue::from_str(authority)
                .map_err(|_| format!("base_url host {authority:?} is invalid"))?,
            addr,
            method,
            uri,
            headers,
            body,
            timeout: Duration::from_secs_f64(s.timeout.unwrap_or(30.0)),
            raw,
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

/// One connection's request handle, HTTP/1.1 or HTTP/2.
enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }
    }
    async fn ready(&mut self) -> hyper::Result<()> {
        match self {
            Sender::H1(s) => s.ready().await,
            Sender::H2(s) => s.ready().await,
        }
    }
    async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> hyper::Result<hyper::Response<hyper::body::Incoming>> {
        match self {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        }
    }
}

/// rustls client config: Mozilla's roots (webpki-roots), ALPN for the protocol;
/// `tls_insecure` skips verification for self-signed test targets.
fn tls_connector(http2: bool, insecure: bool) -> tokio_rustls::TlsConnector {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(NoVerify(provider)))
            .with_no_client_auth()
    } else {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

/// Accepts any certificate (only with `tls_insecure: true`), still checking signatures.
#[derive(Debug)]
struct NoVerify(std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

async fn handshake<IO>(io: IO, http2: bool) -> std::io::Result<Sender>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    if http2 {
        let (sender, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::H2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::H1(sender))
    }
}

/// A connection: the raw HTTP/1.1 fast path, or hyper (TLS, HTTP/2).
enum Conn {
    Raw(h1::Conn),
    Hyper(Sender),
}

async fn connect(target: &Target) -> std::io::Result<Conn> {
    if target.raw.is_some() {
        return h1::Conn::connect(&target.addr).await.map(Conn::Raw);
    }
    connect_hyper(target).await.map(Conn::Hyper)
}

async fn connect_hyper(target: &Target) -> std::io::Result<Sender> {
    let stream = TcpStream::connect(&target.addr).await?;
    let _ = stream.set_nodelay(true);
    match &target.tls {
        Some((name, connector)) => {
            let tls = connector.connect(name.clone(), stream).await?;
            handshake(tls, target.http2).await
        }
        None => handshake(stream, target.http2).await,
    }
}

enum Outcome {
    Ok {
        bytes: u64,
    },
    Err(ErrorClass),
    /// The server closed the keep-alive connection before this request was sent.
    Stale,
}

/// One request; the flag says whether the connection can be reused.
async fn one_request(conn: &mut Conn, target: &Target) -> (Outcome, bool) {
    let c = match conn {
        Conn::Raw(c) => c,
        Conn::Hyper(sender) => {
            let out = hyper_request(sender, target).await;
            let reuse = matches!(
                out,
                Outcome::Ok { .. } | Outcome::Err(ErrorClass::Http4xx | ErrorClass::Http5xx)
            );
            return (out, reuse);
        }
    };
    let request = target.raw.as_deref().unwrap_or_default();
    match c.exchange(request, target.method == Method::HEAD).await {
        h1::Exchange::Response {
            status,
            body,
            keep_alive,
        } => {
            let out = match status {
                500..=599 => Outcome::Err(ErrorClass::Http5xx),
                400..=499 => Outcome::Err(ErrorClass::Http4xx),
                _ => Outcome::Ok { bytes: body },
            };
            (out, keep_alive)
        }
        h1::Exchange::Closed => (Outcome::Stale, false),
        h1::Exchange::Broken => (Outcome::Err(ErrorClass::Io), false),
        h1::Exchange::Truncated | h1::Exchange::Malformed => {
            (Outcome::Err(ErrorClass::Body), false)
        }
    }
}

async fn hyper_request(sender: &mut Sender, target: &Target) -> Outcome {
    if sender.is_closed() || sender.ready().await.is_err() {
        return Outcome::Stale;
    }
    let resp = match sender.send(target.request()).await {
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

/// A request sent later than this after its intended time counts as late
/// (above the 1 ms granularity of the timer that wakes it).
const LATE_AFTER: Duration = Duration::from_millis(5);

/// Open-loop arrivals: intended send times for a target rate, handed out as
/// tickets to whichever connection is free (so a stalled server cannot slow the
/// schedule down: the backlog shows up as latency measured from the intended time).
pub struct Schedule {
    start: Instant,
    rate: f64,
    ramp_up: f64,
    poisson: bool,
    state: Mutex<(u64, f64, rand::rngs::StdRng)>,
}

impl Schedule {
    pub fn new(start: Instant, rate: f64, ramp_up: f64, poisson: bool, seed: u64) -> Schedule {
        use rand::SeedableRng;
        Schedule {
            start,
            rate,
            ramp_up,
            poisson,
            state: Mutex::new((0, 0.0, rand::rngs::StdRng::seed_from_u64(seed))),
        }
    }

    /// Seconds from the start for the k-th arrival (k in "unit" arrivals), with a
    /// linear ramp from 0 to `rate` over `ramp_up` seconds.
    fn offset(&self, k: f64) -> f64 {
        let (r, ramp) = (self.rate, self.ramp_up);
        if ramp > 0.0 && k <= r * ramp / 2.0 {
            (2.0 * ramp * k / r).sqrt()
        } else if ramp > 0.0 {
            ramp / 2.0 + k / r
        } else {
            k / r
        }
    }

    /// The next intended send time.
    pub fn next(&self) -> Instant {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let unit = if self.poisson {
            use rand::Rng;
            // Exponential gaps with mean 1 in arrival units.
            let u: f64 = g.2.random_range(f64::EPSILON..1.0);
            g.1 + -u.ln()
        } else {
            g.0 as f64
        };
        g.0 += 1;
        g.1 = unit;
        self.start + Duration::from_secs_f64(self.offset(unit))
    }
}

/// What one request came to, for the tally.
enum Recorded {
    Ok {
        micros: u64,
        raw: u64,
        bytes: u64,
        late: bool,
    },
    Err(ErrorClass),
}

impl Interval {
    /// Record into the warm-up or the measured tally, by the time it is recorded.
    fn record(&mut self, r: Recorded, measuring: bool, open_loop: bool) {
        let t = if measuring {
            &mut self.measured
        } else {
            &mut self.warm
        };
        match r {
            Recorded::Ok {
                micros,
                raw,
                bytes,
                late,
            } => {
                let _ = t.hist.record(micros.max(1));
                if open_loop {
                    let _ = t.raw.record(raw.max(1));
                }
                t.ok += 1;
                t.bytes += bytes;
                t.late += late as u64;
            }
            Recorded::Err(c) => t.errors[c as usize] += 1,
        }
    }
}

/// What every worker of a scenario shares.
struct Shared {
    target: Arc<Target>,
    measure_from: Instant,
    deadline: Instant,
    schedule: Option<Arc<Schedule>>,
    cancel: CancellationToken,
}

/// One virtual user: a keep-alive connection, re-opened when the server closes it.
/// `slot` is its thread's tally (uncontended: the monitor takes it 4 times a second).
async fn worker(sh: Arc<Shared>, slot: Arc<Mutex<Interval>>) {
    let target = &sh.target;
    let mut conn: Option<Conn> = None;
    // Requests answered on the current connection.
    let mut served = 0u64;
    let mut backoff = Duration::from_millis(5);
    let open_loop = sh.schedule.is_some();
    // Registered once per worker, not per request: polling a fresh `cancelled()`
    // future takes the token's lock, which 50 workers would contend on.
    let cancelled = sh.cancel.cancelled();
    tokio::pin!(cancelled);
    // One timer per worker, re-armed only when it fires: a request that started
    // after it was armed gets the rest of its own timeout then (exact, and no timer
    // operation per request).
    let timer = tokio::time::sleep(target.timeout);
    tokio::pin!(timer);
    let record = |r: Recorded| {
        let measuring = Instant::now() >= sh.measure_from;
        let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
        g.record(r, measuring, open_loop);
    };
    loop {
        let now = Instant::now();
        if now >= sh.deadline || sh.cancel.is_cancelled() {
            break;
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => {
                let wait = target.timeout.min(sh.deadline - now);
                let r = tokio::select! {
                    r = tokio::time::timeout(wait, connect(target)) => r,
                    _ = &mut cancelled => break,
                };
                match r {
                    Ok(Ok(c)) => {
                        backoff = Duration::from_millis(5);
                        served = 0;
                        conn.insert(c)
                    }
                    Ok(Err(_)) | Err(_) => {
                        let class = if r.is_err() {
                            ErrorClass::Timeout
                        } else {
                            ErrorClass::Connect
                        };
                        record(Recorded::Err(class));
                        // Back off so a dead target costs little CPU and error counts stay meaningful.
                        let pause =
                            backoff.min(sh.deadline.saturating_duration_since(Instant::now()));
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {},
                            _ = &mut cancelled => break,
                        }
                        backoff = (backoff * 2).min(Duration::from_millis(250));
                        continue;
                    }
                }
            }
        };
        // Open loop: wait for this request's intended time; latency counts from it.
        let intended = match &sh.schedule {
            Some(sch) => {
                let at = sch.next();
                if at >= sh.deadline {
                    break;
                }
                if at > Instant::now() {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {},
                        _ = &mut cancelled => break,
                    }
                }
                Some(at)
            }
            None => None,
        };
        let start = Instant::now();
        let late = intended.is_some_and(|at| start.saturating_duration_since(at) > LATE_AFTER);
        let due = start + target.timeout;
        let res = {
            let request = one_request(c, target);
            tokio::pin!(request);
            loop {
                tokio::select! {
                    biased;
                    r = &mut request => break Some(r),
                    _ = &mut timer => {
                        if Instant::now() >= due {
                            timer.as_mut().reset(Instant::now() + target.timeout);
                            break None;
                        }
                        timer.as_mut().reset(due);
                    }
                    _ = &mut cancelled => return,
                }
            }
        };
        let end = Instant::now();
        let raw = (end - start).as_micros() as u64;
        let micros = intended.map_or(raw, |at| (end - at).as_micros() as u64);
        let Some((outcome, reuse)) = res else {
            record(Recorded::Err(ErrorClass::Timeout));
            conn = None;
            continue;
        };
        match outcome {
            Outcome::Ok { bytes } => {
                served += 1;
                record(Recorded::Ok {
                    micros,
                    raw,
                    bytes,
                    late,
                });
            }
            // A closed keep-alive connection is not the request's failure: reconnect.
            // A connection that closes before serving anything is.
            Outcome::Stale => {
                if served == 0 {
                    record(Recorded::Err(ErrorClass::Io));
                }
            }
            Outcome::Err(c) => {
                if matches!(c, ErrorClass::Http4xx | ErrorClass::Http5xx) {
                    served += 1;
                }
                record(Recorded::Err(c));
            }
        }
        if !reuse {
            conn = None;
        }
    }
}

/// Load threads for a scenario: its `threads`, else one per core this process may
/// use (a generator pinned to one core gets one), never more than its connections.
fn thread_count(s: &ApiScenario, users: usize) -> usize {
    let machine = std::thread::available_parallelism().map_or(1, |n| n.get());
    (s.threads.map_or(machine, |t| t as usize)).clamp(1, users.max(1))
}

/// Start `threads` OS threads, each a current-thread runtime driving its share of
/// the workers (no work stealing, no cross-thread wake-ups); resolves when all end.
fn start_threads(
    sh: &Arc<Shared>,
    users: usize,
    slots: &[Arc<Mutex<Interval>>],
) -> Result<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>, String> {
    let threads = slots.len();
    let mut done = Vec::with_capacity(threads);
    for (t, slot) in slots.iter().enumerate() {
        let mine = users / threads + usize::from(t < users % threads);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (sh, slot) = (sh.clone(), slot.clone());
        std::thread::Builder::new()
            .name(format!("perfgate-load-{t}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        let hs: Vec<_> = (0..mine)
                            .map(|_| tokio::spawn(worker(sh.clone(), slot.clone())))
                            .collect();
                        for h in hs {
                            let _ = h.await;
                        }
                    });
                }
                let _ = tx.send(());
            })
            .map_err(|e| format!("could not start a load thread ({e})"))?;
        done.push(rx);
    }
    Ok(Box::pin(async move {
        for rx in done {
            let _ = rx.await;
        }
    }))
}

/// Run one API scenario to completion (or cancellation) and compute its metrics.
pub async fn run(
    cfg: &Config,
    s: &ApiScenario,
    live: &LiveHub,
    cancel: &CancellationToken,
    abort: Option<&super::AbortCheck>,
) -> ScenarioOutput {
    let target = match Target::from_config(cfg, s) {
        Ok(t) => Arc::new(t),
        Err(e) => return ScenarioOutput::failed(e),
    };
    let mut users = s.concurrent_users.unwrap_or(cfg.concurrent_users).max(1) as usize;
    if let Some(m) = s.max_in_flight {
        users = users.min(m.max(1) as usize);
    }
    let duration = Duration::from_secs_f64(s.duration.unwrap_or(cfg.test_duration));
    let warmup = Duration::from_secs_f64(s.warmup.unwrap_or(0.0));
    let started = Instant::now();
    let measure_from = started + warmup;
    let deadline = started + duration;
    let stop = cancel.child_token();
    let schedule = s.rate.map(|rate| {
        Arc::new(Schedule::new(
            started,
            rate,
            s.ramp_up.unwrap_or(0.0),
            s.arrival == Some(Arrival::Poisson),
            0x9e3779b97f4a7c15,
        ))
    });

    let shared = Arc::new(Shared {
        target,
        measure_from,
        deadline,
        schedule: schedule.clone(),
        cancel: stop.clone(),
    });
    let slots: Vec<Arc<Mutex<Interval>>> = (0..thread_count(s, users))
        .map(|_| {
            Arc::new(Mutex::new(Interval {
                warm: Tally::new(),
                measured: Tally::new(),
            }))
        })
        .collect();
    let mut finished = match start_threads(&shared, users, &slots) {
        Ok(f) => f,
        Err(e) => {
            stop.cancel();
            return ScenarioOutput::failed(e);
        }
    };

    let mut total = Tally::new();
    let mut window: VecDeque<Tally> = VecDeque::with_capacity(WINDOW_TICKS + 1);
    let mut all_requests = 0u64;
    let mut all_errors = [0u64; 6];
    let mut tick = tokio::time::interval(publish_every());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut aborted: Option<String> = None;
    let name = s.name.clone();
    loop {
        let done = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut finished => true,
        };
        let slice = drain(&slots, &mut total);
        all_requests += slice.ok + slice.error_count();
        for (a, e) in all_errors.iter_mut().zip(slice.errors.iter()) {
            *a += e;
        }
        let slice_rps = (slice.ok as f64 / publish_every().as_secs_f64()) as u64;
        window.push_back(slice);
        if window.len() > WINDOW_TICKS {
            window.pop_front();
        }
        let elapsed = started.elapsed();
        let (rps, p50, p95, p99) = window_figures(&window, elapsed);
        live.update_scenario(&name, |ls| {
            ls.kind = crate::config::ScenarioType::Api;
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
            ls.rps = rps;
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
        // Abort on a broken threshold once a second of measurements is in.
        let measured = started.elapsed().saturating_sub(warmup).as_secs_f64();
        if let Some(check) = abort
            && aborted.is_none()
            && measured >= 1.0
            && let Some(reason) = check(&tally_metrics(&total, measured))
        {
            aborted = Some(reason);
            stop.cancel();
        }
    }

    let measured_secs = (started.elapsed().saturating_sub(warmup))
        .as_secs_f64()
        .max(1e-3);
    output(
        &total,
        &shared.target.addr,
        measured_secs,
        schedule.as_deref(),
        deadline,
        aborted,
        cancel,
    )
}

/// Throughput and latency percentiles (ms) over the rolling window, for the live view.
fn window_figures(window: &VecDeque<Tally>, elapsed: Duration) -> (f64, f64, f64, f64) {
    let mut wh = new_histogram();
    let mut ok = 0;
    for t in window {
        let _ = wh.add(&t.hist);
        ok += t.ok;
    }
    let secs =
        (window.len() as f64 * publish_every().as_secs_f64()).min(elapsed.as_secs_f64().max(0.001));
    let q = |p: f64| {
        if wh.is_empty() {
            0.0
        } else {
            wh.value_at_quantile(p) as f64 / 1000.0
        }
    };
    (ok as f64 / secs, q(0.5), q(0.95), q(0.99))
}

/// Every worker's interval into this tick's slice (for the live view) and, past the
/// warm-up, into the total.
fn drain(slots: &[Arc<Mutex<Interval>>], total: &mut Tally) -> Tally {
    let mut slice = Tally::new();
    for slot in slots {
        let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
        g.warm.drain_into(&mut slice);
        let mut m = Tally::new();
        std::mem::swap(&mut m, &mut g.measured);
        drop(g);
        let _ = total.hist.add(&m.hist);
        let _ = total.raw.add(&m.raw);
        total.late += m.late;
        total.ok += m.ok;
        total.bytes += m.bytes;
        for (t, e) in total.errors.iter_mut().zip(m.errors.iter()) {
            *t += e;
        }
        m.drain_into(&mut slice);
    }
    slice
}

/// The scenario's result from its total tally.
fn output(
    total: &Tally,
    addr: &str,
    measured_secs: f64,
    schedule: Option<&Schedule>,
    deadline: Instant,
    aborted: Option<String>,
    cancel: &CancellationToken,
) -> ScenarioOutput {
    let attempts = total.ok + total.error_count();
    let mut metrics = tally_metrics(total, measured_secs);
    if let Some(sch) = schedule {
        if !total.raw.is_empty() {
            let q = |p: f64| total.raw.value_at_quantile(p) as f64 / 1000.0;
            metrics.insert("response_time_p50_uncorrected_ms".into(), q(0.50));
            metrics.insert("response_time_p99_uncorrected_ms".into(), q(0.99));
        }
        metrics.insert("late_requests".into(), total.late as f64);
        // Arrivals due before the end that no connection was free to send.
        let mut dropped = 0u64;
        while sch.next() < deadline {
            dropped += 1;
        }
        metrics.insert("dropped_requests".into(), dropped as f64);
    }
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
    // No successful response is a failed scenario, never a baseline sample: a dead
    // target must not pass the gate with 100% errors.
    let error = (total.ok == 0 && attempts > 0 && aborted.is_none() && !cancel.is_cancelled())
        .then(|| no_success_reason(total, attempts, addr));
    ScenarioOutput {
        metrics,
        errors,
        requests: attempts,
        error,
        histogram: Some(hist_blob),
        interrupted: cancel.is_cancelled(),
        note: aborted.clone().or_else(|| {
            (total.ok == 0)
                .then(|| "no successful responses: latency metrics are absent".to_string())
        }),
        aborted: aborted.is_some(),
        confirmation: None,
    }
}

/// "no successful response from 127.0.0.1:8000 in 120 request(s): 120 could not
/// connect (...)": where it was sent, so a wrong or stale `base_url` shows. Any
/// user:password@ in the address is left out.
fn no_success_reason(total: &Tally, attempts: u64, addr: &str) -> String {
    let addr = addr.rsplit_once('@').map_or(addr, |(_, a)| a);
    let mut classes: Vec<(u64, ErrorClass)> = ErrorClass::ALL
        .iter()
        .map(|&c| (total.errors[c as usize], c))
        .filter(|(n, _)| *n > 0)
        .collect();
    classes.sort_by_key(|c| std::cmp::Reverse(c.0));
    let parts: Vec<String> = classes
        .iter()
        .map(|(n, c)| format!("{n} {} [{}]", c.meaning(), c.as_str()))
        .collect();
    format!(
        "no successful response from {addr} in {attempts} request(s): {}",
        parts.join(", ")
    )
}

/// The scenario's metrics from its accumulated tally (also used live for abort-on-fail).
fn tally_metrics(total: &Tally, measured_secs: f64) -> BTreeMap<String, f64> {
    let attempts = total.ok + total.error_count();
    let mut metrics = BTreeMap::new();
    if total.ok > 0 {
        let h = &total.hist;
        let q = |p: f64| h.value_at_quantile(p) as f64 / 1000.0;
        metrics.insert("response_time_mean_ms".into(), h.mean() / 1000.0);
        metrics.insert("response_time_p50_ms".into(), q(0.50));
        metrics.insert("response_time_p95_ms".into(), q(0.95));
        metrics.insert("response_time_p99_ms".into(), q(0.99));
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
    metrics.insert(
        "throughput_rps".into(),
        total.ok as f64 / measured_secs.max(1e-3),
    );
    metrics
}
