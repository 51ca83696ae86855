//! Property tests over the parsers that see untrusted input: room names, tenants, Jitsi's
//! `state`, and the URL built from them. No input may panic, and no accepted input may move
//! the redirect off the configured Jitsi origin or change the room it names.

use crate::jitsi::room::RoomName;
use crate::jitsi::room_url::{Destination, JitsiTarget, TokenPlacement};
use crate::jitsi::state_param as jitsi_state;
use crate::jitsi::tenant::Tenant;
use proptest::prelude::*;
use url::Url;

fn target() -> JitsiTarget {
    JitsiTarget {
        base: Url::parse("https://meet.example.org/base/").unwrap(),
        placement: TokenPlacement::Fragment,
        skip_prejoin: true,
        electron_scheme: "jitsi-meet".into(),
        mobile_scheme: "org.jitsi.meet".into(),
    }
}

/// Strings that mix what attackers use with arbitrary Unicode.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        "[/\\\\.:@%?#&=A-Za-z0-9 ]{0,40}",
        proptest::collection::vec(
            prop_oneof![
                Just("/"),
                Just("\\\\"),
                Just(".."),
                Just("%2F"),
                Just("//"),
                Just("evil.example"),
                Just("http:"),
                Just("\u{202E}"),
                Just("é"),
                Just("Ж"),
                Just("🎉"),
                Just(" ")
            ],
            0..12
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rooms_and_tenants_never_panic_and_never_leave_the_origin(room in hostile(), tenant in hostile(), token in "[A-Za-z0-9._-]{0,40}") {
        let Ok(room) = RoomName::parse(&room) else { return Ok(()) };
        let tenant = Tenant::parse(&tenant).ok();
        let url = target().room_url(&Destination { room: &room, tenant: tenant.as_ref(), overrides: &[], trusted: true }, &token);
        prop_assert_eq!(url.origin().ascii_serialization(), "https://meet.example.org");
        let segments: Vec<&str> = url.path_segments().unwrap().collect();
        prop_assert_eq!(segments.len(), 2 + usize::from(tenant.is_some()));
        prop_assert_eq!(segments[0], "base");
        // Jitsi decodes the last segment back to the same room.
        let last = percent_encoding::percent_decode_str(segments.last().unwrap()).decode_utf8().unwrap();
        prop_assert_eq!(last.as_ref(), room.as_str());
        prop_assert!(room.backend_safe().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"%-_.!~*'()".contains(&b)));
        prop_assert!(url.query().is_none());
    }

    #[test]
    fn state_never_panics(raw in ".{0,300}", room in "[a-z]{1,10}") {
        let room = RoomName::parse(&room).unwrap();
        let _ = jitsi_state::parse(&raw, &room, None);
    }

    #[test]
    fn accepted_state_stays_within_bounds(
        keys in proptest::collection::vec("(config|interfaceConfig|iceServers|room|tenant|x)\\.?[A-Za-z_.]{0,12}", 0..8),
        values in proptest::collection::vec(prop_oneof![Just(serde_json::json!(true)), Just(serde_json::json!("a/b#c")), Just(serde_json::json!([1, 2])), Just(serde_json::json!({"k": null}))], 8),
    ) {
        let room = RoomName::parse("team").unwrap();
        let object: serde_json::Map<String, serde_json::Value> = keys.into_iter().zip(values).collect();
        if let Ok(info) = jitsi_state::parse(&serde_json::Value::Object(object).to_string(), &room, None) {
            for o in &info.overrides {
                prop_assert!(o.key.starts_with("config.") || o.key.starts_with("interfaceConfig."));
            }
            let url = target().room_url(&Destination { room: &room, tenant: info.tenant.as_ref(), overrides: &info.overrides, trusted: true }, "t.o.k");
            prop_assert_eq!(url.origin().ascii_serialization(), "https://meet.example.org");
        }
    }
}
