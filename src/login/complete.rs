//! The end of a login: Keycloak's answer is checked (the pending login of this browser,
//! RFC 9207's issuer, Keycloak's own error), the code exchanged and the ID token verified, the
//! rules decide, and the Jitsi token is signed. Each check is named, none can be switched off,
//! and any failure ends the login with its own [`AppError`].

use crate::error::AppError;
use crate::jitsi::room::RoomName;
use crate::jitsi::room_url::Destination;
use crate::jitsi::tenant::Tenant;
use crate::keycloak::oidc::Verified;
use crate::lang::Lang;
use crate::login::refusal::{refused, too_low_level};
use crate::login::retry::Retry;
use crate::policy::claims::Identity;
use crate::policy::decision::Decision;
use crate::policy::level;
use crate::policy::rules::{self, Verdict};
use crate::session::pending::PendingLogin;
use crate::shared::{AppState, Realm};
use crate::telemetry::AUDIT;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The sealed cookie carrying the rules' explanation to the token inspector.
pub const EXPLAIN_COOKIE: &str = "jb_explain";

/// Longest explanation kept for the token inspector.
const MAX_EXPLAIN_BYTES: usize = 900;

/// Keycloak's answer, as the handler read it from the callback's query.
pub struct Answer<'a> {
    pub state: &'a str,
    pub iss: Option<&'a str>,
    pub error: Option<&'a str>,
    pub code: Option<&'a str>,
    pub cookie_header: Option<&'a str>,
}

/// How the user reaches the room with the token.
pub enum Landing {
    /// Straight there.
    Room,
    /// Through a page with a button into Jitsi's desktop or mobile app (browsers follow an
    /// app's URL scheme only after a click), which may also continue in the browser.
    App { app_url: String },
    /// Jitsi's inline login: the pop-up's last page posts the token, and the sealed logout
    /// hint, to the Jitsi window at `origin`.
    Popup {
        origin: String,
        token: SecretString,
        hint: String,
    },
}

/// A finished login.
pub struct Completed {
    /// The Jitsi room URL with the token.
    pub room_url: Url,
    pub landing: Landing,
    /// The session cookie (for logging out), the inspector's, and removals of older pending
    /// logins to make room for them.
    pub set_cookies: Vec<String>,
    pub lang: Lang,
}

/// What became of a login, with what its pages need either way: a pop-up's error is also
/// told to the Jitsi window, and every page is in the language the login started in.
pub struct Completion {
    pub popup: bool,
    pub lang: Option<Lang>,
    pub result: Result<Completed, AppError>,
}

pub async fn complete(app: &AppState, answer: &Answer<'_>) -> Completion {
    let failed = |error| Completion {
        popup: false,
        lang: None,
        result: Err(error),
    };
    if answer.state.is_empty() {
        return failed(AppError::MissingParameter("state"));
    }
    let now = app.clock.now();
    // 1. The pending login for this state, from this browser, unexpired, first use.
    let login = match app.logins.finish(answer.state, answer.cookie_header, now) {
        Ok(login) => login,
        Err(e) => return failed(AppError::UnknownLogin(e)),
    };
    Completion {
        popup: login.popup,
        lang: Some(login.lang),
        result: finish(app, answer, &login, now).await,
    }
}

async fn finish(
    app: &AppState,
    answer: &Answer<'_>,
    login: &PendingLogin,
    now: u64,
) -> Result<Completed, AppError> {
    // Both were valid when the login started; parsing again keeps them typed.
    let room = RoomName::parse(&login.room)?;
    let tenant = login
        .tenant
        .as_deref()
        .map(Tenant::parse)
        .transpose()
        .map_err(AppError::BadTenant)?;
    let retry = || Some(Box::new(Retry::of(login, room.clone(), tenant.clone())));
    let realm = app.realm(tenant.as_ref());
    let code = check_answer(realm, answer, &retry).await?;

    // 4. Code exchange with the PKCE verifier; ID token signature, iss, aud/azp, exp, nonce,
    //    algorithm allowlist, at_hash.
    let verified = realm
        .oidc
        .finish(code, &super::secrets(login))
        .await
        .map_err(|e| AppError::Oidc(e, retry()))?;
    // Keycloak accepted the code: from now on this login's state is refused.
    app.logins
        .finished(login, now)
        .map_err(|e| AppError::Internal(format!("refusing the login: {e}")))?;
    let mut who =
        Identity::from_claims(&verified.claims, &realm.client_id).ok_or(AppError::NoSubject)?;
    who.organizations_granted(verified.granted_scopes.as_deref());

    // 5. The rules: may this user enter, and with which rights? (First, so that nobody is
    //    sent to set up a second factor only to be refused.)
    let decision = decide(app, realm, &who, &room, tenant.as_ref(), retry)?;

    // 6. The level of authentication the room needs, from the ID token's `acr`: asked for at
    //    the start, but the browser carried the question, so only the answer counts.
    let level = app
        .policy
        .check_level(&room, tenant.as_ref(), verified.claims.get("acr"))
        .map_err(|too_low| too_low_level(realm, &who, &room, tenant.as_ref(), too_low, retry()))?;

    // 7. The token, and off to Jitsi (or back to the Jitsi app that sent the user).
    let minted = Minted {
        realm,
        who: &who,
        decision: &decision,
        room: &room,
        tenant: tenant.as_ref(),
        level: level.as_ref(),
    };
    land(app, login, &minted, &verified, answer.cookie_header, now)
}

/// Steps 2 and 3: the answer is this realm's, and not an error; its code.
async fn check_answer<'a>(
    realm: &Realm,
    answer: &Answer<'a>,
    retry: &impl Fn() -> Option<Box<Retry>>,
) -> Result<&'a str, AppError> {
    // 2. RFC 9207: the answer names its issuer, which must be this realm's (mix-up defence);
    //    it must name one when the provider says it always does (section 2.4), error
    //    answers included.
    if let Some(iss) = answer.iss {
        if iss != realm.issuer.as_str() {
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
    if let Some(code) = answer.error {
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
    answer
        .code
        .filter(|c| !c.is_empty())
        .ok_or(AppError::MissingParameter("code"))
}

/// Step 5: the rules' decision, or the refusal.
fn decide(
    app: &AppState,
    realm: &Realm,
    who: &Identity,
    room: &RoomName,
    tenant: Option<&Tenant>,
    retry: impl Fn() -> Option<Box<Retry>>,
) -> Result<Decision, AppError> {
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
    let decision = rules::decide(&app.policy, rules_of_realm, who, room, tenant);
    if let Verdict::Deny { .. } = &decision.verdict {
        return Err(refused(
            app,
            realm,
            who,
            room,
            tenant,
            decision.verdict,
            retry(),
        ));
    }
    Ok(decision)
}

/// Who gets which token, decided.
struct Minted<'a> {
    realm: &'a Realm,
    who: &'a Identity,
    decision: &'a Decision,
    room: &'a RoomName,
    tenant: Option<&'a Tenant>,
    /// The level the room needed, reached.
    level: Option<&'a level::Level>,
}

/// Step 7: the token signed, the audit line, the cookies, and how the user lands.
fn land(
    app: &AppState,
    login: &PendingLogin,
    minted: &Minted<'_>,
    verified: &Verified,
    cookie_header: Option<&str>,
    now: u64,
) -> Result<Completed, AppError> {
    let Minted {
        realm,
        who,
        decision,
        room,
        tenant,
        level,
    } = minted;
    let jitsi_claims = realm.minter.claims_for(who, decision, room, *tenant, now);
    let token = realm
        .minter
        .sign(&jitsi_claims)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let destination = Destination {
        room,
        tenant: *tenant,
        overrides: &login.overrides,
        trusted: login.trusted,
    };
    let room_url = app.target.room_url(&destination, token.expose_secret());
    metrics::counter!(crate::metrics::TOKENS_MINTED, "alg" => realm.minter.signer().algorithm.name()).increment(1);
    metrics::counter!(crate::metrics::LOGINS_SUCCEEDED).increment(1);
    tracing::info!(
        target: AUDIT,
        event = "login_succeeded",
        realm = %realm.name,
        sub = %who.subject,
        username = who.username.as_deref().unwrap_or(""),
        room = room.backend_safe(),
        tenant = tenant.map(Tenant::as_str).unwrap_or(""),
        role = ?decision.role,
        client = ?login.client,
        popup = login.popup,
        level = level.map_or(String::new(), ToString::to_string),
    );
    let set_cookies = cookies(app, login, decision, verified, *tenant, cookie_header, now);
    let inline_origin = app.inline_origin.as_deref().filter(|_| login.popup);
    let landing = match (inline_origin, app.target.app_url(&room_url, login.client)) {
        (Some(origin), _) => Landing::Popup {
            origin: origin.to_owned(),
            token,
            hint: app.logins.seal_hint(&verified.id_token, *tenant, now),
        },
        (None, Some(app_url)) => Landing::App { app_url },
        (None, None) => Landing::Room,
    };
    Ok(Completed {
        room_url,
        landing,
        set_cookies,
        lang: login.lang,
    })
}

/// The session cookie, the inspector's explanation, and room for them among the pending
/// logins of other tabs (the oldest give way).
fn cookies(
    app: &AppState,
    login: &PendingLogin,
    decision: &Decision,
    verified: &Verified,
    tenant: Option<&Tenant>,
    cookie_header: Option<&str>,
    now: u64,
) -> Vec<String> {
    // Remember the ID token (sealed) so that /logout can end the Keycloak session without
    // asking the user to confirm.
    let mut cookies = vec![app.logins.session_cookie(&verified.id_token, tenant)];
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
    let room = app
        .logins
        .make_room(cookie_header, &login.state, &cookies, now);
    cookies.extend(room);
    cookies
}

/// OAuth error codes are short ASCII words; anything else is reduced to that shape before it
/// reaches a log line.
fn sanitize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_sanitized() {
        assert_eq!(sanitize_code("access_denied"), "access_denied");
        assert_eq!(sanitize_code("evil\n\"code\"<x>"), "evilcodex");
    }
}
