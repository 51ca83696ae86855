//! jitsi-oidc-bridge: log in to Jitsi Meet rooms through Keycloak.
//!
//! The pure core (`jitsi` for rooms, tenants, state, tokens and printed settings; `claims`,
//! `rules`, `login_state`) knows nothing of HTTP; `keycloak` wraps the OIDC library; `http` holds
//! the thin handlers, pages and the error type; `app` wires everything and owns the
//! middleware stack.

pub mod app;
pub mod claims;
pub mod clock;
pub mod compact;
pub mod config;
pub mod doctor;
pub mod explain;
pub mod http;
pub mod jitsi;
pub mod keycloak;
pub mod login_state;
pub mod metrics;
#[cfg(test)]
mod proptests;
pub mod replay;
pub mod rules;
pub mod signing;
pub mod state;
pub mod telemetry;

pub use app::App;
