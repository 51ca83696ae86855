//! The identity provider (Keycloak or any OIDC provider): discovery, the login itself,
//! whether it answers right now, and the admin API (which `cli::setup_keycloak` and
//! `cli::doctor` use).

pub mod admin;
pub mod jwk;
pub mod oidc;
pub mod reachability;
