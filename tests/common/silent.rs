//! Servers that go quiet in each way a stuck peer can: accept and never answer, answer
//! the first bytes then stall, or close in the middle of a response. Connections are
//! held open until the test process exits.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Silence {
    /// Accepts the connection, reads, never writes a byte.
    NeverAnswers,
    /// Writes the start of an HTTP response (or an SMTP greeting line without its end),
    /// then nothing more.
    StallsMidAnswer,
    /// Reads the request, writes part of a response, closes.
    ClosesMidAnswer,
}

/// Listens on a free loopback port; returns the port.
pub fn start(kind: Silence) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent server");
    let port = listener.local_addr().unwrap().port();
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let held = held.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                match kind {
                    Silence::NeverAnswers => {}
                    Silence::StallsMidAnswer => {
                        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n");
                    }
                    Silence::ClosesMidAnswer => {
                        let _ = conn.read(&mut buf);
                        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Le");
                        return;
                    }
                }
                // Keep reading (so the peer's writes succeed) and never answer more.
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                }
                held.lock().unwrap().push(conn);
            });
        }
    });
    port
}
