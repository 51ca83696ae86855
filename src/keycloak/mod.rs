//! The identity provider (Keycloak or any OIDC provider): discovery, the login itself,
//! whether it answers right now, and setting up a Keycloak realm through its admin API.

pub mod admin;
pub mod jwk;
pub mod oidc;
pub mod reachability;
pub mod setup;
