//! What Jitsi itself does with the URL the bridge sends a user to and with the token in it,
//! written for the tests from jitsi-meet's and Prosody's code as cited, file and line, in
//! `docs/upstream-facts.md` (jitsi-meet 2026-07, docker-jitsi-meet 2026-08). It is
//! independent of the bridge's own code: the tests hold the bridge's output against it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use unicode_normalization::UnicodeNormalization;
use url::Url;

/// What JavaScript's `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// JavaScript's `encodeURIComponent`, which jitsi-meet's `getTokenAuthUrl` applies to
/// `JSON.stringify(state)` for `{state}` (`authentication/functions.web.ts`).
pub fn encode_uri_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URI_COMPONENT).to_string()
}

/// jitsi-meet `getBackendSafeRoomName` (`base/util/uri.ts:177-187`): decode the URI
/// component (kept as is when that throws), NFKC, lower case, `encodeURIComponent`, lower case.
pub fn backend_safe_room_name(room: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(room)
        .decode_utf8()
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| room.to_owned());
    let lower = decoded.nfkc().collect::<String>().to_lowercase();
    percent_encoding::utf8_percent_encode(&lower, URI_COMPONENT)
        .to_string()
        .to_lowercase()
}

/// The tenant and room jitsi-meet's `parseURIString` reads from the address bar
/// (`base/util/uri.ts:368-388`): the room is the last path segment as the browser serialises
/// it (still percent-encoded), the tenant the path between the first and the last `/`, both
/// relative to where Jitsi is served (`base_path`, e.g. `/`).
pub fn room_of(landing: &Url, base_path: &str) -> (Option<String>, String) {
    let path = landing
        .path()
        .strip_prefix(base_path.trim_end_matches('/'))
        .unwrap_or(landing.path());
    let path = path.trim_start_matches('/');
    match path.rsplit_once('/') {
        Some((tenant, room)) => (Some(tenant.to_owned()), room.to_owned()),
        None => (None, path.to_owned()),
    }
}

/// How one Prosody (docker-jitsi-meet's `jitsi-meet.cfg.lua`) is set up for tokens.
#[derive(Debug, Clone)]
pub struct Prosody {
    /// `JWT_ENABLE_DOMAIN_VERIFICATION`; docker's default is off (cfg:32).
    pub domain_verification: bool,
    /// `XMPP_DOMAIN`.
    pub xmpp_domain: String,
    /// `XMPP_MUC_DOMAIN`.
    pub muc_domain: String,
    /// `XMPP_GUEST_DOMAIN`, when `ENABLE_GUESTS` is on.
    pub guest_domain: Option<String>,
    /// `token_verification_allowlist` (from `XMPP_MUC_CONFIGURATION`).
    pub allowlist: Vec<String>,
    /// `JWT_ALLOW_EMPTY`.
    pub allow_empty: bool,
}

/// Who joins a room: a session on a domain, with or without a token's `sub` and `room`.
#[derive(Debug, Clone, Copy)]
pub struct Joiner<'a> {
    pub sub: Option<&'a str>,
    pub room: Option<&'a str>,
}

impl Prosody {
    /// Reads the docker `.env` lines, with docker-jitsi-meet's defaults for what is not set.
    pub fn from_docker_env(env: &BTreeMap<String, String>) -> Self {
        let on = |k: &str| {
            env.get(k)
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
        };
        let get = |k: &str, d: &str| env.get(k).cloned().unwrap_or_else(|| d.to_owned());
        let allowlist = env
            .get("XMPP_MUC_CONFIGURATION")
            .and_then(|v| {
                let v = v.split_once("token_verification_allowlist")?.1;
                let inner = v.split_once('{')?.1.split_once('}')?.0;
                Some(
                    inner
                        .split(',')
                        .map(|s| s.trim().trim_matches('"').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            })
            .unwrap_or_default();
        Self {
            domain_verification: on("JWT_ENABLE_DOMAIN_VERIFICATION"),
            xmpp_domain: get("XMPP_DOMAIN", "meet.jitsi"),
            muc_domain: get("XMPP_MUC_DOMAIN", "muc.meet.jitsi"),
            guest_domain: on("ENABLE_GUESTS").then(|| get("XMPP_GUEST_DOMAIN", "guest.meet.jitsi")),
            allowlist,
            allow_empty: on("JWT_ALLOW_EMPTY"),
        }
    }

    /// The room JID a web client joins for `/<tenant>/<room>` (upstream-facts §5): the backend-safe
    /// room at `muc.<tenant>.<domain>`, where the tenant is lower-cased with `.` turned into
    /// `_` (docker `system-config.js`), rewritten by `mod_muc_domain_mapper` to
    /// `[tenant]room@<muc domain>`.
    pub fn room_jid(&self, tenant: Option<&str>, room_segment: &str) -> String {
        let node = backend_safe_room_name(room_segment);
        match tenant {
            Some(t) => format!(
                "[{}]{node}@{}",
                t.split('.').collect::<Vec<_>>().join("_").to_lowercase(),
                self.muc_domain
            ),
            None => format!("{node}@{}", self.muc_domain),
        }
    }

    /// `mod_token_verification` + `token/util.lib.lua` `verify_room` (lines 394-523): may this
    /// joiner enter the room? Lua's `string.lower` only lower-cases ASCII.
    pub fn may_join(&self, who: Joiner<'_>, room_jid: &str) -> bool {
        let (Some(sub), Some(claim)) = (who.sub, who.room) else {
            // Without a token: a guest on the guest domain, or nobody.
            if !self.domain_verification {
                return true;
            }
            return self.allow_empty
                || self
                    .guest_domain
                    .as_ref()
                    .is_some_and(|g| self.allowlist.contains(g));
        };
        let (node, _) = room_jid.split_once('@').unwrap_or((room_jid, ""));
        if !self.domain_verification {
            let c = claim.to_ascii_lowercase();
            return claim == "*" || node == c || node.ends_with(&format!("]{c}"));
        }
        let parsed = node
            .strip_prefix('[')
            .and_then(|n| n.split_once(']'))
            .filter(|(t, r)| !t.is_empty() && !r.is_empty());
        let room_to_check = match (claim, parsed) {
            ("*", Some((_, r))) => r,
            ("*", None) => node,
            (c, _) => c,
        };
        match parsed {
            Some((target_tenant, _)) => {
                let tenant = if sub == "*" { target_tenant } else { sub };
                room_jid
                    == format!(
                        "[{}]{}@{}",
                        tenant.to_ascii_lowercase(),
                        room_to_check.to_ascii_lowercase(),
                        self.muc_domain
                    )
            }
            None => {
                let prefix = self.muc_domain.split('.').next().unwrap_or("muc");
                let domain = if sub == "*" {
                    self.muc_domain.clone()
                } else {
                    format!("{prefix}.{sub}")
                };
                room_jid
                    == format!(
                        "{}@{}",
                        room_to_check.to_ascii_lowercase(),
                        domain.to_ascii_lowercase()
                    )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of upstream-facts §1, computed there with jitsi-meet's own functions.
    #[test]
    fn backend_safe_names_as_jitsi_computes_them() {
        for (room, safe) in [
            ("Quarterly%20Review", "quarterly%20review"),
            ("QuarterlyReview", "quarterlyreview"),
            ("Caf%C3%A9%20Z%C3%BCrich", "caf%c3%a9%20z%c3%bcrich"),
            (
                "%D0%9F%D0%BB%D0%B0%D0%BD%D1%91%D1%80%D0%BA%D0%B0",
                "%d0%bf%d0%bb%d0%b0%d0%bd%d1%91%d1%80%d0%ba%d0%b0",
            ),
            ("Cafe%CC%81", "caf%c3%a9"),
        ] {
            assert_eq!(backend_safe_room_name(room), safe, "{room}");
        }
    }
}
