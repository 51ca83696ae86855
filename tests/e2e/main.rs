//! End-to-end tests: the real bridge (in-process, on a loopback port) against the real
//! Keycloak that `make test` starts once per run, and a real headless Chromium.
//! These tests never skip: without Keycloak they fail and say how to run them.

// A test crate: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod access_rules;
mod accessibility;
mod binary;
mod browser;
mod container;
mod cookie_budget;
mod cross_site;
mod helpers;
mod hostile;
mod initiators;
mod inline_login;
mod jitsi_flows;
#[path = "../support/jitsi_model.rs"]
mod jitsi_model;
mod jitsi_rooms;
mod login_flow;
mod monitoring;
mod organizations;
mod pages;
mod production;
mod proxy;
mod second_idp;
mod setup_keycloak;
mod slow_clients;
mod step_up;
mod verifier;
