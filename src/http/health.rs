//! Probes: `/healthz` (the process answers) and `/readyz` (what every login needs is there).
//!
//! Readiness takes a replica out of the load balancer, and every replica sees the same
//! identity providers, so an outage that fails `/readyz` takes the whole bridge out. It
//! therefore depends only on what every login needs: the one identity provider when all realms
//! share it. With tenants on providers of their own, no provider is needed by every login, and
//! one tenant's outage must not take the others' logins down; each provider's reachability is
//! then a metric (`bridge_idp_reachable{realm}`) and a log line. Both probes answer the public
//! tersely: no realm names, URLs or errors in the body, the cause goes to the log.

use crate::shared::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
        .into_response()
}

pub async fn readyz(State(app): State<AppState>) -> Response {
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    let mut issuers: Vec<&str> = app.realms().map(|r| r.issuer.as_str()).collect();
    issuers.sort_unstable();
    issuers.dedup();
    let one_provider = issuers.len() == 1;
    let mut ready = true;
    for realm in app.realms() {
        let outcome = realm.oidc.readiness().await;
        let up = if outcome.is_ok() { 1.0 } else { 0.0 };
        metrics::gauge!(crate::metrics::IDP_REACHABLE, "realm" => realm.name.clone()).set(up);
        if let Err(cause) = outcome {
            tracing::warn!(
                realm = %realm.name,
                cause = %cause,
                needed_by_every_login = one_provider,
                "the identity provider cannot be reached"
            );
            ready &= !one_provider;
        }
    }
    if ready {
        (text, "ready\n").into_response()
    } else {
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, text, "not ready\n").into_response();
        response
            .extensions_mut()
            .insert(crate::http::error::PlainText);
        response
    }
}
