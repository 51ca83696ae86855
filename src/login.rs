//! `GET /room/{room}`: start a Keycloak login for a room.

use crate::error::AppError;
use crate::login_state::PendingLogin;
use crate::room::{RoomError, RoomName};
use crate::state::AppState;
use crate::telemetry::AUDIT;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn start(
    State(app): State<AppState>,
    room: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A path that is not valid UTF-8 after decoding is a bad room name like any other.
    let Path(raw) = room.map_err(|_| AppError::BadRoom(RoomError::Undecodable))?;
    let room = RoomName::parse(&raw)?;
    let now = app.clock.now();
    let login = PendingLogin::new(&room, now);
    let authorize = app
        .oidc
        .authorize_url(&login)
        .await
        .map_err(|e| AppError::Oidc(e, Some(room.clone())))?;
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let set_cookies = app.logins.start(&login, cookie_header, now);
    tracing::info!(target: AUDIT, event = "login_started", room = room.backend_safe());
    redirect(authorize.as_str(), &set_cookies)
}

/// A 303 to `location`, with cookies to set or delete.
pub fn redirect(location: &str, set_cookies: &[String]) -> Result<Response, AppError> {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(location)
            .map_err(|_| AppError::Internal("redirect target is not a valid header".into()))?,
    );
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}
