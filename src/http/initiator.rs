//! Who started a login: Jitsi's page, the bridge's own, or anything else.
//!
//! A user signed in to Keycloak passes through the bridge without seeing a form, so any site
//! can navigate them to `/room/<its room>?state=<settings>` and, without this check, into a
//! meeting with the pre-join screen skipped and camera and microphone switched on. The bridge
//! therefore trusts a login only when the browser says it came from the bridge's own origin
//! (`Sec-Fetch-Site: same-origin`: the start page, a retry link, Jitsi served from the same
//! origin) or from Jitsi's origin (the `Referer` of Jitsi's `tokenAuthUrl` navigation).
//!
//! A typed address or a bookmark (`Sec-Fetch-Site: none`, `Sec-Fetch-User: ?1`) is not
//! trusted: Chromium sends exactly the same for a link opened from a mail or chat app, and for
//! the system browser opened by Jitsi's own apps (`Linking.openURL`), so a link in a message
//! would otherwise get every setting back. Anything untrusted gets the pre-join screen, only
//! the settings that keep the user private, and no app hand-off
//! (`jitsi::state_param::for_untrusted`).

use axum::http::{HeaderMap, header};
use url::Url;

/// Where a login came from, as far as the browser tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// A page of the bridge's own origin (Jitsi under the same origin, or the bridge).
    SameOrigin,
    /// A page of the Jitsi site (`Referer` is the configured Jitsi origin).
    Jitsi,
    /// Typed into the address bar, a bookmark, or a link another application opened: the
    /// browser cannot tell these apart, so this is not trusted.
    User,
    /// Another site, or not known.
    Elsewhere,
}

impl Initiator {
    pub fn of(headers: &HeaderMap, jitsi: &Url) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let site = get("sec-fetch-site");
        if site == Some("same-origin") {
            return Initiator::SameOrigin;
        }
        let referer = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| Url::parse(r).ok());
        if referer.is_some_and(|r| r.origin() == jitsi.origin()) {
            return Initiator::Jitsi;
        }
        if site == Some("none") && get("sec-fetch-user") == Some("?1") {
            return Initiator::User;
        }
        Initiator::Elsewhere
    }

    pub fn trusted(self) -> bool {
        matches!(self, Initiator::SameOrigin | Initiator::Jitsi)
    }

    pub fn name(self) -> &'static str {
        match self {
            Initiator::SameOrigin => "same-origin",
            Initiator::Jitsi => "jitsi",
            Initiator::User => "user",
            Initiator::Elsewhere => "elsewhere",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn what_browsers_send_decides() {
        let jitsi = Url::parse("https://meet.example.org/").unwrap();
        let cases: &[(&[(&str, &str)], Initiator)] = &[
            (&[("sec-fetch-site", "same-origin")], Initiator::SameOrigin),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("referer", "https://meet.example.org/"),
                ],
                Initiator::Jitsi,
            ),
            (
                &[("sec-fetch-site", "none"), ("sec-fetch-user", "?1")],
                Initiator::User,
            ),
            // An automatic cross-site navigation, a click on another site, a sibling
            // subdomain, a look-alike origin, no headers at all.
            (&[("sec-fetch-site", "cross-site")], Initiator::Elsewhere),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-user", "?1"),
                    ("referer", "https://humhub.example.net/"),
                ],
                Initiator::Elsewhere,
            ),
            (&[("sec-fetch-site", "same-site")], Initiator::Elsewhere),
            (
                &[("referer", "https://meet.example.org.evil.example/")],
                Initiator::Elsewhere,
            ),
            (&[("sec-fetch-site", "none")], Initiator::Elsewhere),
            (&[], Initiator::Elsewhere),
        ];
        for (pairs, want) in cases {
            let got = Initiator::of(&headers(pairs), &jitsi);
            assert_eq!(got, *want, "{pairs:?}");
            assert_eq!(
                got.trusted(),
                matches!(want, Initiator::SameOrigin | Initiator::Jitsi),
                "{pairs:?}"
            );
        }
    }
}
