//! The public keys Jitsi's Prosody fetches to check RS256 tokens.
//!
//! `GET /asap/<hex sha256(kid)>.pem` serves one PEM public key, the layout of Prosody's
//! `asap_key_server` (docker-jitsi-meet `JWT_ASAP_KEYSERVER=https://bridge/asap`);
//! `GET /jwks.json` serves all keys as a JWKS for `cache_keys_url`.

use crate::http::error::AppError;
use crate::jitsi::signing::jwks;
use crate::shared::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Public keys may be cached; Prosody refreshes `cache_keys_url` by `max-age` minus 60 s.
const CACHE: &str = "public, max-age=600";

pub async fn asap(
    State(app): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let key = app
        .public_keys
        .iter()
        .find(|k| k.asap_file_name() == file)
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file"),
            (header::CACHE_CONTROL, CACHE),
        ],
        key.pem(),
    )
        .into_response())
}

pub async fn jwks_json(State(app): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, CACHE),
        ],
        jwks(&app.public_keys).to_string(),
    )
        .into_response()
}
