//! The HTTP surface, by role: the route table (`routes`) and one module per route's handlers
//! (`login`, `callback`, `logout`, `inline`, `inspector`, `keys`, `health`), which only read
//! requests and write responses; the pages they render (`pages`), what every response passes
//! through (`middleware`), the one place an error becomes a page (`error`, `error_kinds`),
//! and the connections (`server`).

pub mod callback;
pub mod error;
pub mod error_kinds;
pub mod health;
pub mod initiator;
pub mod inline;
pub mod inspector;
pub mod keys;
pub mod login;
pub mod logout;
pub mod middleware;
pub mod pages;
pub mod retry;
pub mod routes;
pub mod server;
