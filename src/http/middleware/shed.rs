//! Sheds load instead of queueing it without bound.
//!
//! At most `max` requests are handled at once and at most as many more wait for a turn;
//! beyond that a request is answered at once with 503 and `Retry-After` (rendered as the
//! "busy" page by the error layer) and counted, so that latency stays bounded and an operator
//! sees the overload. The probes are never shed: a busy bridge is alive, and `/readyz` says
//! whether the identity provider answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

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
    pub fn new(max: usize, base: &str) -> Self {
        Self {
            permits: Semaphore::new(max),
            waiting: AtomicUsize::new(0),
            max_waiting: max,
            probes: ["/healthz", "/readyz"]
                .into_iter()
                .flat_map(|p| [p.to_owned(), format!("{base}{p}")])
                .collect(),
        }
    }
}

impl Shedder {
    /// A turn for this request: `Ok(None)` for the probes (never shed), `Ok(Some(permit))`
    /// when it may run (perhaps after waiting), `Err(503 response)` when it is shed.
    pub async fn admit(&self, path: &str) -> Result<Option<SemaphorePermit<'_>>, Response> {
        if self.probes.iter().any(|p| p == path) {
            return Ok(None);
        }
        if let Ok(p) = self.permits.try_acquire() {
            return Ok(Some(p));
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!(crate::metrics::REQUESTS_SHED).increment(1);
            let mut busy = StatusCode::SERVICE_UNAVAILABLE.into_response();
            busy.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            return Err(busy);
        }
        // Counted down however the wait ends: a timeout or a client that went away drops
        // this future in the middle of it.
        let waiting = Waiting(&self.waiting);
        let acquired = self.permits.acquire().await;
        drop(waiting);
        match acquired {
            Ok(p) => Ok(Some(p)),
            // The semaphore is never closed; if it were, refusing is the safe answer.
            Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        }
    }
}

/// One place in the waiting line, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
