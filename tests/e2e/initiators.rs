//! Who started a login, as the real Chromium says it: the fetch metadata and `Referer` are
//! recorded from Chromium itself for each way a user reaches the bridge (an address typed in,
//! a link another application opens, a link on another site, Jitsi's page sending the user
//! to `tokenAuthUrl`), then sent to the bridge exactly as recorded. Only Jitsi's page may skip
//! the pre-join screen, switch a device on, or hand the token to a Jitsi app; a typed address
//! cannot be told from a link in a mail, so it gets what any other link gets.

use crate::browser::chromium;
use crate::helpers::*;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thirtyfour::prelude::*;

/// The headers the bridge reads to tell who sent the browser.
const READ: &[&str] = &[
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
    "referer",
];

type Seen = Arc<Mutex<HashMap<String, Vec<(String, String)>>>>;

/// A recorder of what Chromium sends to `/record/<case>`, and two pages that lead there: one
/// standing for Jitsi (a button that sets `location.href`, as jitsi-meet's
/// `openTokenAuthUrl` does) and one for any other site (a plain link).
struct Recorder {
    jitsi: String,
    other: String,
    target: String,
    seen: Seen,
}

async fn listen(router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

async fn recorder() -> Recorder {
    let seen: Seen = Arc::default();
    let record = Router::new()
        .route(
            "/record/{case}",
            axum::routing::get(
                |State(seen): State<Seen>, Path(case): Path<String>, headers: HeaderMap| async move {
                    let kept = READ
                        .iter()
                        .filter_map(|k| {
                            let v = headers.get(*k)?.to_str().ok()?;
                            Some(((*k).to_owned(), v.to_owned()))
                        })
                        .collect();
                    seen.lock().unwrap().insert(case, kept);
                    Html("<!doctype html><title>recorded</title><p>recorded</p>")
                },
            ),
        )
        .with_state(seen.clone());
    let target_port = listen(record).await;
    // Another host name than the pages': a different site, as the bridge is for Jitsi.
    let target = format!("http://127.0.0.1:{target_port}");
    let jitsi_page = format!(
        "<!doctype html><title>Jitsi</title><button id=\"go\" \
         onclick=\"location.href='{target}/record/jitsi'\">I am the host</button>"
    );
    let other_page = format!(
        "<!doctype html><title>Elsewhere</title><a id=\"go\" href=\"{target}/record/link\">Join</a>"
    );
    let jitsi_port = listen(Router::new().route(
        "/page",
        axum::routing::get(move || async move { Html(jitsi_page) }),
    ))
    .await;
    let other_port = listen(Router::new().route(
        "/page",
        axum::routing::get(move || async move { Html(other_page) }),
    ))
    .await;
    Recorder {
        jitsi: format!("http://localhost:{jitsi_port}"),
        other: format!("http://localhost:{other_port}"),
        target,
        seen,
    }
}

impl Recorder {
    async fn wait_for(&self, case: &str) -> Vec<(String, String)> {
        for _ in 0..100 {
            if let Some(h) = self.seen.lock().unwrap().get(case) {
                return h.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Chromium never reached /record/{case}");
    }
}

/// What headless Chromium sends in each case, recorded.
async fn record_chromium(rec: &Recorder) -> HashMap<&'static str, Vec<(String, String)>> {
    let browser = chromium("initiators").await;
    let driver = &browser.driver;
    let result = async {
        driver.goto(format!("{}/record/typed", rec.target)).await?;
        driver.goto(format!("{}/page", rec.other)).await?;
        driver.find(By::Id("go")).await?.click().await?;
        let _ = rec.wait_for("link").await;
        driver.goto(format!("{}/page", rec.jitsi)).await?;
        driver.find(By::Id("go")).await?.click().await?;
        let _ = rec.wait_for("jitsi").await;
        WebDriverResult::Ok(())
    }
    .await;
    let _ = browser.driver.clone().quit().await;
    result.expect("browser steps");

    // A link in a mail or chat application: the application hands the URL to the browser
    // on its command line (`xdg-open` does this on Linux; Android and iOS hand it over as an
    // intent or URL open, and Jitsi's apps open `tokenAuthUrl` the same way).
    let profile = std::env::temp_dir().join(format!("bridge-chromium-app-{}", std::process::id()));
    let out = tokio::process::Command::new(
        std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    )
    .args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg("--dump-dom")
    .arg(format!("{}/record/app", rec.target))
    .kill_on_drop(true)
    .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("chromium --dump-dom in time")
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium --dump-dom: {out:?}");

    let mut cases = HashMap::new();
    for case in ["typed", "app", "link", "jitsi"] {
        cases.insert(case, rec.wait_for(case).await);
    }
    cases
}

/// The start of a login with the recorded `headers` (single sign-on: the browser has a
/// Keycloak session), to the bridge's answer at the end of the callback.
async fn replay(
    client: &reqwest::Client,
    bridge: &Bridge,
    path: &str,
    headers: &[(String, String)],
) -> reqwest::Response {
    let mut request = client.get(bridge.url(path));
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let resp = request.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
    let keycloak = client.get(location(resp.headers())).send().await.unwrap();
    assert_eq!(keycloak.status(), StatusCode::FOUND, "single sign-on");
    get(client, location(keycloak.headers())).await
}

/// A link that asks for everything: pre-join skipped, microphone and camera on.
/// (Muted audio stays in, so that what passes is visible.)
const EVERYTHING: &str = "/room/board?state=%7B%22config.startWithAudioMuted%22%3Atrue%2C%22config.startWithVideoMuted%22%3Afalse%2C%22config.prejoinConfig.enabled%22%3Afalse%7D";
/// The state of Jitsi's Android app (`functions.native.ts` adds `android: true`).
const ANDROID: &str = "/room/board?state=%7B%22room%22%3A%22board%22%2C%22config.prejoinConfig.enabled%22%3Afalse%2C%22android%22%3Atrue%7D";

#[tokio::test]
async fn only_jitsis_page_skips_the_prejoin_switches_devices_on_or_opens_the_app() {
    let rec = recorder().await;
    let seen = record_chromium(&rec).await;
    let jitsi = rec.jitsi.clone();
    let bridge = Bridge::spawn_with(move |t| {
        t.replace(
            "url = \"https://meet.example.test\"",
            &format!("url = \"{jitsi}\""),
        )
    })
    .await;

    // What Chromium says of each: a typed address and a link from another application are
    // the same request, so the bridge cannot tell them apart.
    eprintln!("recorded from Chromium: {seen:?}");
    let get = |case: &str, name: &str| {
        seen[case]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    for case in ["typed", "app"] {
        assert_eq!(
            get(case, "sec-fetch-site").as_deref(),
            Some("none"),
            "{case}: {seen:?}"
        );
        assert_eq!(get(case, "referer"), None, "{case}: {seen:?}");
    }
    assert_eq!(seen["typed"], seen["app"]);
    assert_eq!(get("link", "sec-fetch-site").as_deref(), Some("cross-site"));
    assert_eq!(
        get("link", "referer"),
        Some(format!("{}/", rec.other)),
        "{seen:?}"
    );
    assert_eq!(
        get("jitsi", "referer"),
        Some(format!("{}/", rec.jitsi)),
        "{seen:?}"
    );

    let client = signed_in(&bridge).await;
    for case in ["typed", "app", "link"] {
        let resp = replay(&client, &bridge, EVERYTHING, &seen[case]).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{case}");
        let target = location(resp.headers());
        assert_eq!(
            target.fragment(),
            Some("config.startWithAudioMuted=true"),
            "{case}: only the choice that keeps the user private, no prejoin skip"
        );
        // The app flag is not honoured: the token goes to the web page, never to a URL
        // scheme any installed app may claim.
        let resp = replay(&client, &bridge, ANDROID, &seen[case]).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{case}: no app page");
        let target = location(resp.headers());
        assert_eq!(target.scheme(), "http", "{case}: {target}");
        assert_eq!(target.fragment(), None, "{case}: {target}");
    }

    // Jitsi's page: everything it asked for comes back, and the app gets its page.
    let resp = replay(&client, &bridge, EVERYTHING, &seen["jitsi"]).await;
    let target = location(resp.headers());
    assert_eq!(
        target.fragment(),
        Some(
            "config.prejoinConfig.enabled=false&config.startWithAudioMuted=true&config.startWithVideoMuted=false"
        ),
        "{target}"
    );
    let resp = replay(&client, &bridge, ANDROID, &seen["jitsi"]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("href=\"org.jitsi.meet://localhost:"),
        "{page}"
    );
}

/// The headers Chromium sends for a click on a link of the bridge's own page: same-origin,
/// and no `Referer` (the bridge's pages say `Referrer-Policy: no-referrer`).
const OWN_PAGE_CLICK: &[(&str, &str)] = &[
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-dest", "document"),
    ("sec-fetch-user", "?1"),
];

/// The "Try again" link on the page of a login that `start` began and the user cancelled at
/// Keycloak (Keycloak answers `error=access_denied` with the state and, RFC 9207, its name).
async fn cancelled_then_retry(
    bridge: &Bridge,
    start: &[(&'static str, &'static str)],
) -> (reqwest::Client, String) {
    let client = bare_browser();
    let mut request = client.get(bridge.url(EVERYTHING));
    for (k, v) in start {
        request = request.header(*k, *v);
    }
    let authorize = location(request.send().await.unwrap().headers());
    let state = state_of(&authorize);
    let iss: String = url::form_urlencoded::byte_serialize(issuer().as_bytes()).collect();
    let answer = format!("/callback?error=access_denied&state={state}&iss={iss}");
    let resp = client.get(bridge.url(&answer)).send().await.unwrap();
    let page = assert_error_page(resp, StatusCode::FORBIDDEN, "Login cancelled").await;
    let link = hrefs(&page)
        .into_iter()
        .find(|h| h.starts_with("/room/board"))
        .unwrap_or_else(|| panic!("no retry link in {page}"));
    (client, link)
}

/// "Try again" (and "Use another account", built the same way) starts a login that is what
/// the first was: a drive-by start stays untrusted though the click is on the bridge's own page,
/// and Jitsi's start keeps its settings.
#[tokio::test]
async fn a_retry_link_keeps_the_trust_of_the_first_request() {
    let bridge = Bridge::spawn("").await;
    let from_jitsi: &[(&str, &str)] = &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
        ("referer", "https://meet.example.test/"),
    ];
    let drive_by: &[(&str, &str)] = &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
    ];
    for (start, want) in [
        (drive_by, Some("config.startWithAudioMuted=true")),
        (
            from_jitsi,
            Some(
                "config.prejoinConfig.enabled=false&config.startWithAudioMuted=true&config.startWithVideoMuted=false",
            ),
        ),
    ] {
        let (client, link) = cancelled_then_retry(&bridge, start).await;
        let mut request = client.get(bridge.url(&link));
        for (k, v) in OWN_PAGE_CLICK {
            request = request.header(*k, *v);
        }
        let authorize = location(request.send().await.unwrap().headers());
        let target = finish_with_form(&client, &bridge, &authorize, "bob", "bob-password").await;
        assert_eq!(target.fragment(), want, "{link} -> {target}");
    }
}
