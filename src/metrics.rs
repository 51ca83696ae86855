//! Prometheus metrics, served on their own address (`metrics.listen`) so they never share a
//! port with the public login pages.
//!
//! Labels are low-cardinality on purpose: never a room, user or tenant. `reason` is one of the
//! fixed error kinds of `http::error`, `alg` one of the four signing algorithms, `op` one of
//! `discovery` and `token`.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const LOGINS_STARTED: &str = "bridge_logins_started_total";
pub const LOGINS_SUCCEEDED: &str = "bridge_logins_succeeded_total";
pub const LOGINS_DENIED: &str = "bridge_logins_denied_total";
pub const LOGINS_FAILED: &str = "bridge_logins_failed_total";
pub const TOKENS_MINTED: &str = "bridge_tokens_minted_total";
pub const IDP_REQUEST_SECONDS: &str = "bridge_idp_request_duration_seconds";
pub const LOGINS_MISSING_CLAIM: &str = "bridge_logins_missing_claim_total";
pub const REQUESTS_SHED: &str = "bridge_requests_shed_total";
pub const CONNECTIONS_OPEN: &str = "bridge_connections_open";
pub const CONNECTIONS_REFUSED: &str = "bridge_connections_refused_total";
pub const CONNECTIONS_MAX: &str = "bridge_connections_max";
pub const IDP_REACHABLE: &str = "bridge_idp_reachable";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (several bridges in one test process share it).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(IDP_REQUEST_SECONDS.to_owned()),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(LOGINS_STARTED, "Logins started (GET /room).");
    metrics::describe_counter!(LOGINS_SUCCEEDED, "Logins that ended with a token.");
    metrics::describe_counter!(LOGINS_DENIED, "Logins refused by [access] or [[rules]].");
    metrics::describe_counter!(
        LOGINS_FAILED,
        "Requests answered with an error page, by reason."
    );
    metrics::describe_counter!(TOKENS_MINTED, "Jitsi tokens signed, by algorithm.");
    metrics::describe_counter!(
        LOGINS_MISSING_CLAIM,
        "Logins refused because a rule needed a claim the ID token did not carry, by claim."
    );
    metrics::describe_counter!(
        REQUESTS_SHED,
        "Requests answered 503 at once because the bridge was at its limit of requests in flight and waiting."
    );
    metrics::describe_gauge!(CONNECTIONS_OPEN, "Open client connections, by listener.");
    metrics::describe_gauge!(
        CONNECTIONS_MAX,
        "The cap on open client connections (server.max_connections), by listener."
    );
    metrics::describe_gauge!(
        IDP_REACHABLE,
        "1 when the realm's identity provider answered the last readiness probe, else 0, by realm."
    );
    metrics::describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections closed at once because the listener was at its cap, by listener."
    );
    metrics::describe_histogram!(
        IDP_REQUEST_SECONDS,
        "Duration of requests to Keycloak, by operation."
    );
}

/// `GET /metrics`, for a listener of its own; `None` when the recorder could not be installed.
pub fn router() -> Option<Router> {
    let handle = handle()?;
    Some(Router::new().route("/metrics", get(move || std::future::ready(handle.render()))))
}

/// The label values every counter is exported with before its first event, given by the
/// layers that own them (this module imports nothing of the bridge's).
pub struct Labels<'a> {
    /// The signing algorithms in use.
    pub algorithms: &'a [&'static str],
    /// The error kinds of the error pages.
    pub failure_kinds: &'a [&'static str],
    /// The claims a rule may find missing.
    pub claims: &'a [&'static str],
}

/// Makes sure metrics are recorded from now on (called when a metrics address is configured),
/// and exports every counter at 0, with each label value it can take, so that alerts on
/// rates and on absent series work before the first event.
pub fn enable(labels: &Labels<'_>) {
    if handle().is_none() {
        return;
    }
    for name in [
        LOGINS_STARTED,
        LOGINS_SUCCEEDED,
        LOGINS_DENIED,
        REQUESTS_SHED,
    ] {
        metrics::counter!(name).increment(0);
    }
    for reason in labels.failure_kinds {
        metrics::counter!(LOGINS_FAILED, "reason" => *reason).increment(0);
    }
    for alg in labels.algorithms {
        metrics::counter!(TOKENS_MINTED, "alg" => *alg).increment(0);
    }
    for claim in labels.claims {
        metrics::counter!(LOGINS_MISSING_CLAIM, "claim" => *claim).increment(0);
    }
    for listener in ["public", "metrics"] {
        metrics::counter!(CONNECTIONS_REFUSED, "listener" => listener).increment(0);
        metrics::gauge!(CONNECTIONS_OPEN, "listener" => listener).increment(0.0);
    }
}

pub fn observe_idp(op: &'static str, elapsed: Duration) {
    metrics::histogram!(IDP_REQUEST_SECONDS, "op" => op).record(elapsed.as_secs_f64());
}
