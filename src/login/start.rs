//! The start of a login: a room (and Jitsi's `{state}`) becomes a pending login, sealed into
//! a cookie, and Keycloak's authorization URL.

use crate::error::AppError;
use crate::jitsi::room::RoomName;
use crate::jitsi::state_param as jitsi_state;
use crate::jitsi::tenant::Tenant;
use crate::keycloak::oidc::AuthorizeRequest;
use crate::lang::Lang;
use crate::login::retry::Retry;
use crate::session::pending::PendingLogin;
use crate::shared::AppState;
use crate::telemetry::AUDIT;
use url::Url;

/// A room request, as the handler read it.
pub struct Request<'a> {
    pub tenant: Option<&'a str>,
    pub room: &'a str,
    /// Jitsi's `{state}`, if the request has one.
    pub state: Option<&'a str>,
    /// Jitsi's inline login opened this in a pop-up.
    pub popup: bool,
    /// Whether the browser says Jitsi's page or the bridge's own sent it (`http::initiator`),
    /// and the initiator's name for the audit line.
    pub trusted: bool,
    pub initiator: &'static str,
    /// The retry of a login that was not trusted (it must not be either).
    pub retried_untrusted: bool,
    /// "Use another account": Keycloak asks for credentials even with a session.
    pub switch_account: bool,
    pub lang: Lang,
    pub cookie_header: Option<&'a str>,
}

/// Where the browser goes next, and the cookies that keep the pending login.
pub struct Started {
    pub authorize: Url,
    pub set_cookies: Vec<String>,
}

pub async fn start(app: &AppState, request: Request<'_>) -> Result<Started, AppError> {
    if request.popup && app.inline_origin.is_none() {
        return Err(AppError::InlineUnavailable);
    }
    let room = RoomName::parse(request.room)?;
    let tenant = request
        .tenant
        .map(Tenant::parse)
        .transpose()
        .map_err(AppError::BadTenant)?;
    let info = match request.state {
        Some(raw) => jitsi_state::parse(raw, &room, tenant.as_ref()).map_err(AppError::BadState)?,
        None => jitsi_state::StateInfo {
            tenant,
            ..Default::default()
        },
    };
    let trusted = request.trusted && !request.retried_untrusted;
    let info = if trusted {
        info
    } else {
        jitsi_state::for_untrusted(info)
    };
    let realm = app.realm(info.tenant.as_ref());
    let now = app.clock.now();
    let mut login = PendingLogin::new(&room, now).with_state(info);
    login.popup = request.popup;
    login.trusted = trusted;
    login.lang = request.lang;
    login.switch_account = request.switch_account;
    let level = app
        .policy
        .level_needed(&room, login_tenant(&login).as_ref());
    let authorize = AuthorizeRequest {
        secrets: super::secrets(&login),
        ui_locale: login.lang.code(),
        force_login: login.switch_account,
        acr_values: level.as_ref().map(|(l, _)| l.name.as_str()),
    };
    let authorize = realm.oidc.authorize_url(&authorize).await.map_err(|e| {
        AppError::Oidc(
            e,
            Some(Box::new(Retry::of(
                &login,
                room.clone(),
                login_tenant(&login),
            ))),
        )
    })?;
    let set_cookies = app.logins.start(&login, request.cookie_header, now);
    metrics::counter!(crate::metrics::LOGINS_STARTED).increment(1);
    tracing::info!(
        target: AUDIT,
        event = "login_started",
        room = room.backend_safe(),
        tenant = login.tenant.as_deref().unwrap_or(""),
        client = ?login.client,
        popup = request.popup,
        initiator = if request.retried_untrusted {
            "retry-elsewhere"
        } else {
            request.initiator
        },
        trusted,
        level = level.as_ref().map_or(String::new(), |(l, _)| l.to_string()),
    );
    Ok(Started {
        authorize,
        set_cookies,
    })
}

/// The tenant the pending login kept (it was valid when it was read).
fn login_tenant(login: &PendingLogin) -> Option<Tenant> {
    login.tenant.as_deref().and_then(|t| Tenant::parse(t).ok())
}
