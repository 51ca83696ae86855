//! `GET /logout` (Jitsi's `tokenLogoutUrl`): end the Keycloak session by RP-initiated logout
//! and land on the configured page. `GET /logged-out` is the bridge's own landing page.
//!
//! Logging out ends the whole Keycloak session without asking (the bridge sends the ID token
//! as a hint), so another site must not be able to trigger it: a `GET /logout` that did not
//! come from Jitsi, the bridge's own origin or the user's own hand gets a page with a button
//! instead, which posts back to `/logout` from the bridge's origin.
//!
//! Jitsi's inline logout loads `tokenLogoutUrl?id_token_hint=<idToken>` in a hidden frame, with
//! the sealed hint the inline login gave it (`http::inline`); that logout ends on the bridge's
//! own page, which tells the Jitsi window `{type: 'logout-success'}`.

use crate::http::error::AppError;
use crate::http::initiator::Initiator;
use crate::http::inline;
use crate::http::login::{query_param, redirect};
use crate::http::pages::{LoggedOutPage, LogoutConfirmPage};
use crate::jitsi::tenant::Tenant;
use crate::lang::Lang;
use crate::shared::AppState;
use crate::telemetry::AUDIT;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret;

/// The `state` prefix that carries the page's language through Keycloak's logout.
const LANG_STATE: &str = "lang-";

pub async fn logout(
    State(app): State<AppState>,
    lang: Lang,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let query = query.unwrap_or_default();
    let inline_hint = query_param(&query, "id_token_hint");
    let inline = inline_hint.is_some() && app.inline_origin.is_some();
    let initiator = Initiator::of(&headers, &app.target.base);
    // Jitsi's hidden logout frame is on the bridge's own origin, so it is trusted like any
    // other same-origin request; a hint alone proves nothing about who sent the browser here.
    if !initiator.trusted() {
        tracing::info!(target: AUDIT, event = "logout_confirm", initiator = initiator.name());
        return confirm(&app, lang);
    }
    end_session(&app, inline_hint, inline, &headers, lang).await
}

/// `POST /logout`, from the confirmation page: only from the bridge's own origin.
pub async fn logout_confirmed(
    State(app): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let same_origin = origin == Some(app.public_origin.as_str())
        || headers
            .get("sec-fetch-site")
            .is_some_and(|v| v == "same-origin");
    if !same_origin {
        tracing::info!(target: AUDIT, event = "logout_confirm", initiator = "cross-site-post");
        return confirm(&app, lang);
    }
    end_session(&app, None, false, &headers, lang).await
}

fn confirm(app: &AppState, lang: Lang) -> Result<Response, AppError> {
    let html = LogoutConfirmPage {
        c: crate::http::pages::Chrome::of(app, lang),
        jitsi: app.target.base.as_str(),
    }
    .render()?;
    let mut response = Html(html).into_response();
    // With the pages' usual `no-referrer`, browsers send `Origin: null` with the form's POST;
    // this page has nothing to hide from its own origin, so the POST can name it.
    response.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

async fn end_session(
    app: &AppState,
    inline_hint: Option<String>,
    inline: bool,
    headers: &HeaderMap,
    lang: Lang,
) -> Result<Response, AppError> {
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    // The hint Jitsi hands back first (it names the session Jitsi holds a token for), then
    // the browser's session cookie.
    let session = inline_hint
        .as_deref()
        .and_then(|h| app.logins.open_hint(h, app.clock.now()))
        .or_else(|| app.logins.session(cookie_header));
    let tenant = session
        .as_ref()
        .and_then(|(_, t)| t.as_deref())
        .and_then(|t| Tenant::parse(t).ok());
    let realm = app.realm(tenant.as_ref());
    let hint = session.as_ref().map(|(token, _)| token.expose_secret());
    // Keycloak hands `state` back to the page it returns to: the inline marker, or the page's
    // language when that page is the bridge's own.
    let (after, state) = if inline {
        (&app.own_logged_out, Some(inline::LOGOUT_STATE.to_owned()))
    } else if app.logout_redirect == app.own_logged_out {
        (
            &app.logout_redirect,
            Some(format!("{LANG_STATE}{}", lang.code())),
        )
    } else {
        (&app.logout_redirect, None)
    };
    let state = state.as_deref();
    // Without a hint Keycloak would ask the user to confirm, which a hidden frame never shows:
    // an inline logout without one ends here, and says so in the log.
    let keycloak = if inline && hint.is_none() {
        tracing::warn!(
            target: AUDIT,
            event = "logout",
            realm = %realm.name,
            with_hint = false,
            inline,
            "inline logout without a usable ID token: the Keycloak session was not ended"
        );
        None
    } else {
        tracing::info!(target: AUDIT, event = "logout", realm = %realm.name, with_hint = hint.is_some(), inline);
        realm
            .oidc
            .logout_url(hint, after, state)
            .await
            .map_err(|e| AppError::Oidc(e, None))?
    };
    let target = keycloak.unwrap_or_else(|| {
        let mut url = after.clone();
        if let Some(s) = state {
            url.query_pairs_mut().append_pair("state", s);
        }
        url
    });
    redirect(target.as_str(), &[app.logins.session_removal()])
}

pub async fn logged_out(
    State(app): State<AppState>,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let state = query_param(query.as_deref().unwrap_or(""), "state");
    let lang = state
        .as_deref()
        .and_then(|s| s.strip_prefix(LANG_STATE))
        .and_then(Lang::parse)
        .unwrap_or(lang);
    let inline_origin = app
        .inline_origin
        .as_deref()
        .filter(|_| state.as_deref() == Some(inline::LOGOUT_STATE));
    let html = LoggedOutPage {
        c: crate::http::pages::Chrome::of(&app, lang),
        jitsi: app.target.base.as_str(),
        post: inline_origin.map(inline::logout_message),
    }
    .render()?;
    let mut response = Html(html).into_response();
    if inline_origin.is_some() {
        crate::http::middleware::headers::allow_jitsi_window(response.extensions_mut(), true);
    }
    Ok(response)
}
