//! Rooms exactly as jitsi-meet sends them through `tokenAuthUrl`, byte for byte.
//!
//! Each request below is what jitsi-meet's `getTokenAuthUrl` (`functions.web.ts:51-136`, or
//! `functions.native.ts:32-82` for the apps) builds from the bridge's printed
//! `tokenAuthUrl = <bridge>/room/{room}?state={state}`: `{room}` is the address-bar path
//! segment, still percent-encoded with upper-case hex; the state's `room` is the same string
//! and `roomSafe` Jitsi's backend-safe form, and the state JSON is `encodeURIComponent`-ed once
//! more (so `%` arrives as `%25`). See `docs/upstream-facts.md` §1. The fixtures are
//! literal strings, never built by the bridge's code: the first is the request quoted in
//! issue 8, the Café one is the worked example there.
//!
//! After the login, the landing URL goes through a model of what Jitsi then does
//! (`tests/support/jitsi_model.rs`): the web client derives the room JID from the address bar,
//! and Prosody, set up as `print-jitsi-config` prints (domain verification on), decides whether
//! the token may enter that room.

use crate::helpers::*;
use crate::jitsi_model::{Joiner, Prosody, backend_safe_room_name, room_of};
use crate::verifier::verify_like_prosody;

struct Case {
    what: &'static str,
    /// The request path and query jitsi-meet sends.
    request: &'static str,
    /// Where the user must land (path of the Jitsi URL).
    lands_at: &'static str,
    /// `state.roomSafe`: what Prosody compares the token's `room` with.
    room_safe: &'static str,
    tenant: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        what: "Quarterly Review typed in the address bar of tenant acme (issue 8)",
        request: "/room/Quarterly%20Review?state=%7B%22room%22%3A%22Quarterly%2520Review%22%2C%22roomSafe%22%3A%22quarterly%2520review%22%2C%22tenant%22%3A%22acme%22%2C%22config.startWithAudioMuted%22%3Atrue%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/acme/Quarterly%20Review",
        room_safe: "quarterly%20review",
        tenant: Some("acme"),
    },
    Case {
        what: "Quarterly Review typed on the welcome page (spaces stripped)",
        request: "/room/QuarterlyReview?state=%7B%22room%22%3A%22QuarterlyReview%22%2C%22roomSafe%22%3A%22quarterlyreview%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/QuarterlyReview",
        room_safe: "quarterlyreview",
        tenant: None,
    },
    Case {
        what: "Café Zürich with settings from the hash (upstream-facts §1 worked example)",
        request: "/room/Caf%C3%A9%20Z%C3%BCrich?state=%7B%22room%22%3A%22Caf%25C3%25A9%2520Z%25C3%25BCrich%22%2C%22roomSafe%22%3A%22caf%25c3%25a9%2520z%25c3%25bcrich%22%2C%22tenant%22%3A%22acme%22%2C%22config.startWithAudioMuted%22%3Atrue%2C%22config.prejoinConfig.enabled%22%3Afalse%2C%22config.subject%22%3A%22Weekly%22%2C%22interfaceConfig.SHOW_JITSI_WATERMARK%22%3Afalse%7D",
        lands_at: "/acme/Caf%C3%A9%20Z%C3%BCrich",
        room_safe: "caf%c3%a9%20z%c3%bcrich",
        tenant: Some("acme"),
    },
    Case {
        what: "Café Zürich typed on the welcome page",
        request: "/room/Caf%C3%A9Z%C3%BCrich?state=%7B%22room%22%3A%22Caf%25C3%25A9Z%25C3%25BCrich%22%2C%22roomSafe%22%3A%22caf%25c3%25a9z%25c3%25bcrich%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/Caf%C3%A9Z%C3%BCrich",
        room_safe: "caf%c3%a9z%c3%bcrich",
        tenant: None,
    },
    Case {
        what: "Планёрка (upper-case Cyrillic: roomSafe is not the room lower-cased)",
        request: "/room/%D0%9F%D0%BB%D0%B0%D0%BD%D1%91%D1%80%D0%BA%D0%B0?state=%7B%22room%22%3A%22%25D0%259F%25D0%25BB%25D0%25B0%25D0%25BD%25D1%2591%25D1%2580%25D0%25BA%25D0%25B0%22%2C%22roomSafe%22%3A%22%25d0%25bf%25d0%25bb%25d0%25b0%25d0%25bd%25d1%2591%25d1%2580%25d0%25ba%25d0%25b0%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/%D0%9F%D0%BB%D0%B0%D0%BD%D1%91%D1%80%D0%BA%D0%B0",
        room_safe: "%d0%bf%d0%bb%d0%b0%d0%bd%d1%91%d1%80%d0%ba%d0%b0",
        tenant: None,
    },
    Case {
        what: "an emoji room",
        request: "/room/%F0%9F%8E%89%20Party?state=%7B%22room%22%3A%22%25F0%259F%258E%2589%2520Party%22%2C%22roomSafe%22%3A%22%25f0%259f%258e%2589%2520party%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/%F0%9F%8E%89%20Party",
        room_safe: "%f0%9f%8e%89%20party",
        tenant: None,
    },
    Case {
        what: "a decomposed Cafe%CC%81 (NFKC composes it in roomSafe)",
        request: "/room/Cafe%CC%81?state=%7B%22room%22%3A%22Cafe%25CC%2581%22%2C%22roomSafe%22%3A%22caf%25c3%25a9%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/Cafe%CC%81",
        room_safe: "caf%c3%a9",
        tenant: None,
    },
    Case {
        what: "the iOS app: the room as typed, not encoded, and ios=true",
        request: "/room/Quarterly%20Review?state=%7B%22room%22%3A%22Quarterly%20Review%22%2C%22roomSafe%22%3A%22quarterly%2520review%22%2C%22config.prejoinConfig.enabled%22%3Afalse%2C%22ios%22%3Atrue%7D",
        lands_at: "/Quarterly%20Review",
        room_safe: "quarterly%20review",
        tenant: None,
    },
    Case {
        what: "a refreshToken left in the state by an earlier inline login (ignored)",
        request: "/room/Quarterly%20Review?state=%7B%22refreshToken%22%3A%22eyJhbGciOiJIUzUxMiJ9.e30.c2ln%22%2C%22room%22%3A%22Quarterly%2520Review%22%2C%22roomSafe%22%3A%22quarterly%2520review%22%2C%22tenant%22%3A%22acme%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D",
        lands_at: "/acme/Quarterly%20Review",
        room_safe: "quarterly%20review",
        tenant: Some("acme"),
    },
];

/// Prosody as `print-jitsi-config` sets it up: domain verification on.
fn printed_prosody() -> Prosody {
    Prosody {
        domain_verification: true,
        xmpp_domain: "meet.jitsi".into(),
        muc_domain: "muc.meet.jitsi".into(),
        guest_domain: None,
        allowlist: vec![],
        allow_empty: false,
    }
}

#[tokio::test]
async fn rooms_as_jitsi_sends_them_land_in_that_room_with_a_token_jitsi_accepts() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let prosody = printed_prosody();
    for case in CASES {
        let raw = case.request.strip_prefix("/room/").unwrap();
        let target = land(&client, &bridge, raw).await;
        assert_eq!(target.path(), case.lands_at, "{}", case.what);
        // The redirect never encodes a `%` a second time (that would be another room).
        assert!(!target.as_str().contains("%25"), "{}: {target}", case.what);

        let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
        assert_eq!(claims.custom.room, case.room_safe, "{}", case.what);
        assert_eq!(
            claims.subject.as_deref(),
            Some(case.tenant.unwrap_or("meet.jitsi")),
            "{}",
            case.what
        );

        // What Jitsi does next: the client reads tenant and room from the address bar, joins
        // the room JID, and Prosody checks the token against it.
        let (tenant, segment) = room_of(&target, "/");
        assert_eq!(tenant.as_deref(), case.tenant, "{}", case.what);
        assert_eq!(backend_safe_room_name(&segment), case.room_safe);
        let jid = prosody.room_jid(tenant.as_deref(), &segment);
        let who = Joiner {
            sub: claims.subject.as_deref(),
            room: Some(&claims.custom.room),
        };
        assert!(prosody.may_join(who, &jid), "{}: {jid}", case.what);
        // …and the same token opens no other tenant's room of that name.
        let elsewhere = prosody.room_jid(Some("globex"), &segment);
        assert!(!prosody.may_join(who, &elsewhere), "{}", case.what);
    }
}

/// A login through Keycloak (form or single sign-on) to where the browser lands; for the apps,
/// the page's "open in the app" link, read back as the https URL the app turns it into.
async fn land(client: &reqwest::Client, bridge: &Bridge, raw: &str) -> url::Url {
    let authorize = start_login(client, bridge, raw).await;
    let resp = client.get(authorize).send().await.unwrap();
    let resp = if resp.status() == reqwest::StatusCode::FOUND {
        resp
    } else {
        let action = form_action(&resp.text().await.unwrap()).unwrap();
        submit(client, &action, "bob", "bob-password").await
    };
    let callback = location(resp.headers());
    let resp = client.get(callback).send().await.unwrap();
    if resp.status() == reqwest::StatusCode::SEE_OTHER {
        return location(resp.headers());
    }
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let html = scraper::Html::parse_document(&resp.text().await.unwrap());
    let link = scraper::Selector::parse("a.button").unwrap();
    let href = html
        .select(&link)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    let rest = href
        .strip_prefix("org.jitsi.meet://")
        .expect("the mobile app's scheme");
    url::Url::parse(&format!("https://{rest}")).unwrap()
}

#[tokio::test]
async fn a_state_for_another_room_is_still_refused() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    // The room of Case 1's state, sent with a different room in the path.
    let resp = get(&client, bridge.url("/room/Other?state=%7B%22room%22%3A%22Quarterly%2520Review%22%2C%22roomSafe%22%3A%22quarterly%2520review%22%7D")).await;
    assert_error_page(resp, reqwest::StatusCode::BAD_REQUEST, "does not work").await;
    // roomSafe that is not the room's backend-safe form.
    let resp = get(&client, bridge.url("/room/Quarterly%20Review?state=%7B%22room%22%3A%22Quarterly%2520Review%22%2C%22roomSafe%22%3A%22other%22%7D")).await;
    assert_error_page(resp, reqwest::StatusCode::BAD_REQUEST, "does not work").await;
}

/// `&nonce=` means Jitsi opened the login in a pop-up (`tokenAuthInline`), whose result it
/// takes only from a page of its own origin. A bridge on another origin says so at once
/// instead of logging the user in to a pop-up that Jitsi would ignore.
#[tokio::test]
async fn an_inline_login_to_a_bridge_on_another_origin_is_refused_clearly() {
    let bridge = Bridge::spawn("").await;
    let client = browser();
    let resp = get(&client, bridge.url("/room/QuarterlyReview?state=%7B%22room%22%3A%22QuarterlyReview%22%2C%22roomSafe%22%3A%22quarterlyreview%22%2C%22config.prejoinConfig.enabled%22%3Afalse%7D&nonce=4b1f0e4c2a7d9e8f3c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f")).await;
    let body = assert_error_page(resp, reqwest::StatusCode::BAD_REQUEST, "separate window").await;
    assert!(
        !body.contains("<script"),
        "no message to any window: {body}"
    );
}
