//! `GET /room/{room}` and `GET /room/{tenant}/{room}`, optionally with Jitsi's
//! `?state={state}`: read the request for [`crate::login::start`] and answer with its redirect
//! to Keycloak.

use crate::http::error::AppError;
use crate::http::initiator::Initiator;
use crate::http::retry;
use crate::jitsi::room::RoomError;
use crate::lang::Lang;
use crate::login::start;
use crate::shared::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn room(
    State(app): State<AppState>,
    lang: Lang,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let popup = is_popup(query.as_deref());
    // A path that is not valid UTF-8 after decoding is a bad room name like any other.
    let result = match path {
        Ok(Path(room)) => begin(&app, None, &room, query.as_deref(), &headers, popup, lang).await,
        Err(_) => Err(AppError::BadRoom(RoomError::Undecodable)),
    };
    respond(result, popup)
}

pub async fn tenant_room(
    State(app): State<AppState>,
    lang: Lang,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let popup = is_popup(query.as_deref());
    let result = match path {
        Ok(Path((tenant, room))) => {
            let q = query.as_deref();
            begin(&app, Some(&tenant), &room, q, &headers, popup, lang).await
        }
        Err(_) => Err(AppError::BadRoom(RoomError::Undecodable)),
    };
    respond(result, popup)
}

/// jitsi-meet's inline login appends `&nonce=<hex>` to `tokenAuthUrl` and nothing else does
/// (`authentication/actions.web.ts`, `loginWithPopup`). Its value is not used: the bridge's
/// own nonce protects the ID token, and the result goes only to the Jitsi origin.
fn is_popup(query: Option<&str>) -> bool {
    query.is_some_and(|q| query_param(q, "nonce").is_some())
}

/// In a pop-up login, every response keeps the pop-up's link to the Jitsi window (browsers
/// cut it at any response, redirects included, with a strict opener policy), and an error is
/// also told to that window.
pub fn respond(result: Result<Response, AppError>, popup: bool) -> Response {
    let mut r = match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    if popup {
        r.extensions_mut().insert(crate::http::inline::Popup);
        crate::http::middleware::headers::allow_jitsi_window(r.extensions_mut(), false);
    }
    r
}

async fn begin(
    app: &AppState,
    tenant: Option<&str>,
    room: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    popup: bool,
    lang: Lang,
) -> Result<Response, AppError> {
    let query = query.unwrap_or("");
    let state = query_param(query, "state");
    let initiator = Initiator::of(headers, &app.target.base);
    let started = start::start(
        app,
        start::Request {
            tenant,
            room,
            state: state.as_deref(),
            popup,
            trusted: initiator.trusted(),
            initiator: initiator.name(),
            // A retry of a login that was not trusted says so; the bridge's own page is
            // same-origin.
            retried_untrusted: query_param(query, retry::FROM).as_deref() == Some(retry::ELSEWHERE),
            switch_account: query_param(query, "prompt").as_deref() == Some("login"),
            lang,
            cookie_header: headers.get(header::COOKIE).and_then(|v| v.to_str().ok()),
        },
    )
    .await?;
    redirect(started.authorize.as_str(), &started.set_cookies)
}

/// The first value of a query parameter.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
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
