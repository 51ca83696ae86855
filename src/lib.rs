//! jitsi-oidc-bridge: log in to Jitsi Meet rooms through Keycloak.
//!
//! The pure core knows nothing of HTTP: `jitsi` (rooms, tenants, Jitsi's state parameter,
//! tokens and their signing keys, printed settings), `policy` (claims, rules, explain) and
//! `session` (sealed pending logins, replay set). `keycloak` wraps the OIDC library and the
//! admin API; `http` holds the thin handlers, pages and the one error type; `config` loads and
//! validates the settings; `lang` holds the page languages and texts; `telemetry` logs; `app`
//! wires everything.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod jitsi;
pub mod keycloak;
pub mod lang;
pub mod login;
pub mod metrics;
pub mod policy;
#[cfg(test)]
mod proptests;
pub mod session;
pub mod shared;
pub mod telemetry;

pub use app::App;
