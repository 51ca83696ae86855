//! The identity provider (Keycloak or any OIDC provider): discovery, the login itself, and
//! whether it answers right now.

pub mod oidc;
pub mod reachability;
