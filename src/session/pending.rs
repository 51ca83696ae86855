//! Pending logins, sealed into the browser.
//!
//! Between `/room` and `/callback` the bridge must remember the PKCE verifier, the nonce and
//! the room. It keeps them in one cookie per login, named after the OIDC `state` and encrypted
//! and authenticated with AES-256-GCM (the cookie name is bound in as associated data). So:
//! - two tabs logging in to two rooms have two cookies and do not disturb each other;
//! - the server holds nothing per login: abandoned logins cost no memory, and any replica
//!   (or a restarted process) with the same key can finish a login;
//! - a login expires after its TTL (checked from the sealed timestamp, not only the cookie's
//!   `Max-Age`), and at most [`MAX_PENDING`] are kept per browser;
//! - a callback can be used once: the cookie is deleted on the first callback, and the
//!   in-process set of finished logins (`replay`) refuses a copied cookie for the rest of the
//!   login's lifetime.

use crate::clock::UnixTime;
use crate::jitsi::room::RoomName;
use crate::jitsi::state_param::{ClientKind, Override, StateInfo};
use crate::jitsi::tenant::Tenant;
use crate::lang::Lang;
use crate::session::compact;
use crate::session::replay::{Full, UsedStates};
use crate::session::seal::Sealer;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cookie::{Cookie, Key, SameSite};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Prefix of the per-login cookie names.
pub const COOKIE_PREFIX: &str = "jb_login_";
/// Prefix of every cookie name when the bridge is served over https.
pub const HOST_PREFIX: &str = "__Host-";
/// Pending logins kept per browser; starting another drops the oldest.
pub const MAX_PENDING: usize = 8;
/// The cookie that keeps the last ID token for RP-initiated logout.
pub const SESSION_COOKIE: &str = "jb_session";
/// Largest `name=value` of one cookie the bridge sets; browsers drop cookies above 4096 bytes.
pub const MAX_COOKIE_BYTES: usize = 4000;
/// Largest `Cookie` header the bridge's own cookies may make together: proxies such as nginx
/// and Apache refuse request headers above 8 KB, which would lock the user out.
pub const MAX_COOKIES_BYTES: usize = 7 * 1024;

/// Length of a `state` value: 32 random bytes, base64url.
const STATE_LEN: usize = 43;

/// One login in flight.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The room as typed; parsed again (it was valid when sealed) when the login completes.
    pub room: String,
    /// The Jitsi tenant, if any; parsed again when the login completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Settings from Jitsi's `{state}` to hand back to Jitsi.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
    #[serde(default)]
    pub client: ClientKind,
    /// Started by Jitsi's inline login (`tokenAuthInline`): the result goes back to the Jitsi
    /// page that opened the pop-up, as a message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub popup: bool,
    /// Started by Jitsi's page or the bridge's own (`http::initiator`); absent means not, so
    /// that a login of unknown origin never skips the pre-join screen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trusted: bool,
    /// The language of the pages, kept across the trip to Keycloak.
    #[serde(default)]
    pub lang: Lang,
    /// Keycloak must ask for credentials even with a session ("use another account").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub switch_account: bool,
    pub created: UnixTime,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("room", &self.room)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    /// A fresh login for `room` with random `state`, nonce and PKCE verifier.
    pub fn new(room: &RoomName, now: UnixTime) -> Self {
        Self {
            state: random_token(),
            nonce: random_token(),
            pkce_verifier: random_token(),
            room: room.as_str().to_owned(),
            tenant: None,
            overrides: Vec::new(),
            client: ClientKind::Browser,
            popup: false,
            trusted: false,
            lang: Lang::En,
            switch_account: false,
            created: now,
        }
    }

    /// Adds what Jitsi's `{state}` (or the path) said about tenant, settings and client.
    pub fn with_state(mut self, info: StateInfo) -> Self {
        self.tenant = info.tenant.map(|t| t.as_str().to_owned());
        self.overrides = info.overrides;
        self.client = info.client;
        self
    }
}

/// Bytes a cookie adds to the `Cookie` header: `name=value; `.
fn sent_size(name: &str, value: &str) -> usize {
    name.len() + value.len() + 3
}

/// The `name=value` part of a `Set-Cookie` value.
fn name_value_len(set_cookie: &str) -> usize {
    set_cookie.split(';').next().map_or(0, str::len)
}

/// 256 bits from the OS generator, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Why a callback's pending login could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginLookup {
    /// No cookie for this `state`: never started here, started in another browser, forged,
    /// already used, or the cookie was dropped.
    Unknown,
    /// The login is older than its TTL.
    Expired,
    /// This `state` was already used for a callback.
    Replayed,
}

/// Seals and opens pending-login cookies.
pub struct LoginCookies {
    sealer: Sealer,
    ttl_secs: u64,
    secure: bool,
    /// `Path` of every cookie: `/` with the `__Host-` prefix, else where the bridge is served.
    path: String,
    /// `__Host-` whenever the bridge is served over https: the browser then accepts the cookie
    /// only from this very host, with `Secure`, `Path=/` and no `Domain`, so another host of
    /// the same site cannot plant or overwrite it (login CSRF from a sibling subdomain).
    host_prefix: &'static str,
    used: UsedStates,
}

impl fmt::Debug for LoginCookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginCookies")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// The cookie key is shorter than 32 bytes (config validation prevents this).
#[derive(Debug, thiserror::Error)]
#[error("the login cookie key must be at least 32 bytes")]
pub struct ShortKey;

impl LoginCookies {
    /// `secure` sets the cookies' `Secure` flag (true whenever the bridge is served over https);
    /// `base` is the path the bridge is served under (`""` for the root).
    pub fn new(
        secret: &SecretString,
        ttl_secs: u64,
        secure: bool,
        base: &str,
    ) -> Result<Self, ShortKey> {
        let master = secret.expose_secret().as_bytes();
        if master.len() < 32 {
            return Err(ShortKey);
        }
        Ok(Self {
            // The `cookie` crate's key derivation: cookies sealed by earlier versions open.
            sealer: Sealer::new(&Key::derive_from(master)).map_err(|_| ShortKey)?,
            ttl_secs,
            secure,
            path: if secure || base.is_empty() {
                "/".to_owned()
            } else {
                base.to_owned()
            },
            host_prefix: if secure { HOST_PREFIX } else { "" },
            used: UsedStates::default(),
        })
    }

    /// The `Set-Cookie` values that store `login` and drop the oldest pending logins (and any
    /// that cannot be opened) beyond [`MAX_PENDING`] - 1.
    pub fn start(
        &self,
        login: &PendingLogin,
        cookie_header: Option<&str>,
        now: UnixTime,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let name = self.full(&format!("{COOKIE_PREFIX}{}", login.state));
        let value = serde_json::to_string(login).unwrap_or_default();
        let sealed = self.seal_value(&name, &value);
        // What the browser sends of the bridge's other cookies stays; pending logins give way,
        // oldest first, to the count limit and to the size budget of the whole header.
        let budget = MAX_COOKIES_BYTES
            .saturating_sub(self.others_size(cookie_header, &[]))
            .saturating_sub(sent_size(&name, &sealed));
        let mut pending: Vec<(UnixTime, String, usize)> = Vec::new();
        for c in self.listed(cookie_header) {
            let size = sent_size(c.name(), c.value());
            match self.open_login(&c) {
                Some(p) if now < p.created.saturating_add(self.ttl_secs) => {
                    pending.push((p.created, c.name().to_owned(), size))
                }
                _ => out.push(self.removal(c.name())),
            }
        }
        out.extend(self.give_way(pending, budget, MAX_PENDING - 1));
        out.push(self.cookie(name, sealed, Some(self.ttl_secs)).to_string());
        out
    }

    /// Removals for the pending logins (created, name, size) beyond `keep` or `budget` bytes:
    /// the newest are kept, the oldest give way.
    fn give_way(
        &self,
        mut pending: Vec<(UnixTime, String, usize)>,
        mut budget: usize,
        keep: usize,
    ) -> Vec<String> {
        pending.sort_by_key(|p| std::cmp::Reverse(p.0));
        let mut kept = 0;
        let mut out = Vec::new();
        for (_, name, size) in pending {
            if kept < keep && size <= budget {
                budget -= size;
                kept += 1;
            } else {
                out.push(self.removal(&name));
            }
        }
        out
    }

    /// `Set-Cookie` values that drop the oldest pending logins (never `finished`, which the
    /// caller removes itself) so that the cookies `incoming` sets fit the budget beside the
    /// rest: a login that ends adds a session cookie, which must not push the whole `Cookie`
    /// header past what proxies accept.
    pub fn make_room(
        &self,
        cookie_header: Option<&str>,
        finished: &str,
        incoming: &[String],
        now: UnixTime,
    ) -> Vec<String> {
        let incoming_names: Vec<&str> = incoming
            .iter()
            .filter_map(|c| c.split('=').next())
            .collect();
        let incoming_size: usize = incoming.iter().map(|c| name_value_len(c) + 2).sum();
        // What stays of the bridge's other cookies: not pending logins, not replaced.
        let others = self.others_size(cookie_header, &incoming_names);
        let finished_name = self.full(&format!("{COOKIE_PREFIX}{finished}"));
        let pending: Vec<(UnixTime, String, usize)> = self
            .listed(cookie_header)
            .into_iter()
            .filter(|c| c.name() != finished_name)
            .filter_map(|c| {
                self.open_login(&c)
                    .filter(|p| now < p.created.saturating_add(self.ttl_secs))
                    .map(|p| {
                        (
                            p.created,
                            c.name().to_owned(),
                            sent_size(c.name(), c.value()),
                        )
                    })
            })
            .collect();
        let budget = MAX_COOKIES_BYTES.saturating_sub(others + incoming_size);
        self.give_way(pending, budget, MAX_PENDING)
    }

    /// Bytes the bridge's cookies other than pending logins, and other than `except`, add to
    /// the `Cookie` header.
    fn others_size(&self, cookie_header: Option<&str>, except: &[&str]) -> usize {
        let login_prefix = self.full(COOKIE_PREFIX);
        let ours = self.full("jb_");
        // Sizes as sent, so nothing needs parsing: the session cookie is kilobytes, and
        // parsing it only to measure it was 2 % of a login's instructions.
        cookie_header
            .map(|h| {
                pairs(h)
                    .filter(|(name, _)| name.starts_with(&ours) && !name.starts_with(&login_prefix))
                    .filter(|(name, _)| !except.contains(name))
                    .map(|(_, pair)| pair.len() + 2)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Opens the pending login for `state`, unless it already finished a login. The caller
    /// must also send [`Self::removal`] for it, whatever happens next, and call
    /// [`Self::finished`] once Keycloak has accepted the login.
    pub fn finish(
        &self,
        state: &str,
        cookie_header: Option<&str>,
        now: UnixTime,
    ) -> Result<PendingLogin, LoginLookup> {
        if !is_state(state) {
            return Err(LoginLookup::Unknown);
        }
        let name = self.full(&format!("{COOKIE_PREFIX}{state}"));
        // Only this login's cookie is opened; the browser's other pending logins are not
        // this callback's business.
        let login = self
            .listed(cookie_header)
            .iter()
            .find(|c| c.name() == name)
            .and_then(|c| self.open_login(c))
            .ok_or(LoginLookup::Unknown)?;
        // The name is authenticated as associated data, so this only fails on a key reuse bug.
        if login.state != state {
            return Err(LoginLookup::Unknown);
        }
        if now >= login.created.saturating_add(self.ttl_secs) {
            return Err(LoginLookup::Expired);
        }
        if self.used.contains(state, now) {
            return Err(LoginLookup::Replayed);
        }
        Ok(login)
    }

    /// Marks `login` finished: its `state` is refused until the login would have expired.
    /// Called only after Keycloak accepted the code, so that nothing short of a real login can
    /// fill the set. `Err` when the set is full: the caller refuses the login.
    pub fn finished(&self, login: &PendingLogin, now: UnixTime) -> Result<(), Full> {
        self.used.insert(
            &login.state,
            login.created.saturating_add(self.ttl_secs),
            now,
        )
    }

    /// `Set-Cookie` for an encrypted and authenticated cookie `name` holding `value`.
    pub fn seal(&self, name: &str, value: &str, ttl_secs: u64) -> String {
        let name = self.full(name);
        let sealed = self.seal_value(&name, value);
        self.cookie(name, sealed, Some(ttl_secs)).to_string()
    }

    /// A cookie value: `value` sealed under the cookie's full `name`, base64 as the `cookie`
    /// crate's private jar writes it.
    fn seal_value(&self, name: &str, value: &str) -> String {
        STANDARD.encode(self.sealer.seal(name, value.as_bytes()))
    }

    /// What [`Self::seal_value`] sealed, if authentic.
    fn open_value(&self, name: &str, value: &str) -> Option<String> {
        self.sealer.open(name, STANDARD.decode(value).ok()?)
    }

    /// The value of the sealed cookie `name`, if present and authentic.
    pub fn open(&self, name: &str, cookie_header: Option<&str>) -> Option<String> {
        let name = self.full(name);
        let c = named(cookie_header?, &name).find(|c| c.name() == name)?;
        self.open_value(&name, c.value())
    }

    /// `Set-Cookie` that deletes the session cookie.
    pub fn session_removal(&self) -> String {
        self.removal(&self.full(SESSION_COOKIE))
    }

    /// `Set-Cookie` that deletes the pending login for `state`.
    pub fn removal_for_state(&self, state: &str) -> Option<String> {
        is_state(state).then(|| self.removal(&self.full(&format!("{COOKIE_PREFIX}{state}"))))
    }

    /// A cookie's name as set: with `__Host-` when the bridge is served over https.
    fn full(&self, name: &str) -> String {
        format!("{}{name}", self.host_prefix)
    }

    fn removal(&self, name: &str) -> String {
        self.cookie(name.to_owned(), String::new(), Some(0))
            .to_string()
    }

    /// A cookie as the bridge sets it. Names are `jb_…` plus base64url, values base64 (sealed)
    /// or empty: all cookie-octets (RFC 6265, section 4.1.1), so `Set-Cookie` carries them
    /// as they are, without the percent-encoding that cost 7 % of `GET /room`
    /// (docs/benchmarks.md). Cookies set percent-encoded by earlier versions still open:
    /// incoming cookies are percent-decoded.
    fn cookie(&self, name: String, value: String, max_age: Option<u64>) -> Cookie<'static> {
        let mut c = Cookie::build((name, value))
            .path(self.path.clone())
            .http_only(true)
            .secure(self.secure)
            // Lax: the callback is a top-level GET navigation from Keycloak.
            .same_site(SameSite::Lax)
            .build();
        if let Some(secs) = max_age {
            c.set_max_age(cookie::time::Duration::seconds(
                i64::try_from(secs).unwrap_or(i64::MAX),
            ));
        }
        c
    }

    /// The pending-login cookies in the request (at most a few times [`MAX_PENDING`]; a
    /// header crammed with more is not worth opening).
    fn listed<'h>(&self, cookie_header: Option<&'h str>) -> Vec<Cookie<'h>> {
        let Some(header) = cookie_header else {
            return Vec::new();
        };
        let prefix = self.full(COOKIE_PREFIX);
        named(header, &prefix).take(4 * MAX_PENDING).collect()
    }

    /// A pending-login cookie's content; `None` when it cannot be decrypted or parsed
    /// (tampered, or sealed with another key).
    fn open_login(&self, c: &Cookie<'_>) -> Option<PendingLogin> {
        let json = self.open_value(c.name(), c.value())?;
        serde_json::from_str(&json).ok()
    }
}

/// The cookies in `header` whose name starts with `prefix`. The others (Keycloak's when it
/// shares the host name, other applications') are skipped before any parsing, and only a
/// value with a `%` (set percent-encoded by an earlier version) is decoded: decoding every
/// byte of every cookie of the header was 4 % of the CPU of a login.
fn named<'h, 'p>(
    header: &'h str,
    prefix: &'p str,
) -> impl Iterator<Item = Cookie<'h>> + use<'h, 'p> {
    pairs(header).filter_map(move |(name, pair)| {
        if !name.starts_with(prefix) {
            return None;
        }
        // Borrowed from the header: a session cookie is kilobytes, copied only when decoded.
        let parsed = if pair.contains('%') {
            Cookie::parse_encoded(pair)
        } else {
            Cookie::parse(pair)
        };
        parsed.ok()
    })
}

/// Each `name=value` of a `Cookie` header with its name, unparsed.
fn pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').map(|pair| {
        let pair = pair.trim();
        let name = pair
            .split_once('=')
            .map_or(pair, |(name, _)| name)
            .trim_end();
        (name, pair)
    })
}

fn is_state(s: &str) -> bool {
    s.len() == STATE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

mod signed_in;
#[cfg(test)]
mod tests;
#[cfg(test)]
use signed_in::{HINT_CLOCK_LEEWAY_SECS, HINT_NAME, SESSION_TTL_SECS, Session};
