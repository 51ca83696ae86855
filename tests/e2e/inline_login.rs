//! Jitsi's inline login and logout (`tokenAuthInline`), end to end in headless Chromium.
//!
//! One loopback origin stands for the Jitsi site: it serves a page that opens the login the
//! way jitsi-meet's `loginWithPopup` does and logs out the way its inline logout does
//! (`docs/upstream-facts.md` §1-§3: `tokenAuthUrl` with `{room}`/`{state}` replaced as
//! `getTokenAuthUrl` does, `&nonce=<64 hex>`, a 500×600 pop-up, only `message` events from its
//! own origin; `tokenLogoutUrl?id_token_hint=<idToken>` in a hidden frame), and passes
//! `/auth/*` unchanged to the bridge, whose `public_url` is `<origin>/auth`. Keycloak is the
//! real one, on another origin.

use crate::browser::chromium;
use crate::helpers::*;
use crate::verifier::verify_like_prosody;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{Html, IntoResponse, Response};
use std::time::Duration;
use thirtyfour::prelude::*;

/// The Jitsi page: what jitsi-meet does for inline login and logout, and nothing more.
const JITSI_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Jitsi stand-in</title></head><body>
<button id="login">I am the host</button>
<button id="bad-login">Log in (stale link)</button>
<button id="logout">Log out</button>
<pre id="result"></pre><pre id="logout-result"></pre>
<script>
const tokenAuthUrl = location.origin + '/auth/room/{room}?state={state}';
const tokenLogoutUrl = location.origin + '/auth/logout';
// functions.web.ts getTokenAuthUrl: {state} is encodeURIComponent(JSON.stringify(state)),
// {room} is the address-bar segment as it is.
function getTokenAuthUrl(room, state) {
  return tokenAuthUrl.replace('{state}', encodeURIComponent(JSON.stringify(state)))
    .replace('{room}', room);
}
let idToken = null;
// actions.web.ts loginWithPopup: 500x600 pop-up, '&nonce=' appended, own origin only.
function loginWithPopup(url) {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  const nonce = Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem('oauth_nonce', nonce);
  const popup = window.open(url + '&nonce=' + nonce, 'oauth', 'width=500,height=600');
  const onMessage = event => {
    if (event.origin !== window.location.origin) { return; }
    if (event.data.type === 'oauth-success' || event.data.type === 'oauth-error') {
      window.removeEventListener('message', onMessage);
      idToken = event.data.idToken || null;
      document.getElementById('result').textContent = JSON.stringify(event.data);
      popup.close();
    }
  };
  window.addEventListener('message', onMessage);
}
document.getElementById('login').onclick = () => loginWithPopup(getTokenAuthUrl(
  'Quarterly%20Review',
  { room: 'Quarterly%20Review', roomSafe: 'quarterly%20review', tenant: 'acme',
    'config.prejoinConfig.enabled': false }));
document.getElementById('bad-login').onclick = () => loginWithPopup(getTokenAuthUrl(
  'Quarterly%20Review', { room: 'Other', roomSafe: 'other' }));
// settings/actions.web.ts: inline logout in a hidden frame, waiting for logout-success.
document.getElementById('logout').onclick = () => {
  const frame = document.createElement('iframe');
  frame.style.display = 'none';
  const onMessage = event => {
    if (event.origin !== window.location.origin) { return; }
    if (event.data.type === 'logout-success') {
      window.removeEventListener('message', onMessage);
      document.getElementById('logout-result').textContent = JSON.stringify(event.data);
      frame.remove();
    }
  };
  window.addEventListener('message', onMessage);
  const sep = tokenLogoutUrl.includes('?') ? '&' : '?';
  frame.src = tokenLogoutUrl + sep + 'id_token_hint=' + encodeURIComponent(idToken);
  document.body.appendChild(frame);
};
</script></body></html>"#;

/// Passes a request on to the bridge unchanged, as a reverse proxy with
/// `location /auth/ { proxy_pass http://bridge; }` does.
async fn to_bridge(State(upstream): State<String>, request: Request) -> Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let target = format!(
        "{upstream}{}",
        request.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let mut forward = client.request(request.method().clone(), target);
    for (name, value) in request.headers() {
        if name != axum::http::header::HOST {
            forward = forward.header(name, value);
        }
    }
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let answer = forward.body(body).send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

async fn jitsi_page() -> impl IntoResponse {
    Html(JITSI_PAGE)
}

/// Waits until the element's text is not empty.
async fn text_of(driver: &WebDriver, id: &str) -> WebDriverResult<String> {
    for _ in 0..150 {
        let text = driver.find(By::Id(id)).await?.text().await?;
        if !text.is_empty() {
            return Ok(text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(String::new())
}

/// Clicks `button` on the Jitsi page and returns the pop-up's window handle.
async fn open_popup(
    driver: &WebDriver,
    main: &WindowHandle,
    button: &str,
) -> WebDriverResult<WindowHandle> {
    driver.find(By::Id(button)).await?.click().await?;
    // Up to 30 s: on two busy cores Chromium has taken more than 10 s to open a window.
    for _ in 0..300 {
        if let Some(w) = driver.windows().await?.into_iter().find(|w| w != main) {
            return Ok(w);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no pop-up opened");
}

#[tokio::test]
async fn inline_login_posts_the_token_to_the_jitsi_page_and_inline_logout_ends_the_session() {
    // The Jitsi origin and, under /auth, the bridge.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", site.local_addr().unwrap());
    let bridge_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", bridge_listener.local_addr().unwrap());
    let bridge = Bridge::spawn_on(
        bridge_listener,
        Some(format!("{origin}/auth")),
        &issuer(),
        |t| {
            t.replace(
                "url = \"https://meet.example.test\"",
                &format!("url = \"{origin}\""),
            )
        },
    )
    .await;
    let app = axum::Router::new()
        .route("/meet.html", axum::routing::get(jitsi_page))
        .fallback(to_bridge)
        .with_state(upstream);
    let server = tokio::spawn(async move { axum::serve(site, app).await });

    let browser = chromium("inline").await;
    let driver = &browser.driver;
    let flow = async {
        driver.goto(format!("{origin}/meet.html")).await?;
        let main = driver.window().await?;

        // A stale link: the pop-up's error page tells the Jitsi page at once.
        open_popup(driver, &main, "bad-login").await?;
        let failed = text_of(driver, "result").await?;
        driver
            .execute("document.getElementById('result').textContent = ''", vec![])
            .await?;

        // The real login: Keycloak's form in the pop-up.
        let popup = open_popup(driver, &main, "login").await?;
        driver.switch_to_window(popup).await?;
        driver
            .query(By::Id("username"))
            .first()
            .await?
            .send_keys("alice")
            .await?;
        driver
            .find(By::Id("password"))
            .await?
            .send_keys("alice-password")
            .await?;
        driver.find(By::Id("kc-login")).await?.click().await?;
        driver.switch_to_window(main.clone()).await?;
        let success = text_of(driver, "result").await?;
        let windows = driver.windows().await?.len();

        // Inline logout in a hidden frame.
        driver.find(By::Id("logout")).await?.click().await?;
        let logged_out = text_of(driver, "logout-result").await?;

        // The Keycloak session is over: the next login asks for the password again.
        driver.goto(format!("{origin}/auth/room/after")).await?;
        let form_again = driver.query(By::Id("username")).first().await.is_ok();
        WebDriverResult::Ok((failed, success, windows, logged_out, form_again))
    }
    .await;
    let _ = browser.driver.clone().quit().await;
    server.abort();
    let (failed, success, windows, logged_out, form_again) = flow.expect("browser flow");

    let failed: serde_json::Value = serde_json::from_str(&failed).expect("an oauth-error message");
    assert_eq!(failed["type"], "oauth-error", "{failed}");
    assert_eq!(failed["error"], "This meeting link does not work");

    let success: serde_json::Value =
        serde_json::from_str(&success).expect("an oauth-success message");
    assert_eq!(success["type"], "oauth-success", "{success}");
    let claims = verify_like_prosody(
        success["accessToken"].as_str().unwrap(),
        JITSI_SECRET,
        "jitsi-bridge",
        "jitsi",
    );
    assert_eq!(claims.custom.room, "quarterly%20review");
    assert_eq!(claims.subject.as_deref(), Some("acme"));
    assert_eq!(claims.custom.context["user"]["affiliation"], "owner");
    let id_token = success["idToken"].as_str().unwrap();
    assert!(
        !id_token.is_empty() && !id_token.starts_with("eyJ"),
        "sealed: {id_token}"
    );
    assert!(success.get("refreshToken").is_none());
    assert_eq!(windows, 1, "the Jitsi page closed the pop-up");

    assert_eq!(logged_out, r#"{"type":"logout-success"}"#);
    assert!(
        form_again,
        "Keycloak asks for the password again after the inline logout"
    );
    bridge.stop().await;
}
