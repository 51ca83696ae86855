//! `GET /logout` (Jitsi's `tokenLogoutUrl`): end the Keycloak session by RP-initiated logout
//! and land on the configured page. `GET /logged-out` is the bridge's own landing page.

use crate::http::error::AppError;
use crate::http::login::redirect;
use crate::http::pages::LoggedOutPage;
use crate::jitsi::tenant::Tenant;
use crate::state::AppState;
use crate::telemetry::AUDIT;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret;

pub async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let session = app.logins.session(cookie_header);
    let tenant = session
        .as_ref()
        .and_then(|(_, t)| t.as_deref())
        .and_then(|t| Tenant::parse(t).ok());
    let realm = app.realm(tenant.as_ref());
    let hint = session.as_ref().map(|(token, _)| token.expose_secret());
    let keycloak = realm
        .oidc
        .logout_url(hint, &app.logout_redirect)
        .await
        .map_err(|e| AppError::Oidc(e, None))?;
    tracing::info!(target: AUDIT, event = "logout", realm = %realm.name, with_hint = hint.is_some());
    let target = keycloak.unwrap_or_else(|| app.logout_redirect.clone());
    redirect(target.as_str(), &[app.logins.session_removal()])
}

pub async fn logged_out() -> Result<Response, AppError> {
    let html = LoggedOutPage
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Html(html).into_response())
}
