//! The routes, and the middleware around them: the body limit, then the request frame
//! (`http::middleware::frame`). The handlers of the small routes (start page, stylesheets, the start
//! page's form) are here too; each other route has a module of its own.

use crate::config::Config;
use crate::http::error::AppError;
use crate::http::middleware::headers;
use crate::http::pages::IndexPage;
use crate::http::{callback, health, inspector, keys, login, logout};
use crate::lang::Lang;
use crate::shared::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted; no route takes a body.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// Every route, in the frame.
pub fn router(config: &Config, state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/", get(index))
        .route("/room/{room}", get(login::room))
        .route("/open", get(open_room))
        .route("/room/{tenant}/{room}", get(login::tenant_room))
        .route("/callback", get(callback::finish))
        .route(
            "/logout",
            get(logout::logout).post(logout::logout_confirmed),
        )
        .route("/logged-out", get(logout::logged_out))
        .route("/asap/{file}", get(keys::asap))
        .route("/jwks.json", get(keys::jwks_json))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/bridge.css", get(stylesheet))
        .route("/static/inline.js", get(crate::http::inline::script))
        .route("/static/brand.css", get(brand_stylesheet))
        // Browsers ask for it on every page; a quiet "no icon" instead of a 404 and a log line.
        .route(
            "/favicon.ico",
            get(|| async {
                (
                    StatusCode::NO_CONTENT,
                    [(header::CACHE_CONTROL, "public, max-age=86400")],
                )
            }),
        );
    if config.inspector_enabled {
        routes = routes.route("/inspect/{*room}", get(inspector::inspect));
    }
    // Served under the path of `public_url` (e.g. `/auth` when the bridge shares the Jitsi
    // origin), so a reverse proxy passes requests on unchanged. The probes also answer at the
    // root, where orchestrators and `healthcheck` ask.
    let base = config.base_path();
    if !base.is_empty() {
        routes = Router::new()
            .nest(&base, routes)
            .route("/healthz", get(health::healthz))
            .route("/readyz", get(health::readyz));
    }
    let timeout = Duration::from_secs(config.server.request_timeout_secs);
    // The frame (request id and span, language, URI length, overload limit, timeout, error
    // pages, security headers; http/frame.rs) around the body size limit around the routes.
    routes
        .fallback(not_found)
        .with_state(state.clone())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::http::middleware::frame::Frame {
                app: state.clone(),
                policies: headers::Policies::new(
                    &config.branding.img_origins(),
                    &config.branding.style_origins(),
                    &form_targets(config),
                    config.server.public_url.scheme() == "https",
                ),
                default_language: config.default_language,
                shedder: crate::http::middleware::shed::Shedder::new(
                    config.server.max_in_flight,
                    &config.base_path(),
                ),
                timeout,
            }),
            crate::http::middleware::frame::frame,
        ))
}

async fn index(State(app): State<AppState>, lang: Lang) -> Result<Response, AppError> {
    let html = IndexPage {
        c: crate::http::pages::Chrome::of(&app, lang),
    }
    .render()?;
    Ok(Html(html).into_response())
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/bridge.css"),
    )
        .into_response()
}

/// The configured colour (empty without one); cached like the main stylesheet.
async fn brand_stylesheet(State(app): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        app.branding.css(),
    )
        .into_response()
}

/// `GET /open?room=<name>` from the start page's form: on to `/room/<name>`.
async fn open_room(
    State(app): State<AppState>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let name = login::query_param(query.as_deref().unwrap_or(""), "room").unwrap_or_default();
    let room = crate::jitsi::room::RoomName::parse(name.trim())?;
    let retry = crate::http::retry::Retry::fresh(room, None);
    login::redirect(&retry.link(&app.base), &[])
}

/// The origins a form of the bridge's pages may lead to through redirects.
fn form_targets(config: &Config) -> Vec<String> {
    let mut out: Vec<String> = std::iter::once(&config.realm)
        .chain(config.tenants.values())
        .filter_map(|r| url::Url::parse(&r.oidc.issuer).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    out.extend(
        config
            .logout_redirect_url
            .iter()
            .map(|u| u.origin().ascii_serialization()),
    );
    out
}
