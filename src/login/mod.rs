//! The login itself, in the order it happens, free of HTTP: [`start`] turns a room request
//! into Keycloak's authorization URL and a sealed pending login; [`complete`] turns Keycloak's
//! answer into a decision and a Jitsi token, or into the [`AppError`](crate::error::AppError)
//! that says why not. The handlers in `http::login` and `http::callback` only read the request
//! into these inputs and write the outcomes as responses.

pub mod complete;
pub mod refusal;
pub mod retry;
pub mod start;

use crate::keycloak::oidc::LoginSecrets;
use crate::session::pending::PendingLogin;

/// What a pending login carries to Keycloak and back.
pub fn secrets(login: &PendingLogin) -> LoginSecrets<'_> {
    LoginSecrets {
        state: &login.state,
        nonce: &login.nonce,
        pkce_verifier: &login.pkce_verifier,
    }
}
