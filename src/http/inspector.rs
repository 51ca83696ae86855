//! `GET /inspect/{*room}?jwt=...`: the token inspector, off by default.
//!
//! For demos without a Jitsi server: point `jitsi.url` at `<bridge>/inspect` and the login
//! ends on a page that verifies the token with the bridge's own key and shows the claims the
//! user would carry into Jitsi.

use crate::http::error::AppError;
use crate::http::pages::WhyRow;
use crate::http::pages::{ClaimRow, InspectPage};
use crate::lang::Lang;
use crate::login::complete::EXPLAIN_COOKIE;
use crate::shared::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

pub async fn inspect(
    headers: axum::http::HeaderMap,
    State(app): State<AppState>,
    lang: Lang,
    Path(room): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    // "No token" and "a token that does not verify" are different situations for the user.
    let token = url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
        .ok_or(AppError::NoInspectedToken)?;
    let now = app.clock.now();
    // The token may come from any configured realm; the first whose key verifies it wins.
    let mut last_error = String::from("no realm");
    let mut expired = false;
    let mut verified = None;
    for realm in app.realms() {
        match realm.minter.verify(&token, now) {
            Ok(c) => {
                verified = Some(c);
                break;
            }
            Err(e) => {
                // A valid signature on a token past its time: the user only needs a new one.
                expired |= matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature);
                last_error = e.to_string();
            }
        }
    }
    let claims = verified.ok_or(if expired {
        AppError::ExpiredInspectedToken
    } else {
        AppError::BadInspectedToken(last_error)
    })?;
    let header = segment_json(&token, 0);
    let payload = segment_json(&token, 1);
    // Every claim, flattened (`context.features.recording`), so nothing the token carries
    // is hidden from the demo.
    let mut rows = Vec::new();
    if let Ok(value) = serde_json::to_value(&claims) {
        flatten("", &value, &mut rows);
    }
    let cookie_header = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    let why: Vec<WhyRow> = app
        .logins
        .open(EXPLAIN_COOKIE, cookie_header)
        .and_then(|text| serde_json::from_str::<Vec<[String; 3]>>(&text).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|[part, value, because]| WhyRow {
            part,
            value,
            because,
        })
        .collect();
    let expires_in = claims.exp.saturating_sub(now);
    let page = InspectPage {
        c: crate::http::pages::Chrome::of(&app, lang),
        heading: lang.t_with("inspect-heading", &[("room", room.clone())]),
        intro: lang.t_with("inspect-text", &[("seconds", expires_in.to_string())]),
        why,
        room: &room,
        header,
        payload,
        rows,
        expires_in,
    };
    let html = page.render()?;
    Ok(Html(html).into_response())
}

fn segment_json(token: &str, index: usize) -> String {
    token
        .split('.')
        .nth(index)
        .and_then(|s| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_default()
}

/// `{"a": {"b": 1}}` → `a.b = 1`; strings without their quotes.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<ClaimRow>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        serde_json::Value::String(s) => out.push(ClaimRow {
            name: prefix.to_owned(),
            value: s.clone(),
        }),
        other => out.push(ClaimRow {
            name: prefix.to_owned(),
            value: other.to_string(),
        }),
    }
}
