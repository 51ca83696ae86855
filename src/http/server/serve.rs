//! Accepting connections with limits that no client can exhaust.
//!
//! `axum::serve` runs hyper without a timer, so a client that sends its headers slowly, or
//! keeps a connection idle, holds a socket forever; enough of them use up the process's file
//! descriptors and the service stops answering. Here every connection must deliver a
//! request's headers within the header timeout (hyper starts that clock whenever the
//! connection waits for a request, so it also ends idle kept-alive connections), and at most
//! `max_connections` are open at once: beyond that a new connection is closed at once and
//! counted, so the descriptors left over serve Keycloak and the connections already open.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Descriptors kept free for everything that is not a client connection (Keycloak, logs).
const RESERVED_FDS: u64 = 64;
/// Longest wait after an `accept` error (the descriptors ran out), before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The most a request's line and headers may take. hyper's default (about 400 KB) let each
/// half-sent large header hold some 300 KB until the header timeout, so a few hundred slow
/// clients outgrew a 128 MiB pod. What the bridge's real clients send fits with room to spare:
/// a `{state}` at its limit (8 KiB of JSON, about 24 KiB once every byte is percent-encoded),
/// the bridge's own cookies (at most 7 KiB), and a browser's usual headers. Beyond it hyper
/// answers 431 and closes the connection.
pub const MAX_REQUEST_HEAD_BYTES: usize = 48 * 1024;

/// What one client connection can cost at worst: a request head held at
/// [`MAX_REQUEST_HEAD_BYTES`], hyper's read buffer grown to it, and the connection's task,
/// socket and timers. Measured, with margin: `docs/benchmarks.md`, "Slow clients at the
/// connection cap".
pub const WORST_CONNECTION_BYTES: u64 = 96 * 1024;
/// Memory kept for everything but client connections: the process at idle, the requests in
/// flight, the replay and discovery caches, log buffers and what the allocator keeps.
pub const RESERVED_MEMORY_BYTES: u64 = 40 * 1024 * 1024;

/// How one listener guards itself.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    /// Which listener, for the metrics' `listener` label.
    pub name: &'static str,
}

/// Where the connection cap came from, for the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCap {
    pub max_connections: usize,
    pub open_files: u64,
    pub memory_limit: Option<u64>,
}

/// The connection cap when none is configured: what the open-file limit leaves after a
/// reserve, and what the memory limit (the container's cgroup, if any) leaves after a reserve
/// at the worst cost per connection, whichever is lower, within sensible bounds.
pub fn default_max_connections() -> ConnectionCap {
    let open_files = rlimit::Resource::NOFILE
        .get()
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    let memory_limit = crate::http::server::memory_limit::of_this_process();
    cap_for(open_files, memory_limit)
}

impl ConnectionCap {
    /// The limits it came from, as the start-up line says them.
    pub fn describe(&self) -> String {
        let memory = self
            .memory_limit
            .map_or("none".to_owned(), |m| format!("{} MiB", m / (1024 * 1024)));
        format!("open-file limit {}, memory limit {memory}", self.open_files)
    }
}

/// [`default_max_connections`] for given limits.
pub fn cap_for(open_files: u64, memory_limit: Option<u64>) -> ConnectionCap {
    let by_files = open_files.saturating_sub(RESERVED_FDS);
    let by_memory = memory_limit
        .map(|m| m.saturating_sub(RESERVED_MEMORY_BYTES) / WORST_CONNECTION_BYTES)
        .unwrap_or(u64::MAX);
    let cap = by_files.min(by_memory).clamp(16, 100_000);
    ConnectionCap {
        max_connections: usize::try_from(cap).unwrap_or(1024),
        open_files,
        memory_limit,
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the connections in flight to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        .max_headers(100);
    let open = metrics::gauge!(crate::metrics::CONNECTIONS_OPEN, "listener" => limits.name);
    // Exported so that an alert can compare the open connections with the cap, which depends
    // on the open-file limit and memory of the host it runs on.
    metrics::gauge!(crate::metrics::CONNECTIONS_MAX, "listener" => limits.name)
        .set(limits.max_connections as f64);
    let refused = metrics::counter!(crate::metrics::CONNECTIONS_REFUSED, "listener" => limits.name);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: the
                    // loop must go on, and must not spin.
                    tracing::warn!(error = %e, listener = limits.name, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refused.increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = graceful.watch(builder.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        ));
        let open = open.clone();
        open.increment(1.0);
        tokio::spawn(async move {
            // Errors here are a client's (a reset, a header timeout); nothing to report.
            let _ = connection.await;
            open.decrement(1.0);
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_follows_the_lower_of_files_and_memory() {
        const MIB: u64 = 1024 * 1024;
        // No memory limit: the open-file limit decides.
        assert_eq!(cap_for(1024, None).max_connections, 960);
        // The chart's 128 Mi limit: what fits after the reserve at the worst cost.
        let pod = cap_for(1_048_576, Some(128 * MIB)).max_connections;
        assert_eq!(pod as u64, (88 * MIB) / WORST_CONNECTION_BYTES);
        assert!(pod as u64 * WORST_CONNECTION_BYTES + RESERVED_MEMORY_BYTES <= 128 * MIB);
        // A tiny limit still serves a few; no limit and many files stay bounded.
        assert_eq!(cap_for(1_048_576, Some(16 * MIB)).max_connections, 16);
        assert_eq!(cap_for(u64::MAX, None).max_connections, 100_000);
    }
}
