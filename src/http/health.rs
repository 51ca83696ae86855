//! Probes: `/healthz` (the process answers) and `/readyz` (Keycloak's metadata and keys are
//! loaded, so logins can start).

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
    let mut missing = Vec::new();
    for realm in app.realms() {
        if !realm.oidc.ready().await {
            missing.push(realm.name.as_str());
        }
    }
    if missing.is_empty() {
        (text, "ready\n".to_owned()).into_response()
    } else {
        let body = format!(
            "not ready: Keycloak metadata not loaded for realm(s): {}\n",
            missing.join(", ")
        );
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, text, body).into_response();
        response
            .extensions_mut()
            .insert(crate::http::error::PlainText);
        response
    }
}
