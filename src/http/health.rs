//! Probes: `/healthz` (the process answers) and `/readyz` (Keycloak's metadata and keys are
//! loaded and Keycloak answers, so logins can start; see `keycloak::reachability`).

use crate::state::AppState;
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
    let mut causes = Vec::new();
    for realm in app.realms() {
        if let Err(cause) = realm.oidc.readiness().await {
            tracing::warn!(realm = %realm.name, cause = %cause, "not ready: the identity provider cannot be reached");
            causes.push(format!("{}: {cause}", realm.name));
        }
    }
    if causes.is_empty() {
        (text, "ready\n".to_owned()).into_response()
    } else {
        let body = format!(
            "not ready: the identity provider cannot be reached\n{}\n",
            causes.join("\n")
        );
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, text, body).into_response();
        response
            .extensions_mut()
            .insert(crate::http::error::PlainText);
        response
    }
}
