//! What the handlers share. Built once by `app`, read-only afterwards.

use crate::clock::Clock;
use crate::jitsi::room_url::JitsiTarget;
use crate::jitsi::signing::PublicKey;
use crate::jitsi::tenant::Tenant;
use crate::jitsi::token::Minter;
use crate::keycloak::oidc::Oidc;
use crate::policy::rules::{ModeratorPolicy, Policy};
use crate::session::pending::LoginCookies;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

/// One organisation: a Keycloak realm and client, how its tokens are signed, who moderates.
pub struct Realm {
    /// `default` or the tenant's name, for logs.
    pub name: String,
    pub oidc: Oidc,
    pub issuer: String,
    pub client_id: String,
    pub minter: Minter,
    pub moderators: ModeratorPolicy,
    pub absent_means_empty: crate::policy::claims::AbsentMeansEmpty,
}

pub struct Shared {
    pub clock: Arc<dyn Clock>,
    pub logins: LoginCookies,
    pub target: JitsiTarget,
    pub default_realm: Arc<Realm>,
    /// Realms of tenants configured under `[tenants.<name>]`, keyed by lower-case name.
    pub tenant_realms: HashMap<String, Arc<Realm>>,
    /// Every RS256 public key of every realm, for the key server and JWKS.
    pub public_keys: Vec<PublicKey>,
    /// Where Keycloak sends the browser after logout.
    pub logout_redirect: Url,
    /// Offer "join as guest" links on error pages.
    pub guests: bool,
    /// `[access]` and `[[rules]]`.
    pub policy: Policy,
    /// The token inspector is on (the callback then also leaves the rules' explanation).
    pub inspector: bool,
    /// The path the bridge is served under (`""` or e.g. `/auth`), for links in pages.
    pub base: String,
    /// The Jitsi origin when the bridge is served under it (inline login is possible).
    pub inline_origin: Option<String>,
    /// The bridge's own "logged out" page, where an inline logout must end.
    pub own_logged_out: Url,
    /// The bridge's origin (`https://bridge.example.org`), for same-origin checks.
    pub public_origin: String,
    pub branding: crate::config::branding::Branding,
}

impl Shared {
    /// The realm that serves rooms under `tenant`.
    pub fn realm(&self, tenant: Option<&Tenant>) -> &Arc<Realm> {
        tenant
            .and_then(|t| self.tenant_realms.get(&t.canonical()))
            .unwrap_or(&self.default_realm)
    }

    /// Every realm, the default first.
    pub fn realms(&self) -> impl Iterator<Item = &Arc<Realm>> {
        std::iter::once(&self.default_realm).chain(self.tenant_realms.values())
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
