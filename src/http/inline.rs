//! Jitsi's inline login and logout (`tokenAuthInline`, jitsi-meet 2026).
//!
//! jitsi-meet opens `tokenAuthUrl&nonce=<hex>` in a pop-up and accepts only a `message` event
//! `{type: 'oauth-success', accessToken, idToken, refreshToken}` (or `oauth-error`) whose origin
//! is its own; inline logout loads `tokenLogoutUrl?id_token_hint=<idToken>` in a hidden frame
//! and waits for `{type: 'logout-success'}` from its origin (`docs/upstream-facts.md`
//! §2-§3). So this works only when the bridge is served under the Jitsi origin (a path such as
//! `https://meet.example.org/auth/`), and every message is addressed to exactly that origin.
//!
//! `accessToken` is the Jitsi token. `idToken` is the Keycloak ID token sealed with the cookie
//! key: Jitsi only hands it back as the logout hint, and the Jitsi page has no business reading
//! the user's Keycloak claims. No `refreshToken` is sent: the next login passes through
//! Keycloak's single sign-on instead.

use crate::http::middleware::headers::{CarriesToken, allow_jitsi_window};
use crate::http::pages::{InlineDonePage, PostMessage};
use crate::lang::Lang;
use crate::shared::AppState;
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// Marks a response to a pop-up login: its error page also tells the Jitsi window.
#[derive(Debug, Clone, Copy)]
pub struct Popup;

/// The `state` the bridge gives Keycloak's logout for an inline logout; Keycloak returns it to
/// the "logged out" page, which then tells the Jitsi window.
pub const LOGOUT_STATE: &str = "jitsi-inline-logout";

/// The message for a failed pop-up login.
pub fn error_message(origin: &str, title: &str) -> PostMessage {
    PostMessage {
        origin: origin.to_owned(),
        message: json!({"type": "oauth-error", "error": title}).to_string(),
        fallback: None,
    }
}

/// The message for a finished inline logout.
pub fn logout_message(origin: &str) -> PostMessage {
    PostMessage {
        origin: origin.to_owned(),
        message: json!({"type": "logout-success"}).to_string(),
        fallback: None,
    }
}

/// The pop-up's last page after a successful login: posts the Jitsi token to Jitsi, or opens
/// the room with it when there is no Jitsi window.
pub fn success(
    app: &AppState,
    lang: Lang,
    origin: &str,
    jitsi_token: &str,
    sealed_id_token: &str,
    room_url: &str,
) -> Result<Response, askama::Error> {
    let page = InlineDonePage {
        c: crate::http::pages::Chrome::carrying_token(app, lang),
        post: PostMessage {
            origin: origin.to_owned(),
            message: json!({
                "type": "oauth-success",
                "accessToken": jitsi_token,
                "idToken": sealed_id_token,
            })
            .to_string(),
            fallback: Some(room_url.to_owned()),
        },
    };
    let html = page.render()?;
    let mut response = Html(html).into_response();
    allow_jitsi_window(response.extensions_mut(), false);
    response.extensions_mut().insert(CarriesToken);
    Ok(response)
}

/// `GET /static/inline.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/inline.js"),
    )
        .into_response()
}
