//! "Try again" and "Use another account": a new login for the same room that is what the
//! first one was.
//!
//! The link sits on the bridge's own page, so following it is a same-origin navigation, which
//! the bridge otherwise trusts (`http::initiator`). Without care a drive-by login that failed
//! would come back trusted: pre-join skipped, settings carried. So the link says what the
//! first login was: the settings that passed its checks, the client app only if it was
//! honoured, the pop-up (`nonce`, as jitsi-meet marks it), and `from=elsewhere` when the first
//! request was not trusted. Each of these can only take something away or repeat what was
//! already granted; none grants more than the first request had.

use crate::jitsi::room::URI_COMPONENT;
use crate::jitsi::state_param::retry_state;
pub use crate::login::retry::Retry;
use percent_encoding::utf8_percent_encode;

/// The query parameter that keeps a retried login untrusted, and its only value.
pub const FROM: &str = "from";
pub const ELSEWHERE: &str = "elsewhere";

/// jitsi-meet's inline login marks its pop-up with `&nonce=<hex>`; the bridge reads only
/// that it is there (`http::login::is_popup`), so the retry writes a value of its own.
const POPUP_NONCE: &str = "retry";

impl Retry {
    /// `<base>/room/[<tenant>/]<name>`, each part one path segment, with what the first login
    /// was in the query.
    pub fn link(&self, base: &str) -> String {
        self.with_prompt(base, None)
    }

    /// The same login, with Keycloak asked for its form again.
    pub fn switch_account_link(&self, base: &str) -> String {
        self.with_prompt(base, Some("login"))
    }

    fn with_prompt(&self, base: &str, prompt: Option<&str>) -> String {
        let segment = |s: &str| utf8_percent_encode(s, URI_COMPONENT).to_string();
        let mut link = match &self.tenant {
            Some(t) => format!(
                "{base}/room/{}/{}",
                segment(t.as_str()),
                segment(self.room.as_str())
            ),
            None => format!("{base}/room/{}", segment(self.room.as_str())),
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(state) = retry_state(&self.overrides, self.client) {
            query.append_pair("state", &state);
        }
        if self.popup {
            query.append_pair("nonce", POPUP_NONCE);
        }
        if let Some(prompt) = prompt {
            query.append_pair("prompt", prompt);
        }
        if self.untrusted {
            query.append_pair(FROM, ELSEWHERE);
        }
        let query = query.finish();
        if !query.is_empty() {
            link.push('?');
            link.push_str(&query);
        }
        link
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::login::query_param;
    use crate::jitsi::room::RoomName;
    use crate::jitsi::state_param::{ClientKind, Override};
    use crate::jitsi::tenant::Tenant;
    use serde_json::json;

    fn retry() -> Retry {
        Retry {
            room: RoomName::parse("Café Zürich").unwrap(),
            tenant: Some(Tenant::parse("acme").unwrap()),
            overrides: vec![Override {
                key: "config.startWithAudioMuted".into(),
                value: json!(true),
            }],
            client: ClientKind::Browser,
            popup: false,
            untrusted: false,
        }
    }

    fn query(link: &str) -> &str {
        link.split_once('?').map_or("", |(_, q)| q)
    }

    #[test]
    fn a_fresh_link_is_the_room_alone() {
        let r = Retry::fresh(RoomName::parse("team").unwrap(), None);
        assert_eq!(r.link("https://b.example"), "https://b.example/room/team");
    }

    #[test]
    fn the_link_keeps_settings_pop_up_and_distrust() {
        let mut r = retry();
        let link = r.link("https://b.example");
        assert!(
            link.starts_with("https://b.example/room/acme/Caf%C3%A9%20Z%C3%BCrich?"),
            "{link}"
        );
        assert_eq!(
            query_param(query(&link), "state").as_deref(),
            Some(r#"{"config.startWithAudioMuted":true}"#)
        );
        assert_eq!(query_param(query(&link), FROM), None);
        assert_eq!(query_param(query(&link), "nonce"), None);

        r.popup = true;
        r.untrusted = true;
        let link = r.switch_account_link("https://b.example");
        let q = query(&link);
        assert_eq!(query_param(q, "nonce").as_deref(), Some(POPUP_NONCE));
        assert_eq!(query_param(q, "prompt").as_deref(), Some("login"));
        assert_eq!(query_param(q, FROM).as_deref(), Some(ELSEWHERE));
    }

    #[test]
    fn an_honoured_app_flag_comes_back() {
        let mut r = retry();
        r.client = ClientKind::Ios;
        let link = r.link("");
        let state = query_param(query(&link), "state").unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&state).unwrap()["ios"],
            json!(true)
        );
    }
}
