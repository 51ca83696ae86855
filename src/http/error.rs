//! The one error type of the HTTP layer, and the one place it becomes a page.
//!
//! Handlers return [`AppError`]. Its `IntoResponse` only sets the status and stores an
//! [`ErrorInfo`] in the response extensions; the [`render_errors`] middleware, which knows the
//! request id, writes the single log line and renders the askama error page. Users see a fixed,
//! plain-language message per variant; causes go to the log only.

use crate::http::inline::Popup;
use crate::http::pages::ErrorPage;
use crate::jitsi::room::{RoomError, RoomName};
use crate::jitsi::state::StateError;
use crate::jitsi::tenant::{Tenant, TenantError};
use crate::keycloak::oidc::OidcError;
use crate::login_state::LoginLookup;
use crate::state::AppState;
use crate::telemetry::RequestId;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad room name: {0}")]
    BadRoom(RoomError),
    #[error("bad tenant: {0}")]
    BadTenant(TenantError),
    #[error("bad state parameter: {0}")]
    BadState(StateError),
    #[error("callback without a usable pending login: {0:?}")]
    UnknownLogin(LoginLookup),
    #[error("callback without the {0} parameter")]
    MissingParameter(&'static str),
    #[error("the login was cancelled at Keycloak (error=access_denied)")]
    LoginCancelled { retry: Option<Box<Retry>> },
    #[error("Keycloak answered the login with error={code}")]
    IdpError {
        code: String,
        retry: Option<Box<Retry>>,
    },
    #[error("the callback's iss parameter {got:?} is not this realm's issuer {expected:?}")]
    IssuerMismatch { got: String, expected: String },
    #[error(
        "the callback has no iss parameter, although the provider advertises that it always \
         sends one (RFC 9207)"
    )]
    IssuerMissing,
    #[error("{0}")]
    Oidc(OidcError, Option<Box<Retry>>),
    #[error("denied by {rule}")]
    Denied {
        /// The rule's reason, when it may be shown.
        reason: Option<String>,
        /// Which Keycloak mappers seem to be missing, for the admin.
        advice: Vec<String>,
        rule: String,
    },
    #[error("the ID token has no usable subject")]
    NoSubject,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("token inspector: {0}")]
    BadInspectedToken(String),
    #[error("no such page")]
    NotFound,
    #[error(
        "Jitsi asked for an inline (pop-up) login, but the bridge is not served under the Jitsi \
         origin, so Jitsi would ignore the result; serve it under a path of the Jitsi site or \
         turn tokenAuthInline off"
    )]
    InlineUnavailable,
}

/// Every `kind` a login route can fail with (the `reason` label of the failed-logins counter):
/// exported at 0 from the start, so that alerts on them see a series before the first failure.
/// `login_denied` is counted as a denial instead.
pub const FAILURE_KINDS: &[&str] = &[
    "bad_room",
    "bad_tenant",
    "bad_state",
    "login_expired",
    "login_replayed",
    "login_unknown",
    "bad_callback",
    "login_cancelled",
    "idp_error",
    "idp_error_unknown",
    "code_refused",
    "issuer_mismatch",
    "issuer_missing",
    "inline_unavailable",
    "idp_unavailable",
    "exchange_refused",
    "id_token_invalid",
    "no_subject",
    "internal",
    "timeout",
    "too_long",
    "too_large",
    "method_not_allowed",
    "overloaded",
    "bad_request",
];

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
    pub title: &'static str,
    pub message: String,
    /// The room (and tenant) to offer "try again" (and "join as guest") for, when known.
    pub retry: Option<Retry>,
    /// The cause, for the log only.
    pub cause: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRoom(_)
            | AppError::BadTenant(_)
            | AppError::BadState(_)
            | AppError::UnknownLogin(_)
            | AppError::MissingParameter(_)
            | AppError::IssuerMismatch { .. }
            | AppError::IssuerMissing
            | AppError::InlineUnavailable
            | AppError::BadInspectedToken(_) => StatusCode::BAD_REQUEST,
            AppError::LoginCancelled { .. } | AppError::Denied { .. } => StatusCode::FORBIDDEN,
            AppError::IdpError { code, .. } if code == "temporarily_unavailable" => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            // Codes that mean a setting is wrong; any other code is not Keycloak's to send
            // here, so it came from whoever made the request.
            AppError::IdpError { code, .. } if OPERATOR_ERROR_CODES.contains(&code.as_str()) => {
                StatusCode::BAD_GATEWAY
            }
            AppError::IdpError { .. } | AppError::Oidc(OidcError::CodeRefused(_), _) => {
                StatusCode::BAD_REQUEST
            }
            AppError::Oidc(OidcError::Unavailable(_), _) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Oidc(_, _) | AppError::NoSubject => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::NotFound => StatusCode::NOT_FOUND,
        }
    }

    fn info(&self) -> ErrorInfo {
        let (kind, title, message, retry): (&'static str, &'static str, String, Option<&Retry>) = match self {
            AppError::BadRoom(e) => ("bad_room", "This room name cannot be used", format!("Sorry, {e}. Please check the link or choose another name."), None),
            AppError::BadTenant(e) => (
                "bad_tenant",
                "This meeting address cannot be used",
                format!("Sorry, {e}. Please check the link."),
                None,
            ),
            AppError::BadState(e) => (
                "bad_state",
                "This login link is not valid",
                format!("Sorry, {e}. Please go back to the meeting and log in from there."),
                None,
            ),
            AppError::UnknownLogin(LoginLookup::Expired) => ("login_expired", "This login has expired", "The login took too long and has expired. Please open the room link again.".into(), None),
            AppError::UnknownLogin(LoginLookup::Replayed) => ("login_replayed", "This login was already used", "This login link has already been used. Please open the room link again.".into(), None),
            AppError::UnknownLogin(LoginLookup::Unknown) => ("login_unknown", "This login is unknown", "The bridge has no record of this login in your browser. It may have been started in another browser, already finished, or cookies may be blocked. Please open the room link again.".into(), None),
            AppError::MissingParameter(_) => ("bad_callback", "Incomplete login response", "The answer from the login server was incomplete. Please open the room link again.".into(), None),
            AppError::LoginCancelled { retry } => ("login_cancelled", "Login cancelled", "The login was cancelled, so you were not sent to the meeting.".into(), retry.as_deref()),
            AppError::IdpError { code, retry } if !OPERATOR_ERROR_CODES.contains(&code.as_str()) && code != "temporarily_unavailable" => ("idp_error_unknown", "The login could not be completed", "The answer from the login server was not one the bridge knows. Please open the room link again.".into(), retry.as_deref()),
            AppError::Oidc(OidcError::CodeRefused(_), retry) => ("code_refused", "This login has expired", "The login server no longer accepts this login (it was already used or took too long). Please open the room link again.".into(), retry.as_deref()),
            AppError::IdpError { retry, .. } => ("idp_error", "The login server refused the login", "The login server reported a problem with this login. Please try again; if it keeps happening, tell your administrator the request id below.".into(), retry.as_deref()),
            AppError::Denied { reason, advice, .. } => {
                let mut text = match reason {
                    Some(r) => format!("You may not enter this meeting: {r}"),
                    None => "You may not enter this meeting with your account.".to_owned(),
                };
                if !advice.is_empty() {
                    text.push_str(" If you should have access, please tell your administrator the request id below: ");
                    text.push_str(&advice.join("; "));
                    text.push('.');
                }
                ("login_denied", "Access denied", text, None)
            }
            AppError::IssuerMissing => ("issuer_missing", "Login answer without its sender", "The login answer did not say which login server sent it. Please open the room link again.".into(), None),
            AppError::IssuerMismatch { .. } => ("issuer_mismatch", "Login answer from the wrong server", "The login answer did not come from the expected login server. Please open the room link again.".into(), None),
            AppError::Oidc(OidcError::Unavailable(_), retry) => ("idp_unavailable", "The login server is not reachable", "The login server (Keycloak) cannot be reached right now. Please try again in a minute.".into(), retry.as_deref()),
            AppError::Oidc(OidcError::ExchangeRefused(_), retry) => ("exchange_refused", "The login could not be completed", "The login server refused to complete the login. Please try again; if it keeps happening, tell your administrator the request id below.".into(), retry.as_deref()),
            AppError::Oidc(OidcError::InvalidIdToken(_), retry) => ("id_token_invalid", "The login could not be verified", "The identity sent by the login server failed the bridge's checks. Please try again; if it keeps happening, tell your administrator the request id below.".into(), retry.as_deref()),
            AppError::NoSubject => ("no_subject", "The login could not be verified", "The login server sent an identity without a user id.".into(), None),
            AppError::Internal(_) => ("internal", "Something went wrong", "The bridge hit an internal error. Please try again; if it keeps happening, tell your administrator the request id below.".into(), None),
            AppError::BadInspectedToken(_) => ("bad_token", "This token is not valid", "The token could not be verified with this bridge's key, or it has expired.".into(), None),
            AppError::InlineUnavailable => ("inline_unavailable", "This login window cannot be used", "The meeting opened the login in a separate window, which this login service does not support here. Please tell your administrator the request id below; closing this window and opening the meeting link in the browser works meanwhile.".into(), None),
            AppError::NotFound => ("not_found", "Page not found", "There is nothing here. Meeting links look like /room/<name>.".into(), None),
        };
        ErrorInfo {
            kind,
            title,
            message,
            retry: retry.cloned(),
            cause: self.to_string(),
        }
    }
}

/// Where "Try again" leads: the same room (and tenant) through the bridge.
#[derive(Debug, Clone)]
pub struct Retry {
    pub room: RoomName,
    pub tenant: Option<Tenant>,
}

impl Retry {
    /// `<base>/room/[<tenant>/]<name>`, each part encoded as one path segment.
    pub fn link(&self, base: &str) -> String {
        let segment = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        match &self.tenant {
            Some(t) => format!(
                "{base}/room/{}/{}",
                segment(t.as_str()),
                segment(self.room.as_str())
            ),
            None => format!("{base}/room/{}", segment(self.room.as_str())),
        }
    }
}

impl From<RoomError> for AppError {
    fn from(e: RoomError) -> Self {
        AppError::BadRoom(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self.info());
        response
    }
}

/// Renders every error response as a page and logs it once. Error statuses produced without
/// an [`AppError`] (timeouts, body limits) get a generic page too.
pub async fn render_errors(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_default();
    let login_route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .and_then(|p| p.as_str().strip_prefix(app.base.as_str()))
        .is_some_and(|p| p.starts_with("/room/") || p == "/callback");
    let mut response = next.run(request).await;
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
    let retry_link = info.retry.as_ref().map(|r| r.link(&app.base));
    // A failed pop-up login also tells the Jitsi window that opened it.
    let post = app
        .inline_origin
        .as_deref()
        .filter(|_| response.extensions().get::<Popup>().is_some())
        .map(|origin| crate::http::inline::error_message(origin, info.title));
    // Offered only when the Jitsi side lets people in without a token (`guests.enabled`).
    let guest_link = info
        .retry
        .as_ref()
        .filter(|_| app.guests)
        .map(|r| app.target.guest_url(&r.room, r.tenant.as_ref()).to_string());
    let popup = post.is_some();
    let page = ErrorPage {
        base: &app.base,
        post,
        title: info.title,
        message: &info.message,
        retry: retry_link.as_deref(),
        guest: guest_link.as_deref(),
        request_id: &request_id.0,
        status: status.as_u16(),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{} (request id {})", info.title, request_id.0));
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    if popup {
        crate::http::inline::allow_jitsi_window(&mut parts.headers, false);
    }
    Response::from_parts(parts, Html(body).into_response().into_body())
}

/// Marks an error response that must keep its own plain-text body (`/readyz`).
#[derive(Debug, Clone, Copy)]
pub struct PlainText;

fn generic(status: StatusCode) -> ErrorInfo {
    let (kind, title, message) = match status {
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
            "timeout",
            "This took too long",
            "The request took too long and was stopped. Please try again.",
        ),
        StatusCode::URI_TOO_LONG => (
            "too_long",
            "Address too long",
            "The address is longer than the bridge accepts. Meeting links look like /room/<name>.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            "Request too large",
            "The request was larger than the bridge accepts.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Not allowed",
            "This page cannot be used that way.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "overloaded",
            "The bridge is busy",
            "The bridge is handling too many requests. Please try again in a moment.",
        ),
        s if s.is_server_error() => (
            "internal",
            "Something went wrong",
            "The bridge hit an internal error. Please try again.",
        ),
        _ => (
            "bad_request",
            "Bad request",
            "The bridge could not understand this request.",
        ),
    };
    ErrorInfo {
        kind,
        title,
        message: message.into(),
        retry: None,
        cause: format!("status {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login_state::LoginLookup;

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
        for e in errors {
            let kind = e.info().kind;
            assert!(FAILURE_KINDS.contains(&kind), "{kind}");
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
            assert!(FAILURE_KINDS.contains(&generic(status).kind), "{status}");
        }
    }
}
