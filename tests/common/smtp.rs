//! A real SMTP server on a loopback socket (RFC 5321 subset: EHLO/HELO, AUTH PLAIN and
//! LOGIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) that keeps every
//! message it accepts, raw, for the tests to read.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct Smtp {
    pub port: u16,
    mail: Arc<Mutex<Vec<String>>>,
}

impl Smtp {
    /// Listens on a free loopback port; serves each connection on its own thread.
    pub fn start() -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP server");
        let port = listener.local_addr().unwrap().port();
        let mail = Arc::new(Mutex::new(Vec::new()));
        let store = mail.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = session(conn, &store);
                });
            }
        });
        Smtp { port, mail }
    }

    /// Every message accepted so far (headers and body as sent).
    pub fn messages(&self) -> Vec<String> {
        self.mail.lock().unwrap().clone()
    }
}

fn session(conn: TcpStream, store: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    out.write_all(b"220 perfgate-test ESMTP\r\n")?;
    let mut line = String::new();
    let mut rcpts = 0;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if verb.starts_with("EHLO") {
            b"250-perfgate-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if verb.starts_with("HELO") {
            b"250 perfgate-test\r\n"
        } else if verb.starts_with("AUTH LOGIN") {
            // Username then password prompts; any credentials are accepted.
            for _ in 0..2 {
                out.write_all(b"334 VXNlcm5hbWU6\r\n")?;
                line.clear();
                input.read_line(&mut line)?;
            }
            b"235 2.7.0 Authentication successful\r\n"
        } else if verb.starts_with("AUTH") {
            b"235 2.7.0 Authentication successful\r\n"
        } else if verb.starts_with("MAIL FROM") {
            rcpts = 0;
            b"250 2.1.0 OK\r\n"
        } else if verb.starts_with("RCPT TO") {
            rcpts += 1;
            b"250 2.1.5 OK\r\n"
        } else if verb == "DATA" {
            if rcpts == 0 {
                b"503 5.5.1 RCPT first\r\n"
            } else {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                store.lock().unwrap().push(read_data(&mut input)?);
                b"250 2.0.0 OK: queued\r\n"
            }
        } else if verb == "RSET" || verb == "NOOP" {
            b"250 OK\r\n"
        } else if verb == "QUIT" {
            out.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            b"502 5.5.2 Command not implemented\r\n"
        };
        out.write_all(reply)?;
    }
}

fn read_data(input: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut msg = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 || line == ".\r\n" || line == ".\n" {
            return Ok(msg);
        }
        msg.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
