//! The pages people read: their language (and Keycloak's), a way forward on the denial page,
//! no admin jargon for users, and a quiet favicon.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_speak_the_browsers_language_and_tell_keycloak() {
    let bridge = Bridge::spawn("[ui]\ndefault_language = \"fr\"\n").await;
    let cases = [
        (Some("de-AT,de;q=0.9,en;q=0.5"), "", "de", "Dieser Raumname"),
        (Some("de"), "?lang=en", "en", "This room name"),
        (Some("es"), "", "fr", "Ce nom de salle"),
        (None, "", "fr", "Ce nom de salle"),
    ];
    for (accept, query, lang, text) in cases {
        let mut request = browser().get(bridge.url(&format!("/room/%20lead{query}")));
        if let Some(a) = accept {
            request = request.header("accept-language", a);
        }
        let page =
            assert_error_page(request.send().await.unwrap(), StatusCode::BAD_REQUEST, text).await;
        assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{page}");
    }
    // Keycloak's form in the same language.
    let resp = browser()
        .get(bridge.url("/room/team"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    let authorize = location(resp.headers());
    assert!(
        authorize
            .query_pairs()
            .any(|(k, v)| k == "ui_locales" && v == "de"),
        "{authorize}"
    );
}

#[tokio::test]
async fn a_denied_user_can_switch_account_or_log_out_and_admin_hints_are_folded() {
    let rules = "[[rules]]\nname = \"no outsiders\"\ngroups = [\"outsiders\"]\nallow = false\n";
    let bridge = Bridge::spawn(rules).await;
    let client = browser();
    let authorize = start_login(&client, &bridge, "town-hall").await;
    let action = login_form(&client, &authorize).await;
    let resp = submit(&client, &action, "frank", "frank-password").await;
    let resp = client.get(location(resp.headers())).send().await.unwrap();
    let page = assert_error_page(resp, StatusCode::FORBIDDEN, "Access denied").await;
    assert!(
        page.contains("href=\"/room/town-hall?prompt=login\""),
        "{page}"
    );
    assert!(page.contains("href=\"/logout\""), "{page}");
    // The missing-mapper hint is for the administrator, behind a fold.
    assert!(page.contains("<details><summary>"), "{page}");
    let message = page.split("<p class=\"message\">").nth(1).unwrap();
    let message = message.split("</p>").next().unwrap();
    assert!(
        !message.contains("mapper"),
        "no admin jargon in the message: {message}"
    );

    // "Use another account": Keycloak is asked to show its form even with a session.
    let resp = get(&client, bridge.url("/room/town-hall?prompt=login")).await;
    let authorize = location(resp.headers());
    assert!(
        authorize
            .query_pairs()
            .any(|(k, v)| k == "prompt" && v == "login")
    );
    let form = client.get(authorize).send().await.unwrap();
    assert_eq!(
        form.status(),
        StatusCode::OK,
        "Keycloak shows its form again"
    );
}

#[tokio::test]
async fn favicon_is_answered_quietly() {
    let bridge = Bridge::spawn("").await;
    let resp = get(&browser(), bridge.url("/favicon.ico")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_operators_brand_on_every_page_and_nothing_else_from_outside() {
    let branding = r##"[branding]
product_name = "Verein Beispiel"
logo_url = "https://cdn.example.org/logo.svg"
primary_color = "#0b5d1e"
imprint_url = "https://www.example.org/impressum"
privacy_url = "https://www.example.org/datenschutz"
support_contact = "hilfe@example.org"
"##;
    let bridge = Bridge::spawn(branding).await;
    let resp = browser()
        .get(bridge.url("/room/%20x"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    let csp = csp_of(&resp);
    assert!(
        csp.contains("img-src 'self' https://cdn.example.org;"),
        "{csp}"
    );
    assert!(csp.contains("style-src 'self';"), "{csp}");
    // Forms lead through redirects to Keycloak (a room from the start page, logging out).
    let keycloak = url::Url::parse(&keycloak_url())
        .unwrap()
        .origin()
        .ascii_serialization();
    assert!(
        csp.contains(&format!("form-action 'self' {keycloak};")),
        "{csp}"
    );
    let page = assert_error_page(resp, StatusCode::BAD_REQUEST, "Verein Beispiel").await;
    for want in [
        "src=\"https://cdn.example.org/logo.svg\"",
        "href=\"/static/brand.css\"",
        ">Impressum</a>",
        ">Datenschutz</a>",
        "hilfe@example.org",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let css = get(&browser(), bridge.url("/static/brand.css"))
        .await
        .text()
        .await
        .unwrap();
    assert!(css.contains("--accent: #0b5d1e"), "{css}");
    // Without branding: no outside origin at all.
    let plain = Bridge::spawn("").await;
    let resp = browser().get(plain.url("/")).send().await.unwrap();
    let csp = csp_of(&resp);
    assert!(!csp.contains("https:"), "{csp}");
}

#[tokio::test]
async fn the_inspector_shows_every_claim_and_why_in_a_table() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own = format!("http://{}", listener.local_addr().unwrap());
    let bridge = Bridge::spawn_on(listener, None, &issuer(), |t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            &format!("url = \"{own}/inspect\""),
        ) + "[inspector]\nenabled = true\n[[rules]]\nname = \"staff record\"\ngroups = [\"staff\"]\nfeatures = { recording = true }\n"
    })
    .await;
    let client = browser();
    let target = login(&client, &bridge, "Demo%20Room", "alice", "alice-password").await;
    let html = get(&client, target).await.text().await.unwrap();
    for want in [
        "context.features.recording",
        "<th scope=\"col\">Decided by</th>",
        "staff record",
        "<code>iat</code>",
        "href=\"/logout\"",
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }
    // No token at all and a token that does not verify are told apart.
    let none = client.get(bridge.url("/inspect/x")).send().await.unwrap();
    assert_error_page(none, StatusCode::BAD_REQUEST, "no token to show").await;
    let bad = get(&client, bridge.url("/inspect/x?jwt=a.b.c")).await;
    assert_error_page(bad, StatusCode::BAD_REQUEST, "could not be verified").await;
    // The start page's form opens a room.
    let resp = get(&client, bridge.url("/open?room=Team%20Sync")).await;
    assert_eq!(resp.headers()["location"], "/room/Team%20Sync");
}
