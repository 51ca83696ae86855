//! What the handlers share. Built once by `app`, read-only afterwards.

use crate::clock::Clock;
use crate::jitsi::Minter;
use crate::jitsi_url::JitsiTarget;
use crate::login_state::LoginCookies;
use crate::oidc::Oidc;
use crate::rules::ModeratorPolicy;
use std::sync::Arc;
use url::Url;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

pub struct Shared {
    pub clock: Arc<dyn Clock>,
    pub oidc: Oidc,
    pub issuer: Url,
    pub client_id: String,
    pub logins: LoginCookies,
    pub minter: Minter,
    pub target: JitsiTarget,
    pub moderators: ModeratorPolicy,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
