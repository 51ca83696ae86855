use super::*;
use serde_json::json;

fn room(r: &str) -> RoomName {
    RoomName::parse(r).unwrap()
}

#[test]
fn parses_what_jitsi_meet_sends() {
    let state = json!({
        "room": "WeeklySync", "roomSafe": "weeklysync", "tenant": "acme",
        "config.startWithAudioMuted": true, "config.prejoinConfig.enabled": false,
        "config.subject": "Weekly", "interfaceConfig.SHOW_CHROME_EXTENSION_BANNER": false,
        "iceServers.replace": [{"urls": "turn:evil.example"}], "refreshToken": "secret",
        "electron": true, "somethingNew": 1
    });
    let info = parse(&state.to_string(), &room("WeeklySync"), None).unwrap();
    assert_eq!(info.tenant.unwrap().as_str(), "acme");
    assert_eq!(info.client, ClientKind::Electron);
    let keys: Vec<&str> = info.overrides.iter().map(|o| o.key.as_str()).collect();
    // Settings outside the short list are not carried back.
    assert_eq!(
        keys,
        [
            "config.prejoinConfig.enabled",
            "config.startWithAudioMuted",
            "config.subject",
        ]
    );
    assert_eq!(info.overrides[2].value, json!("Weekly"));
}

/// The state JSON of `docs/upstream-facts.md` §1 (worked example), as it is
/// once the query is decoded: `room` and `roomSafe` are still percent-encoded.
#[test]
fn encoded_rooms_as_jitsi_meet_sends_them() {
    let state = r#"{"room":"Caf%C3%A9%20Z%C3%BCrich","roomSafe":"caf%c3%a9%20z%c3%bcrich","tenant":"acme","config.startWithAudioMuted":true,"config.prejoinConfig.enabled":false,"config.subject":"Weekly","interfaceConfig.SHOW_JITSI_WATERMARK":false}"#;
    let info = parse(state, &room("Café Zürich"), None).unwrap();
    assert_eq!(info.tenant.unwrap().as_str(), "acme");
    assert_eq!(info.overrides.len(), 3);
    // Upper-case Cyrillic: roomSafe is not `room` lower-cased.
    let state = r#"{"room":"%D0%9F%D0%BB%D0%B0%D0%BD%D1%91%D1%80%D0%BA%D0%B0","roomSafe":"%d0%bf%d0%bb%d0%b0%d0%bd%d1%91%d1%80%d0%ba%d0%b0"}"#;
    assert!(parse(state, &room("Планёрка"), None).is_ok());
    // Decomposed é: NFKC composes it in roomSafe only.
    let state = r#"{"room":"Cafe%CC%81","roomSafe":"caf%c3%a9"}"#;
    assert!(parse(state, &room("Cafe\u{301}"), None).is_ok());
    // A `%` that does not decode is not a room.
    let state = r#"{"room":"Caf%E9"}"#;
    assert_eq!(
        parse(state, &room("Café"), None),
        Err(StateError::RoomMismatch)
    );
}

/// The state exactly as jitsi-meet 2026-08's `_getTokenAuthState` builds it
/// (`react/features/authentication/functions.any.ts`), byte for byte as `JSON.stringify`
/// writes it: `refreshToken` from an earlier inline login, `room`, `roomSafe`, `tenant`, the
/// start settings that are on (audio-only start under its name since jitsi-meet PR #17623,
/// `startLowBandwidthMode`), the pre-join skip, then the page's hash parameters.
const JITSI_MEET_2026_08_STATE: &str = r#"{"refreshToken":"eyJhbGciOiJIUzUxMiJ9.e30.c2ln","room":"Caf%C3%A9%20Z%C3%BCrich","roomSafe":"caf%c3%a9%20z%c3%bcrich","tenant":"acme","config.startWithAudioMuted":true,"config.startLowBandwidthMode":true,"config.prejoinConfig.enabled":false,"config.subject":"Weekly"}"#;

fn keys(overrides: &[Override]) -> Vec<&str> {
    overrides.iter().map(|o| o.key.as_str()).collect()
}

#[test]
fn parses_the_state_of_jitsi_meet_2026_08() {
    let info = parse(JITSI_MEET_2026_08_STATE, &room("Café Zürich"), None).unwrap();
    assert_eq!(info.tenant.unwrap().as_str(), "acme");
    assert_eq!(info.client, ClientKind::Browser);
    assert_eq!(
        keys(&info.overrides),
        [
            "config.prejoinConfig.enabled",
            "config.startLowBandwidthMode",
            "config.startWithAudioMuted",
            "config.subject",
        ]
    );
    assert_eq!(info.overrides[1].value, json!(true));
    assert_eq!(info.overrides[3].value, json!("Weekly"));
}

#[test]
fn low_bandwidth_mode_comes_back_from_any_initiator_and_the_refresh_token_never() {
    let info = parse(JITSI_MEET_2026_08_STATE, &room("Café Zürich"), None).unwrap();
    // A trusted initiator (Jitsi, the bridge, the user's own hand) keeps the list as parsed.
    let trusted = info.overrides.clone();
    let untrusted = for_untrusted_initiator(info.overrides);
    assert_eq!(
        keys(&untrusted),
        ["config.startLowBandwidthMode", "config.startWithAudioMuted"]
    );
    for kept in [&trusted, &untrusted] {
        assert!(kept.contains(&Override {
            key: "config.startLowBandwidthMode".into(),
            value: json!(true),
        }));
        assert!(
            kept.iter()
                .all(|o| !o.key.contains("refreshToken") && !o.value.to_string().contains("eyJ")),
            "{kept:?}"
        );
    }
    // An older Jitsi's name still passes; switching the mode off is not a private choice.
    let older = r#"{"config.startAudioOnly":true,"config.startLowBandwidthMode":false}"#;
    let info = parse(older, &room("x"), None).unwrap();
    assert_eq!(
        keys(&info.overrides),
        ["config.startAudioOnly", "config.startLowBandwidthMode"]
    );
    assert_eq!(
        keys(&for_untrusted_initiator(info.overrides)),
        ["config.startAudioOnly"]
    );
}

#[test]
fn unicode_rooms_match_by_jitsi_normalisation() {
    let state = json!({"room": "Réunion Team", "roomSafe": "r%c3%a9union%20team"});
    assert!(parse(&state.to_string(), &room("Réunion Team"), None).is_ok());
    let state =
        json!({"room": "ВСТРЕЧА", "roomSafe": "%d0%b2%d1%81%d1%82%d1%80%d0%b5%d1%87%d0%b0"});
    assert!(parse(&state.to_string(), &room("встреча"), None).is_ok());
    assert_eq!(parse("{}", &room("x"), None).unwrap(), StateInfo::default());
}

#[test]
fn refuses_malformed_and_unsafe_state() {
    let acme = Tenant::parse("acme").unwrap();
    let big = format!("{{\"config.x\":\"{}\"}}", "a".repeat(MAX_STATE_BYTES));
    let many = format!(
        "{{\"config.subject\":\"{}\"}}",
        "a".repeat(MAX_OVERRIDE_BYTES)
    );
    let cases: Vec<(String, Option<&Tenant>, StateError)> = vec![
        (big, None, StateError::TooLong),
        ("[1]".into(), None, StateError::NotAnObject),
        ("not json".into(), None, StateError::NotAnObject),
        (
            json!({"room": 5}).to_string(),
            None,
            StateError::WrongType("room"),
        ),
        (
            json!({"room": "other"}).to_string(),
            None,
            StateError::RoomMismatch,
        ),
        (
            json!({"room": "//evil.example"}).to_string(),
            None,
            StateError::RoomMismatch,
        ),
        (
            json!({"roomSafe": "*"}).to_string(),
            None,
            StateError::RoomSafeMismatch,
        ),
        (
            json!({"roomSafe": "team%2f.."}).to_string(),
            None,
            StateError::RoomSafeMismatch,
        ),
        (
            json!({"tenant": "other"}).to_string(),
            Some(&acme),
            StateError::TenantMismatch,
        ),
        (
            json!({"tenant": "../x"}).to_string(),
            None,
            StateError::BadTenant(crate::jitsi::tenant::TenantError::BadCharacter),
        ),
        (
            json!({"tenant": ["a"]}).to_string(),
            None,
            StateError::WrongType("tenant"),
        ),
        (
            json!({"config.__proto__.x": 1}).to_string(),
            None,
            StateError::BadSettingName,
        ),
        (
            json!({"config.a b": 1}).to_string(),
            None,
            StateError::BadSettingName,
        ),
        (
            json!({"config..x": 1}).to_string(),
            None,
            StateError::BadSettingName,
        ),
        (many, None, StateError::TooManySettings),
        (
            json!({"electron": "yes"}).to_string(),
            None,
            StateError::WrongType("electron"),
        ),
        (
            json!({"ios": true, "android": true}).to_string(),
            None,
            StateError::ConflictingClients,
        ),
    ];
    for (raw, tenant, want) in cases {
        assert_eq!(
            parse(&raw, &room("team"), tenant).unwrap_err(),
            want,
            "{raw}"
        );
    }
}

#[test]
fn tenant_from_path_or_state() {
    let acme = Tenant::parse("ACME").unwrap();
    let same = parse(
        &json!({"tenant": "acme"}).to_string(),
        &room("x"),
        Some(&acme),
    )
    .unwrap();
    assert_eq!(same.tenant.unwrap().as_str(), "ACME");
    let path_only = parse("{}", &room("x"), Some(&acme)).unwrap();
    assert_eq!(path_only.tenant, Some(acme));
}

#[test]
fn an_untrusted_initiator_keeps_only_private_choices() {
    let state = json!({
        "config.startWithAudioMuted": false, "config.startWithVideoMuted": true,
        "config.startAudioOnly": true, "config.prejoinConfig.enabled": false,
        "config.subject": "Call the helpdesk at ..."
    });
    let info = parse(&state.to_string(), &room("x"), None).unwrap();
    let kept = for_untrusted_initiator(info.overrides);
    let keys: Vec<&str> = kept.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["config.startAudioOnly", "config.startWithVideoMuted"]
    );
}

#[test]
fn a_retry_carries_what_the_first_login_kept_and_nothing_else() {
    let info = parse(JITSI_MEET_2026_08_STATE, &room("Café Zürich"), None).unwrap();
    let again = retry_state(&info.overrides, ClientKind::Android).unwrap();
    assert!(!again.contains("refreshToken"), "{again}");
    let back = parse(&again, &room("Café Zürich"), None).unwrap();
    assert_eq!(back.overrides, info.overrides);
    assert_eq!(back.client, ClientKind::Android);
    assert_eq!(retry_state(&[], ClientKind::Browser), None);
}

#[test]
fn an_untrusted_start_drops_the_app_flag() {
    let state = json!({"android": true, "config.startWithVideoMuted": true, "config.prejoinConfig.enabled": false});
    let info = for_untrusted(parse(&state.to_string(), &room("x"), None).unwrap());
    assert_eq!(info.client, ClientKind::Browser);
    assert_eq!(keys(&info.overrides), ["config.startWithVideoMuted"]);
}
