//! Security headers on every response.
//!
//! The pages load nothing but the bridge's own stylesheet, so the CSP forbids everything else,
//! including inline script. The few pages of Jitsi's inline login set their own exceptions
//! (the bridge's own script, the opener kept, framing by their own origin), which stand. `no-referrer` keeps the `?jwt=` URL out of `Referer` headers, and
//! `no-store` keeps login redirects and pages out of caches.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    // The pages of Jitsi's inline login set their own, narrower exceptions (`http::inline`).
    let default = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    default(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    default(h, header::X_FRAME_OPTIONS, "DENY");
    default(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    // Handlers that serve cacheable content (stylesheet, public keys) say so themselves.
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
        set(h, header::PRAGMA, "no-cache");
    }
    response
}

/// Longest request target accepted. Real meeting links are far shorter; refusing early keeps
/// oversized input away from parsing and logging.
pub const MAX_URI_BYTES: usize = 4096;

/// Refuses over-long URLs with 414 (rendered as an error page by the error layer).
pub async fn limit_uri(request: Request, next: Next) -> Response {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return axum::http::StatusCode::URI_TOO_LONG.into_response();
    }
    next.run(request).await
}
