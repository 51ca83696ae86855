//! `jitsi-oidc-bridge doctor`: checks the whole chain of a live deployment, one line per check
//! (✔ or ✘ with the fix and the troubleshooting section that explains it). The exit status is
//! 1 when any check fails.
//!
//! Keycloak: discovery with the issuer exactly as configured, the keys, the client secret
//! (a token-endpoint call with a made-up code: `invalid_grant` means the secret was accepted,
//! `invalid_client` that it was not), and with admin credentials the client's settings and
//! mappers (the plan `setup-keycloak` would carry out must be empty). The bridge: its public
//! URL answers, the clocks agree. Jitsi, when its URL answers: `config.js` names this bridge
//! in `tokenAuthUrl` and `tokenLogoutUrl`, and the XMPP domain is the token's `sub`; with
//! RS256 the key server serves the current key. Finally a sample token passes the checks
//! Prosody makes with the printed settings.

use crate::clock::Clock;
use crate::config::Config;
use crate::jitsi::room::RoomName;
use crate::jitsi::token::Minter;
use crate::keycloak::admin::{Admin, Credentials};
use crate::keycloak::setup;
use crate::policy::claims::Identity;
use crate::policy::rules::{Decision, Role};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::fmt::Write;
use std::time::Duration;

const GUIDE: &str = "docs/troubleshooting.md";

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be made from here (nothing to compare with, a peer not reachable): said so,
    /// with what would make it possible, and not counted as a pass in the line's wording.
    Unchecked,
}

/// One check's outcome.
pub struct Check {
    pub verdict: Verdict,
    pub what: String,
    /// The fix, and where to read more, when it failed; what would allow it when unchecked.
    pub fix: String,
}

fn pass(what: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Pass,
        what: what.into(),
        fix: String::new(),
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>, section: &str) -> Check {
    Check {
        verdict: Verdict::Fail,
        what: what.into(),
        fix: format!("{} (see {GUIDE}#{section})", fix.into()),
    }
}

fn unchecked(what: impl Into<String>, how: impl Into<String>) -> Check {
    Check {
        verdict: Verdict::Unchecked,
        what: what.into(),
        fix: how.into(),
    }
}

/// Largest clock difference accepted. Prosody checks `nbf` and `exp` without leeway and the
/// bridge allows 60 s on the ID token's times; a few seconds is what NTP-synchronised
/// machines show, 10 s leaves room for the time a request takes.
const MAX_SKEW_SECS: i64 = 10;

/// Another machine's clock as seen from here: `theirs` read when `ours` was.
struct ClockReading {
    whose: String,
    skew: i64,
}

impl ClockReading {
    fn new(whose: impl Into<String>, ours: u64, theirs: i64) -> Self {
        Self {
            whose: whose.into(),
            skew: i64::try_from(ours).unwrap_or(i64::MAX) - theirs,
        }
    }

    /// From an HTTP `Date` header (Keycloak 26 sends none; nginx in front of Jitsi does).
    fn from_date(whose: &str, ours: u64, headers: &reqwest::header::HeaderMap) -> Option<Self> {
        let date = headers.get(reqwest::header::DATE)?.to_str().ok()?;
        let theirs = chrono::DateTime::parse_from_rfc2822(date).ok()?.timestamp();
        Some(Self::new(whose, ours, theirs))
    }
}

/// One line for all clock readings: Keycloak's clock matters for the ID token's times,
/// Jitsi's for the `nbf`/`exp` Prosody checks on the bridge's tokens.
fn clocks(readings: &[ClockReading]) -> Check {
    if readings.is_empty() {
        return unchecked(
            "the clocks were not compared: Keycloak sends no Date header and Jitsi did not answer",
            "give admin credentials or --test-user, whose tokens carry Keycloak's time",
        );
    }
    let off: Vec<&ClockReading> = readings
        .iter()
        .filter(|r| r.skew.abs() > MAX_SKEW_SECS)
        .collect();
    let list = |rs: &[&ClockReading]| {
        rs.iter()
            .map(|r| format!("{} {:+} s", r.whose, r.skew))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if off.is_empty() {
        pass(format!(
            "this machine's clock agrees with {}",
            list(&readings.iter().collect::<Vec<_>>())
        ))
    } else {
        fail(
            format!("this machine's clock is off: {}", list(&off)),
            "synchronise the clocks (NTP); Prosody allows no skew on a token's nbf",
            "clocks",
        )
    }
}

/// A test user whose login `doctor` goes through, as a browser would.
pub struct TestUser {
    pub name: String,
    pub password: secrecy::SecretString,
}

/// Runs every check; `admin` adds the checks that need Keycloak's admin API, `user` a real
/// login through Keycloak's form and the claims it brings.
pub async fn run(
    config: &Config,
    admin: Option<&Credentials>,
    user: Option<&TestUser>,
    clock: &dyn Clock,
) -> Vec<Check> {
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => return vec![fail("an HTTP client", e.to_string(), "tools")],
    };
    let mut out = vec![pass("the configuration is valid")];
    let mut readings = Vec::new();
    out.push(public_url(config, &http).await);
    for rc in std::iter::once(&config.realm).chain(config.tenants.values()) {
        out.extend(keycloak(rc, config, &http, clock, &mut readings).await);
    }
    if let Some(creds) = admin {
        out.extend(keycloak_admin(config, creds, clock, &mut readings).await);
    }
    if let Some(u) = user {
        out.push(test_login(config, u, clock, &mut readings).await);
    }
    out.extend(jitsi(config, &http, clock, &mut readings).await);
    out.push(clocks(&readings));
    out.push(sample_token(config, clock.now()));
    out
}

/// Logs `user` in through Keycloak's own form (code flow, PKCE, nonce, exactly as the bridge
/// does) and looks at the ID token's claims: what a missing mapper leaves out shows here.
async fn test_login(
    config: &Config,
    user: &TestUser,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Check {
    let what = format!("a test login as {}", user.name);
    match login_claims(config, user).await {
        Ok(claims) => {
            if let Some(iat) = claims["iat"].as_i64() {
                readings.push(ClockReading::new(
                    "Keycloak (the test login's ID token)",
                    clock.now(),
                    iat,
                ));
            }
            let who = Identity::from_claims(&claims, &config.realm.oidc.client_id);
            let Some(who) = who else {
                return fail(what, "the ID token has no sub", "no_subject");
            };
            // Only what the configuration asks about matters.
            let whos: Vec<&crate::policy::rules::Who> = std::iter::once(&config.realm.moderators)
                .chain(config.tenants.values().map(|r| &r.moderators))
                .chain(std::iter::once(&config.policy.access.who))
                .chain(config.policy.rules.iter().map(|r| &r.who))
                .collect();
            let mut missing = Vec::new();
            if whos.iter().any(|w| !w.groups.is_empty()) && !who.has_groups {
                missing.push("groups");
            }
            if whos.iter().any(|w| !w.realm_roles.is_empty()) && !who.has_realm_roles {
                missing.push("realm roles");
            }
            if whos.iter().any(|w| !w.client_roles.is_empty()) && !who.has_client_roles {
                missing.push("client roles");
            }
            if missing.is_empty() {
                pass(format!(
                    "{what}: the ID token carries groups {:?}, client roles {:?}",
                    who.groups, who.client_roles
                ))
            } else {
                fail(
                    format!("{what}: the ID token carries no {}", missing.join(", no ")),
                    "add the mappers (setup-keycloak); Keycloak also leaves a claim out when the user has no group or role of that kind, so test with a user who has them",
                    "denied-needs-a-claim-the-id-token-does-not-carry",
                )
            }
        }
        Err(e) => fail(what, e, "login_unknown"),
    }
}

async fn login_claims(config: &Config, user: &TestUser) -> Result<Value, String> {
    use crate::keycloak::oidc::{Oidc, OidcSettings};
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let oidc = Oidc::new(
        OidcSettings::of(&config.realm.oidc, config.redirect_uri()),
        clock.clone(),
    )
    .map_err(|e| e.to_string())?;
    let room = RoomName::parse("doctor-check").map_err(|e| e.to_string())?;
    let login = crate::session::login_state::PendingLogin::new(&room, clock.now());
    let authorize = oidc
        .authorize_url(&login)
        .await
        .map_err(|e| e.to_string())?;
    // A browser: the form, the cookies Keycloak sets with it, the credentials.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let page = http
        .get(authorize)
        .send()
        .await
        .map_err(|e| format!("Keycloak's login page: {e}"))?;
    let cookies: Vec<String> = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect();
    let html = page.text().await.map_err(|e| e.to_string())?;
    let action = html
        .split("id=\"kc-form-login\"")
        .nth(1)
        .and_then(|rest| rest.split("action=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(|a| a.replace("&amp;", "&"))
        .ok_or("Keycloak showed no login form (is the user already required to do something?)")?;
    let resp = http
        .post(action)
        .header(reqwest::header::COOKIE, cookies.join("; "))
        .form(&[
            ("username", user.name.as_str()),
            ("password", user.password.expose_secret()),
            ("credentialId", ""),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let back = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .ok_or("Keycloak did not accept the test user's password (or asks for more, such as updating the profile)")?;
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            let error = back
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            format!("Keycloak answered without a code ({error})")
        })?;
    let verified = oidc
        .finish(&code, &login)
        .await
        .map_err(|e| e.to_string())?;
    Ok(verified.claims)
}

/// The lines to print, and whether all passed.
pub fn render(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    for c in checks {
        let _ = match c.verdict {
            Verdict::Pass => writeln!(text, "✔ {}", c.what),
            Verdict::Fail => writeln!(text, "✘ {}: {}", c.what, c.fix),
            Verdict::Unchecked => writeln!(text, "– {}: {}", c.what, c.fix),
        };
    }
    (text, checks.iter().all(|c| c.verdict != Verdict::Fail))
}

async fn public_url(config: &Config, http: &reqwest::Client) -> Check {
    let url = format!(
        "{}/healthz",
        config.server.public_url.as_str().trim_end_matches('/')
    );
    match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => pass(format!("{url} answers")),
        Ok(r) => fail(
            format!("{url} answers {}", r.status()),
            "the reverse proxy must pass the bridge's paths on to it",
            "tools",
        ),
        Err(e) => fail(
            format!("{url} does not answer"),
            format!("start the bridge, or fix DNS/proxy for server.public_url ({e})"),
            "tools",
        ),
    }
}

async fn keycloak(
    rc: &crate::config::RealmConfig,
    config: &Config,
    http: &reqwest::Client,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Vec<Check> {
    let issuer = &rc.oidc.issuer;
    let mut out = Vec::new();
    let discovery = crate::keycloak::oidc::discovery_url(issuer);
    let resp = match http.get(&discovery).send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            out.push(fail(
                format!("Keycloak discovery at {discovery}: {}", r.status()),
                "oidc.issuer must be the realm's URL, exactly as in the tokens",
                "idp_unavailable",
            ));
            return out;
        }
        Err(e) => {
            out.push(fail(
                format!("Keycloak at {issuer} does not answer"),
                format!("start Keycloak or fix oidc.issuer ({e})"),
                "idp_unavailable",
            ));
            return out;
        }
    };
    readings.extend(ClockReading::from_date(
        "Keycloak",
        clock.now(),
        resp.headers(),
    ));
    let meta: Value = resp.json().await.unwrap_or_default();
    if meta["issuer"].as_str() == Some(issuer.as_str()) {
        out.push(pass(format!("Keycloak's issuer is exactly {issuer}")));
    } else {
        out.push(fail(
            format!("Keycloak names its issuer {}", meta["issuer"]),
            format!("set oidc.issuer to that value (configured: {issuer})"),
            "issuer_mismatch",
        ));
    }
    let jwks = meta["jwks_uri"].as_str().unwrap_or("");
    out.push(match http.get(jwks).send().await {
        Ok(r) if r.status().is_success() => pass(format!("Keycloak's keys at {jwks}")),
        _ => fail(
            format!("Keycloak's keys at {jwks:?} cannot be read"),
            "check Keycloak and the network between it and the bridge",
            "id_token_invalid",
        ),
    });
    // A made-up code with the client's credentials: Keycloak checks the client first.
    let token = meta["token_endpoint"].as_str().unwrap_or("");
    let resp = http
        .post(token)
        .basic_auth(
            &rc.oidc.client_id,
            Some(rc.oidc.client_secret.expose_secret()),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "doctor-made-up-code"),
            ("redirect_uri", config.redirect_uri().as_str()),
        ])
        .send()
        .await;
    let error = match resp {
        Ok(r) => r
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned)),
        Err(_) => None,
    };
    out.push(match error.as_deref() {
        Some("invalid_grant") => pass(format!(
            "the client {} and its secret are accepted",
            rc.oidc.client_id
        )),
        Some("invalid_client" | "unauthorized_client") => fail(
            format!("Keycloak refuses the client {} ({})", rc.oidc.client_id, error.unwrap_or_default()),
            "copy the secret from Clients → Credentials into oidc.client_secret, or run setup-keycloak",
            "exchange_refused",
        ),
        other => fail(
            format!("the token endpoint answered {other:?}"),
            "check Keycloak's log",
            "exchange_refused",
        ),
    });
    out
}

async fn keycloak_admin(
    config: &Config,
    creds: &Credentials,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Vec<Check> {
    let targets = match setup::targets(config) {
        Ok(t) => t,
        Err(e) => return vec![fail("the realms", e.to_string(), "tools")],
    };
    let mut out = Vec::new();
    for t in targets {
        let admin = match Admin::sign_in(&t.base, &t.realm, creds).await {
            Ok(a) => a,
            Err(e) => {
                out.push(fail(
                    format!("admin sign-in to {}", t.realm),
                    e.to_string(),
                    "tools",
                ));
                continue;
            }
        };
        if let Some(iat) = admin.issued_at() {
            readings.push(ClockReading::new(
                "Keycloak (the admin sign-in)",
                clock.now(),
                iat,
            ));
        }
        let path = format!(
            "/clients?clientId={}",
            url::form_urlencoded::byte_serialize(t.client_id.as_bytes()).collect::<String>()
        );
        let client = match admin.get(&path, "read clients").await {
            Ok(v) => v.as_array().and_then(|a| a.first()).cloned(),
            Err(e) => {
                out.push(fail(
                    format!("reading the client in {}", t.realm),
                    e.to_string(),
                    "tools",
                ));
                continue;
            }
        };
        let Some(client) = client else {
            out.push(fail(
                format!("realm {} has no client {}", t.realm, t.client_id),
                "run setup-keycloak",
                "tools",
            ));
            continue;
        };
        let (_, changes, conflicts) = setup::plan_client(&client, &t, false);
        if changes.is_empty() && conflicts.is_empty() {
            out.push(pass(format!(
                "client {}: redirect URI, PKCE S256 and flows as required",
                t.client_id
            )));
        }
        for c in changes.iter().chain(conflicts.iter()) {
            out.push(fail(
                format!("client {}: needs to {c}", t.client_id),
                "run setup-keycloak (or change it in the admin console)",
                "tools",
            ));
        }
        let id = client["id"].as_str().unwrap_or("");
        let mappers = admin
            .get(
                &format!("/clients/{id}/protocol-mappers/models"),
                "read mappers",
            )
            .await
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let missing = setup::missing_mappers(&mappers, &t.client_id);
        let short = setup::short_group_mappers(&mappers);
        for m in &short {
            out.push(fail(
                format!(
                    "client {}: the mapper \"{}\" sends group names without their path",
                    t.client_id,
                    m["name"].as_str().unwrap_or("")
                ),
                "turn on \"Full group path\" (or run setup-keycloak): otherwise a rule naming /org/staff never matches and one naming staff matches every group called staff",
                "groups-arrive-without-their-path",
            ));
        }
        if missing.is_empty() && short.is_empty() {
            out.push(pass(format!(
                "client {}: groups and roles mappers",
                t.client_id
            )));
        }
        for m in missing {
            out.push(fail(
                format!(
                    "client {}: no \"{}\" mapper",
                    t.client_id,
                    m["name"].as_str().unwrap_or("")
                ),
                "run setup-keycloak, or add the mapper (ID token: on)",
                "denied-needs-a-claim-the-id-token-does-not-carry",
            ));
        }
    }
    out
}

async fn jitsi(
    config: &Config,
    http: &reqwest::Client,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let base = config.jitsi.target.base.as_str().trim_end_matches('/');
    let public = config.server.public_url.as_str().trim_end_matches('/');
    if base == format!("{public}/inspect") {
        out.push(unchecked(
            "jitsi.url is the bridge's own token inspector",
            "there is no Jitsi to check; point jitsi.url at Jitsi to have it checked",
        ));
        return out;
    }
    let url = format!("{base}/config.js");
    let text = match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            readings.extend(ClockReading::from_date("Jitsi", clock.now(), r.headers()));
            r.text().await.unwrap_or_default()
        }
        _ => {
            out.push(unchecked(
                format!("Jitsi at {base} does not answer from here"),
                "its config.js, XMPP domain and key server checks need it; run doctor where Jitsi's URL answers",
            ));
            return out;
        }
    };
    let auth = format!("{public}/room/{{room}}");
    if text.contains(&auth) {
        out.push(pass("Jitsi's tokenAuthUrl names this bridge"));
    } else {
        out.push(fail(
            "Jitsi's config.js does not name this bridge in tokenAuthUrl",
            format!("set TOKEN_AUTH_URL={auth}?state={{state}} (print-jitsi-config)"),
            "problems-on-the-jitsi-side",
        ));
    }
    if text.contains(&format!("{public}/logout")) {
        out.push(pass("Jitsi's tokenLogoutUrl names this bridge"));
    } else {
        out.push(fail(
            "Jitsi's config.js has no tokenLogoutUrl for this bridge",
            format!("add config.tokenLogoutUrl = '{public}/logout'; to custom-config.js"),
            "jitsi-shows-no-logout-button",
        ));
    }
    let domain = &config.realm.token.subject;
    // docker-jitsi-meet writes `config.hosts.domain = 'meet.jitsi';`, Debian `domain: '…'`.
    let names_domain = [
        format!("domain = '{domain}'"),
        format!("domain: '{domain}'"),
    ]
    .iter()
    .any(|d| text.contains(d.as_str()));
    if names_domain {
        out.push(pass(format!(
            "Jitsi's XMPP domain is {domain}, the token's sub"
        )));
    } else {
        out.push(fail(
            format!("Jitsi's config.js does not name the XMPP domain {domain}"),
            "set jitsi.subject to Jitsi's XMPP domain (hosts.domain)",
            "room-and-token-mismatched",
        ));
    }
    if let Some(kid) = &config.realm.signer.kid {
        let key = format!(
            "{public}/asap/{}",
            crate::jitsi::signing::asap_file_name(kid)
        );
        out.push(match http.get(&key).send().await {
            Ok(r) if r.status().is_success() => {
                pass(format!("the key server serves the current key {kid}"))
            }
            _ => fail(
                format!("the key server does not serve {key}"),
                "the reverse proxy must pass /asap/ to the bridge",
                "rs256-key-server",
            ),
        });
    }
    out
}

fn sample_token(config: &Config, now: u64) -> Check {
    let minter = Minter::new(config.realm.token.clone(), config.realm.signer.clone());
    let who = Identity {
        subject: "doctor".into(),
        ..Identity::default()
    };
    let Ok(room) = RoomName::parse("doctor-check") else {
        return fail("a sample token", "internal", "internal");
    };
    let claims = minter.claims_for(&who, &Decision::plain(Role::Member), &room, None, now);
    match minter
        .sign(&claims)
        .map(|t| minter.verify(t.expose_secret(), now))
    {
        Ok(Ok(_)) => pass("a sample token passes the bridge's own verifier"),
        Ok(Err(e)) => fail(
            format!("a sample token fails verification ({e})"),
            "check jitsi.* keys",
            "invalid-signature",
        ),
        Err(e) => fail(
            format!("a sample token cannot be signed ({e})"),
            "check jitsi.* keys",
            "invalid-signature",
        ),
    }
}
