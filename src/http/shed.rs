//! Sheds load instead of queueing it without bound.
//!
//! At most `max` requests are handled at once and at most as many more wait for a turn;
//! beyond that a request is answered at once with 503 and `Retry-After` (rendered as the
//! "busy" page by the error layer) and counted, so that latency stays bounded and an operator
//! sees the overload. The probes are never shed: a busy bridge is alive, and `/readyz` says
//! whether the identity provider answers.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Seconds a shed client is asked to wait.
const RETRY_AFTER_SECS: &str = "2";

#[derive(Debug)]
pub struct Shedder {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    /// The probes' paths, at the root and under the base path.
    probes: Vec<String>,
}

impl Shedder {
    pub fn new(max: usize, base: &str) -> Arc<Self> {
        Arc::new(Self {
            permits: Semaphore::new(max),
            waiting: AtomicUsize::new(0),
            max_waiting: max,
            probes: ["/healthz", "/readyz"]
                .into_iter()
                .flat_map(|p| [p.to_owned(), format!("{base}{p}")])
                .collect(),
        })
    }
}

pub async fn shed(State(shedder): State<Arc<Shedder>>, request: Request, next: Next) -> Response {
    if shedder.probes.iter().any(|p| p == request.uri().path()) {
        return next.run(request).await;
    }
    let permit = match shedder.permits.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            if shedder.waiting.fetch_add(1, Ordering::AcqRel) >= shedder.max_waiting {
                shedder.waiting.fetch_sub(1, Ordering::AcqRel);
                metrics::counter!(crate::metrics::REQUESTS_SHED).increment(1);
                let mut busy = StatusCode::SERVICE_UNAVAILABLE.into_response();
                busy.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECS),
                );
                return busy;
            }
            // Counted down however the wait ends: a timeout or a client that went away drops
            // this future in the middle of it.
            let waiting = Waiting(&shedder.waiting);
            let acquired = shedder.permits.acquire().await;
            drop(waiting);
            match acquired {
                Ok(p) => p,
                // The semaphore is never closed; if it were, refusing is the safe answer.
                Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

/// One place in the waiting line, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
