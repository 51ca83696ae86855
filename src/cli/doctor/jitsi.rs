//! The Jitsi checks: `config.js` names this bridge, the XMPP domain is the token's `sub`, the
//! RS256 key server serves the current key, and a sample token passes Prosody's checks.

use super::{Check, ClockReading, fail, pass, unchecked};
use crate::clock::Clock;
use crate::config::Config;
use crate::jitsi::room::RoomName;
use crate::jitsi::token::Minter;
use crate::policy::claims::Identity;
use crate::policy::rules::{Decision, Role};
use secrecy::ExposeSecret;

pub(super) async fn jitsi(
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

pub(super) fn sample_token(config: &Config, now: u64) -> Check {
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
