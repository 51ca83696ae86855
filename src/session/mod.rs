//! What the bridge remembers between requests, sealed into the browser rather than kept on
//! the server: pending logins and the logout hint (`pending`), the in-process set of
//! finished logins that refuses replays (`replay`), the authenticated encryption of every
//! value (`seal`) and the packing of large ID tokens (`compact`).

pub mod compact;
pub mod pending;
pub mod replay;
pub mod seal;
