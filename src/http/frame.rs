//! The frame every request passes through first: its id and log span, its language, and on
//! the way out the security headers and the `x-request-id` header.
//!
//! One middleware instead of three: each axum `from_fn` layer costs a boxed future and a
//! clone of the rest of the stack per request, which together were a tenth of the CPU of
//! `GET /room` (docs/benchmarks.md). The parts stay in their own modules.

use crate::http::headers::{self, Policies};
use crate::http::i18n::{self, Lang};
use crate::telemetry;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tracing::Instrument;

/// What the frame needs, built once from the configuration.
pub struct Frame {
    pub policies: Policies,
    pub default_language: Lang,
}

pub async fn frame(State(frame): State<Arc<Frame>>, mut request: Request, next: Next) -> Response {
    let lang = i18n::of_request(&request, frame.default_language);
    request.extensions_mut().insert(lang);
    let traced = telemetry::Traced::start(&mut request);
    let mut response = next.run(request).instrument(traced.span().clone()).await;
    headers::apply(&frame.policies, &mut response);
    traced.finish(&mut response);
    response
}
