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
    if app.oidc.ready().await {
        (text, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            text,
            "not ready: Keycloak metadata not loaded\n",
        )
            .into_response()
    }
}
