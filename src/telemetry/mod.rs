//! Logging: subscriber set-up, request ids and the per-request log line.
//!
//! Request lines carry the method, the *matched route* (`/room/{room}`), the status and the
//! latency, never the URI: `/callback?code=...` and `/inspect/...?jwt=...` must not reach a log.

pub mod json;
pub mod writer;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::response::Response;
use rand::RngCore;
use std::io::IsTerminal;
use std::time::Instant;

/// Target of the audit events (login started / succeeded / refused).
pub const AUDIT: &str = "bridge::audit";

/// The id of one request, shown on error pages and sent as `x-request-id`.
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub String);

impl RequestId {
    fn new() -> Self {
        Self(format!("{:016x}", rand::rng().next_u64()))
    }
}

pub use writer::LogGuard;

/// `[log] format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `info,jitsi_oidc_bridge=debug`.
    pub level: String,
}

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `log.level`.
///
/// Lines are formatted on the request's thread and written in batches by a thread of their
/// own ([`writer`]); none is ever dropped.
pub fn init(config: &LogConfig) -> LogGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = writer::batched(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let _ = match config.format {
        LogFormat::Json => builder
            .fmt_fields(json::JsonFragment)
            .event_format(json::JsonLines)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
    guard
}

/// One request's id and span, from its start to its response.
pub struct Traced {
    id: RequestId,
    span: tracing::Span,
    started: Instant,
}

impl Traced {
    /// Gives the request an id (always a fresh one: a client-supplied id is not trusted into
    /// logs) and the span its log lines carry.
    pub fn start(request: &Request) -> Self {
        let id = RequestId::new();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str());
        let span = tracing::info_span!(
            "request",
            request_id = id.0.as_str(),
            method = request.method().as_str(),
            route = route
        );
        Self {
            id,
            span,
            started: Instant::now(),
        }
    }

    /// The id, for the error pages.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Logs the `served` line and sends the id back as `x-request-id`.
    pub fn finish(self, response: &mut Response) {
        // Per-request lines are debug: at info they cost about a fifth of the throughput of
        // /room, and the reverse proxy keeps access logs anyway. Errors and audit events are
        // logged at warn/info elsewhere.
        self.span.in_scope(|| {
            tracing::debug!(
                status = response.status().as_u16(),
                latency_ms = self.started.elapsed().as_millis() as u64,
                "served"
            );
        });
        if let Ok(value) = HeaderValue::from_str(&self.id.0) {
            response.headers_mut().insert("x-request-id", value);
        }
    }
}

/// An error with its sources, for one log line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
