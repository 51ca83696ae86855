//! The request side of the page language: the [`Lang`] of each request, and handlers taking it
//! as an argument. The languages and texts are in `crate::lang`.

use crate::lang::Lang;
use axum::extract::Request;
use axum::http::header;

/// Handlers take the request's language as an argument (put into the request by the frame,
/// from [`of_request`]; English when a route runs without it).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Lang>().copied().unwrap_or_default())
    }
}

/// The request's [`Lang`]: `?lang=`, then `Accept-Language`, then `default`.
pub fn of_request(request: &Request, default: Lang) -> Lang {
    let query_lang = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    let accept = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(query_lang.as_deref(), accept, default)
}
