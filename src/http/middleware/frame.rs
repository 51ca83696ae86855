//! The frame every request passes through before its handler, in this order: its id and log
//! span, its language, the URI length check, its turn under the overload limit and the
//! request timeout; on the way out, the error page for any error status, the security headers
//! and `x-request-id`.
//!
//! One middleware instead of a stack of them: each axum `from_fn` or tower layer costs a boxed
//! future and a clone of the rest of the stack per request; folding six into one cut the
//! instructions per `GET /room` by 6.5 % (docs/benchmarks.md). The parts stay in their own
//! modules.

use crate::http::error::{self, ErrorContext};
use crate::http::middleware::headers::{self, Policies};
use crate::http::middleware::i18n;
use crate::http::middleware::shed::Shedder;
use crate::lang::Lang;
use crate::shared::AppState;
use crate::telemetry;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// What the frame needs, built once from the configuration.
pub struct Frame {
    pub app: AppState,
    pub policies: Policies,
    pub default_language: Lang,
    pub shedder: Shedder,
    /// `server.request_timeout_secs`: a request (its wait for a turn included) that takes
    /// longer gets the timeout page.
    pub timeout: Duration,
}

pub async fn frame(State(frame): State<Arc<Frame>>, mut request: Request, next: Next) -> Response {
    let lang = i18n::of_request(&request, frame.default_language);
    request.extensions_mut().insert(lang);
    let traced = telemetry::Traced::start(&request);
    let span = traced.span().clone();
    let mut response = async {
        let context = ErrorContext::of(&frame.app, &request, traced.id());
        let response = if headers::uri_too_long(request.uri()) {
            StatusCode::URI_TOO_LONG.into_response()
        } else {
            let handled = async {
                match frame.shedder.admit(request.uri().path()).await {
                    Ok(_turn) => next.run(request).await,
                    Err(busy) => busy,
                }
            };
            tokio::time::timeout(frame.timeout, handled)
                .await
                .unwrap_or_else(|_| StatusCode::GATEWAY_TIMEOUT.into_response())
        };
        error::render(&frame.app, context, response)
    }
    .instrument(span)
    .await;
    headers::apply(&frame.policies, &mut response);
    traced.finish(&mut response);
    response
}
