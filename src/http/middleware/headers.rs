//! Security headers on every response.
//!
//! The pages load nothing but the bridge's own stylesheet (and, when configured, the
//! operator's logo and stylesheet), so the CSP forbids everything else, including inline
//! script. A page that carries a Jitsi token (the button into an app, the pop-up's last page)
//! loads no stylesheet from another origin: CSS alone can read an attribute's value a
//! character at a time through selectors, so that host would be trusted with the token. The few pages of Jitsi's inline login get their exceptions here too (the bridge's
//! own script, the opener kept, framing by their own origin). `no-referrer` keeps the `?jwt=`
//! URL out of `Referer` headers, and `no-store` keeps login redirects and pages out of caches.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy values: the pages', and the exceptions of the pages of Jitsi's
/// inline login. Built once from the configuration, which may add the origins of a logo and
/// a stylesheet (branding); nothing else is ever loaded from another origin.
#[derive(Debug, Clone)]
pub struct Policies {
    page: HeaderValue,
    popup: HeaderValue,
    framed: HeaderValue,
    /// `page` and `popup` without the stylesheet origins, for pages that carry a token.
    token_page: HeaderValue,
    token_popup: HeaderValue,
    /// `Strict-Transport-Security`, when the public URL is https: after the first visit the
    /// browser never again sends the login's cookies or codes over plain http, even from a
    /// typed `http://` link or a downgrading network.
    hsts: Option<HeaderValue>,
}

impl Policies {
    /// `form_targets`: where the pages' forms may end up after redirects (Chromium and WebKit
    /// check `form-action` along the redirect chain): the identity providers' origins (a room
    /// opened from the start page, logging out) and the configured logout page.
    pub fn new(
        img_origins: &[String],
        style_origins: &[String],
        form_targets: &[String],
        https: bool,
    ) -> Self {
        let mut forms = vec!["'self'".to_owned()];
        for o in form_targets {
            if !forms.contains(o) {
                forms.push(o.clone());
            }
        }
        let forms = forms.join(" ");
        let policy = |script: bool, ancestors: &str, foreign_styles: bool| {
            let mut img = vec!["'self'".to_owned()];
            img.extend(img_origins.iter().cloned());
            let mut style = vec!["'self'".to_owned()];
            if foreign_styles {
                style.extend(style_origins.iter().cloned());
            }
            let script = if script { "; script-src 'self'" } else { "" };
            let text = format!(
                "default-src 'none'; style-src {}; img-src {}{script}; form-action {forms}; \
                 frame-ancestors {ancestors}; base-uri 'none'",
                style.join(" "),
                img.join(" ")
            );
            HeaderValue::from_str(&text)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
        };
        Self {
            page: policy(false, "'none'", true),
            popup: policy(true, "'none'", true),
            framed: policy(true, "'self'", true),
            token_page: policy(false, "'none'", false),
            token_popup: policy(true, "'none'", false),
            // Two years, the figure browsers' preload lists ask for; no includeSubDomains or
            // preload, which would bind hosts the bridge does not own.
            hsts: https.then(|| HeaderValue::from_static("max-age=63072000")),
        }
    }
}

/// Marks a page that talks to the Jitsi window; this module then gives it its exceptions:
/// the bridge's own script may run, the opener is kept (`Cross-Origin-Opener-Policy:
/// same-origin` would cut it off from a Jitsi page without that policy), and a logout page
/// may be framed by its own origin, which is Jitsi's.
#[derive(Debug, Clone, Copy)]
pub struct JitsiWindow {
    pub framed: bool,
}

pub fn allow_jitsi_window(extensions: &mut axum::http::Extensions, framed: bool) {
    extensions.insert(JitsiWindow { framed });
}

/// Marks a response whose page carries a Jitsi token (see the module's comment).
#[derive(Debug, Clone, Copy)]
pub struct CarriesToken;

/// Sets the security headers of `response` (called by the request frame).
pub fn apply(policies: &Policies, response: &mut Response) {
    let window = response.extensions().get::<JitsiWindow>().copied();
    let token = response.extensions().get::<CarriesToken>().is_some();
    let h = response.headers_mut();
    // Room for these nine at once rather than growing the map one insert at a time.
    h.reserve(9);
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    let (csp, frames, opener) = match (window, token) {
        // Only a logout page is framed; it never carries a token.
        (Some(JitsiWindow { framed: true }), _) => (&policies.framed, "SAMEORIGIN", "unsafe-none"),
        (Some(JitsiWindow { framed: false }), false) => (&policies.popup, "DENY", "unsafe-none"),
        (Some(JitsiWindow { framed: false }), true) => {
            (&policies.token_popup, "DENY", "unsafe-none")
        }
        (None, false) => (&policies.page, "DENY", "same-origin"),
        (None, true) => (&policies.token_page, "DENY", "same-origin"),
    };
    h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    set(h, header::X_FRAME_OPTIONS, frames);
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        opener,
    );
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if let Some(hsts) = &policies.hsts {
        // A proxy in front that sets its own keeps it.
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert_with(|| hsts.clone());
    }
    // Handlers that serve cacheable content (stylesheet, public keys) say so themselves.
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
        set(h, header::PRAGMA, "no-cache");
    }
}

/// Longest request target accepted. Real meeting links are far shorter; refusing early keeps
/// oversized input away from parsing and logging.
pub const MAX_URI_BYTES: usize = 4096;

/// Whether the request target is longer than [`MAX_URI_BYTES`] (the error layer answers
/// such requests with a 414 page before any handler sees them).
pub fn uri_too_long(uri: &axum::http::Uri) -> bool {
    // The length of the URI as sent, without writing it out.
    let length = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len());
    length > MAX_URI_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(https: bool) -> axum::http::HeaderMap {
        let policies = Policies::new(&[], &[], &[], https);
        let mut response = Response::new(axum::body::Body::empty());
        apply(&policies, &mut response);
        response.headers().clone()
    }

    #[test]
    fn https_deployments_ask_for_https_only() {
        assert_eq!(
            headers(true)[header::STRICT_TRANSPORT_SECURITY],
            "max-age=63072000"
        );
        // Over plain http (loopback only) the header would be ignored, and would pin a
        // developer's localhost to https: not sent.
        assert!(!headers(false).contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn pages_that_carry_a_token_trust_no_other_stylesheet_host() {
        let styles = ["https://cdn.example.org".to_owned()];
        let policies = Policies::new(&[], &styles, &[], true);
        let csp = |token: bool, window: Option<JitsiWindow>| {
            let mut response = Response::new(axum::body::Body::empty());
            if token {
                response.extensions_mut().insert(CarriesToken);
            }
            if let Some(w) = window {
                response.extensions_mut().insert(w);
            }
            apply(&policies, &mut response);
            response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned()
        };
        let popup = Some(JitsiWindow { framed: false });
        assert!(csp(false, None).contains("style-src 'self' https://cdn.example.org;"));
        assert!(csp(false, popup).contains("style-src 'self' https://cdn.example.org;"));
        assert!(
            csp(true, None).contains("style-src 'self';"),
            "{}",
            csp(true, None)
        );
        assert!(csp(true, popup).contains("style-src 'self';"));
        assert!(csp(true, popup).contains("script-src 'self'"));
    }
}
