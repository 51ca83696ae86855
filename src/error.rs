//! What can go wrong while serving a request, without a word of HTTP: the login flow and the
//! handlers return [`AppError`]; `http::error` alone decides its status, page and log line.

use crate::jitsi::room::RoomError;
use crate::jitsi::state_param::StateError;
use crate::jitsi::tenant::TenantError;
use crate::keycloak::oidc::OidcError;
use crate::login::retry::Retry;
use crate::policy::level::TooLow;
use crate::session::pending::LoginLookup;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad room name: {0}")]
    BadRoom(RoomError),
    #[error("bad tenant: {0}")]
    BadTenant(TenantError),
    #[error("bad state parameter: {0}")]
    BadState(StateError),
    #[error("callback without a usable pending login: {0:?}")]
    UnknownLogin(LoginLookup),
    #[error("callback without the {0} parameter")]
    MissingParameter(&'static str),
    #[error("the login was cancelled at Keycloak (error=access_denied)")]
    LoginCancelled { retry: Option<Box<Retry>> },
    #[error("Keycloak answered the login with error={code}")]
    IdpError {
        code: String,
        retry: Option<Box<Retry>>,
    },
    #[error("the callback's iss parameter {got:?} is not this realm's issuer {expected:?}")]
    IssuerMismatch { got: String, expected: String },
    #[error(
        "the callback has no iss parameter, although the provider advertises that it always \
         sends one (RFC 9207)"
    )]
    IssuerMissing,
    #[error("{0}")]
    Oidc(OidcError, Option<Box<Retry>>),
    #[error("denied by {rule}")]
    Denied {
        /// The rule's reason, when it may be shown.
        reason: Option<String>,
        /// What the administrator can change (missing mappers, unreadable claims).
        advice: Vec<String>,
        rule: String,
        /// A rule's verdict, or a deny rule that could not be decided.
        cause: DenialCause,
        /// The room, to try again with another account.
        retry: Option<Box<Retry>>,
    },
    /// The room needs a higher level of authentication than the login reached.
    #[error("level of authentication too low: {too_low}")]
    LevelTooLow {
        too_low: TooLow,
        /// Where the user can set up a second factor (Keycloak's account console).
        account: Option<String>,
        /// The room again, asking for the level again.
        retry: Option<Box<Retry>>,
    },
    #[error("the ID token has no usable subject")]
    NoSubject,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("token inspector: {0}")]
    BadInspectedToken(String),
    #[error("token inspector: no token in the address")]
    NoInspectedToken,
    #[error("token inspector: the token has expired")]
    ExpiredInspectedToken,
    #[error("no such page")]
    NotFound,
    #[error(
        "Jitsi asked for an inline (pop-up) login, but the bridge is not served under the Jitsi \
         origin, so Jitsi would ignore the result; serve it under a path of the Jitsi site or \
         turn tokenAuthInline off"
    )]
    InlineUnavailable,
}

/// Why the rules refused, as far as the user's message is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialCause {
    /// A rule (or `[access]`) decided.
    Rule,
    /// A deny rule could not be decided from the ID token's claims.
    Undecided,
    /// A deny rule by e-mail domain, and the address is absent or not verified.
    EmailNotVerified,
}

impl From<RoomError> for AppError {
    fn from(e: RoomError) -> Self {
        AppError::BadRoom(e)
    }
}
