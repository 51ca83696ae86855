//! The one error type of the HTTP layer, and the one place it becomes a page.
//!
//! Handlers return [`AppError`]. Its `IntoResponse` only sets the status and stores an
//! [`ErrorInfo`] in the response extensions; the [`render_errors`] middleware, which knows the
//! request id, writes the single log line and renders the askama error page. Users see a fixed,
//! plain-language message per variant; causes go to the log only.

use crate::http::error_kinds::{self as kinds, Kind};
use crate::http::inline::Popup;
use crate::http::pages::ErrorPage;
use crate::jitsi::room::RoomError;
use crate::keycloak::oidc::OidcError;
use crate::lang::Lang;
use crate::session::pending::LoginLookup;
use crate::shared::AppState;
use crate::telemetry::RequestId;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// OAuth error codes in a callback that an operator has to act on (RFC 6749 4.1.2.1); the
/// callback is answered with 502 and logged at ERROR. Any other code gets 400 at WARN.
const OPERATOR_ERROR_CODES: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
];

/// What the error page and the log line need, carried from the handler to the middleware.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// A stable, low-cardinality name for logs and metrics.
    pub kind: &'static str,
    /// Fluent key of the title.
    pub title: &'static str,
    pub message: Msg,
    /// The room (and tenant) to offer "try again" (and "join as guest") for, when known.
    pub retry: Option<Retry>,
    /// Technical hints for the administrator (missing mappers), behind a fold; English.
    pub admin: String,
    /// A denial: offer another account and logging out.
    pub denied: bool,
    /// Where the user can set up what the login lacked (a second factor).
    pub account: Option<String>,
    /// The cause, for the log only.
    pub cause: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        self.kind().status
    }

    /// The kind of page this error gets (`http::error_kinds`).
    pub fn kind(&self) -> &'static Kind {
        match self {
            AppError::BadRoom(_) => &kinds::BAD_ROOM,
            AppError::BadTenant(_) => &kinds::BAD_TENANT,
            AppError::BadState(_) => &kinds::BAD_STATE,
            AppError::UnknownLogin(LoginLookup::Expired) => &kinds::LOGIN_EXPIRED,
            AppError::UnknownLogin(LoginLookup::Replayed) => &kinds::LOGIN_REPLAYED,
            AppError::UnknownLogin(LoginLookup::Unknown) => &kinds::LOGIN_UNKNOWN,
            AppError::MissingParameter(_) => &kinds::BAD_CALLBACK,
            AppError::LoginCancelled { .. } => &kinds::LOGIN_CANCELLED,
            AppError::IdpError { code, .. } if code == "temporarily_unavailable" => {
                &kinds::IDP_ERROR_LATER
            }
            AppError::IdpError { code, .. } if OPERATOR_ERROR_CODES.contains(&code.as_str()) => {
                &kinds::IDP_ERROR
            }
            AppError::IdpError { .. } => &kinds::IDP_ERROR_UNKNOWN,
            AppError::IssuerMismatch { .. } => &kinds::ISSUER_MISMATCH,
            AppError::IssuerMissing => &kinds::ISSUER_MISSING,
            AppError::Oidc(OidcError::CodeRefused(_), _) => &kinds::CODE_REFUSED,
            AppError::Oidc(OidcError::Unavailable(_), _) => &kinds::IDP_UNAVAILABLE,
            AppError::Oidc(OidcError::ExchangeRefused(_), _) => &kinds::EXCHANGE_REFUSED,
            AppError::Oidc(OidcError::InvalidIdToken(_), _) => &kinds::ID_TOKEN_INVALID,
            AppError::Denied { .. } => &kinds::LOGIN_DENIED,
            AppError::LevelTooLow { .. } => &kinds::LEVEL_TOO_LOW,
            AppError::NoSubject => &kinds::NO_SUBJECT,
            AppError::Internal(_) => &kinds::INTERNAL,
            AppError::BadInspectedToken(_) => &kinds::BAD_TOKEN,
            AppError::NoInspectedToken => &kinds::NO_TOKEN,
            AppError::ExpiredInspectedToken => &kinds::TOKEN_EXPIRED,
            AppError::InlineUnavailable => &kinds::INLINE_UNAVAILABLE,
            AppError::NotFound => &kinds::NOT_FOUND,
        }
    }

    /// The login to offer again, when the error knows it.
    fn retry(&self) -> Option<&Retry> {
        match self {
            AppError::LoginCancelled { retry }
            | AppError::IdpError { retry, .. }
            | AppError::Oidc(_, retry)
            | AppError::Denied { retry, .. }
            | AppError::LevelTooLow { retry, .. } => retry.as_deref(),
            _ => None,
        }
    }

    fn info(&self) -> ErrorInfo {
        // Users read plain words; the cause goes to the log only.
        let kind = self.kind();
        let mut message = Msg::new(kind.message);
        match self {
            AppError::BadRoom(e) => message.detail = Some(room_reason(e)),
            AppError::Denied {
                cause: DenialCause::Undecided,
                ..
            } => message.key = "err-denied-undecided",
            AppError::Denied {
                cause: DenialCause::EmailNotVerified,
                ..
            } => message.key = "err-denied-unverified-email",
            AppError::Denied {
                reason: Some(r), ..
            } => {
                message.key = "err-denied-reason";
                message.args.push(("reason", r.clone()));
            }
            _ => {}
        }
        let (admin, denied) = match self {
            AppError::Denied { advice, .. } => (advice.join("; "), true),
            AppError::LevelTooLow { too_low, .. } => (too_low.to_string(), false),
            _ => (String::new(), false),
        };
        let account = match self {
            AppError::LevelTooLow { account, .. } => account.clone(),
            _ => None,
        };
        ErrorInfo {
            kind: kind.name,
            title: kind.title,
            message,
            retry: self.retry().cloned(),
            admin,
            denied,
            account,
            cause: self.to_string(),
        }
    }
}

/// Why a room name was refused, in the user's words.
fn room_reason(e: &RoomError) -> (&'static str, Vec<(&'static str, String)>) {
    match e {
        RoomError::Empty => ("room-empty", vec![]),
        RoomError::TooLong => ("room-too-long", vec![]),
        RoomError::Forbidden(c) => ("room-forbidden", vec![("char", c.to_string())]),
        RoomError::Invisible(_) => ("room-invisible", vec![]),
        RoomError::Slashlike(_) => ("room-slashlike", vec![]),
        RoomError::OuterSpace => ("room-outer-space", vec![]),
        RoomError::DotSegment => ("room-dot", vec![]),
        RoomError::Undecodable => ("room-undecodable", vec![]),
    }
}

/// A message to show, in whatever language the page is in.
#[derive(Debug, Clone)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// A sub-message passed in as `$detail`.
    pub detail: Option<(&'static str, Vec<(&'static str, String)>)>,
}

impl Msg {
    fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
            detail: None,
        }
    }

    pub fn text(&self, lang: Lang) -> String {
        let mut args = self.args.clone();
        if let Some((key, detail_args)) = &self.detail {
            args.push(("detail", lang.t_with(key, detail_args)));
        }
        lang.t_with(self.key, &args)
    }
}

pub use crate::error::{AppError, DenialCause};
pub use crate::login::retry::Retry;

/// A page that cannot be rendered (a template bug: the values are all strings).
impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self.info());
        response
    }
}

/// What the error pages need to know of the request, taken before the handler consumes it.
pub struct ErrorContext<'a> {
    request_id: &'a str,
    login_route: bool,
    lang: Lang,
}

impl<'a> ErrorContext<'a> {
    pub fn of(app: &AppState, request: &Request, request_id: &'a RequestId) -> Self {
        let extensions = request.extensions();
        Self {
            request_id: &request_id.0,
            login_route: extensions
                .get::<axum::extract::MatchedPath>()
                .and_then(|p| p.as_str().strip_prefix(app.base.as_str()))
                .is_some_and(|p| p.starts_with("/room/") || p == "/callback"),
            lang: extensions.get::<Lang>().copied().unwrap_or_default(),
        }
    }
}

/// Renders every error response as a page and logs it once (called by the request frame).
/// Error statuses produced without an [`AppError`] (timeouts, body limits, shedding) get a
/// page of their kind too.
pub fn render(app: &AppState, context: ErrorContext<'_>, mut response: Response) -> Response {
    let ErrorContext {
        request_id,
        login_route,
        lang: request_lang,
    } = context;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = match response.extensions_mut().remove::<ErrorInfo>() {
        Some(info) => info,
        // Probes answer in plain text on purpose.
        None if response.extensions().get::<PlainText>().is_some() => return response,
        None => generic(status),
    };
    // Only the login routes count as failed logins; login_denied is counted as a denial.
    if login_route && info.kind != "login_denied" {
        metrics::counter!(crate::metrics::LOGINS_FAILED, "reason" => info.kind).increment(1);
    }
    if status.is_server_error() {
        tracing::error!(kind = info.kind, status = status.as_u16(), cause = %info.cause, "request failed");
    } else {
        tracing::warn!(kind = info.kind, status = status.as_u16(), cause = %info.cause, "request refused");
    }
    // The handler may know better (a login started in another language).
    let lang = response
        .extensions()
        .get::<Lang>()
        .copied()
        .unwrap_or(request_lang);
    let title = lang.t(info.title);
    let message = info.message.text(lang);
    let retry_link = info.retry.as_ref().map(|r| r.link(&app.base));
    // A denied user may sign in with another account (Keycloak shows its form again).
    let switch_link = info
        .retry
        .as_ref()
        .filter(|_| info.denied)
        .map(|r| r.switch_account_link(&app.base));
    // A failed pop-up login also tells the Jitsi window that opened it.
    let post = app
        .inline_origin
        .as_deref()
        .filter(|_| response.extensions().get::<Popup>().is_some())
        .map(|origin| crate::http::inline::error_message(origin, &title));
    // Offered only when the Jitsi side lets people in without a token (`guests.enabled`).
    // Never to a denied user: the rules said no to them, not to guests.
    let guest_link = info
        .retry
        .as_ref()
        .filter(|_| app.guests && !info.denied)
        .map(|r| app.target.guest_url(&r.room, r.tenant.as_ref()).to_string());
    let popup = post.is_some();
    let page = ErrorPage {
        c: crate::http::pages::Chrome::of(app, lang),
        post,
        title: &title,
        message: &message,
        retry: retry_link.as_deref().filter(|_| !info.denied),
        switch_account: switch_link.as_deref(),
        jitsi: app.target.base.as_str(),
        logout: info.denied.then(|| format!("{}/logout", app.base)),
        guest: guest_link.as_deref(),
        account: info.account.as_deref(),
        admin: &info.admin,
        request_id,
        meta: lang.t_with("request-id", &[("status", status.as_u16().to_string())]),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{title} (request id {request_id})"));
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    if popup {
        crate::http::middleware::headers::allow_jitsi_window(&mut parts.extensions, false);
    }
    Response::from_parts(parts, Html(body).into_response().into_body())
}

/// Marks an error response that must keep its own plain-text body (`/readyz`).
#[derive(Debug, Clone, Copy)]
pub struct PlainText;

fn generic(status: StatusCode) -> ErrorInfo {
    let kind = kinds::of_status(status);
    ErrorInfo {
        kind: kind.name,
        title: kind.title,
        message: Msg::new(kind.message),
        retry: None,
        admin: String::new(),
        denied: false,
        account: None,
        cause: format!("status {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jitsi::state_param::StateError;
    use crate::jitsi::tenant::TenantError;
    use crate::session::pending::LoginLookup;

    /// Every failure a login route can produce is exported from the start.
    #[test]
    fn every_login_failure_kind_is_listed() {
        let errors = [
            AppError::BadRoom(RoomError::Empty),
            AppError::BadTenant(TenantError::Empty),
            AppError::BadState(StateError::NotAnObject),
            AppError::UnknownLogin(LoginLookup::Expired),
            AppError::UnknownLogin(LoginLookup::Replayed),
            AppError::UnknownLogin(LoginLookup::Unknown),
            AppError::MissingParameter("code"),
            AppError::LoginCancelled { retry: None },
            AppError::IdpError {
                code: "x".into(),
                retry: None,
            },
            AppError::IssuerMismatch {
                got: "a".into(),
                expected: "b".into(),
            },
            AppError::IssuerMissing,
            AppError::Oidc(OidcError::Unavailable("x".into()), None),
            AppError::Oidc(OidcError::ExchangeRefused("x".into()), None),
            AppError::Oidc(OidcError::CodeRefused("x".into()), None),
            AppError::IdpError {
                code: "server_error".into(),
                retry: None,
            },
            AppError::Oidc(OidcError::InvalidIdToken("x".into()), None),
            AppError::NoSubject,
            AppError::Internal("x".into()),
        ];
        let counted = kinds::failure_kinds();
        for e in errors {
            let kind = e.info().kind;
            assert!(counted.contains(&kind), "{kind}");
        }
        for status in [
            StatusCode::GATEWAY_TIMEOUT,
            StatusCode::URI_TOO_LONG,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_REQUEST,
        ] {
            assert!(counted.contains(&generic(status).kind), "{status}");
        }
    }
}
