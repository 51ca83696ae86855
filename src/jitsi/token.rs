//! The Jitsi token: which claims, and signing them.
//!
//! Shaped to pass a default Jitsi install (Prosody `token/util.lib.lua` + `luajwtjitsi`):
//! header `typ: JWT` with exactly the configured `alg`, a single-string `aud`, `sub` set to the
//! XMPP domain or the tenant, `room` set to the backend-safe room name, integer times with `nbf`
//! back-dated because Prosody allows no clock skew, and `context.user` fields as strings and
//! booleans only (a `null` breaks lib-jitsi-meet).

use crate::clock::UnixTime;
use crate::jitsi::room::RoomName;
use crate::jitsi::signing::Signer;
use crate::jitsi::tenant::Tenant;
use crate::policy::claims::Identity;
use crate::policy::rules::{Decision, Role};
use jsonwebtoken::Header;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the minter needs from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// `iss`; Prosody's `app_id` / `JWT_APP_ID` (or one of `JWT_ACCEPTED_ISSUERS`).
    pub issuer: String,
    /// `aud`; one of Prosody's `asap_accepted_audiences` (default `*`, any value passes).
    pub audience: String,
    /// `sub` for rooms without a tenant: the XMPP domain (`meet.jitsi` in docker-jitsi-meet).
    pub subject: String,
    /// Lifetime of a token in seconds.
    pub ttl_secs: u64,
    /// How far `nbf` lies before `iat`, for clocks that run behind ours.
    pub nbf_backdate_secs: u64,
}

/// The payload of a Jitsi token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitsiClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub room: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub context: Context,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub user: User,
    /// `context.features`: only present when a rule sets features (without it, Jitsi lets
    /// moderators use everything).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub features: Option<BTreeMap<String, bool>>,
    /// `context.room`: only present when a rule turns the room's lobby on or off.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub room: Option<RoomContext>,
    /// `context.group`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<String>,
    /// The tenant, lower case, when the room is under one (jitsi-meet's `tokenRespectTenant`
    /// compares it with the URL's tenant).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub avatar: Option<String>,
    pub moderator: bool,
    /// `owner` or `member`, read by Prosody's `token_affiliation` module.
    pub affiliation: String,
    /// Read by the jitsi-contrib `token_lobby_bypass` Prosody plugin from `context.user`
    /// (`== true`, a boolean; `mod_token_lobby_bypass.lua`); only present when granted:
    /// moderators by default, and whom a rule names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lobby_bypass: Option<bool>,
    /// Read by jitsi-contrib's `token_security_ondemand` (`== true`): past the lobby and the
    /// room password.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub security_bypass: Option<bool>,
    /// jitsi-meet's web client keeps this user out of recordings and transcriptions
    /// (`base/jwt/middleware.any.ts`, true or "true").
    #[serde(
        rename = "hidden-from-recorder",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub hidden_from_recorder: Option<bool>,
    /// `"visitor"`: the user prefers to join a large meeting as a visitor (jitsi-meet's web
    /// client, `base/jwt/middleware.any.ts`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
}

/// `context.room`, as jitsi-contrib's `token_security_ondemand` reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomContext {
    /// `true` creates a persistent lobby for the room, `false` removes it.
    pub lobby: bool,
}

/// Builds the claims for one user entering one room at `now`.
pub fn claims_for(
    settings: &TokenSettings,
    who: &Identity,
    decision: &Decision,
    room: &RoomName,
    tenant: Option<&Tenant>,
    now: UnixTime,
) -> JitsiClaims {
    let moderator = decision.role == Role::Moderator;
    let features = decision.features.clone();
    JitsiClaims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        // With domain verification Prosody compares `sub` with the tenant for
        // `/<tenant>/<room>` URLs and with the XMPP domain otherwise.
        sub: match tenant {
            Some(t) => t.canonical(),
            None => settings.subject.clone(),
        },
        room: room.backend_safe().to_owned(),
        iat: now,
        nbf: now.saturating_sub(settings.nbf_backdate_secs),
        exp: now.saturating_add(decision.token_ttl_secs.unwrap_or(settings.ttl_secs)),
        context: Context {
            user: User {
                id: who.subject.clone(),
                name: who.display_name().to_owned(),
                email: who.verified_email().map(str::to_owned),
                avatar: who.picture.clone(),
                moderator,
                affiliation: if moderator { "owner" } else { "member" }.to_owned(),
                lobby_bypass: decision.lobby_bypass.then_some(true),
                security_bypass: decision.security_bypass.then_some(true),
                hidden_from_recorder: decision.hidden_from_recorder.then_some(true),
                role: decision.visitor.then(|| "visitor".to_owned()),
            },
            features: (!features.is_empty()).then_some(features),
            room: decision.room_lobby.map(|lobby| RoomContext { lobby }),
            group: decision.group.clone(),
            tenant: tenant.map(Tenant::canonical),
        },
    }
}

/// Signs Jitsi tokens.
#[derive(Debug, Clone)]
pub struct Minter {
    settings: TokenSettings,
    signer: Signer,
}

/// Signing failed; only possible with a broken key, never because of user input.
#[derive(Debug, thiserror::Error)]
#[error("could not sign the Jitsi token: {0}")]
pub struct MintError(#[from] jsonwebtoken::errors::Error);

impl Minter {
    pub fn new(settings: TokenSettings, signer: Signer) -> Self {
        Self { settings, signer }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    pub fn claims_for(
        &self,
        who: &Identity,
        decision: &Decision,
        room: &RoomName,
        tenant: Option<&Tenant>,
        now: UnixTime,
    ) -> JitsiClaims {
        claims_for(&self.settings, who, decision, room, tenant, now)
    }

    pub fn sign(&self, claims: &JitsiClaims) -> Result<SecretString, MintError> {
        // `Header::new` sets `typ: "JWT"`, which luajwtjitsi requires verbatim; key-server
        // mode also requires `kid`.
        let mut header = Header::new(self.signer.algorithm.jwt());
        header.kid = self.signer.kid.clone();
        let token = jsonwebtoken::encode(&header, claims, &self.signer.key)?;
        Ok(SecretString::from(token))
    }

    /// Checks a token this bridge minted (used by the token inspector page), with no leeway,
    /// like Prosody.
    pub fn verify(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<JitsiClaims, jsonwebtoken::errors::Error> {
        let mut validation = jsonwebtoken::Validation::new(self.signer.algorithm.jwt());
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_audience(&[&self.settings.audience]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data =
            jsonwebtoken::decode::<JitsiClaims>(token, &self.signer.verify_key, &validation)?;
        let claims = data.claims;
        if now >= claims.exp {
            return Err(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into());
        }
        if now < claims.nbf {
            return Err(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into());
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jitsi::signing::SigningAlgorithm;
    use base64::Engine;
    use secrecy::ExposeSecret;
    use serde_json::{Value, json};

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "jitsi-bridge".into(),
            audience: "jitsi".into(),
            subject: "meet.jitsi".into(),
            ttl_secs: 900,
            nbf_backdate_secs: 30,
        }
    }

    fn hs256() -> Signer {
        Signer::hmac(
            SigningAlgorithm::HS256,
            &SecretString::from("0123456789abcdef0123456789abcdef-test"),
        )
    }

    fn alice() -> Identity {
        Identity {
            subject: "3f1c2d".into(),
            username: Some("alice".into()),
            name: Some("Alice Moderator".into()),
            email: Some("alice@example.test".into()),
            email_verified: true,
            picture: Some("https://img.example/a.png".into()),
            ..Identity::default()
        }
    }

    fn segment(token: &str, i: usize) -> Value {
        let part = token.split('.').nth(i).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn mints_exactly_the_contract_shape_at_a_fixed_time() {
        let minter = Minter::new(settings(), hs256());
        let room = RoomName::parse("Réunion Team").unwrap();
        let claims = minter.claims_for(
            &alice(),
            &Decision::plain(Role::Moderator),
            &room,
            None,
            1_800_000_000,
        );
        let token = minter.sign(&claims).unwrap();
        let token = token.expose_secret();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(segment(token, 0), json!({"typ": "JWT", "alg": "HS256"}));
        assert_eq!(
            segment(token, 1),
            json!({
                "iss": "jitsi-bridge", "aud": "jitsi", "sub": "meet.jitsi",
                "room": "r%c3%a9union%20team",
                "iat": 1_800_000_000u64, "nbf": 1_799_999_970u64, "exp": 1_800_000_900u64,
                "context": {"user": {
                    "id": "3f1c2d", "name": "Alice Moderator", "email": "alice@example.test",
                    "avatar": "https://img.example/a.png", "moderator": true, "affiliation": "owner",
                    "lobby_bypass": true
                }}
            })
        );
    }

    #[test]
    fn members_get_member_and_no_nulls() {
        let minter = Minter::new(settings(), hs256());
        let bob = Identity {
            subject: "b".into(),
            username: Some("bob".into()),
            ..Identity::default()
        };
        let room = RoomName::parse("team").unwrap();
        let token = minter
            .sign(&minter.claims_for(&bob, &Decision::plain(Role::Member), &room, None, 100))
            .unwrap();
        let body = segment(token.expose_secret(), 1);
        assert_eq!(
            body["context"],
            json!({"user": {"id": "b", "name": "bob", "moderator": false, "affiliation": "member"}})
        );
        // nbf never underflows for tiny clocks.
        assert_eq!(body["nbf"], json!(70));
    }

    #[test]
    fn verify_accepts_own_tokens_and_enforces_time_without_leeway() {
        let minter = Minter::new(settings(), hs256());
        let room = RoomName::parse("team").unwrap();
        let claims = minter.claims_for(&alice(), &Decision::plain(Role::Member), &room, None, 1000);
        let token = minter.sign(&claims).unwrap();
        let t = token.expose_secret();
        assert_eq!(minter.verify(t, 1000).unwrap(), claims);
        assert!(minter.verify(t, 970).is_ok());
        assert!(minter.verify(t, 969).is_err(), "before nbf");
        assert!(minter.verify(t, 1899).is_ok());
        assert!(minter.verify(t, 1900).is_err(), "at exp");
        let other = Minter::new(
            settings(),
            Signer::hmac(SigningAlgorithm::HS256, &SecretString::from("x".repeat(40))),
        );
        assert!(other.verify(t, 1000).is_err(), "wrong key");
    }

    #[test]
    fn rules_add_features_group_lobby_bypass_and_lifetime() {
        let minter = Minter::new(settings(), hs256());
        let room = RoomName::parse("class-1").unwrap();
        let decision = Decision {
            features: BTreeMap::from([("recording".into(), false), ("name-readonly".into(), true)]),
            lobby_bypass: true,
            security_bypass: true,
            hidden_from_recorder: true,
            visitor: true,
            room_lobby: Some(false),
            group: Some("teachers".into()),
            token_ttl_secs: Some(3600),
            ..Decision::plain(Role::Moderator)
        };
        let tenant = Tenant::parse("School").unwrap();
        let c = minter.claims_for(&alice(), &decision, &room, Some(&tenant), 1000);
        assert_eq!(c.exp, 4600);
        assert_eq!(c.sub, "school");
        let body = serde_json::to_value(&c.context).unwrap();
        assert_eq!(
            body["features"],
            json!({"name-readonly": true, "recording": false})
        );
        assert_eq!(body["group"], "teachers");
        assert_eq!(body["user"]["lobby_bypass"], true);
        // Where jitsi-contrib's plugins and jitsi-meet read them, with the types they compare.
        assert_eq!(body["user"]["security_bypass"], true);
        assert_eq!(body["user"]["hidden-from-recorder"], true);
        assert_eq!(body["user"]["role"], "visitor");
        assert_eq!(body["room"], json!({"lobby": false}));
        assert_eq!(body["tenant"], "school");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", Minter::new(settings(), hs256()));
        assert!(!shown.contains("0123456789abcdef"));
    }
}
