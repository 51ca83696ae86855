//! Whether the identity provider answers right now, for `/readyz`.
//!
//! Readiness must follow the provider going away after start, yet a probe from an orchestrator
//! every few seconds, times the replicas, must not become a request storm on Keycloak, and a
//! provider that hangs must not make `/readyz` hang. So the answer is cached for a few seconds,
//! at most one probe per realm is in flight, a probe is bounded in time, and the last real
//! cause of a failure (not "retried too soon") is kept for the log line and the probe's body.

use crate::clock::{Clock, UnixTime};
use crate::telemetry::error_chain;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long an observation stands before a probe checks again.
pub const FRESH_FOR_SECS: u64 = 5;
/// Longest a probe may take; slower counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What was last seen of the provider, and when.
#[derive(Debug, Clone)]
struct Observed {
    at: UnixTime,
    outcome: Result<(), String>,
}

/// Shared by a realm's login code (which reports what it sees) and its probes.
#[derive(Debug, Default)]
pub struct Reachability {
    last: Mutex<Option<Observed>>,
    probing: AtomicBool,
}

impl Reachability {
    /// Records what a request to the provider showed.
    pub fn record(&self, now: UnixTime, outcome: Result<(), String>) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some(Observed { at: now, outcome });
        }
    }

    /// The last observation if it is recent enough to answer with.
    pub fn fresh(&self, now: UnixTime) -> Option<Result<(), String>> {
        let last = self.last.lock().ok()?;
        last.as_ref()
            .filter(|o| now < o.at.saturating_add(FRESH_FOR_SECS))
            .map(|o| o.outcome.clone())
    }

    /// The last observation, however old; `Ok` when there is none yet.
    pub fn last(&self) -> Result<(), String> {
        self.last
            .lock()
            .ok()
            .and_then(|l| l.as_ref().map(|o| o.outcome.clone()))
            .unwrap_or(Ok(()))
    }

    /// The cause of the last failure, if the last observation was one.
    pub fn last_error(&self) -> Option<String> {
        self.last().err()
    }

    /// Starts a probe of `url` unless one is in flight; the receiver gets its outcome.
    pub fn probe(
        self: &Arc<Self>,
        http: &reqwest::Client,
        url: String,
        clock: Arc<dyn Clock>,
    ) -> Option<oneshot::Receiver<Result<(), String>>> {
        if self.probing.swap(true, Ordering::AcqRel) {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let this = Arc::clone(self);
        let request = http.get(&url).timeout(PROBE_TIMEOUT);
        tokio::spawn(async move {
            let outcome = match request.send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("GET {url} answered {}", r.status())),
                Err(e) => Err(format!("GET {url}: {}", error_chain(&e))),
            };
            this.record(clock.now(), outcome.clone());
            this.probing.store(false, Ordering::Release);
            let _ = tx.send(outcome);
        });
        Some(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_go_stale_and_keep_the_last_real_cause() {
        let r = Reachability::default();
        assert_eq!(r.fresh(100), None);
        assert_eq!(r.last(), Ok(()));
        r.record(100, Err("connection refused".into()));
        assert_eq!(r.fresh(104), Some(Err("connection refused".into())));
        assert_eq!(r.fresh(100 + FRESH_FOR_SECS), None);
        assert_eq!(r.last_error().as_deref(), Some("connection refused"));
        r.record(200, Ok(()));
        assert_eq!(r.last_error(), None);
    }
}
