//! The URL that sends the browser into the Jitsi room.
//!
//! Built from parsed parts only: the configured Jitsi base URL, one path segment holding the
//! room name (percent-encoded by `url`, so `/`, `?`, `#` and `..` cannot change the target),
//! the token, and hash parameters that Jitsi reads as JSON values.

use crate::room::RoomName;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;

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

/// Characters escaped in a hash parameter value.
const FRAGMENT_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'<')
    .add(b'>')
    .add(b'`');

/// How to build the URL.
#[derive(Debug, Clone)]
pub struct JitsiTarget {
    /// The Jitsi base URL (scheme, host, optional port and base path); validated by config.
    pub base: Url,
    pub placement: TokenPlacement,
    /// Add `#config.prejoinConfig.enabled=false` so the user is not asked to press "Join"
    /// again after logging in.
    pub skip_prejoin: bool,
}

impl JitsiTarget {
    /// `https://jitsi.example[/base]/<room>` with the token and hash parameters.
    pub fn room_url(&self, room: &RoomName, token: &str) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(room.as_str());
        }
        let mut hash: Vec<String> = Vec::new();
        match self.placement {
            TokenPlacement::Query => {
                url.query_pairs_mut().append_pair("jwt", token);
            }
            TokenPlacement::Fragment => hash.push(format!("jwt={}", json_value(token))),
        }
        if self.skip_prejoin {
            hash.push("config.prejoinConfig.enabled=false".to_owned());
        }
        if !hash.is_empty() {
            url.set_fragment(Some(&hash.join("&")));
        }
        url
    }
}

/// A JSON string literal, escaped for use as a hash parameter value.
fn json_value(s: &str) -> String {
    let json = serde_json::Value::String(s.to_owned()).to_string();
    utf8_percent_encode(&json, FRAGMENT_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base: &str, placement: TokenPlacement, skip_prejoin: bool) -> JitsiTarget {
        JitsiTarget {
            base: Url::parse(base).unwrap(),
            placement,
            skip_prejoin,
        }
    }

    #[test]
    fn builds_room_urls() {
        use TokenPlacement::*;
        let cases = [
            (
                "https://meet.example",
                "team",
                Query,
                true,
                "https://meet.example/team?jwt=a.b.c#config.prejoinConfig.enabled=false",
            ),
            (
                "https://meet.example/",
                "team",
                Query,
                false,
                "https://meet.example/team?jwt=a.b.c",
            ),
            (
                "https://meet.example/base/",
                "Réunion Team",
                Query,
                false,
                "https://meet.example/base/R%C3%A9union%20Team?jwt=a.b.c",
            ),
            (
                "https://meet.example:8443/base",
                "team",
                Fragment,
                true,
                "https://meet.example:8443/base/team#jwt=%22a.b.c%22&config.prejoinConfig.enabled=false",
            ),
            (
                "http://127.0.0.1:3000/inspect",
                "ВСТРЕЧА",
                Query,
                false,
                "http://127.0.0.1:3000/inspect/%D0%92%D0%A1%D0%A2%D0%A0%D0%95%D0%A7%D0%90?jwt=a.b.c",
            ),
        ];
        for (base, room, placement, skip, want) in cases {
            let url =
                target(base, placement, skip).room_url(&RoomName::parse(room).unwrap(), "a.b.c");
            assert_eq!(url.as_str(), want);
        }
    }

    #[test]
    fn host_never_changes_for_tricky_but_valid_names() {
        let t = target("https://meet.example/", TokenPlacement::Query, true);
        for room in [
            "a..b",
            "~x",
            "évil.example",
            "x y",
            "%E2"[1..].as_ref(),
            "...",
        ] {
            let url = t.room_url(&RoomName::parse(room).unwrap(), "t");
            assert_eq!(url.host_str(), Some("meet.example"), "{room}");
            assert_eq!(url.path_segments().unwrap().count(), 1, "{room}");
        }
    }
}
