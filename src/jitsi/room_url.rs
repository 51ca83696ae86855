//! The URL that sends the browser into the Jitsi room.
//!
//! Built from parsed parts only: the configured Jitsi base URL, one path segment holding the
//! room name (percent-encoded by `url`, so `/`, `?`, `#` and `..` cannot change the target),
//! the token, and hash parameters that Jitsi reads as JSON values.

use crate::jitsi::room::{RoomName, URI_COMPONENT};
use crate::jitsi::state_param::{ClientKind, Override};
use crate::jitsi::tenant::Tenant;
use percent_encoding::utf8_percent_encode;
use serde_json::Value;
use url::{Position, Url};

/// Where the token goes in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenPlacement {
    /// `?jwt=<token>`: understood by every Jitsi version.
    Query,
    /// `#jwt="<token>"`: never sent to servers or logged by proxies; jitsi-meet reads the hash
    /// first and parses its values as JSON, hence the quotes.
    Fragment,
}

/// How to build the URL.
#[derive(Debug, Clone)]
pub struct JitsiTarget {
    /// The Jitsi base URL (scheme, host, optional port and base path); validated by config.
    pub base: Url,
    pub placement: TokenPlacement,
    /// Add `#config.prejoinConfig.enabled=false` so the user is not asked to press "Join"
    /// again after logging in (unless Jitsi's state already says otherwise).
    pub skip_prejoin: bool,
    /// URL scheme of the Jitsi desktop app (jitsi-meet-electron: `jitsi-meet`).
    pub electron_scheme: String,
    /// URL scheme of the Jitsi mobile apps (`org.jitsi.meet`).
    pub mobile_scheme: String,
}

/// Where one login leads.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub room: &'a RoomName,
    pub tenant: Option<&'a Tenant>,
    pub overrides: &'a [Override],
    /// The login was started by Jitsi itself or by the user (see `http::initiator`); only then
    /// is the pre-join screen skipped.
    pub trusted: bool,
}

const PREJOIN: &str = "config.prejoinConfig.enabled";

impl JitsiTarget {
    /// `https://jitsi.example[/base][/<tenant>]/<room>` with the token and hash parameters.
    pub fn room_url(&self, to: &Destination<'_>, token: &str) -> Url {
        let mut url = self.guest_url(to.room, to.tenant);
        // jitsi-meet's parseURLParams splits the hash on `&` and `=`, leaves keys as they
        // are and decodes each value with decodeURIComponent before JSON-parsing it.
        let mut hash: Vec<String> = Vec::new();
        match self.placement {
            TokenPlacement::Query => {
                url.query_pairs_mut().append_pair("jwt", token);
            }
            TokenPlacement::Fragment => {
                hash.push(format!("jwt={}", json_value(&Value::from(token))))
            }
        }
        for o in to.overrides {
            hash.push(format!("{}={}", o.key, json_value(&o.value)));
        }
        if self.skip_prejoin && to.trusted && !to.overrides.iter().any(|o| o.key == PREJOIN) {
            hash.push(format!("{PREJOIN}=false"));
        }
        if !hash.is_empty() {
            url.set_fragment(Some(&hash.join("&")));
        }
        url
    }

    /// The room without a token, for guests (Jitsi then applies its own rules for people
    /// without a token: a guest domain, a lobby, waiting for a moderator).
    pub fn guest_url(&self, room: &RoomName, tenant: Option<&Tenant>) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            if let Some(t) = tenant {
                segments.push(t.as_str());
            }
            segments.push(room.as_str());
        }
        url
    }

    /// The same address for a Jitsi app: `jitsi-meet://host/...` for the desktop app,
    /// `org.jitsi.meet://host/...` for the mobile apps (which turn it back into https and open
    /// the room with the token). `None` for browsers.
    pub fn app_url(&self, url: &Url, client: ClientKind) -> Option<String> {
        let scheme = match client {
            ClientKind::Browser => return None,
            ClientKind::Electron => &self.electron_scheme,
            ClientKind::Ios | ClientKind::Android => &self.mobile_scheme,
        };
        Some(format!("{scheme}://{}", &url[Position::BeforeHost..]))
    }
}

/// A JSON value as a hash parameter value (encodeURIComponent of its JSON text).
fn json_value(v: &Value) -> String {
    utf8_percent_encode(&v.to_string(), URI_COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(base: &str, placement: TokenPlacement, skip_prejoin: bool) -> JitsiTarget {
        JitsiTarget {
            base: Url::parse(base).unwrap(),
            placement,
            skip_prejoin,
            electron_scheme: "jitsi-meet".into(),
            mobile_scheme: "org.jitsi.meet".into(),
        }
    }

    fn url(t: &JitsiTarget, room: &str, tenant: Option<&str>, overrides: &[Override]) -> String {
        let room = RoomName::parse(room).unwrap();
        let tenant = tenant.map(|t| Tenant::parse(t).unwrap());
        let to = Destination {
            room: &room,
            tenant: tenant.as_ref(),
            overrides,
            trusted: true,
        };
        t.room_url(&to, "a.b.c").to_string()
    }

    #[test]
    fn builds_room_urls() {
        use TokenPlacement::*;
        let cases = [
            (
                "https://meet.example",
                "team",
                None,
                Query,
                true,
                "https://meet.example/team?jwt=a.b.c#config.prejoinConfig.enabled=false",
            ),
            (
                "https://meet.example/",
                "team",
                None,
                Query,
                false,
                "https://meet.example/team?jwt=a.b.c",
            ),
            (
                "https://meet.example/base/",
                "Réunion Team",
                None,
                Query,
                false,
                "https://meet.example/base/R%C3%A9union%20Team?jwt=a.b.c",
            ),
            (
                "https://meet.example:8443/base",
                "team",
                None,
                Fragment,
                true,
                "https://meet.example:8443/base/team#jwt=%22a.b.c%22&config.prejoinConfig.enabled=false",
            ),
            (
                "http://127.0.0.1:3000/inspect",
                "ВСТРЕЧА",
                None,
                Query,
                false,
                "http://127.0.0.1:3000/inspect/%D0%92%D0%A1%D0%A2%D0%A0%D0%95%D0%A7%D0%90?jwt=a.b.c",
            ),
            (
                "https://meet.example",
                "team",
                Some("Acme"),
                Query,
                false,
                "https://meet.example/Acme/team?jwt=a.b.c",
            ),
        ];
        for (base, room, tenant, placement, skip, want) in cases {
            assert_eq!(url(&target(base, placement, skip), room, tenant, &[]), want);
        }
    }

    #[test]
    fn carries_settings_back_as_json_hash_values() {
        let t = target("https://meet.example", TokenPlacement::Fragment, true);
        let overrides = [
            Override {
                key: "config.prejoinConfig.enabled".into(),
                value: json!(true),
            },
            Override {
                key: "config.subject".into(),
                value: json!("Q&A = fun/#1"),
            },
            Override {
                key: "config.toolbarButtons".into(),
                value: json!(["chat", "raisehand"]),
            },
        ];
        assert_eq!(
            url(&t, "team", None, &overrides),
            "https://meet.example/team#jwt=%22a.b.c%22&config.prejoinConfig.enabled=true\
             &config.subject=%22Q%26A%20%3D%20fun%2F%231%22\
             &config.toolbarButtons=%5B%22chat%22%2C%22raisehand%22%5D"
        );
    }

    #[test]
    fn app_urls_keep_everything_but_the_scheme() {
        let t = target(
            "https://meet.example:8443/base",
            TokenPlacement::Query,
            true,
        );
        let https =
            Url::parse("https://meet.example:8443/base/acme/team?jwt=a.b.c#config.x=1").unwrap();
        assert_eq!(t.app_url(&https, ClientKind::Browser), None);
        assert_eq!(
            t.app_url(&https, ClientKind::Electron).unwrap(),
            "jitsi-meet://meet.example:8443/base/acme/team?jwt=a.b.c#config.x=1"
        );
        assert_eq!(
            t.app_url(&https, ClientKind::Android).unwrap(),
            "org.jitsi.meet://meet.example:8443/base/acme/team?jwt=a.b.c#config.x=1"
        );
    }

    #[test]
    fn host_never_changes_for_tricky_but_valid_names() {
        let t = target("https://meet.example/", TokenPlacement::Query, true);
        for room in ["a..b", "~x", "évil.example", "x y", "..."] {
            let room = RoomName::parse(room).unwrap();
            let u = t.room_url(
                &Destination {
                    room: &room,
                    tenant: None,
                    overrides: &[],
                    trusted: true,
                },
                "t",
            );
            assert_eq!(u.host_str(), Some("meet.example"), "{room}");
            assert_eq!(u.path_segments().unwrap().count(), 1, "{room}");
        }
    }
}
