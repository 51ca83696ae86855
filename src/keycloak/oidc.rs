//! The Keycloak side: discovery, the authorization request, the code exchange and ID-token
//! verification. Wraps `openidconnect` and hides its generic types.
//!
//! Discovery is lazy and retried: if Keycloak is down when the bridge starts, the bridge still
//! starts, `/readyz` says not ready, users get a 503 page, and logins work as soon as Keycloak
//! answers. When an ID token is signed with a key the bridge has not seen (Keycloak rotated
//! its keys), the metadata and keys are fetched again once and the check is repeated.
//!
//! Every security check is always on: `state` (by the caller), PKCE S256, nonce, issuer,
//! audience/azp, expiry, an asymmetric-only algorithm allowlist, and `at_hash`.

use crate::clock::{Clock, UnixTime};
use crate::keycloak::jwk::Jwk;
use crate::keycloak::reachability::Reachability;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreSubjectIdentifierType,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, Client,
    ClientId, ClientSecret, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeVerifier, ProviderMetadata,
    RedirectUrl, RequestTokenError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, RwLock};
use url::Url;

/// Discovery fields openidconnect does not model: the RP-initiated logout endpoint.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    /// RFC 9207: the provider names itself in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

/// Every ID-token claim openidconnect does not model (groups, roles, ...), kept as JSON.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    Jwk,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type IdFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    Jwk,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// ID-token algorithms accepted. Never `none`, never HMAC (with HS* the client secret would
/// be the verification key, so anyone holding it could forge identities).
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Seconds between two discovery attempts after a failure, so a dead Keycloak is not
/// hammered by every user request.
const RETRY_AFTER_FAILURE_SECS: u64 = 2;
/// How long `/readyz` waits for a reachability probe before answering from what it last saw.
const PROBE_WAIT: Duration = Duration::from_millis(1500);
/// Seconds between two key refreshes triggered by unknown signing keys.
const KEY_REFRESH_INTERVAL_SECS: u64 = 30;

/// What went wrong talking to Keycloak. The strings are for the log only.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Keycloak could not be reached, or its metadata could not be loaded.
    #[error("Keycloak is unreachable: {0}")]
    Unavailable(String),
    /// The token endpoint refused the authorization code as such (`invalid_grant`: wrong,
    /// expired or already used, or a PKCE mismatch): what any client can cause by itself.
    #[error("Keycloak refused the code: {0}")]
    CodeRefused(String),
    /// The token endpoint refused the exchange for another reason (the client's secret or
    /// settings): the operator has to fix it.
    #[error("Keycloak refused the code exchange: {0}")]
    ExchangeRefused(String),
    /// The ID token failed a check.
    #[error("the ID token failed verification: {0}")]
    InvalidIdToken(String),
}

/// A verified login.
pub struct Verified {
    /// The ID token's claims, all checks passed.
    pub claims: Value,
    /// The ID token itself, kept only as the `id_token_hint` for logging out.
    pub id_token: SecretString,
    /// The scopes the token response says were granted (RFC 6749 5.1); `None` when it names
    /// none. The browser carried the request, so these, not `oidc.scopes`, are what counts.
    pub granted_scopes: Option<Vec<String>>,
}

/// The secrets of one login that its two requests to Keycloak carry (the bridge keeps them
/// sealed in between).
#[derive(Clone, Copy)]
pub struct LoginSecrets<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
}

/// The authorization request of one login.
#[derive(Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub secrets: LoginSecrets<'a>,
    /// The language Keycloak's form should be in.
    pub ui_locale: &'a str,
    /// Ask for credentials even with a session ("use another account").
    pub force_login: bool,
    /// The level of authentication the room needs, as its ACR value (step-up).
    pub acr_values: Option<&'a str>,
}

/// Settings for [`Oidc`].
#[derive(Clone)]
pub struct OidcSettings {
    /// As configured; compared as a string with the discovered and the ID token's issuer.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    pub http_timeout: Duration,
}

/// Where a provider publishes its metadata (OIDC Discovery 1.0, section 4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

struct Provider {
    client: OidcClient,
    /// The authorization endpoint with the parameters every login sends (response type,
    /// client, redirect URI, scopes) already in its query.
    authorize_base: Url,
    end_session: Option<Url>,
    /// Callbacks must carry `iss` (the provider said it always sends it).
    iss_required: bool,
}

#[derive(Default)]
struct RefreshState {
    /// Last discovery attempt (initial or retry after failure).
    last_attempt: Option<UnixTime>,
    last_failed: bool,
    /// Last refresh caused by an unknown signing key; limited separately so that a rotation
    /// right after start-up is picked up at once.
    last_key_refresh: Option<UnixTime>,
}

/// A Keycloak realm seen through OIDC.
pub struct Oidc {
    settings: OidcSettings,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    provider: RwLock<Option<Arc<Provider>>>,
    refresh: Mutex<RefreshState>,
    reach: Arc<Reachability>,
}

impl Oidc {
    pub fn new(settings: OidcSettings, clock: Arc<dyn Clock>) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            // Following redirects would let a compromised or misconfigured IdP point the
            // bridge's back-channel requests anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.http_timeout)
            .timeout(settings.http_timeout)
            .user_agent(concat!("jitsi-oidc-bridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OidcError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            settings,
            http,
            clock,
            provider: RwLock::new(None),
            refresh: Mutex::new(RefreshState::default()),
            reach: Arc::default(),
        })
    }

    /// Whether logins can start now (for `/readyz`): the metadata and keys are loaded (tried
    /// if not), and the provider answered within the last few seconds, or answers a probe
    /// now. `Err` names the last real cause.
    pub async fn readiness(&self) -> Result<(), String> {
        // Before the first successful load, discovery itself is the probe, bounded the same way.
        match tokio::time::timeout(PROBE_WAIT, self.provider()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(self.reach.last_error().unwrap_or_else(|| e.to_string())),
            Err(_) => {
                return Err(self
                    .reach
                    .last_error()
                    .unwrap_or_else(|| "discovery did not answer in time".to_owned()));
            }
        }
        if let Some(outcome) = self.reach.fresh(self.clock.now()) {
            return outcome;
        }
        let url = discovery_url(&self.settings.issuer);
        if let Some(done) = self.reach.probe(&self.http, url, self.clock.clone()) {
            // A hanging provider must not make the probe hang: past the wait, the last
            // observation answers and the probe records its outcome for the next one.
            if let Ok(Ok(outcome)) = tokio::time::timeout(PROBE_WAIT, done).await {
                return outcome;
            }
        }
        self.reach.last()
    }

    /// Loads the metadata and keys if they are not loaded yet.
    pub async fn load(&self) -> Result<(), OidcError> {
        self.provider().await.map(|_| ())
    }

    /// Whether a callback without `iss` must be refused (RFC 9207 section 2.4: the provider
    /// advertises `authorization_response_iss_parameter_supported`, as Keycloak does).
    pub async fn requires_iss(&self) -> Result<bool, OidcError> {
        Ok(self.provider().await?.iss_required)
    }

    /// Keycloak's RP-initiated logout URL (OIDC RP-Initiated Logout 1.0): ends the Keycloak
    /// session and comes back to `post_logout`. `None` when Keycloak advertises no
    /// end-session endpoint.
    pub async fn logout_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout: &Url,
        state: Option<&str>,
    ) -> Result<Option<Url>, OidcError> {
        let provider = self.provider().await?;
        let Some(mut url) = provider.end_session.clone() else {
            return Ok(None);
        };
        {
            let mut q = url.query_pairs_mut();
            // Without the hint Keycloak asks the user to confirm; with it, it does not.
            if let Some(hint) = id_token_hint {
                q.append_pair("id_token_hint", hint);
            }
            q.append_pair("client_id", &self.settings.client_id);
            q.append_pair("post_logout_redirect_uri", post_logout.as_str());
            // Returned to `post_logout` as `?state=` (RP-Initiated Logout 1.0, section 2).
            if let Some(state) = state {
                q.append_pair("state", state);
            }
        }
        Ok(Some(url))
    }

    /// The Keycloak authorization URL for one login (code flow, PKCE S256, nonce).
    /// `ui_locales` asks Keycloak for its form in the page's language; `prompt=login` (a denied
    /// user choosing another account) makes it ask even when a session exists.
    pub async fn authorize_url(&self, login: &AuthorizeRequest<'_>) -> Result<Url, OidcError> {
        let provider = self.provider().await?;
        // Built from the endpoint prepared at discovery rather than through the generic
        // OAuth 2 request builder, which was 8 % of the instructions of `GET /room`
        // (docs/benchmarks.md); the parameters are those of RFC 6749 4.1.1, RFC 7636 4.3
        // (S256 only) and OIDC Core 3.1.2.1.
        let challenge = s256_challenge(login.secrets.pkce_verifier);
        let mut url = provider.authorize_base.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("state", login.secrets.state)
                .append_pair("nonce", login.secrets.nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if login.force_login {
                query.append_pair("prompt", "login");
            }
            // Voluntary (OIDC Core 3.1.2.1), not an essential `acr` in `claims`: Keycloak
            // ends a login it cannot bring to an essential level on its own error page,
            // where the user is stuck; this way the bridge sees the lower `acr`, refuses
            // it and shows the way forward. The browser can strip the parameter either way,
            // which is why the answer is checked, never the question trusted.
            if let Some(acr) = login.acr_values {
                query.append_pair("acr_values", acr);
            }
            query.append_pair("ui_locales", login.ui_locale);
        }
        Ok(url)
    }

    /// Exchanges the code (with the PKCE verifier) and returns the verified ID-token claims.
    pub async fn finish(
        &self,
        code: &str,
        login: &LoginSecrets<'_>,
    ) -> Result<Verified, OidcError> {
        let provider = self.provider().await?;
        let request = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                OidcError::Unavailable(format!("Keycloak advertises no token endpoint: {e}"))
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.to_owned()));
        let started = std::time::Instant::now();
        let tokens = request.request_async(&self.http).await;
        crate::metrics::observe_idp("token", started.elapsed());
        let tokens = tokens.map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => {
                let text = format!(
                    "{} {}",
                    r.error().as_ref(),
                    r.error_description().map(String::as_str).unwrap_or("")
                );
                if *r.error() == CoreErrorResponseType::InvalidGrant {
                    OidcError::CodeRefused(text)
                } else {
                    OidcError::ExchangeRefused(text)
                }
            }
            RequestTokenError::Request(e) => {
                OidcError::Unavailable(format!("token request failed: {e}"))
            }
            RequestTokenError::Parse(e, _) => {
                OidcError::ExchangeRefused(format!("unreadable token response: {e}"))
            }
            RequestTokenError::Other(e) => OidcError::ExchangeRefused(e),
        })?;
        let nonce = Nonce::new(login.nonce.to_owned());
        match self.verify(&provider, &tokens, &nonce) {
            Err(Retry::NewKeys(first)) => {
                // An unknown `kid`: Keycloak may have rotated keys since discovery.
                let refreshed = self
                    .refresh_keys()
                    .await
                    .ok_or(OidcError::InvalidIdToken(first))?;
                self.verify(&refreshed, &tokens, &nonce)
                    .map_err(Retry::into_error)
            }
            other => other.map_err(Retry::into_error),
        }
    }

    fn verify(
        &self,
        provider: &Provider,
        tokens: &Tokens,
        nonce: &Nonce,
    ) -> Result<Verified, Retry> {
        let id_token = tokens.id_token().ok_or_else(|| {
            Retry::Fail("the token response has no ID token (is the openid scope allowed?)".into())
        })?;
        let now = self.clock.now();
        let verifier = provider
            .client
            .id_token_verifier()
            .set_allowed_algs(ALLOWED_ALGS)
            .set_time_fn(move || {
                chrono::DateTime::from_timestamp(i64::try_from(now).unwrap_or(i64::MAX), 0)
                    .unwrap_or_default()
            });
        let claims = id_token.claims(&verifier, nonce).map_err(|e| {
            use openidconnect::{ClaimsVerificationError as C, SignatureVerificationError as S};
            match e {
                C::SignatureVerification(S::NoMatchingKey) => {
                    Retry::NewKeys("no key in Keycloak's key set matches the ID token".into())
                }
                other => Retry::Fail(other.to_string()),
            }
        })?;
        // at_hash binds the ID token to the access token of the same response (OIDC Core
        // 3.1.3.8); Keycloak always sends it with the code flow.
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| Retry::Fail(e.to_string()))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| Retry::Fail(e.to_string()))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| Retry::Fail(format!("cannot compute at_hash: {e}")))?;
            if actual != *expected {
                return Err(Retry::Fail(
                    "at_hash does not match the access token".into(),
                ));
            }
        }
        let claims = serde_json::to_value(claims)
            .map_err(|e| Retry::Fail(format!("cannot read the claims: {e}")))?;
        Ok(Verified {
            claims,
            id_token: SecretString::from(id_token.to_string()),
            granted_scopes: tokens
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str().to_owned()).collect()),
        })
    }
}

fn s256_challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

enum Retry {
    NewKeys(String),
    Fail(String),
}

impl Retry {
    fn into_error(self) -> OidcError {
        match self {
            Retry::NewKeys(s) | Retry::Fail(s) => OidcError::InvalidIdToken(s),
        }
    }
}

mod discovery;

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, appendix B.
    #[test]
    fn the_s256_challenge_is_the_rfc_example() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
