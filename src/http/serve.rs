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

/// How one listener guards itself.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    /// Which listener, for the metrics' `listener` label.
    pub name: &'static str,
}

/// The connection cap when none is configured: what the open-file limit leaves after a
/// reserve, within sensible bounds.
pub fn default_max_connections() -> usize {
    let soft = rlimit::Resource::NOFILE
        .get()
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    usize::try_from(soft.saturating_sub(RESERVED_FDS).clamp(16, 100_000)).unwrap_or(1024)
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
        .max_headers(100);
    let open = metrics::gauge!(crate::metrics::CONNECTIONS_OPEN, "listener" => limits.name);
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
