//! jitsi-oidc-bridge: log in to Jitsi Meet rooms through Keycloak.
//!
//! The pure core (`room`, `claims`, `rules`, `jitsi`, `jitsi_url`, `login_state`) knows
//! nothing of HTTP; `oidc` wraps the OIDC library; the handlers (`login`, `callback`,
//! `inspector`, `health`) are thin; `app` wires everything and owns the middleware stack.

pub mod app;
pub mod callback;
pub mod claims;
pub mod clock;
pub mod config;
pub mod error;
pub mod explain;
pub mod headers;
pub mod health;
pub mod inspector;
pub mod jitsi;
pub mod jitsi_settings;
pub mod jitsi_state;
pub mod jitsi_url;
pub mod keys;
pub mod login;
pub mod login_state;
pub mod logout;
pub mod metrics;
pub mod oidc;
pub mod pages;
#[cfg(test)]
mod proptests;
pub mod room;
pub mod rules;
pub mod signing;
pub mod state;
pub mod telemetry;
pub mod tenant;

pub use app::App;
