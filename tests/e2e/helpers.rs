//! Spawning a bridge against the test Keycloak, and a browser-like HTTP client.

use jitsi_oidc_bridge::App;
use jitsi_oidc_bridge::clock::SystemClock;
use jitsi_oidc_bridge::config::Config;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use scraper::{Html, Selector};
use std::sync::Arc;
use url::Url;

pub const CLIENT_SECRET: &str = "bridge-test-secret-change-me";
pub const JITSI_SECRET: &str = "e2e-jitsi-shared-secret-0123456789abcdef";
pub const JITSI_URL: &str = "https://meet.example.test";

/// The Keycloak base URL given by `make test`; fails loudly when missing or unreachable.
pub fn keycloak_url() -> String {
    match std::env::var("E2E_KEYCLOAK_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "E2E_KEYCLOAK_URL is not set. These tests need a real Keycloak: run `make test`, \
             which downloads Keycloak, starts it with tests/keycloak/*-realm.json and sets the variable."
        ),
    }
}

/// Keycloak's address, for a proxy in front of it.
pub fn keycloak_upstream() -> std::net::SocketAddr {
    let kc = Url::parse(&keycloak_url()).unwrap();
    format!("{}:{}", kc.host_str().unwrap(), kc.port().unwrap())
        .parse()
        .unwrap()
}

pub fn issuer() -> String {
    format!("{}/realms/jitsi", keycloak_url())
}

/// A loopback port free now, for a process that binds it itself (the binary, a container).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Bridge {
    pub base: Url,
    pub metrics: Option<std::net::SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Bridge {
    /// Starts a bridge whose config is the default test config plus `extra` TOML lines
    /// (a later key in `extra` cannot repeat one in the default; use `spawn_with` for that).
    pub async fn spawn(extra: &str) -> Bridge {
        Self::spawn_with(|toml| format!("{toml}\n{extra}")).await
    }

    /// Starts a bridge whose config text is `edit(default config)`.
    pub async fn spawn_with(edit: impl FnOnce(String) -> String) -> Bridge {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::spawn_on(listener, None, &issuer(), edit).await
    }

    /// Starts a bridge on `listener`, with `public_url` (default: its own address) and the
    /// Keycloak issuer `issuer`.
    pub async fn spawn_on(
        listener: tokio::net::TcpListener,
        public_url: Option<String>,
        issuer: &str,
        edit: impl FnOnce(String) -> String,
    ) -> Bridge {
        let addr = listener.local_addr().unwrap();
        let own = format!("http://{addr}");
        let public = public_url.unwrap_or_else(|| own.clone());
        let toml = default_config(&public, issuer);
        let config = Config::from_toml(&edit(toml)).unwrap_or_else(|e| panic!("test config: {e}"));
        let app = App::with_listener(config, Arc::new(SystemClock), listener).unwrap();
        let metrics = app.metrics_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Bridge {
            base: Url::parse(&own).unwrap(),
            metrics,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.as_str().trim_end_matches('/'), path)
    }

    /// A handle for a bridge (or load balancer) at `base` that this test does not run.
    pub fn detached(base: &str) -> Bridge {
        Bridge {
            base: Url::parse(base).unwrap(),
            metrics: None,
            stop: None,
            task: None,
        }
    }

    /// Shuts down gracefully and waits until the port is free.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

pub fn default_config(public_url: &str, issuer: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "{public_url}"
[oidc]
issuer = "{issuer}"
client_id = "jitsi-bridge"
client_secret = "{CLIENT_SECRET}"
http_timeout_secs = 5
[login]
cookie_key = "e2e-cookie-key-0123456789abcdef0123456789"
[jitsi]
url = "{JITSI_URL}"
app_id = "jitsi-bridge"
audience = "jitsi"
subject = "meet.jitsi"
secret = "{JITSI_SECRET}"
[moderators]
groups = ["moderators"]
client_roles = ["moderator"]
"#
    )
}

/// A browser that Jitsi's page sends to the bridge: a cookie jar, no automatic redirects
/// (every hop is asserted), and the fetch metadata and `Referer` Chromium sends when
/// jitsi-meet's "I am the host" or login button sets `location.href = tokenAuthUrl` (a click,
/// cross-site, and the Jitsi origin under the default `strict-origin-when-cross-origin`
/// referrer policy). The same headers go to Keycloak, which does not look at them.
pub fn browser() -> reqwest::Client {
    with_headers(&[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
        ("referer", "https://meet.example.test/"),
    ])
}

/// A browser whose user opened the link themselves: typed, a bookmark, or a link another
/// application (mail, chat, Jitsi's mobile apps) handed to the browser; Chromium sends the
/// same for all three (`tests/e2e/initiators.rs` records it).
pub fn typing_browser() -> reqwest::Client {
    with_headers(&[
        ("sec-fetch-site", "none"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
    ])
}

fn with_headers(pairs: &[(&'static str, &'static str)]) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    for (k, v) in pairs {
        headers.insert(*k, reqwest::header::HeaderValue::from_static(v));
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A browser without fetch metadata of its own: each request says where it came from.
pub fn bare_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(headers: &HeaderMap) -> Url {
    let loc = headers
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap();
    Url::parse(loc).unwrap_or_else(|e| panic!("Location {loc:?}: {e}"))
}

/// `GET /room/<raw path>` → the authorization URL of whichever realm serves it.
pub async fn start_login_any(client: &reqwest::Client, bridge: &Bridge, raw_room: &str) -> Url {
    let resp = client
        .get(bridge.url(&format!("/room/{raw_room}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "GET /room/{raw_room}");
    location(resp.headers())
}

/// `GET /room/<raw path segment>` → the Keycloak authorization URL.
pub async fn start_login(client: &reqwest::Client, bridge: &Bridge, raw_room: &str) -> Url {
    let resp = client
        .get(bridge.url(&format!("/room/{raw_room}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "GET /room/{raw_room}: {}",
        resp.text().await.unwrap_or_default()
    );
    let to = location(resp.headers());
    assert!(
        to.as_str().starts_with(&issuer()),
        "login goes to Keycloak, not {to}"
    );
    to
}

/// Loads Keycloak's login page and returns the form's action (HTML-unescaped by the parser).
pub async fn login_form(client: &reqwest::Client, authorize: &Url) -> Url {
    let resp = client.get(authorize.clone()).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "Keycloak shows its login page"
    );
    form_action(&resp.text().await.unwrap()).expect("form#kc-form-login")
}

/// Every link's target on a page, as the browser reads it (entities decoded).
pub fn hrefs(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("a[href]").unwrap();
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

pub fn form_action(html: &str) -> Option<Url> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("form#kc-form-login").unwrap();
    let action = doc.select(&sel).next()?.value().attr("action")?.to_owned();
    Url::parse(&action).ok()
}

/// `url` with its query edited as a browser (or the user in it) may: each pair is kept, changed
/// or, for `None`, dropped.
pub fn with_query(url: &Url, edit: impl Fn(&str, &str) -> Option<(String, String)>) -> Url {
    let mut edited = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter_map(|(k, v)| edit(&k, &v))
        .collect();
    edited.query_pairs_mut().clear().extend_pairs(pairs);
    edited
}

/// Posts the credentials as the browser would; returns Keycloak's response.
pub async fn submit(
    client: &reqwest::Client,
    action: &Url,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(action.clone())
        .form(&[
            ("username", user),
            ("password", password),
            ("credentialId", ""),
        ])
        .send()
        .await
        .unwrap()
}

/// From Keycloak's redirect to the bridge's callback, through the callback, to the final URL.
pub async fn follow_callback(
    client: &reqwest::Client,
    bridge: &Bridge,
    keycloak_response: reqwest::Response,
) -> Url {
    assert_eq!(
        keycloak_response.status(),
        StatusCode::FOUND,
        "Keycloak redirects back after login"
    );
    let callback = location(keycloak_response.headers());
    assert!(
        callback.as_str().starts_with(&bridge.url("/callback?")),
        "back to the bridge: {callback}"
    );
    let resp = client.get(callback).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "callback: {}",
        resp.text().await.unwrap_or_default()
    );
    location(resp.headers())
}

/// Fills in Keycloak's form behind `authorize` and follows the callback.
pub async fn finish_with_form(
    client: &reqwest::Client,
    bridge: &Bridge,
    authorize: &Url,
    user: &str,
    password: &str,
) -> Url {
    let action = login_form(client, authorize).await;
    let resp = submit(client, &action, user, password).await;
    follow_callback(client, bridge, resp).await
}

/// Starts a login for `raw_room` and comes back the way Keycloak does when the user declines
/// (`error=access_denied`); returns the error page's body.
pub async fn cancelled_login(client: &reqwest::Client, bridge: &Bridge, raw_room: &str) -> String {
    let authorize = start_login(client, bridge, raw_room).await;
    let state = state_of(&authorize);
    // Keycloak names itself in error answers too (RFC 9207).
    let iss: String = url::form_urlencoded::byte_serialize(issuer().as_bytes()).collect();
    let url = bridge.url(&format!(
        "/callback?error=access_denied&error_description=denied&state={state}&iss={iss}"
    ));
    assert_error_page(
        client.get(url).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "Login cancelled",
    )
    .await
}

/// A full password login for `raw_room` as `user`; returns the URL the bridge sends to.
pub async fn login(
    client: &reqwest::Client,
    bridge: &Bridge,
    raw_room: &str,
    user: &str,
    password: &str,
) -> Url {
    let authorize = start_login(client, bridge, raw_room).await;
    finish_with_form(client, bridge, &authorize, user, password).await
}

/// Like [`login`], but passes through silently when Keycloak already knows the browser.
pub async fn login_or_sso(
    client: &reqwest::Client,
    bridge: &Bridge,
    raw_room: &str,
    user: &str,
    password: &str,
) -> Url {
    let authorize = start_login(client, bridge, raw_room).await;
    sso_or_form(client, bridge, authorize, user, password).await
}

/// [`login_or_sso`] for any realm, with `<user>-password`.
pub async fn login_or_sso_any(
    client: &reqwest::Client,
    bridge: &Bridge,
    raw_room: &str,
    user: &str,
) -> Url {
    let authorize = start_login_any(client, bridge, raw_room).await;
    sso_or_form(client, bridge, authorize, user, &format!("{user}-password")).await
}

async fn sso_or_form(
    client: &reqwest::Client,
    bridge: &Bridge,
    authorize: Url,
    user: &str,
    password: &str,
) -> Url {
    let resp = client.get(authorize).send().await.unwrap();
    if resp.status() == StatusCode::FOUND {
        return follow_callback(client, bridge, resp).await;
    }
    let action = form_action(&resp.text().await.unwrap()).expect("form#kc-form-login");
    let resp = submit(client, &action, user, password).await;
    follow_callback(client, bridge, resp).await
}

/// The `state` parameter of a Keycloak authorization URL.
pub fn state_of(authorize: &Url) -> String {
    authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("a state parameter")
        .1
        .into_owned()
}

/// The `jwt` query parameter of a Jitsi URL.
pub fn jwt_of(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
        .expect("a jwt parameter")
}

/// Asserts an error page: status, HTML, request id shown and sent, no redirect, no token.
pub async fn assert_error_page(resp: reqwest::Response, status: StatusCode, text: &str) -> String {
    assert_eq!(resp.status(), status);
    assert!(
        resp.headers().get(LOCATION).is_none(),
        "an error page never redirects"
    );
    let request_id = resp
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap()
        .to_owned();
    let ct = resp
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store");
    let body = resp.text().await.unwrap();
    assert!(body.contains(&request_id), "the page shows the request id");
    assert!(body.contains(text), "page should say {text:?}: {body}");
    assert!(!body.contains("eyJ"), "no token on an error page");
    body
}

/// The Prometheus text of a bridge's metrics listener.
pub async fn metrics_text(addr: std::net::SocketAddr) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the series whose line starts with `series` (`name{labels}`), 0 if absent.
pub async fn metric_value(bridge: &Bridge, series: &str) -> f64 {
    let text = metrics_text(bridge.metrics.expect("metrics address")).await;
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// A browser without default fetch metadata that has logged in once (a link the user opened
/// themselves), so that Keycloak knows it.
pub async fn signed_in(bridge: &Bridge) -> reqwest::Client {
    let client = bare_browser();
    let first = client
        .get(bridge.url("/room/morning"))
        .header("sec-fetch-site", "none")
        .header("sec-fetch-user", "?1")
        .send()
        .await
        .unwrap();
    let authorize = location(first.headers());
    finish_with_form(&client, bridge, &authorize, "bob", "bob-password").await;
    client
}

/// A navigation from `/room` to the end of the login, single sign-on (the browser already has
/// a Keycloak session), with `headers` on the first request only, as they describe how it
/// started; returns the Jitsi URL.
pub async fn navigate(
    client: &reqwest::Client,
    bridge: &Bridge,
    path: &str,
    headers: &[(&'static str, &'static str)],
) -> url::Url {
    let mut request = client.get(bridge.url(path));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let resp = request.send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER, "{path}");
    let keycloak = client.get(location(resp.headers())).send().await.unwrap();
    assert_eq!(
        keycloak.status(),
        reqwest::StatusCode::FOUND,
        "single sign-on: no form"
    );
    follow_callback(client, bridge, keycloak).await
}

/// `scripts/keycloak.sh` starts Keycloak with this bootstrap admin.
pub const KEYCLOAK_ADMIN: (&str, &str) = ("admin", "admin");

/// A token of Keycloak's bootstrap admin, for the admin API.
pub async fn admin_token() -> String {
    let resp: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/realms/master/protocol/openid-connect/token",
            keycloak_url()
        ))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "admin-cli"),
            ("username", KEYCLOAK_ADMIN.0),
            ("password", KEYCLOAK_ADMIN.1),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    resp["access_token"]
        .as_str()
        .expect("admin token")
        .to_owned()
}

/// The Content-Security-Policy of a response.
pub fn csp_of(resp: &reqwest::Response) -> String {
    resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `GET url` with `client`, sent (the tests' most common request).
pub async fn get(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

/// A request to Keycloak's admin API (`/admin/realms<path>`) as the bootstrap admin.
pub async fn admin(
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/admin/realms{path}", keycloak_url()))
        .bearer_auth(admin_token().await);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// `GET /admin/realms<path>` as JSON.
pub async fn admin_get(path: &str) -> serde_json::Value {
    admin(reqwest::Method::GET, path, None)
        .await
        .json()
        .await
        .unwrap()
}
