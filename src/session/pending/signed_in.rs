//! What the browser keeps after a login: the session cookie, which lets `/logout` end the
//! Keycloak session with the ID token as a hint, and the logout hint that Jitsi's inline login
//! keeps in its page and hands back.

use super::*;

/// Longest logout hint handed to Jitsi (it comes back in a URL; the bridge takes 4 KiB URIs).
const MAX_HINT_BYTES: usize = 3000;
/// The associated data of a sealed logout hint, so that it cannot be swapped with a cookie.
pub(super) const HINT_NAME: &str = "jb_logout_hint";
/// How long the logout hint is kept; Keycloak accepts an expired ID token as a hint.
pub(super) const SESSION_TTL_SECS: u64 = 12 * 3600;
/// How far ahead of this replica's clock another replica may have sealed a hint.
pub(super) const HINT_CLOCK_LEEWAY_SECS: u64 = 60;

#[derive(Serialize, Deserialize)]
pub(super) struct Session {
    /// The ID token, as it is or packed (`compact`) when only packed it fits a cookie;
    /// absent when even packed it would not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) id_token: Option<String>,
    #[serde(default)]
    pub(super) tenant: Option<String>,
    /// When a logout hint was sealed (seconds since the epoch). The hint leaves the browser's
    /// cookie jar (Jitsi keeps it in its page and sends it in a URL), so it carries its own
    /// lifetime: a copy found later in a log or a history no longer ends anyone's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) created: Option<u64>,
}

impl LoginCookies {
    /// `Set-Cookie` holding the sealed ID token of a finished login, for logging out later.
    /// Without the token when even packed it would make the cookie too large for browsers:
    /// Keycloak then asks the user to confirm the logout.
    pub fn session_cookie(&self, id_token: &SecretString, tenant: Option<&Tenant>) -> String {
        let sealed = |id_token: Option<String>| {
            // The cookie's lifetime is the browser's to keep (Max-Age).
            let session = Session {
                id_token,
                tenant: tenant.map(|t| t.as_str().to_owned()),
                created: None,
            };
            self.seal(
                SESSION_COOKIE,
                &serde_json::to_string(&session).unwrap_or_default(),
                SESSION_TTL_SECS,
            )
        };
        // The token as it is when it fits: packing it costs more than sealing the longer
        // value (deflate was 8 % of a login's CPU), and most ID tokens fit.
        let token = id_token.expose_secret();
        let cookie = sealed(Some(token.to_owned()));
        if name_value_len(&cookie) <= MAX_COOKIE_BYTES {
            return cookie;
        }
        let cookie = sealed(Some(compact::pack(token)));
        if name_value_len(&cookie) <= MAX_COOKIE_BYTES {
            return cookie;
        }
        tracing::warn!(
            bytes = name_value_len(&cookie),
            "the ID token is too large to keep for logout even packed; logging out will ask at Keycloak"
        );
        sealed(None)
    }

    /// The ID token and tenant of the last login in this browser, if any.
    pub fn session(&self, cookie_header: Option<&str>) -> Option<(SecretString, Option<String>)> {
        let s: Session = serde_json::from_str(&self.open(SESSION_COOKIE, cookie_header)?).ok()?;
        let token = compact::unpack(&s.id_token?)?;
        Some((SecretString::from(token), s.tenant))
    }

    /// The session (ID token and tenant) sealed into an opaque string for Jitsi's inline login,
    /// which hands it back as `id_token_hint` when the user logs out; `now` is its creation
    /// time.
    pub fn seal_hint(&self, id_token: &SecretString, tenant: Option<&Tenant>, now: u64) -> String {
        let seal = |id_token: Option<String>| {
            let session = Session {
                id_token,
                tenant: tenant.map(|t| t.as_str().to_owned()),
                created: Some(now),
            };
            let value = serde_json::to_string(&session).unwrap_or_default();
            // URL-safe: Jitsi appends it to `tokenLogoutUrl` as it is.
            URL_SAFE_NO_PAD.encode(self.sealer.seal(HINT_NAME, value.as_bytes()))
        };
        let hint = seal(Some(compact::pack(id_token.expose_secret())));
        // Within the URI limit with room to spare; without the token, the logout falls back
        // to the session cookie, which Jitsi's same-origin frame sends.
        if hint.len() <= MAX_HINT_BYTES {
            hint
        } else {
            seal(None)
        }
    }

    /// What [`Self::seal_hint`] sealed, if `hint` is authentic and younger than the session
    /// cookie's lifetime at `now`. A hint without a creation time (made before hints had one)
    /// is refused: the logout then reads the session cookie, which Jitsi's frame sends.
    pub fn open_hint(&self, hint: &str, now: u64) -> Option<(SecretString, Option<String>)> {
        let opened = self
            .sealer
            .open(HINT_NAME, URL_SAFE_NO_PAD.decode(hint).ok()?)?;
        let s: Session = serde_json::from_str(&opened).ok()?;
        let created = s.created?;
        // Replicas' clocks may differ by a little; a hint from much further ahead is not ours.
        if now.saturating_sub(created) > SESSION_TTL_SECS || created > now + HINT_CLOCK_LEEWAY_SECS
        {
            return None;
        }
        let token = compact::unpack(&s.id_token?)?;
        Some((SecretString::from(token), s.tenant))
    }
}
