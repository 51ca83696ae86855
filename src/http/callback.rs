//! `GET /callback`: Keycloak sends the browser back here. The query becomes the
//! [`Answer`] that [`crate::login::complete`] checks; its outcome becomes the response.

use crate::http::error::AppError;
use crate::http::login::redirect;
use crate::http::pages::ReturnToAppPage;
use crate::lang::Lang;
use crate::login::complete::{Answer, Completed, Landing, complete};
use crate::shared::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret;
use std::collections::HashMap;

/// Longest query parameter value looked at; anything longer is not from Keycloak.
const MAX_PARAM: usize = 4096;

pub async fn finish(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = parse_query(query.as_deref().unwrap_or(""));
    let param = |name: &str| params.get(name).map(String::as_str);
    let answer = Answer {
        state: param("state").unwrap_or(""),
        iss: param("iss"),
        error: param("error"),
        code: param("code"),
        cookie_header: headers.get(header::COOKIE).and_then(|v| v.to_str().ok()),
    };
    // Whatever happens below, this login's cookie is spent.
    let clear = app.logins.removal_for_state(answer.state);
    let completion = complete(&app, &answer).await;
    let result = completion.result.and_then(|done| respond(&app, done));
    let mut response = crate::http::login::respond(result, completion.popup);
    // Pages in the language the login started in.
    if let Some(l) = completion.lang {
        response.extensions_mut().insert(l);
    }
    if let Some(c) = clear.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// The finished login as a response: a redirect into the room, the page with the app's
/// button, or the pop-up's last page; with its cookies.
fn respond(app: &AppState, done: Completed) -> Result<Response, AppError> {
    let room_url = done.room_url.as_str();
    let mut response = match &done.landing {
        Landing::Popup {
            origin,
            token,
            hint,
        } => crate::http::inline::success(
            app,
            done.lang,
            origin,
            token.expose_secret(),
            hint,
            room_url,
        )?,
        Landing::App { app_url } => return_to_app(app, done.lang, app_url, room_url)?,
        Landing::Room => redirect(room_url, &[])?,
    };
    for c in done.set_cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// Jitsi's desktop and mobile apps sent the user to the system browser; the way back is the
/// app's URL scheme. Browsers only follow such links after a click, so this is a page with a
/// button (and a link to continue in the browser instead).
fn return_to_app(
    app: &AppState,
    lang: Lang,
    app_url: &str,
    web_url: &str,
) -> Result<Response, AppError> {
    let page = ReturnToAppPage {
        c: crate::http::pages::Chrome::carrying_token(app, lang),
        app_url,
        web_url,
    };
    let html = page.render()?;
    let mut response = Html(html).into_response();
    response
        .extensions_mut()
        .insert(crate::http::middleware::headers::CarriesToken);
    Ok(response)
}

fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if v.len() <= MAX_PARAM && out.len() < 16 {
            // The first value wins; a duplicated parameter cannot override it.
            out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_parameter_wins_and_oversized_are_dropped() {
        let long = "x".repeat(MAX_PARAM + 1);
        let q = parse_query(&format!("state=a&state=b&code={long}&error=access_denied"));
        assert_eq!(q.get("state").map(String::as_str), Some("a"));
        assert!(!q.contains_key("code"));
        assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    }
}
