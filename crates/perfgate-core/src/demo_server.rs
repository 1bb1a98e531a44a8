//! A small loopback HTTP server to test against: `/health`, `/delay/{ms}`,
//! `/status/{code}`, `/bytes/{n}`. Server-wide knobs slow down or break every
//! response, so a regression can be made without touching the test config.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::Rng;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemoOptions {
    /// Added to every response.
    pub delay_ms: u64,
    /// Uniform random extra delay in [0, jitter_ms].
    pub jitter_ms: u64,
    /// Share of responses answered with 500.
    pub error_pct: f64,
    /// Every `stall_every_ms`, stop answering for `stall_ms` (0 = never).
    pub stall_every_ms: u64,
    pub stall_ms: u64,
    /// Share of requests whose connection is dropped without a response.
    pub reset_pct: f64,
    /// Share of responses cut off in the middle of the body.
    pub truncate_pct: f64,
    /// Share of responses whose body never ends.
    pub endless_pct: f64,
    /// Share of responses that close the keep-alive connection afterwards.
    pub close_pct: f64,
    /// Serve HTTPS with a fresh self-signed certificate (HTTP/1.1 and h2 by ALPN).
    pub tls: bool,
    /// Extra delay that can be changed while serving (the demo's slowdown).
    pub slowdown: Slowdown,
}

/// A delay in milliseconds shared with a running server, so it can slow down mid-run.
#[derive(Debug, Clone, Default)]
pub struct Slowdown(Arc<std::sync::atomic::AtomicU64>);

impl Slowdown {
    pub fn set(&self, ms: u64) {
        self.0.store(ms, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl PartialEq for Slowdown {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// A self-signed certificate for localhost / 127.0.0.1, made at start-up.
fn tls_acceptor() -> std::io::Result<tokio_rustls::TlsAcceptor> {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(std::io::Error::other)?;
    let cert = rustls::pki_types::CertificateDer::from(ck.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::try_from(ck.key_pair.serialize_der())
        .map_err(std::io::Error::other)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

type DemoBody = BoxBody<Bytes, std::io::Error>;

/// A body that sends part of its promised length, waits for it to reach the
/// client, then fails (hyper drops the connection mid-body).
struct Truncated {
    chunk: Option<Bytes>,
    wait: Pin<Box<tokio::time::Sleep>>,
}

impl Body for Truncated {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(b) = self.chunk.take() {
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        match self.wait.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Some(Err(std::io::Error::other("truncated on purpose"))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A body that never ends: 1 KiB every 10 ms.
struct Endless(tokio::time::Interval);

impl Body for Endless {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.0.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&[b'x'; 1024]))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn chance(pct: f64) -> bool {
    pct > 0.0 && rand::rng().random_range(0.0..100.0) < pct
}

/// How long a request arriving now must wait for the current stall to end.
fn stall_wait(opts: &DemoOptions, since_start: Duration) -> Duration {
    if opts.stall_every_ms == 0 || opts.stall_ms == 0 {
        return Duration::ZERO;
    }
    let phase = since_start.as_millis() as u64 % opts.stall_every_ms;
    let stall_start = opts.stall_every_ms.saturating_sub(opts.stall_ms);
    if phase >= stall_start {
        Duration::from_millis(opts.stall_every_ms - phase)
    } else {
        Duration::ZERO
    }
}

const MAX_BYTES: usize = 16 * 1024 * 1024;

async fn handle(
    req: Request<Incoming>,
    opts: Arc<DemoOptions>,
    started: std::time::Instant,
) -> Result<Response<DemoBody>, std::io::Error> {
    if chance(opts.reset_pct) {
        // An error from the service makes hyper drop the connection unanswered.
        return Err(std::io::Error::other("connection reset on purpose"));
    }
    let stall = stall_wait(&opts, started.elapsed());
    if !stall.is_zero() {
        tokio::time::sleep(stall).await;
    }
    let mut delay = opts.delay_ms + opts.slowdown.get();
    if opts.jitter_ms > 0 {
        delay += rand::rng().random_range(0..=opts.jitter_ms);
    }
    let path = req.uri().path().to_string();
    let mut parts = path.trim_matches('/').splitn(2, '/');
    let head = parts.next().unwrap_or("");
    let arg = parts.next();
    let (status, body): (StatusCode, Bytes) = match (head, arg) {
        ("health", None) | ("", None) => {
            (StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))
        }
        ("delay", Some(ms)) => match ms.parse::<u64>() {
            Ok(ms) if ms <= 60_000 => {
                delay += ms;
                (StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))
            }
            _ => (
                StatusCode::BAD_REQUEST,
                Bytes::from_static(b"delay must be 0..=60000 ms"),
            ),
        },
        ("status", Some(code)) => match code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
        {
            Some(s) => (s, Bytes::new()),
            None => (
                StatusCode::BAD_REQUEST,
                Bytes::from_static(b"status must be 100..=999"),
            ),
        },
        ("bytes", Some(n)) => match n.parse::<usize>() {
            Ok(n) if n <= MAX_BYTES => (StatusCode::OK, Bytes::from(vec![b'x'; n])),
            _ => (
                StatusCode::BAD_REQUEST,
                Bytes::from_static(b"bytes must be 0..=16777216"),
            ),
        },
        _ => (StatusCode::NOT_FOUND, Bytes::from_static(b"not found")),
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = if opts.error_pct > 0.0 && rand::rng().random_range(0.0..100.0) < opts.error_pct {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    let mut resp = if chance(opts.truncate_pct) {
        let mut r = Response::new(
            Truncated {
                chunk: Some(Bytes::from_static(b"{\"status\":")),
                wait: Box::pin(tokio::time::sleep(Duration::from_millis(5))),
            }
            .boxed(),
        );
        r.headers_mut().insert(
            hyper::header::CONTENT_LENGTH,
            hyper::header::HeaderValue::from_static("64"),
        );
        r
    } else if chance(opts.endless_pct) {
        Response::new(Endless(tokio::time::interval(Duration::from_millis(10))).boxed())
    } else {
        Response::new(Full::new(body).map_err(|never| match never {}).boxed())
    };
    if chance(opts.close_pct) {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    *resp.status_mut() = status;
    Ok(resp)
}

/// Bind and serve until `stop` is cancelled; returns the bound address at once.
pub async fn start(
    addr: SocketAddr,
    opts: DemoOptions,
    stop: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let acceptor = if opts.tls {
        Some(tls_acceptor()?)
    } else {
        None
    };
    let opts = Arc::new(opts);
    let started = std::time::Instant::now();
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(_) => {
                        // Out of file descriptors or similar: pause rather than spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = stop.cancelled() => break,
            };
            let _ = stream.set_nodelay(true);
            let opts = opts.clone();
            let stop = stop.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, opts.clone(), started));
                // HTTP/1.1, and HTTP/2 by prior knowledge or ALPN.
                let builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                match acceptor {
                    Some(a) => {
                        let Ok(tls) = a.accept(stream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = builder.serve_connection(TokioIo::new(tls), svc) => {},
                            _ = stop.cancelled() => {},
                        }
                    }
                    None => {
                        tokio::select! {
                            _ = builder.serve_connection(TokioIo::new(stream), svc) => {},
                            _ = stop.cancelled() => {},
                        }
                    }
                }
            });
        }
    });
    Ok((local, task))
}
