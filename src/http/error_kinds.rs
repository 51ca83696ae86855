//! Every kind of error page, in one table. A kind's name is what logs, metrics
//! (`bridge_logins_failed_total{reason}`) and `docs/troubleshooting.md` call it; its status
//! and texts are what the user gets. Adding a kind is one row here, its two texts in each
//! `locales/*/bridge.ftl` and its section in the guide (the tests below check all three), and
//! the arm of `AppError::kind` that picks it.

use axum::http::StatusCode;

/// One kind of error page.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    /// The status of an `AppError` of this kind (generic pages keep the status they had).
    pub status: StatusCode,
    /// Fluent keys of the message and the title.
    pub message: &'static str,
    pub title: &'static str,
    /// Exported at 0 from the start under `bridge_logins_failed_total`, so that alerts see a
    /// series before the first failure. Denials are counted as denials; the inspector's and
    /// `not_found` never come from a login route.
    pub counted: bool,
}

macro_rules! kinds {
    ($($id:ident = $name:literal, $status:ident, $message:literal, $title:literal, $counted:literal;)*) => {
        $(
            pub const $id: Kind = Kind {
                name: $name,
                status: StatusCode::$status,
                message: $message,
                title: $title,
                counted: $counted,
            };
        )*
        /// Every kind, in the order of a login.
        pub const ALL: &[&Kind] = &[$(&$id),*];
    };
}

kinds! {
    BAD_ROOM = "bad_room", BAD_REQUEST, "err-bad-room", "err-bad-room-title", true;
    BAD_TENANT = "bad_tenant", BAD_REQUEST, "err-bad-tenant", "err-bad-tenant-title", true;
    BAD_STATE = "bad_state", BAD_REQUEST, "err-bad-state", "err-bad-state-title", true;
    INLINE_UNAVAILABLE = "inline_unavailable", BAD_REQUEST, "err-inline-unavailable", "err-inline-unavailable-title", true;
    IDP_UNAVAILABLE = "idp_unavailable", SERVICE_UNAVAILABLE, "err-idp-unavailable", "err-idp-unavailable-title", true;
    LOGIN_EXPIRED = "login_expired", BAD_REQUEST, "err-login-expired", "err-login-expired-title", true;
    LOGIN_REPLAYED = "login_replayed", BAD_REQUEST, "err-login-replayed", "err-login-replayed-title", true;
    LOGIN_UNKNOWN = "login_unknown", BAD_REQUEST, "err-login-unknown", "err-login-unknown-title", true;
    BAD_CALLBACK = "bad_callback", BAD_REQUEST, "err-bad-callback", "err-bad-callback-title", true;
    ISSUER_MISMATCH = "issuer_mismatch", BAD_REQUEST, "err-issuer-mismatch", "err-issuer-mismatch-title", true;
    ISSUER_MISSING = "issuer_missing", BAD_REQUEST, "err-issuer-missing", "err-issuer-missing-title", true;
    LOGIN_CANCELLED = "login_cancelled", FORBIDDEN, "err-login-cancelled", "err-login-cancelled-title", true;
    // Keycloak's error codes that mean a setting is wrong (RFC 6749 4.1.2.1).
    IDP_ERROR = "idp_error", BAD_GATEWAY, "err-idp-error", "err-idp-error-title", true;
    // `temporarily_unavailable`: the same page, and Keycloak's to fix.
    IDP_ERROR_LATER = "idp_error", SERVICE_UNAVAILABLE, "err-idp-error", "err-idp-error-title", true;
    // Any other code is not Keycloak's to send here: it came with the request.
    IDP_ERROR_UNKNOWN = "idp_error_unknown", BAD_REQUEST, "err-idp-error-unknown", "err-idp-error-unknown-title", true;
    CODE_REFUSED = "code_refused", BAD_REQUEST, "err-code-refused", "err-code-refused-title", true;
    EXCHANGE_REFUSED = "exchange_refused", BAD_GATEWAY, "err-exchange-refused", "err-exchange-refused-title", true;
    ID_TOKEN_INVALID = "id_token_invalid", BAD_GATEWAY, "err-id-token-invalid", "err-id-token-invalid-title", true;
    NO_SUBJECT = "no_subject", BAD_GATEWAY, "err-no-subject", "err-no-subject-title", true;
    LOGIN_DENIED = "login_denied", FORBIDDEN, "err-denied", "err-denied-title", false;
    LEVEL_TOO_LOW = "level_too_low", FORBIDDEN, "err-level-too-low", "err-level-too-low-title", true;
    INTERNAL = "internal", INTERNAL_SERVER_ERROR, "err-internal", "err-internal-title", true;
    BAD_TOKEN = "bad_token", BAD_REQUEST, "err-bad-token", "err-bad-token-title", false;
    NO_TOKEN = "no_token", BAD_REQUEST, "err-no-token", "err-bad-token-title", false;
    TOKEN_EXPIRED = "token_expired", BAD_REQUEST, "err-token-expired", "err-token-expired-title", false;
    NOT_FOUND = "not_found", NOT_FOUND, "err-not-found", "err-not-found-title", false;
    // Pages for statuses the frame produces without an `AppError`.
    TIMEOUT = "timeout", GATEWAY_TIMEOUT, "err-timeout", "err-timeout-title", true;
    TOO_LONG = "too_long", URI_TOO_LONG, "err-too-long", "err-too-long-title", true;
    TOO_LARGE = "too_large", PAYLOAD_TOO_LARGE, "err-too-large", "err-too-large-title", true;
    METHOD_NOT_ALLOWED = "method_not_allowed", METHOD_NOT_ALLOWED, "err-method", "err-method-title", true;
    OVERLOADED = "overloaded", SERVICE_UNAVAILABLE, "err-busy", "err-busy-title", true;
    BAD_REQUEST = "bad_request", BAD_REQUEST, "err-bad-request", "err-bad-request-title", true;
}

/// The kind of an error status that no handler explained.
pub fn of_status(status: StatusCode) -> &'static Kind {
    match status {
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => &TIMEOUT,
        StatusCode::URI_TOO_LONG => &TOO_LONG,
        StatusCode::PAYLOAD_TOO_LARGE => &TOO_LARGE,
        StatusCode::METHOD_NOT_ALLOWED => &METHOD_NOT_ALLOWED,
        StatusCode::SERVICE_UNAVAILABLE => &OVERLOADED,
        s if s.is_server_error() => &INTERNAL,
        _ => &BAD_REQUEST,
    }
}

/// The names counted under `bridge_logins_failed_total`, each once.
pub fn failure_kinds() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for k in ALL.iter().filter(|k| k.counted) {
        if !names.contains(&k.name) {
            names.push(k.name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> String {
        let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Each kind's texts are in the catalogue (`lang`'s test checks every other language has
    /// every English key), and the guide has a word for each.
    #[test]
    fn every_kind_has_its_texts_and_its_place_in_the_guide() {
        let english = file("locales/en/bridge.ftl");
        let guide = file("docs/troubleshooting.md");
        for k in ALL {
            for key in [k.message, k.title] {
                assert!(
                    english.lines().any(|l| l.starts_with(&format!("{key} ="))),
                    "{}: no text {key} in locales/en/bridge.ftl",
                    k.name
                );
            }
            assert!(
                guide.contains(&format!("### {}\n", k.name))
                    || guide.contains(&format!("- **{} (", k.name)),
                "{}: not in docs/troubleshooting.md",
                k.name
            );
            assert!(k.status.is_client_error() || k.status.is_server_error());
        }
    }

    #[test]
    fn the_failure_kinds_are_each_counted_once() {
        let kinds = failure_kinds();
        assert_eq!(kinds.iter().filter(|k| **k == "idp_error").count(), 1);
        assert!(!kinds.contains(&"login_denied"));
        assert!(kinds.contains(&"overloaded"));
        assert_eq!(kinds.len(), 26, "{kinds:?}");
    }
}
