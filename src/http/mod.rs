//! The HTTP surface: thin handlers, the pages they render, the headers every response gets,
//! and the one error type that becomes a response in one place.

pub mod callback;
pub mod error;
pub mod error_kinds;
pub mod frame;
pub mod headers;
pub mod health;
pub mod i18n;
pub mod initiator;
pub mod inline;
pub mod inspector;
pub mod keys;
pub mod login;
pub mod logout;
pub mod memory_limit;
pub mod pages;
pub mod retry;
pub mod routes;
pub mod serve;
pub mod shed;
