//! Requests other sites can make the browser send: a drive-by navigation must not put a
//! signed-in user into a room with the pre-join screen skipped and their camera or microphone
//! switched on, while links from Jitsi itself and from other sites (HumHub) keep working.
//! Each request carries the fetch metadata and `Referer` that Chromium sends for that kind of
//! navigation.

use crate::helpers::*;

/// The attacker's link: start unmuted, with the camera on.
const DRIVE_BY: &str = "/room/attackers-room?state=%7B%22config.startWithAudioMuted%22%3Afalse%2C%22config.startWithVideoMuted%22%3Afalse%2C%22config.prejoinConfig.enabled%22%3Afalse%7D";

#[tokio::test]
async fn a_drive_by_navigation_lands_at_the_prejoin_screen_with_nothing_switched_on() {
    let bridge = Bridge::spawn("").await;
    // The user signed in earlier (a link they opened themselves).
    let client = signed_in(&bridge).await;

    // Another site navigates the tab on its own: no user activation.
    let target = navigate(
        &client,
        &bridge,
        DRIVE_BY,
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ],
    )
    .await;
    assert_eq!(target.path(), "/attackers-room");
    assert_eq!(
        target.fragment(),
        None,
        "no prejoin skip, no settings: {target}"
    );

    // A click on a link in HumHub (another site): the same, the user joins from the prejoin.
    let target = navigate(
        &client,
        &bridge,
        "/room/team-meeting",
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
            ("sec-fetch-user", "?1"),
            ("referer", "https://humhub.example.net/"),
        ],
    )
    .await;
    assert_eq!(target.path(), "/team-meeting");
    assert_eq!(target.fragment(), None);

    // Only choices that keep the user private pass from another site.
    let muted = "/room/attackers-room?state=%7B%22config.startWithAudioMuted%22%3Atrue%2C%22config.startWithVideoMuted%22%3Afalse%7D";
    let target = navigate(&client, &bridge, muted, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(target.fragment(), Some("config.startWithAudioMuted=true"));
}

#[tokio::test]
async fn jitsis_own_token_auth_url_keeps_its_settings_and_skips_the_prejoin_screen() {
    let bridge = Bridge::spawn("").await;
    let client = signed_in(&bridge).await;
    // jitsi-meet's "I am the host" (location.href = tokenAuthUrl): Referer is the Jitsi
    // origin under the default referrer policy; the state as jitsi-meet builds it.
    let from_jitsi = "/room/WeeklySync?state=%7B%22room%22%3A%22WeeklySync%22%2C%22roomSafe%22%3A%22weeklysync%22%2C%22config.startWithAudioMuted%22%3Atrue%2C%22config.prejoinConfig.enabled%22%3Afalse%7D";
    let target = navigate(
        &client,
        &bridge,
        from_jitsi,
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
            ("sec-fetch-user", "?1"),
            ("referer", "https://meet.example.test/"),
        ],
    )
    .await;
    assert_eq!(
        target.fragment(),
        Some("config.prejoinConfig.enabled=false&config.startWithAudioMuted=true")
    );
}

/// Another site cannot end the user's Keycloak session: its `GET /logout` gets a page with a
/// button, a cross-site `POST` the same page; the button (a same-origin form post) and Jitsi's
/// own `tokenLogoutUrl` log out in one step.
#[tokio::test]
async fn logout_from_another_site_asks_first() {
    let bridge = Bridge::spawn("").await;
    let client = signed_in(&bridge).await;
    let typed = [("sec-fetch-site", "none"), ("sec-fetch-user", "?1")];

    // A top-level navigation from another site (a link or an automatic redirect).
    let resp = client
        .get(bridge.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .header("referer", "https://evil.example/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert!(resp.headers().get("location").is_none());
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("<form method=\"post\" action=\"/logout\">"),
        "{page}"
    );
    // A form another site submits.
    let resp = client
        .post(bridge.url("/logout"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "asks again");
    // The Keycloak session is still there: the next room passes without a form.
    let target = navigate(&client, &bridge, "/room/still-in", &typed).await;
    assert_eq!(target.path(), "/still-in");

    // The button: a same-origin form post.
    let resp = client
        .post(bridge.url("/logout"))
        .header("origin", bridge.url(""))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    let to = location(resp.headers());
    assert!(
        to.as_str().contains("/protocol/openid-connect/logout?"),
        "{to}"
    );
    assert!(to.query_pairs().any(|(k, _)| k == "id_token_hint"));

    // Jitsi's tokenLogoutUrl (location.href from the Jitsi page): one step.
    let client = signed_in(&bridge).await;
    let resp = client
        .get(bridge.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-user", "?1")
        .header("referer", "https://meet.example.test/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
}

/// Over https every cookie is `__Host-`: another host of the same site cannot plant a login
/// or session cookie for the bridge (login CSRF from a sibling subdomain).
#[tokio::test]
async fn https_cookies_carry_the_host_prefix() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bridge = Bridge::spawn_on(
        listener,
        Some("https://bridge.example.test".into()),
        &issuer(),
        |t| t,
    )
    .await;
    let resp = get(&browser(), bridge.url("/room/team")).await;
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    let set: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with("__Host-jb_login_"), "{}", set[0]);
    assert!(
        set[0].contains("; Secure") && set[0].contains("; Path=/;"),
        "{}",
        set[0]
    );
    assert!(
        !set[0].to_ascii_lowercase().contains("domain="),
        "{}",
        set[0]
    );
    bridge.stop().await;
}
