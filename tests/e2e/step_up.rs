//! Rooms that need a second factor, against the real Keycloak. `setup-keycloak` builds the
//! step-up flow in a fresh realm (and `doctor` approves it); then olga, who has a password and
//! an OTP credential, enters a normal room with her password and the board room only after the
//! OTP step, also when already signed in at level 1; oskar, who has no OTP credential, is
//! refused with the way forward; and logins whose `acr_values` the browser stripped or lowered
//! on its way to Keycloak are refused, because the bridge checks the ID token's `acr`.

use crate::helpers::*;
use crate::setup_keycloak::{Fixture, doctor, fresh_realm, setup};
use crate::verifier::verify_like_prosody;
use reqwest::StatusCode;
use totp_rs::{Algorithm, TOTP};
use url::Url;

/// Olga's OTP secret as Keycloak stores it (`secretData.value`): Keycloak's TOTP uses these
/// bytes as the HMAC key (the QR code shows their base32).
const OLGA_OTP: &str = "olga-totp-secret-0123";

pub(crate) const STEP_UP: &str = r#"
[step_up]
levels = { password = 1, otp = 2 }
[[rules]]
name = "board room"
rooms = ["board*"]
level = "otp"
"#;

/// An OTP code for a step no earlier login used: Keycloak refuses a code twice (its default
/// policy), and accepts the next step's code (its look-around window of one step).
struct Authenticator {
    totp: TOTP,
    last_step: u64,
}

impl Authenticator {
    fn new(secret: &str) -> Self {
        Self {
            totp: TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret.as_bytes().to_vec()),
            last_step: 0,
        }
    }

    fn code(&mut self) -> String {
        use jitsi_oidc_bridge::clock::{Clock, SystemClock};
        let now = SystemClock.now();
        let step = (now / 30).max(self.last_step + 1);
        assert!(
            step <= now / 30 + 1,
            "more than two OTP logins in one 30 s step"
        );
        self.last_step = step;
        self.totp.generate(step * 30)
    }
}

/// Keycloak's OTP form on `page`, if it is one: its action.
fn otp_form(page: &str) -> Option<Url> {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse("form#kc-otp-login-form").unwrap();
    let action = doc.select(&sel).next()?.value().attr("action")?.to_owned();
    Url::parse(&action).ok()
}

/// Posts the code as the browser does (login-otp.ftl: the `otp` field and the submit button).
async fn submit_otp(client: &reqwest::Client, action: &Url, code: &str) -> reqwest::Response {
    client
        .post(action.clone())
        .form(&[("otp", code), ("login", "Sign In")])
        .send()
        .await
        .unwrap()
}

/// Whatever Keycloak shows at `authorize`: the password form, the OTP form, or a redirect.
enum Step {
    Password(Url),
    Otp(Url),
    Back(reqwest::Response),
}

async fn step(resp: reqwest::Response) -> Step {
    if resp.status() == StatusCode::FOUND {
        return Step::Back(resp);
    }
    assert_eq!(resp.status(), StatusCode::OK, "Keycloak shows a form");
    let page = resp.text().await.unwrap();
    if let Some(action) = otp_form(&page) {
        return Step::Otp(action);
    }
    Step::Password(form_action(&page).unwrap_or_else(|| panic!("a Keycloak form: {page}")))
}

/// Keycloak's whole login behind `authorize`; `otp` answers the OTP form if it comes. Returns
/// the callback's response and whether the OTP form was shown.
async fn keycloak_login(
    client: &reqwest::Client,
    authorize: &Url,
    user: &str,
    otp: Option<&mut Authenticator>,
) -> (reqwest::Response, bool) {
    let mut resp = client.get(authorize.clone()).send().await.unwrap();
    let mut otp = otp;
    let mut asked = false;
    loop {
        match step(resp).await {
            Step::Back(r) => {
                let callback = location(r.headers());
                let resp = client.get(callback).send().await.unwrap();
                return (resp, asked);
            }
            Step::Password(action) => {
                resp = submit(client, &action, user, &format!("{user}-password")).await;
            }
            Step::Otp(action) => {
                asked = true;
                let Some(auth) = otp.as_deref_mut() else {
                    panic!("{user} was asked for an OTP code");
                };
                resp = submit_otp(client, &action, &auth.code()).await;
            }
        }
    }
}

fn acr_values(authorize: &Url) -> Option<String> {
    authorize
        .query_pairs()
        .find(|(k, _)| k == "acr_values")
        .map(|(_, v)| v.into_owned())
}

// Several threads: the bridge under test must answer the doctor run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_room_needs_the_otp_step_and_a_lower_acr_is_refused() {
    let users = serde_json::json!([
        {
            "username": "olga", "enabled": true, "email": "olga@example.test",
            "emailVerified": true, "firstName": "Olga", "lastName": "Otp",
            "credentials": [
                {"type": "password", "value": "olga-password", "temporary": false},
                {"type": "otp", "userLabel": "phone",
                 "secretData": format!("{{\"value\":\"{OLGA_OTP}\"}}"),
                 "credentialData": "{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,\"algorithm\":\"HmacSHA1\"}"}
            ]
        },
        {
            "username": "oskar", "enabled": true, "email": "oskar@example.test",
            "emailVerified": true, "firstName": "Oskar", "lastName": "Password",
            "credentials": [{"type": "password", "value": "oskar-password", "temporary": false}]
        }
    ]);
    let Fixture {
        issuer,
        password,
        listener,
        toml,
        config,
        ..
    } = fresh_realm("stepup", users).await;
    let toml = format!("{toml}{STEP_UP}");
    std::fs::write(&config, &toml).unwrap();

    // setup-keycloak: the mapping, the flow and its binding; a second run changes nothing.
    let (code, out) = setup(&config, &password, &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    for want in [
        "create the client",
        "create the browser flow \"jitsi-oidc-bridge step-up\": the password = level 1 (password, valid 36000 s), an OTP code = level 2 (otp, valid 0 s)",
        "use the flow \"jitsi-oidc-bridge step-up\" for this client's browser logins",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = setup(&config, &password, &[]);
    assert_eq!((code, out.trim()), (0, "no changes"), "{out}");
    let bridge = Bridge::spawn_on(listener, None, &issuer, |_| toml.clone()).await;
    let (_, out) = doctor(&config, Some(&password));
    for want in [
        "✔ client jitsi-bridge: the step-up flow \"jitsi-oidc-bridge step-up\": the password = level 1",
        "✔ client jitsi-bridge: the step-up flow \"jitsi-oidc-bridge step-up\" is the client's browser flow",
        "✔ client jitsi-bridge: redirect URI, PKCE S256 and flows as required",
    ] {
        assert!(out.contains(want), "doctor: {want}\n{out}");
    }
    let mut olga_phone = Authenticator::new(OLGA_OTP);

    // Olga: a normal room with her password alone; the bridge asks for no level there.
    let olga = browser();
    let authorize = start_login_any(&olga, &bridge, "lunch").await;
    assert_eq!(acr_values(&authorize), None);
    let (resp, asked) = keycloak_login(&olga, &authorize, "olga", None).await;
    assert!(!asked);
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let target = location(resp.headers());
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "lunch");

    // The board room, signed in at level 1: Keycloak asks only for the OTP code, and she is in.
    let authorize = start_login_any(&olga, &bridge, "board").await;
    assert_eq!(acr_values(&authorize).as_deref(), Some("otp"));
    let (resp, asked) = keycloak_login(&olga, &authorize, "olga", Some(&mut olga_phone)).await;
    assert!(asked, "the OTP step");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let target = location(resp.headers());
    let claims = verify_like_prosody(&jwt_of(&target), JITSI_SECRET, "jitsi-bridge", "jitsi");
    assert_eq!(claims.custom.room, "board");

    // Oskar has no OTP credential: Keycloak ends his login at level 1 (it does not make him
    // register one after the password alone), and the bridge shows the way forward.
    let oskar = browser();
    let authorize = start_login_any(&oskar, &bridge, "board").await;
    let (resp, asked) = keycloak_login(&oskar, &authorize, "oskar", None).await;
    assert!(!asked);
    let page = assert_error_page(resp, StatusCode::FORBIDDEN, "A stronger sign-in is needed").await;
    let links = hrefs(&page);
    assert!(
        links
            .iter()
            .any(|l| l == &format!("{issuer}/account/account-security/signing-in")),
        "the account console: {links:?}"
    );
    assert!(
        links.iter().any(|l| l.starts_with("/room/board")),
        "try again: {links:?}"
    );

    // The question travels through the browser: stripped or lowered on the way, Keycloak
    // answers at level 1, and the bridge refuses what it did not ask for.
    for tamper in ["stripped", "lowered"] {
        let fresh = browser();
        let authorize = start_login_any(&fresh, &bridge, "board").await;
        let authorize = with_query(&authorize, |k, v| match (k, tamper) {
            ("acr_values", "stripped") => None,
            ("acr_values", _) => Some((k.into(), "password".into())),
            _ => Some((k.into(), v.into())),
        });
        let (resp, asked) = keycloak_login(&fresh, &authorize, "olga", None).await;
        assert!(!asked, "{tamper}: Keycloak asked for no OTP");
        assert_error_page(resp, StatusCode::FORBIDDEN, "A stronger sign-in is needed").await;

        // Trying again from the page asks for the level again: in after the OTP step.
        if tamper == "lowered" {
            let retry = start_login_any(&fresh, &bridge, "board").await;
            let (resp, asked) = keycloak_login(&fresh, &retry, "olga", Some(&mut olga_phone)).await;
            assert!(asked);
            assert_eq!(
                resp.status(),
                StatusCode::SEE_OTHER,
                "{tamper}: in after the OTP"
            );
        }
    }
    bridge.stop().await;
}
