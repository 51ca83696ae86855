//! What a new try of a login must be: the same room, and no more than the first login had
//! (`http::retry` writes it as the link on the error page, and says why it must).

use crate::jitsi::room::RoomName;
use crate::jitsi::state_param::{ClientKind, Override};
use crate::jitsi::tenant::Tenant;
use crate::session::pending::PendingLogin;

#[derive(Debug, Clone)]
pub struct Retry {
    pub room: RoomName,
    pub tenant: Option<Tenant>,
    /// The settings the first login kept after its checks.
    pub overrides: Vec<Override>,
    /// The client app, if the first login honoured its flag.
    pub client: ClientKind,
    pub popup: bool,
    /// The first login was not trusted: the retry must not be either.
    pub untrusted: bool,
}

impl Retry {
    /// A fresh login for `room`, carrying nothing (the start page's form).
    pub fn fresh(room: RoomName, tenant: Option<Tenant>) -> Self {
        Self {
            room,
            tenant,
            overrides: Vec::new(),
            client: ClientKind::Browser,
            popup: false,
            untrusted: false,
        }
    }

    /// Another try of `login`, as it was.
    pub fn of(login: &PendingLogin, room: RoomName, tenant: Option<Tenant>) -> Self {
        Self {
            room,
            tenant,
            overrides: login.overrides.clone(),
            client: login.client,
            popup: login.popup,
            untrusted: !login.trusted,
        }
    }
}
