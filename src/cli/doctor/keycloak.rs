//! The Keycloak checks: discovery, keys and client secret per realm, the client's settings
//! through the admin API, and a test login through Keycloak's own form.

use super::{Check, ClockReading, TestUser, fail, pass};
use crate::clock::Clock;
use crate::config::Config;
use crate::jitsi::room::RoomName;
use crate::policy::claims::{Claim, Identity, Shape};
use secrecy::ExposeSecret;
use serde_json::Value;
use std::time::Duration;

/// Logs `user` in through Keycloak's own form (code flow, PKCE, nonce, exactly as the bridge
/// does) and looks at the ID token's claims: what a missing mapper leaves out shows here.
pub(super) async fn test_login(
    config: &Config,
    user: &TestUser,
    clock: &dyn Clock,
    readings: &mut Vec<ClockReading>,
) -> Check {
    let what = format!("a test login as {}", user.name);
    let claims = match login_claims(config, user).await {
        Ok(claims) => claims,
        Err(e) => return fail(what, e, "login_unknown"),
    };
    if let Some(iat) = claims["iat"].as_i64() {
        readings.push(ClockReading::new(
            "Keycloak (the test login's ID token)",
            clock.now(),
            iat,
        ));
    }
    let Some(who) = Identity::from_claims(&claims, &config.realm.oidc.client_id) else {
        return fail(what, "the ID token has no sub", "no_subject");
    };
    claims_check(config, &who, &what)
}

/// Whether the test user's ID token carries, in the right shape, every claim the
/// configuration's rules and moderators ask about.
fn claims_check(config: &Config, who: &Identity, what: &str) -> Check {
    // Only what the configuration asks about matters.
    let whos: Vec<&crate::policy::rules::Who> = std::iter::once(&config.realm.moderators)
        .chain(config.tenants.values().map(|r| &r.moderators))
        .chain(std::iter::once(&config.policy.access.who))
        .chain(config.policy.rules.iter().map(|r| &r.who))
        .collect();
    let asked = |claim: Claim| {
        whos.iter().any(|w| match claim {
            Claim::Groups => !w.groups.is_empty(),
            Claim::RealmRoles => !w.realm_roles.is_empty(),
            Claim::ClientRoles => !w.client_roles.is_empty(),
            Claim::Email => !w.email_domains.is_empty(),
            Claim::Organizations => !w.organizations.is_empty(),
        })
    };
    // A claim declared empty when absent is checked against the client's mappers (admin
    // checks), not against one user who may simply have none.
    let declared = config.realm.oidc.absent_means_empty;
    let missing: Vec<&str> = [
        (Claim::Groups, "groups"),
        (Claim::RealmRoles, "realm roles"),
        (Claim::ClientRoles, "client roles"),
        (Claim::Organizations, "organizations"),
    ]
    .into_iter()
    .filter(|(claim, _)| {
        asked(*claim) && who.shapes.of(*claim) == Shape::Absent && !declared.contains(*claim)
    })
    .map(|(_, name)| name)
    .collect();
    if let Some((claim, seen)) = who.wrong_types().find(|(c, _)| asked(*c)) {
        let fix = match claim {
            Claim::Email => "the address must be a string: check the client's email mapper",
            Claim::Organizations => {
                "check the \"Organization Membership\" mapper (Multivalued on): rules match a list of aliases or an object keyed by alias"
            }
            _ => "turn on \"Multivalued\" in its mapper: rules match only a list of strings",
        };
        return fail(
            format!(
                "{what}: the ID token's \"{}\" claim is {seen}",
                claim.in_token()
            ),
            fix,
            "denied-needs-a-claim-the-id-token-does-not-carry",
        );
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

async fn login_claims(config: &Config, user: &TestUser) -> Result<Value, String> {
    use crate::keycloak::oidc::{AuthorizeRequest, Oidc};
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let oidc = Oidc::new(
        crate::app::oidc_settings(&config.realm.oidc, config.redirect_uri()),
        clock.clone(),
    )
    .map_err(|e| e.to_string())?;
    let room = RoomName::parse("doctor-check").map_err(|e| e.to_string())?;
    let login = crate::session::pending::PendingLogin::new(&room, clock.now());
    let secrets = crate::login::secrets(&login);
    let authorize = oidc
        .authorize_url(&AuthorizeRequest {
            secrets,
            ui_locale: "en",
            force_login: false,
            acr_values: None,
        })
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
    let action = form_target(&html, &config.realm.oidc.issuer)?;
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
        .finish(&code, &secrets)
        .await
        .map_err(|e| e.to_string())?;
    Ok(verified.claims)
}

/// Where the test user's password may go: the login form's `action`, only on the issuer's
/// own origin and, unless that is this machine, over https. A page that names another
/// target (a proxy rewriting it, a look-alike page) gets no password.
fn form_target(html: &str, issuer: &str) -> Result<url::Url, String> {
    let action = html
        .split("id=\"kc-form-login\"")
        .nth(1)
        .and_then(|rest| rest.split("action=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(|a| a.replace("&amp;", "&"))
        .ok_or("Keycloak showed no login form (is the user already required to do something?)")?;
    let target = url::Url::parse(&action)
        .map_err(|e| format!("the login form's target is not a URL ({e}); no password sent"))?;
    let issuer = url::Url::parse(issuer).map_err(|e| e.to_string())?;
    let loopback = match target.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if target.origin() != issuer.origin() {
        return Err(format!(
            "the login form posts to {}, not to the issuer's origin {}; no password sent",
            target.origin().ascii_serialization(),
            issuer.origin().ascii_serialization()
        ));
    }
    if target.scheme() != "https" && !loopback {
        return Err("the login form posts over plain http; no password sent".into());
    }
    Ok(target)
}

pub(super) async fn keycloak(
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
        // Whoever answered is not the configured realm: it gets neither the client secret
        // (the token-endpoint check below) nor anything else.
        out.push(fail(
            format!("Keycloak names its issuer {}", meta["issuer"]),
            format!("set oidc.issuer to that value (configured: {issuer}); the client secret was not sent"),
            "issuer_mismatch",
        ));
        return out;
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
    let token = meta["token_endpoint"].as_str().unwrap_or("");
    out.push(client_secret_check(rc, config, http, token).await);
    out
}

/// The client secret, tried with a made-up code: Keycloak checks the client before the code,
/// so `invalid_grant` means the secret was accepted and `invalid_client` that it was not.
async fn client_secret_check(
    rc: &crate::config::RealmConfig,
    config: &Config,
    http: &reqwest::Client,
    token: &str,
) -> Check {
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
    match error.as_deref() {
        Some("invalid_grant") => pass(format!(
            "the client {} and its secret are accepted",
            rc.oidc.client_id
        )),
        Some("invalid_client" | "unauthorized_client") => fail(
            format!(
                "Keycloak refuses the client {} ({})",
                rc.oidc.client_id,
                error.unwrap_or_default()
            ),
            "copy the secret from Clients → Credentials into oidc.client_secret, or run setup-keycloak",
            "exchange_refused",
        ),
        other => fail(
            format!("the token endpoint answered {other:?}"),
            "check Keycloak's log",
            "exchange_refused",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::form_target;

    /// The form as Keycloak 26's login theme writes it (`login.ftl`: `id="kc-form-login"`,
    /// `action="${url.loginAction}"`, with `&amp;` in the query).
    fn page(action: &str) -> String {
        format!(
            r#"<form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="{action}" method="post">"#
        )
    }

    #[test]
    fn the_password_goes_only_to_the_issuers_origin() {
        let issuer = "https://sso.example.org/realms/jitsi";
        let own = "https://sso.example.org/realms/jitsi/login-actions/authenticate?session_code=a&amp;execution=b&amp;client_id=jitsi-bridge&amp;tab_id=c";
        assert_eq!(
            form_target(&page(own), issuer).unwrap().as_str(),
            own.replace("&amp;", "&")
        );
        for elsewhere in [
            "https://attacker.example/collect",
            "https://sso.example.org.attacker.example/realms/jitsi/login-actions/authenticate",
            "http://sso.example.org/realms/jitsi/login-actions/authenticate",
            "https://sso.example.org:8443/realms/jitsi/login-actions/authenticate",
            "/realms/jitsi/login-actions/authenticate",
        ] {
            let err = form_target(&page(elsewhere), issuer).unwrap_err();
            assert!(err.contains("no password sent"), "{elsewhere}: {err}");
        }
        // The local test Keycloak over loopback http.
        let local = "http://127.0.0.1:8180/realms/jitsi";
        form_target(
            &page("http://127.0.0.1:8180/realms/jitsi/login-actions/authenticate?x=1"),
            local,
        )
        .unwrap();
        assert!(form_target("<p>no form</p>", issuer).is_err());
    }
}
