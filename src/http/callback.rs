//! `GET /callback`: Keycloak sends the browser back here. One linear function; each check is
//! named, none can be switched off, and any failure ends the login with its own page.

use crate::http::error::{AppError, DenialCause, Retry};
use crate::http::login::redirect;
use crate::http::pages::ReturnToAppPage;
use crate::jitsi::room::RoomName;
use crate::jitsi::room_url::Destination;
use crate::jitsi::tenant::Tenant;
use crate::lang::Lang;
use crate::policy::claims::Identity;
use crate::policy::rules::{self, Verdict};
use crate::state::AppState;
use crate::telemetry::AUDIT;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret;
use std::collections::HashMap;

/// The sealed cookie carrying the rules' explanation to the token inspector.
pub const EXPLAIN_COOKIE: &str = "jb_explain";

/// Longest explanation kept for the token inspector.
const MAX_EXPLAIN_BYTES: usize = 900;

/// Longest query parameter value looked at; anything longer is not from Keycloak.
const MAX_PARAM: usize = 4096;

pub async fn finish(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = parse_query(query.as_deref().unwrap_or(""));
    let state = params.get("state").map(String::as_str).unwrap_or("");
    // Whatever happens below, this login's cookie is spent.
    let clear = app.logins.removal_for_state(state);
    let mut popup = false;
    let mut lang = None;
    let result = run(&app, &params, state, &headers, &mut popup, &mut lang).await;
    let mut response = crate::http::login::respond(result, popup);
    // Pages in the language the login started in.
    if let Some(l) = lang {
        response.extensions_mut().insert(l);
    }
    if let Some(c) = clear.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

async fn run(
    app: &AppState,
    params: &HashMap<String, String>,
    state: &str,
    headers: &HeaderMap,
    popup: &mut bool,
    lang: &mut Option<Lang>,
) -> Result<Response, AppError> {
    if state.is_empty() {
        return Err(AppError::MissingParameter("state"));
    }
    // 1. The pending login for this state, from this browser, unexpired, first use.
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let now = app.clock.now();
    let login = app
        .logins
        .finish(state, cookie_header, now)
        .map_err(AppError::UnknownLogin)?;
    *popup = login.popup;
    *lang = Some(login.lang);
    // Both were valid when the login started; parsing again keeps them typed.
    let room = RoomName::parse(&login.room)?;
    let tenant = login
        .tenant
        .as_deref()
        .map(Tenant::parse)
        .transpose()
        .map_err(AppError::BadTenant)?;
    let retry = || Some(Box::new(Retry::of(&login, room.clone(), tenant.clone())));
    let realm = app.realm(tenant.as_ref());

    // 2. RFC 9207: the answer names its issuer, which must be this realm's (mix-up defence);
    //    it must name one when the provider says it always does (section 2.4), error
    //    answers included.
    if let Some(iss) = params.get("iss") {
        if iss.as_str() != realm.issuer.as_str() {
            // Attacker-controlled: shortened and reduced to printable ASCII for the log.
            let got = iss
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(200)
                .collect();
            return Err(AppError::IssuerMismatch {
                got,
                expected: realm.issuer.to_string(),
            });
        }
    } else if realm
        .oidc
        .requires_iss()
        .await
        .map_err(|e| AppError::Oidc(e, retry()))?
    {
        return Err(AppError::IssuerMissing);
    }
    // 3. Keycloak's own error answer (the user cancelled, or the client is misconfigured).
    if let Some(code) = params.get("error") {
        let code = sanitize_code(code);
        return Err(if code == "access_denied" {
            AppError::LoginCancelled { retry: retry() }
        } else {
            AppError::IdpError {
                code,
                retry: retry(),
            }
        });
    }
    let code = params
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or(AppError::MissingParameter("code"))?;

    // 4. Code exchange with the PKCE verifier; ID token signature, iss, aud/azp, exp, nonce,
    //    algorithm allowlist, at_hash.
    let verified = realm
        .oidc
        .finish(code, &login)
        .await
        .map_err(|e| AppError::Oidc(e, retry()))?;
    // Keycloak accepted the code: from now on this login's state is refused.
    app.logins
        .finished(&login, now)
        .map_err(|e| AppError::Internal(format!("refusing the login: {e}")))?;
    let who =
        Identity::from_claims(&verified.claims, &realm.client_id).ok_or(AppError::NoSubject)?;

    // 5. The rules: may this user enter, and with which rights?
    for (claim, seen) in who.wrong_types() {
        // Never matches a grant, and leaves a deny undecided: the mapper needs fixing.
        tracing::warn!(
            event = "claim_wrong_type",
            realm = %realm.name,
            claim = claim.in_token(),
            seen,
        );
    }
    let rules_of_realm = rules::RealmRules {
        moderators: &realm.moderators,
        absent_means_empty: realm.absent_means_empty,
    };
    let decision = rules::decide(&app.policy, rules_of_realm, &who, &room, tenant.as_ref());
    if let Verdict::Deny { .. } = &decision.verdict {
        return Err(refused(
            app,
            realm,
            &who,
            &room,
            tenant.as_ref(),
            decision.verdict,
            retry(),
        ));
    }
    let role = decision.role;

    // 6. The token, and off to Jitsi (or back to the Jitsi app that sent the user).
    let jitsi_claims = realm
        .minter
        .claims_for(&who, &decision, &room, tenant.as_ref(), now);
    let token = realm
        .minter
        .sign(&jitsi_claims)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let destination = Destination {
        room: &room,
        tenant: tenant.as_ref(),
        overrides: &login.overrides,
        trusted: login.trusted,
    };
    let target = app.target.room_url(&destination, token.expose_secret());
    metrics::counter!(crate::metrics::TOKENS_MINTED, "alg" => realm.minter.signer().algorithm.name()).increment(1);
    metrics::counter!(crate::metrics::LOGINS_SUCCEEDED).increment(1);
    tracing::info!(
        target: AUDIT,
        event = "login_succeeded",
        realm = %realm.name,
        sub = %who.subject,
        username = who.username.as_deref().unwrap_or(""),
        room = room.backend_safe(),
        tenant = tenant.as_ref().map(Tenant::as_str).unwrap_or(""),
        role = ?role,
        client = ?login.client,
        popup = login.popup,
    );
    // Remember the ID token (sealed) so that /logout can end the Keycloak session without
    // asking the user to confirm.
    let session = app
        .logins
        .session_cookie(&verified.id_token, tenant.as_ref());
    let mut cookies = vec![session];
    if app.inspector {
        // Demo aid: the inspector page shows why the token looks the way it does.
        // Rows of (part, value, decided by), as many as fit the cookie budget.
        let mut rows: Vec<[&str; 3]> = Vec::new();
        for w in &decision.why {
            rows.push([w.part, &w.value, &w.because]);
            if serde_json::to_string(&rows).map_or(0, |s| s.len()) > MAX_EXPLAIN_BYTES {
                rows.pop();
                break;
            }
        }
        let explain = serde_json::to_string(&rows).unwrap_or_default();
        cookies.push(app.logins.seal(EXPLAIN_COOKIE, &explain, 600));
    }
    // The new cookies must fit beside the pending logins of other tabs; the oldest give way.
    let room = app
        .logins
        .make_room(cookie_header, &login.state, &cookies, now);
    cookies.extend(room);
    let inline_origin = app.inline_origin.as_deref().filter(|_| login.popup);
    let mut response = match (inline_origin, app.target.app_url(&target, login.client)) {
        (Some(origin), _) => {
            let hint = app
                .logins
                .seal_hint(&verified.id_token, tenant.as_ref(), now);
            crate::http::inline::success(
                app,
                login.lang,
                origin,
                token.expose_secret(),
                &hint,
                target.as_str(),
            )?
        }
        (None, Some(app_url)) => return_to_app(app, login.lang, &app_url, target.as_str())?,
        (None, None) => redirect(target.as_str(), &[])?,
    };
    for c in cookies {
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
        c: app.chrome_carrying_token(lang),
        app_url,
        web_url,
    };
    let html = page.render()?;
    let mut response = Html(html).into_response();
    response
        .extensions_mut()
        .insert(crate::http::headers::CarriesToken);
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

/// OAuth error codes are short ASCII words; anything else is reduced to that shape before it
/// reaches a log line.
fn sanitize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

/// The audit line, the metrics and the page for a login the rules refuse.
fn refused(
    app: &AppState,
    realm: &crate::state::Realm,
    who: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
    verdict: Verdict,
    retry: Option<Box<Retry>>,
) -> AppError {
    let Verdict::Deny {
        reason,
        by,
        undecided,
        notes,
    } = verdict
    else {
        return AppError::Internal("refused() called for an allowed login".into());
    };
    let advice: Vec<String> = notes
        .iter()
        .map(|n| n.advice())
        .filter(|a| !a.is_empty())
        .collect();
    metrics::counter!(crate::metrics::LOGINS_DENIED).increment(1);
    for n in notes.iter().filter(|n| n.absent()) {
        metrics::counter!(crate::metrics::LOGINS_MISSING_CLAIM, "claim" => n.claim.name())
            .increment(1);
    }
    let undecidable: Vec<String> = notes
        .iter()
        .filter(|n| n.undecidable())
        .map(|n| format!("{}: {}", n.claim.name(), n.describe()))
        .collect();
    tracing::warn!(
        target: AUDIT,
        event = "login_denied",
        realm = %realm.name,
        sub = %who.subject,
        username = who.username.as_deref().unwrap_or(""),
        room = room.backend_safe(),
        tenant = tenant.map(Tenant::as_str).unwrap_or(""),
        by = %by,
        reason = reason.as_deref().unwrap_or(""),
        undecided = %undecidable.join("; "),
        missing_mappers = %advice.join("; "),
    );
    let cause = if !undecided {
        DenialCause::Rule
    } else if notes.iter().all(|n| {
        // Asking the user to verify an address helps only when that is all that is missing.
        !n.undecidable()
            || (n.claim == crate::policy::claims::Claim::Email
                && n.reading == crate::policy::who::Reading::NotVerified)
    }) {
        DenialCause::EmailNotVerified
    } else {
        DenialCause::Undecided
    };
    AppError::Denied {
        reason: reason.filter(|_| app.policy.show_reasons),
        advice,
        rule: by,
        cause,
        retry,
    }
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

    #[test]
    fn error_codes_are_sanitized() {
        assert_eq!(sanitize_code("access_denied"), "access_denied");
        assert_eq!(sanitize_code("evil\n\"code\"<x>"), "evilcodex");
    }
}
