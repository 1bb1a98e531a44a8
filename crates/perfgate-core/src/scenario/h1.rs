//! The HTTP/1.1 keep-alive fast path for cleartext targets: the request's bytes are
//! serialised once per scenario, each response is parsed with httparse from one
//! reused buffer and its body counted, not kept. No allocation per request, no task
//! besides the connection's own (hyper's client needs a second task per connection
//! and a channel between the two). HTTP/2 and TLS stay on hyper.

use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Response heads larger than this are refused as malformed.
const MAX_HEAD: usize = 64 * 1024;
/// Read buffer: one typical response (head and a small body) per read.
const BUF: usize = 16 * 1024;

/// One request's bytes, serialised once: request line, Host, the scenario's headers,
/// Content-Length when there is a body, and the body.
pub fn serialise(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("{method} {path} HTTP/1.1\r\n").as_bytes());
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        out.extend_from_slice(format!("host: {host}\r\n").as_bytes());
    }
    for (k, v) in headers {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    let needs_length = !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH");
    if needs_length && !has("content-length") {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// A whole response: its status, body bytes, and whether the connection stays open.
    Response {
        status: u16,
        body: u64,
        keep_alive: bool,
    },
    /// The server closed the connection before answering (a keep-alive connection it
    /// had already given up on): reconnect and send again.
    Closed,
    /// The connection broke before the response head was complete.
    Broken,
    /// The connection broke in the middle of the body.
    Truncated,
    /// The response could not be parsed.
    Malformed,
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Box<[u8]>,
    /// Bytes of `buf` read but not yet consumed.
    start: usize,
    end: usize,
}

impl Conn {
    /// Connect (TCP_NODELAY, as every load generator sets it).
    pub async fn connect(addr: &str) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            buf: vec![0; BUF].into_boxed_slice(),
            start: 0,
            end: 0,
        })
    }

    /// Send `request` and read its response (`head_only`: a HEAD request, whose
    /// response has no body whatever its headers say).
    pub async fn exchange(&mut self, request: &[u8], head_only: bool) -> Exchange {
        if self.stream.write_all(request).await.is_err() {
            return Exchange::Closed;
        }
        let (status, keep_alive, framing) = match self.read_head(head_only).await {
            Ok(Some(h)) => h,
            Ok(None) => return Exchange::Closed,
            Err(e) => return e,
        };
        let body = match framing {
            Framing::Length(n) => self.skip(n).await,
            Framing::Chunked => self.chunked().await,
            Framing::UntilClose => self.until_close().await,
        };
        match body {
            Ok(body) => Exchange::Response {
                status,
                body,
                keep_alive: keep_alive && framing != Framing::UntilClose,
            },
            Err(e) => e,
        }
    }

    /// Read more bytes after `end`; Ok(0) at end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(io::Error::other("response head too large"));
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    /// The response head: Ok(None) when the server closed before sending a byte.
    async fn read_head(
        &mut self,
        head_only: bool,
    ) -> Result<Option<(u16, bool, Framing)>, Exchange> {
        loop {
            if self.end > self.start {
                let mut headers = [httparse::EMPTY_HEADER; 48];
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&self.buf[self.start..self.end]) {
                    Ok(httparse::Status::Complete(len)) => {
                        let head = head_facts(&resp, head_only).ok_or(Exchange::Malformed)?;
                        self.start += len;
                        // 1xx interim responses precede the real one.
                        if (100..200).contains(&head.0) {
                            continue;
                        }
                        return Ok(Some(head));
                    }
                    Ok(httparse::Status::Partial) if self.end - self.start < MAX_HEAD => {}
                    _ => return Err(Exchange::Malformed),
                }
            }
            let had = self.end > self.start;
            match self.fill().await {
                Ok(0) if had => return Err(Exchange::Broken),
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(_) if had => return Err(Exchange::Broken),
                Err(_) => return Ok(None),
            }
        }
    }

    /// Consume `n` body bytes (counted, not kept).
    async fn skip(&mut self, mut n: u64) -> Result<u64, Exchange> {
        let total = n;
        loop {
            let have = (self.end - self.start) as u64;
            let take = have.min(n);
            self.start += take as usize;
            n -= take;
            if n == 0 {
                return Ok(total);
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Err(Exchange::Truncated),
                Ok(_) => {}
            }
        }
    }

    /// A line ending in CRLF, consumed; its bytes (without CRLF) copied into `line`.
    async fn line(&mut self, line: &mut [u8; 256]) -> Result<usize, Exchange> {
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(i) = window.windows(2).position(|w| w == b"\r\n") {
                let len = i.min(line.len());
                line[..len].copy_from_slice(&window[..len]);
                self.start += i + 2;
                return Ok(len);
            }
            if window.len() > line.len() + 2 {
                return Err(Exchange::Malformed);
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Err(Exchange::Truncated),
                Ok(_) => {}
            }
        }
    }

    /// A chunked body: chunk sizes in hex (extensions ignored), the last chunk, trailers.
    async fn chunked(&mut self) -> Result<u64, Exchange> {
        let mut total = 0u64;
        let mut line = [0u8; 256];
        loop {
            let len = self.line(&mut line).await?;
            let text = std::str::from_utf8(&line[..len]).map_err(|_| Exchange::Malformed)?;
            let hex = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(hex, 16).map_err(|_| Exchange::Malformed)?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while self.line(&mut line).await? > 0 {}
                return Ok(total);
            }
            total += self.skip(size).await?;
            if self.line(&mut line).await? != 0 {
                return Err(Exchange::Malformed);
            }
        }
    }

    /// A body delimited by the end of the connection.
    async fn until_close(&mut self) -> Result<u64, Exchange> {
        let mut total = (self.end - self.start) as u64;
        self.start = self.end;
        loop {
            match self.fill().await {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    total += n as u64;
                    self.start = self.end;
                }
                Err(_) => return Err(Exchange::Truncated),
            }
        }
    }
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// Status, keep-alive and body framing from a parsed head (RFC 9112 section 6).
fn head_facts(resp: &httparse::Response, head_only: bool) -> Option<(u16, bool, Framing)> {
    let status = resp.code?;
    let http11 = resp.version? == 1;
    let mut keep_alive = http11;
    let mut length = None;
    let mut chunked = false;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()?;
            if length.is_some_and(|l| l != v) {
                return None;
            }
            length = Some(v);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = h
                .value
                .split(|&b| b == b',')
                .next_back()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let t = token.trim_ascii();
                if t.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if t.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        }
    }
    let framing = if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Some((status, keep_alive, framing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A server that answers each request with the next canned response, then closes.
    async fn serve(responses: Vec<&'static [u8]>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for r in responses {
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                // Split the response in two writes: parsing must not need it whole.
                let (a, b) = r.split_at(r.len() / 2);
                s.write_all(a).await.unwrap();
                s.flush().await.unwrap();
                s.write_all(b).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn lengths_chunks_interim_and_close_are_framed() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-T: 1\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        ])
        .await;
        let req = serialise("GET", "/x", "h", &[], b"");
        let mut c = Conn::connect(&addr).await.unwrap();
        let ok = |status, body, keep_alive| Exchange::Response {
            status,
            body,
            keep_alive,
        };
        assert_eq!(c.exchange(&req, false).await, ok(200, 5, true));
        assert_eq!(c.exchange(&req, false).await, ok(503, 7, true));
        assert_eq!(c.exchange(&req, false).await, ok(204, 0, true));
        assert_eq!(c.exchange(&req, false).await, ok(200, 2, false));
        assert_eq!(c.exchange(&req, false).await, Exchange::Closed);
    }

    #[tokio::test]
    async fn a_body_cut_short_or_garbage_is_reported() {
        let addr = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"]).await;
        let req = serialise("GET", "/", "h", &[], b"");
        let mut c = Conn::connect(&addr).await.unwrap();
        assert_eq!(c.exchange(&req, false).await, Exchange::Truncated);
        let addr = serve(vec![b"NOT HTTP AT ALL\r\n\r\n"]).await;
        let mut c = Conn::connect(&addr).await.unwrap();
        assert_eq!(c.exchange(&req, false).await, Exchange::Malformed);
    }

    #[test]
    fn requests_carry_host_length_and_the_scenarios_headers() {
        let r = serialise(
            "POST",
            "/api?q=1",
            "example:80",
            &[("x-token".into(), "t".into())],
            b"{}",
        );
        let text = String::from_utf8(r).unwrap();
        assert!(text.starts_with("POST /api?q=1 HTTP/1.1\r\nhost: example:80\r\n"));
        assert!(text.contains("x-token: t\r\n") && text.contains("content-length: 2\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
        let get = String::from_utf8(serialise("GET", "/", "h", &[], b"")).unwrap();
        assert!(!get.contains("content-length"));
    }
}
