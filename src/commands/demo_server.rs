//! `perfgate demo-server`: the loopback target to test against, until Ctrl-C.

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

use crate::cli::DemoServerArgs;
use crate::engine::demo_server::{self, DemoOptions};
use crate::engine::error::{Error, Result};

pub async fn run(host: String, port: u16, server: DemoServerArgs) -> Result<i32> {
    let addr: SocketAddr = format!("{host}:{port}").parse().map_err(|_| {
        Error::Usage(format!(
            "--host {host:?} --port {port}: expected an IP address and a port"
        ))
    })?;
    let stop = CancellationToken::new();
    let opts = options(&server)?;
    let (local, task) = demo_server::start(addr, opts, stop.clone())
        .await
        .map_err(|e| Error::Run(format!("demo-server: cannot listen on {addr}: {e}")))?;
    eprintln!(
        "perfgate demo-server listening on {}://{local} (Ctrl-C stops)",
        if server.tls { "https" } else { "http" }
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => stop.cancel(),
        _ = task => {},
    }
    Ok(0)
}

/// The server's knobs from the command line, checked.
pub fn options(a: &DemoServerArgs) -> Result<DemoOptions> {
    if !(0.0..=100.0).contains(&a.error_pct) {
        return Err(Error::Usage(format!(
            "--error-pct {}: expected a percentage 0..100",
            a.error_pct
        )));
    }
    if a.stall_ms > 0 && a.stall_ms >= a.stall_every_ms {
        return Err(Error::Usage(format!(
            "--stall-ms {} must be shorter than --stall-every-ms {}",
            a.stall_ms, a.stall_every_ms
        )));
    }
    Ok(DemoOptions {
        delay_ms: a.delay_ms,
        jitter_ms: a.jitter_ms,
        error_pct: a.error_pct,
        stall_every_ms: a.stall_every_ms,
        stall_ms: a.stall_ms,
        reset_pct: a.reset_pct,
        truncate_pct: a.truncate_pct,
        endless_pct: a.endless_pct,
        close_pct: a.close_pct,
        tls: a.tls,
        slowdown: Default::default(),
    })
}
