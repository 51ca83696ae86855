//! Hostile room names: none may ever produce a redirect whose host differs from Keycloak's
//! (at `/room`) or the configured Jitsi host (at the end of a login).

use crate::helpers::*;
use reqwest::StatusCode;

/// Raw path segments as an attacker would put them after `/room/`. (`.` and `..`, also
/// percent-encoded, are normalised away by every HTTP client before they are sent; the
/// room-name unit tests cover them.)
const HOSTILE: &[&str] = &[
    "%2F%2Fevil.example",
    "https:%2F%2Fevil.example%2Fx",
    "%2F%5Cevil.example",
    "%5Cevil.example",
    "..%2Fadmin",
    "a%3Fjwt%3Dx",
    "a%23frag",
    "a%00b",
    "a%0D%0ALocation:%20https:%2F%2Fevil.example",
    "%E2%80%AEevil",
    "%FF%FE",
    "user%40evil.example",
    "%25252F",
    "%EF%BC%8F%EF%BC%8Fevil.example",
    // Names that look blank or like a path: Hangul filler, braille blank, combining grapheme
    // joiner, a variation selector alone, a division slash.
    "%E3%85%A4",
    "%E2%A0%80",
    "x%CD%8F",
    "%EF%B8%8F",
    "team%E2%88%95admin",
];

#[tokio::test]
async fn hostile_names_get_a_400_page_and_no_redirect() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let long = "a".repeat(200);
    for raw in HOSTILE.iter().copied().chain([long.as_str()]) {
        let resp = get(&client, bridge.url(&format!("/room/{raw}"))).await;
        let status = resp.status();
        if let Some(loc) = resp.headers().get("location") {
            panic!("{raw}: redirected to {loc:?}");
        }
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{raw}: {status}"
        );
        let body = resp.text().await.unwrap();
        assert!(
            !body.contains("evil.example"),
            "{raw}: the page never echoes the input"
        );
    }
    // Paths with a hostile tenant, or too many segments.
    for raw in [
        "/room/",
        "/room",
        "/room/a/b/c",
        "/room//evil.example",
        "/room/%2F/evil",
        "/room/evil.example%2F/x",
        "/room/a%2Fb/c",
        "/room/%C3%A9vil/x",
        "/room/..%2F..%2F/x",
        "/room/.hidden/x",
        "/room/host:443/x",
    ] {
        let resp = client.get(bridge.url(raw)).send().await.unwrap();
        assert!(resp.headers().get("location").is_none(), "{raw}");
        assert!(resp.status().is_client_error(), "{raw}: {}", resp.status());
    }
}

#[tokio::test]
async fn tricky_but_valid_names_land_on_the_jitsi_host_in_the_same_room() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    // (raw path segment, path Jitsi gets, room claim = jitsi-meet roomSafe)
    let cases = [
        (
            "R%C3%A9union%20Team",
            "/R%C3%A9union%20Team",
            "r%c3%a9union%20team",
        ),
        (
            "%D0%92%D0%A1%D0%A2%D0%A0%D0%95%D0%A7%D0%90",
            "/%D0%92%D0%A1%D0%A2%D0%A0%D0%95%D0%A7%D0%90",
            "%d0%b2%d1%81%d1%82%d1%80%d0%b5%d1%87%d0%b0",
        ),
        (
            "%F0%9F%8E%89party",
            "/%F0%9F%8E%89party",
            "%f0%9f%8e%89party",
        ),
        ("evil.example", "/evil.example", "evil.example"),
        ("a..b", "/a..b", "a..b"),
    ];
    let first = login(&client, &bridge, "warmup", "bob", "bob-password").await;
    assert_eq!(first.host_str(), Some("meet.example.test"));
    for (raw, path, room) in cases {
        let authorize = start_login(&client, &bridge, raw).await;
        let target = follow_callback(
            &client,
            &bridge,
            client.get(authorize).send().await.unwrap(),
        )
        .await;
        assert_eq!(target.origin().ascii_serialization(), JITSI_URL, "{raw}");
        assert_eq!(target.path(), path, "{raw}");
        let claims = crate::verifier::verify_like_prosody(
            &jwt_of(&target),
            JITSI_SECRET,
            "jitsi-bridge",
            "jitsi",
        );
        assert_eq!(claims.custom.room, room, "{raw}");
    }
}
