//! The commands besides `serve`, each a module of its own (`main.rs` parses the command line
//! and calls them). They use the library's layers as the bridge does and add none of their
//! own to it: `check-config` is `config`, `serve` is `app`.

pub mod args;
pub mod doctor;
pub mod explain;
pub mod healthcheck;
pub mod print_jitsi_config;
pub mod serve;
pub mod setup_keycloak;
