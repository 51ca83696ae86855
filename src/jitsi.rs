//! The Jitsi token: which claims, and signing them.
//!
//! Shaped to pass a default Jitsi install (Prosody `token/util.lib.lua` + `luajwtjitsi`):
//! header `typ: JWT` with exactly the configured `alg`, a single-string `aud`, `sub` set to the
//! XMPP domain (or `*`), `room` set to the backend-safe room name, integer times with `nbf`
//! back-dated because Prosody allows no clock skew, and `context.user` fields as strings and
//! booleans only (a `null` breaks lib-jitsi-meet).

use crate::claims::Identity;
use crate::clock::UnixTime;
use crate::room::RoomName;
use crate::rules::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Everything the minter needs from config.
#[derive(Clone)]
pub struct TokenSettings {
    /// `iss`; Prosody's `app_id` / `JWT_APP_ID` (or one of `JWT_ACCEPTED_ISSUERS`).
    pub issuer: String,
    /// `aud`; one of Prosody's `asap_accepted_audiences` (default `*`, any value passes).
    pub audience: String,
    /// `sub`; the XMPP domain (`meet.jitsi` in docker-jitsi-meet) or `*`.
    pub subject: String,
    /// Lifetime of a token in seconds.
    pub ttl_secs: u64,
    /// How far `nbf` lies before `iat`, for clocks that run behind ours.
    pub nbf_backdate_secs: u64,
    /// The HMAC key shared with Prosody (`app_secret` / `JWT_APP_SECRET`).
    pub secret: SecretString,
}

impl fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSettings")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("subject", &self.subject)
            .field("ttl_secs", &self.ttl_secs)
            .field("nbf_backdate_secs", &self.nbf_backdate_secs)
            .finish_non_exhaustive()
    }
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
}

/// Builds the claims for one user entering one room at `now`.
pub fn claims_for(
    settings: &TokenSettings,
    who: &Identity,
    role: Role,
    room: &RoomName,
    now: UnixTime,
) -> JitsiClaims {
    let moderator = role == Role::Moderator;
    JitsiClaims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: settings.subject.clone(),
        room: room.backend_safe().to_owned(),
        iat: now,
        nbf: now.saturating_sub(settings.nbf_backdate_secs),
        exp: now.saturating_add(settings.ttl_secs),
        context: Context {
            user: User {
                id: who.subject.clone(),
                name: who.display_name().to_owned(),
                email: who.verified_email().map(str::to_owned),
                avatar: who.picture.clone(),
                moderator,
                affiliation: if moderator { "owner" } else { "member" }.to_owned(),
            },
        },
    }
}

/// Signs Jitsi tokens.
#[derive(Clone)]
pub struct Minter {
    settings: TokenSettings,
    key: EncodingKey,
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Signing failed; only possible with a broken key, never because of user input.
#[derive(Debug, thiserror::Error)]
#[error("could not sign the Jitsi token: {0}")]
pub struct MintError(#[from] jsonwebtoken::errors::Error);

impl Minter {
    pub fn new(settings: TokenSettings) -> Self {
        let key = EncodingKey::from_secret(settings.secret.expose_secret().as_bytes());
        Self { settings, key }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The algorithm Prosody must be configured for (`signature_algorithm`).
    pub fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }

    pub fn claims_for(
        &self,
        who: &Identity,
        role: Role,
        room: &RoomName,
        now: UnixTime,
    ) -> JitsiClaims {
        claims_for(&self.settings, who, role, room, now)
    }

    pub fn sign(&self, claims: &JitsiClaims) -> Result<SecretString, MintError> {
        // `Header::new` sets `typ: "JWT"`, which luajwtjitsi requires verbatim.
        let header = Header::new(self.algorithm());
        let token = jsonwebtoken::encode(&header, claims, &self.key)?;
        Ok(SecretString::from(token))
    }

    /// Checks a token this bridge minted (used by the token inspector page), with no leeway,
    /// like Prosody.
    pub fn verify(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<JitsiClaims, jsonwebtoken::errors::Error> {
        let key =
            jsonwebtoken::DecodingKey::from_secret(self.settings.secret.expose_secret().as_bytes());
        let mut validation = jsonwebtoken::Validation::new(self.algorithm());
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_audience(&[&self.settings.audience]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<JitsiClaims>(token, &key, &validation)?;
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
    use base64::Engine;
    use serde_json::{Value, json};

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "jitsi-bridge".into(),
            audience: "jitsi".into(),
            subject: "meet.jitsi".into(),
            ttl_secs: 900,
            nbf_backdate_secs: 30,
            secret: SecretString::from("0123456789abcdef0123456789abcdef-test"),
        }
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
        let minter = Minter::new(settings());
        let room = RoomName::parse("Réunion Team").unwrap();
        let claims = minter.claims_for(&alice(), Role::Moderator, &room, 1_800_000_000);
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
                    "avatar": "https://img.example/a.png", "moderator": true, "affiliation": "owner"
                }}
            })
        );
    }

    #[test]
    fn members_get_member_and_no_nulls() {
        let minter = Minter::new(settings());
        let bob = Identity {
            subject: "b".into(),
            username: Some("bob".into()),
            ..Identity::default()
        };
        let room = RoomName::parse("team").unwrap();
        let token = minter
            .sign(&minter.claims_for(&bob, Role::Member, &room, 100))
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
        let minter = Minter::new(settings());
        let room = RoomName::parse("team").unwrap();
        let claims = minter.claims_for(&alice(), Role::Member, &room, 1000);
        let token = minter.sign(&claims).unwrap();
        let t = token.expose_secret();
        assert_eq!(minter.verify(t, 1000).unwrap(), claims);
        assert!(minter.verify(t, 970).is_ok());
        assert!(minter.verify(t, 969).is_err(), "before nbf");
        assert!(minter.verify(t, 1899).is_ok());
        assert!(minter.verify(t, 1900).is_err(), "at exp");
        let other = Minter::new(TokenSettings {
            secret: SecretString::from("x".repeat(40)),
            ..settings()
        });
        assert!(other.verify(t, 1000).is_err(), "wrong key");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", Minter::new(settings()));
        assert!(!shown.contains("0123456789abcdef"));
    }
}
