//! `GET /room/{room}` and `GET /room/{tenant}/{room}`, optionally with Jitsi's
//! `?state={state}`: start a Keycloak login for a room.

use crate::http::error::AppError;
use crate::http::initiator::Initiator;
use crate::http::retry::{self, Retry};
use crate::jitsi::room::{RoomError, RoomName};
use crate::jitsi::state as jitsi_state;
use crate::jitsi::tenant::Tenant;
use crate::lang::Lang;
use crate::session::login_state::PendingLogin;
use crate::state::AppState;
use crate::telemetry::AUDIT;
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
        crate::http::headers::allow_jitsi_window(r.extensions_mut(), false);
    }
    r
}

async fn begin(
    app: &AppState,
    tenant: Option<&str>,
    raw_room: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    popup: bool,
    lang: Lang,
) -> Result<Response, AppError> {
    if popup && app.inline_origin.is_none() {
        return Err(AppError::InlineUnavailable);
    }
    let room = RoomName::parse(raw_room)?;
    let tenant = tenant
        .map(Tenant::parse)
        .transpose()
        .map_err(AppError::BadTenant)?;
    let state = query_param(query.unwrap_or(""), "state");
    let info = match state {
        Some(raw) => {
            jitsi_state::parse(&raw, &room, tenant.as_ref()).map_err(AppError::BadState)?
        }
        None => jitsi_state::StateInfo {
            tenant,
            ..Default::default()
        },
    };
    let initiator = Initiator::of(headers, &app.target.base);
    // A retry of a login that was not trusted says so; the bridge's own page is same-origin.
    let retried_untrusted =
        query_param(query.unwrap_or(""), retry::FROM).as_deref() == Some(retry::ELSEWHERE);
    let trusted = initiator.trusted() && !retried_untrusted;
    let info = if trusted {
        info
    } else {
        jitsi_state::for_untrusted(info)
    };
    let realm = app.realm(info.tenant.as_ref());
    let now = app.clock.now();
    let mut login = PendingLogin::new(&room, now).with_state(info);
    login.popup = popup;
    login.trusted = trusted;
    login.lang = lang;
    login.switch_account = query_param(query.unwrap_or(""), "prompt").as_deref() == Some("login");
    let authorize = realm.oidc.authorize_url(&login).await.map_err(|e| {
        let tenant = login.tenant.as_deref().and_then(|t| Tenant::parse(t).ok());
        AppError::Oidc(e, Some(Box::new(Retry::of(&login, room.clone(), tenant))))
    })?;
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let set_cookies = app.logins.start(&login, cookie_header, now);
    metrics::counter!(crate::metrics::LOGINS_STARTED).increment(1);
    tracing::info!(
        target: AUDIT,
        event = "login_started",
        room = room.backend_safe(),
        tenant = login.tenant.as_deref().unwrap_or(""),
        client = ?login.client,
        popup,
        initiator = if retried_untrusted { "retry-elsewhere" } else { initiator.name() },
        trusted,
    );
    redirect(authorize.as_str(), &set_cookies)
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
