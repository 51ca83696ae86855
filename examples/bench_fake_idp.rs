//! Benchmark helpers in one program (used by `scripts/bench.sh`):
//!
//! - `serve`: a tiny OIDC provider on 127.0.0.1 that behaves like a Keycloak realm as far as
//!   the bridge can tell: discovery document, JWKS, an authorization endpoint that signs the
//!   user in at once (it remembers the request's `nonce` and PKCE challenge under a fresh
//!   code and redirects back with `code`, `state` and `iss`), and a token endpoint that checks
//!   the client secret, the code, the redirect URI and the PKCE verifier and answers with an
//!   RS256 ID token carrying that nonce and an `at_hash`. This takes Keycloak out of the
//!   measurement of the bridge's callback.
//! - `abandon`: N `GET /room/<name>` requests, each from a browser without cookies, whose
//!   logins are never finished (memory and CPU cost of abandoned logins).
//! - `logins`: N full logins, from `GET /room` through the identity provider (this fake, or a
//!   real Keycloak with its login form) and `/callback` to the Jitsi redirect, with C logins
//!   in flight; reports logins/s, latency percentiles, and the CPU time (utime + stime from
//!   `/proc/<pid>/stat`) that each named process spent per login.
//!
//! Results are printed as `key=value` lines on standard output. Every loop is bounded by a
//! count and by `--max-secs`; the server exits by itself after `--exit-after-secs`.

#![allow(clippy::print_stdout)] // the output is the point of this program

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clap::{Parser, Subcommand, ValueEnum};
use jitsi_oidc_bridge::clock::{Clock, SystemClock};
use jitsi_oidc_bridge::session::pending::random_token;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the fake identity provider on 127.0.0.1 (a free port, written to --port-file).
    Serve {
        #[arg(long)]
        port_file: PathBuf,
        #[arg(long, default_value = "bench")]
        realm: String,
        #[arg(long, default_value = "jitsi-bridge")]
        client_id: String,
        #[arg(long, default_value = "bench-client-secret-0123456789")]
        client_secret: String,
        /// Exit after this many seconds even if nobody stops us.
        #[arg(long, default_value_t = 1800)]
        exit_after_secs: u64,
    },
    /// N `GET /room/<room>` from cookie-less browsers; the logins are never finished.
    Abandon {
        /// The bridge's base URL, e.g. http://127.0.0.1:3000
        #[arg(long)]
        bridge: String,
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// The room path segment, already percent-encoded.
        #[arg(long, default_value = "Team%20Sync")]
        room: String,
        /// `name=pid` of a process whose CPU time to report per request (repeatable).
        #[arg(long)]
        cpu: Vec<String>,
        #[arg(long, default_value_t = 100)]
        clk_tck: u64,
        #[arg(long, default_value_t = 300)]
        max_secs: u64,
    },
    /// N connections that each send a large request header and never finish it, held until
    /// the server closes them or `hold_secs` pass; prints the server's VmRSS with all of them
    /// open (the worst a slow client can make a connection cost).
    SlowHeaders {
        /// host:port of the bridge's public listener.
        #[arg(long)]
        addr: String,
        #[arg(long, default_value_t = 500)]
        n: usize,
        /// Bytes of the one header line that never ends.
        #[arg(long, default_value_t = 30_000)]
        header_bytes: usize,
        /// The server's process id, whose VmRSS to read.
        #[arg(long)]
        pid: u32,
        #[arg(long, default_value_t = 8)]
        hold_secs: u64,
    },
    /// N full logins, C at a time.
    Logins {
        #[arg(long)]
        bridge: String,
        #[arg(long, value_enum)]
        idp: Idp,
        #[arg(long, default_value_t = 1000)]
        n: usize,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        #[arg(long, default_value = "Team%20Sync")]
        room: String,
        /// Keycloak users as `user:password`, comma separated; login i uses user i mod len.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "alice:alice-password,bob:bob-password,carol:carol-password"
        )]
        users: Vec<String>,
        /// Keycloak: each worker keeps its browser, so after its first password login every
        /// further login is single sign-on (Keycloak answers the authorize request at once).
        /// Without it every login is a fresh browser that types the password.
        #[arg(long)]
        sso: bool,
        /// With the fake IdP too, make every login a new browser (new connections, no
        /// cookies), as Keycloak password logins are.
        #[arg(long)]
        fresh_browser: bool,
        /// The start of the URL every login must end on (the configured `jitsi.url`).
        #[arg(long, default_value = "https://meet.example.test/")]
        jitsi_url: String,
        /// `name=pid` of a process whose CPU time to report per login (repeatable).
        #[arg(long)]
        cpu: Vec<String>,
        #[arg(long, default_value_t = 100)]
        clk_tck: u64,
        #[arg(long, default_value_t = 300)]
        max_secs: u64,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Idp {
    /// This program's `serve`: the authorization endpoint redirects back at once.
    Fake,
    /// A real Keycloak: log in through its login form (or single sign-on with `--sso`).
    Keycloak,
}

/// Upper bounds on the load loops, whatever the command line says.
const MAX_SLOW_CONNECTIONS: usize = 10_000;
const MAX_N: usize = 5_000_000;
const MAX_CONCURRENCY: usize = 1024;
/// Codes issued but not yet exchanged that the fake keeps; older ones are dropped beyond it.
const MAX_PENDING_CODES: usize = 100_000;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench_fake_idp: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                port_file,
                realm,
                client_id,
                client_secret,
                exit_after_secs,
            } => serve(port_file, realm, client_id, client_secret, exit_after_secs).await,
            Command::Abandon {
                bridge,
                n,
                concurrency,
                room,
                cpu,
                clk_tck,
                max_secs,
            } => abandon(bridge, n, concurrency, room, cpu, clk_tck, max_secs).await,
            Command::SlowHeaders {
                addr,
                n,
                header_bytes,
                pid,
                hold_secs,
            } => slow_headers(addr, n, header_bytes, pid, hold_secs).await,
            Command::Logins {
                bridge,
                idp,
                n,
                concurrency,
                room,
                users,
                sso,
                fresh_browser,
                jitsi_url,
                cpu,
                clk_tck,
                max_secs,
            } => {
                let plan = LoginPlan {
                    bridge: bridge.trim_end_matches('/').to_owned(),
                    idp,
                    room,
                    users: parse_users(&users)?,
                    sso,
                    fresh_browser,
                    jitsi_url,
                };
                logins(Arc::new(plan), n, concurrency, cpu, clk_tck, max_secs).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_fake_idp: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fake identity provider.

struct FakeIdp {
    issuer: String,
    client_id: String,
    client_secret: String,
    kid: String,
    key: jsonwebtoken::EncodingKey,
    discovery: String,
    jwks: String,
    codes: Mutex<HashMap<String, Grant>>,
}

/// What the authorization request said, kept until the code is exchanged.
struct Grant {
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
    issued: u64,
}

async fn serve(
    port_file: PathBuf,
    realm: String,
    client_id: String,
    client_secret: String,
    exit_after_secs: u64,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .port();
    let issuer = format!("http://127.0.0.1:{port}/realms/{realm}");
    let (key, n, e) = rsa_key()?;
    let kid = "bench-idp-key".to_owned();
    let oidc = format!("{issuer}/protocol/openid-connect");
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "jwks_uri": format!("{oidc}/certs"),
        "end_session_endpoint": format!("{oidc}/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "email",
            "email_verified", "preferred_username", "picture", "groups", "roles"],
        "authorization_response_iss_parameter_supported": true,
    })
    .to_string();
    let jwks = json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
    }]})
    .to_string();
    let idp = Arc::new(FakeIdp {
        issuer,
        client_id,
        client_secret,
        kid,
        key,
        discovery,
        jwks,
        codes: Mutex::new(HashMap::new()),
    });
    let base = format!("/realms/{realm}");
    let app = Router::new()
        .route(
            &format!("{base}/.well-known/openid-configuration"),
            get(discovery_doc),
        )
        .route(&format!("{base}/protocol/openid-connect/certs"), get(certs))
        .route(
            &format!("{base}/protocol/openid-connect/auth"),
            get(authorize),
        )
        .route(
            &format!("{base}/protocol/openid-connect/token"),
            axum::routing::post(token),
        )
        .with_state(idp);
    std::fs::write(&port_file, format!("{port}\n"))
        .map_err(|e| format!("cannot write {}: {e}", port_file.display()))?;
    let limit = tokio::time::sleep(Duration::from_secs(exit_after_secs));
    axum::serve(listener, app)
        .with_graceful_shutdown(limit)
        .await
        .map_err(|e| e.to_string())
}

/// A fresh 2048-bit RSA key (Keycloak's default size): the signing key and the public n, e.
fn rsa_key() -> Result<(jsonwebtoken::EncodingKey, Vec<u8>, Vec<u8>), String> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| format!("RSA key: {e}"))?;
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
        .map_err(|e| format!("RSA key: {e}"))?;
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| format!("RSA key: {e}"))?;
    let public = pair.public_key();
    let n = public.modulus().big_endian_without_leading_zero().to_vec();
    let e = public.exponent().big_endian_without_leading_zero().to_vec();
    Ok((key, n, e))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description}).to_string(),
    )
}

async fn discovery_doc(State(idp): State<Arc<FakeIdp>>) -> Response {
    json_response(StatusCode::OK, idp.discovery.clone())
}

async fn certs(State(idp): State<Arc<FakeIdp>>) -> Response {
    json_response(StatusCode::OK, idp.jwks.clone())
}

fn params(raw: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// The authorization endpoint: the user is "already signed in", so it redirects back at once
/// with a fresh code bound to this request's nonce, PKCE challenge and redirect URI.
async fn authorize(State(idp): State<Arc<FakeIdp>>, RawQuery(query): RawQuery) -> Response {
    let q = params(query.as_deref().unwrap_or(""));
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != idp.client_id
        || get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
        || get("nonce").is_empty()
        || get("state").is_empty()
        || !get("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let Ok(mut back) = Url::parse(get("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response();
    };
    let code = random_token();
    {
        let Ok(mut codes) = idp.codes.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "poisoned").into_response();
        };
        if codes.len() >= MAX_PENDING_CODES {
            // Unexchanged codes of abandoned runs: forget them all rather than grow.
            codes.clear();
        }
        codes.insert(
            code.clone(),
            Grant {
                nonce: get("nonce").to_owned(),
                code_challenge: get("code_challenge").to_owned(),
                redirect_uri: get("redirect_uri").to_owned(),
                issued: SystemClock.now(),
            },
        );
    }
    back.query_pairs_mut()
        .append_pair("state", get("state"))
        .append_pair("session_state", "bench-session")
        .append_pair("iss", &idp.issuer)
        .append_pair("code", &code);
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// `client_secret_basic` (RFC 6749 2.3.1: both parts form-urlencoded) or `client_secret_post`.
fn client_authenticated(
    idp: &FakeIdp,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let Ok(decoded) = STANDARD.decode(basic.trim()) else {
            return false;
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return false;
        };
        let Some((id, secret)) = text.split_once(':') else {
            return false;
        };
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return unescape(id) == idp.client_id && unescape(secret) == idp.client_secret;
    }
    form.get("client_id") == Some(&idp.client_id)
        && form.get("client_secret") == Some(&idp.client_secret)
}

fn sha256_b64(data: &[u8], take: usize) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..take.min(bytes.len())])
}

/// The token endpoint: checks the client, the code, the redirect URI and PKCE, then answers
/// like Keycloak (an opaque access token here, an RS256 ID token with `nonce` and `at_hash`).
async fn token(State(idp): State<Arc<FakeIdp>>, headers: HeaderMap, body: String) -> Response {
    let form = params(&body);
    if !client_authenticated(&idp, &headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "bad client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let grant = match idp.codes.lock() {
        Ok(mut codes) => codes.remove(&code),
        Err(_) => None,
    };
    let Some(grant) = grant else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
    };
    let now = SystemClock.now();
    if now > grant.issued.saturating_add(60) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code expired");
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if sha256_b64(verifier.as_bytes(), 32) != grant.code_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification",
        );
    }
    let access_token = random_token();
    let claims = json!({
        "exp": now + 300,
        "iat": now,
        "auth_time": now,
        "jti": random_token(),
        "iss": idp.issuer,
        "aud": idp.client_id,
        "sub": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "typ": "ID",
        "azp": idp.client_id,
        "nonce": grant.nonce,
        "sid": "bench-session",
        "at_hash": sha256_b64(access_token.as_bytes(), 16),
        "acr": "1",
        "email_verified": true,
        "name": "Alice Moderator",
        "preferred_username": "alice",
        "given_name": "Alice",
        "family_name": "Moderator",
        "email": "alice@example.test",
        "groups": ["moderators"],
        "roles": ["moderator", "default-roles-bench"],
    });
    let mut jwt_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jwt_header.kid = Some(idp.kid.clone());
    let id_token = match jsonwebtoken::encode(&jwt_header, &claims, &idp.key) {
        Ok(t) => t,
        Err(e) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            );
        }
    };
    json_response(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
            "scope": "openid profile email",
            "session_state": "bench-session",
        })
        .to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// Load: abandoned logins and full logins.

/// Reads utime + stime of a process, in seconds.
fn cpu_secs(pid: u32, clk_tck: u64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15 (man 5 proc).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / clk_tck.max(1) as f64)
}

/// `name=pid` pairs.
fn parse_cpu(cpu: &[String]) -> Result<Vec<(String, u32)>, String> {
    cpu.iter()
        .map(|s| {
            let (name, pid) = s
                .split_once('=')
                .ok_or_else(|| format!("--cpu {s}: expected name=pid"))?;
            let pid = pid.parse().map_err(|_| format!("--cpu {s}: bad pid"))?;
            Ok((name.to_owned(), pid))
        })
        .collect()
}

fn cpu_snapshot(procs: &[(String, u32)], clk_tck: u64) -> Vec<Option<f64>> {
    procs
        .iter()
        .map(|(_, pid)| cpu_secs(*pid, clk_tck))
        .collect()
}

/// One `key=value` line per measured process: CPU seconds used, and µs per operation.
fn report_cpu(
    procs: &[(String, u32)],
    before: &[Option<f64>],
    after: &[Option<f64>],
    ops: usize,
    unit: &str,
) {
    for (((name, _), b), a) in procs.iter().zip(before).zip(after) {
        if let (Some(b), Some(a)) = (b, a) {
            let used = a - b;
            let per = if ops > 0 {
                used * 1e6 / ops as f64
            } else {
                0.0
            };
            println!("cpu_{name}_secs={used:.2}");
            println!("cpu_{name}_us_per_{unit}={per:.1}");
        } else {
            println!("cpu_{name}_secs=unknown");
        }
    }
}

/// Latency percentiles in milliseconds.
fn report_latency(prefix: &str, micros: &mut [u64]) {
    micros.sort_unstable();
    let pick = |p: f64| -> f64 {
        if micros.is_empty() {
            return 0.0;
        }
        let i = ((micros.len() as f64 - 1.0) * p).round() as usize;
        micros[i.min(micros.len() - 1)] as f64 / 1000.0
    };
    let mean = if micros.is_empty() {
        0.0
    } else {
        micros.iter().sum::<u64>() as f64 / micros.len() as f64 / 1000.0
    };
    println!("{prefix}_mean_ms={mean:.3}");
    println!("{prefix}_p50_ms={:.3}", pick(0.50));
    println!("{prefix}_p90_ms={:.3}", pick(0.90));
    println!("{prefix}_p99_ms={:.3}", pick(0.99));
    println!("{prefix}_max_ms={:.3}", pick(1.0));
}

fn browser(cookies: bool) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

fn location(resp: &reqwest::Response) -> Result<String, String> {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("{} without Location", resp.status()))
}

#[derive(Default)]
struct WorkerResult {
    ok: usize,
    failed: usize,
    first_error: Option<String>,
    /// Whole operation, µs.
    total: Vec<u64>,
    /// Only the `GET /callback` of a login, µs.
    callback: Vec<u64>,
}

impl WorkerResult {
    fn fail(&mut self, e: String) {
        self.failed += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e);
        }
    }

    fn merge(&mut self, other: WorkerResult) {
        self.ok += other.ok;
        self.failed += other.failed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.total.extend(other.total);
        self.callback.extend(other.callback);
    }
}

async fn slow_headers(
    addr: String,
    n: usize,
    header_bytes: usize,
    pid: u32,
    hold_secs: u64,
) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let n = n.min(MAX_SLOW_CONNECTIONS);
    let header_bytes = header_bytes.min(1 << 20);
    let rss = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let before = rss();
    let mut head = b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Pad: ".to_vec();
    head.resize(head.len() + header_bytes, b'a');
    let head = Arc::new(head);
    let refused = Arc::new(AtomicUsize::new(0));
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        // Written in pieces, as a slow client would; a server that closes mid-way ends it.
        let mut sent_all = true;
        for chunk in head.chunks(4096) {
            if stream.write_all(chunk).await.is_err() {
                sent_all = false;
                break;
            }
        }
        if sent_all {
            streams.push(stream);
        } else {
            refused.fetch_add(1, Ordering::Relaxed);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Those the server already answered (431) or closed do not count as held.
    let mut held = 0usize;
    let mut buf = [0u8; 256];
    for stream in &mut streams {
        // Still waiting for an answer: the server holds it.
        let answered = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await;
        if answered.is_err() {
            held += 1;
        }
    }
    let during = rss();
    println!("connections_tried={n}");
    println!("connections_held={held}");
    println!("connections_refused_or_closed={}", n - held);
    println!("header_bytes={header_bytes}");
    println!("rss_before_kb={before}");
    println!("rss_held_kb={during}");
    println!(
        "rss_per_held_connection_bytes={}",
        (during.saturating_sub(before) * 1024)
            .checked_div(held as u64)
            .unwrap_or(0)
    );
    tokio::time::sleep(Duration::from_secs(hold_secs.min(120))).await;
    drop(streams);
    Ok(())
}

async fn abandon(
    bridge: String,
    n: usize,
    concurrency: usize,
    room: String,
    cpu: Vec<String>,
    clk_tck: u64,
    max_secs: u64,
) -> Result<(), String> {
    let n = n.min(MAX_N);
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let procs = parse_cpu(&cpu)?;
    let url = format!("{}/room/{room}", bridge.trim_end_matches('/'));
    // No cookie store: every request is a new browser, so each leaves a fresh abandoned login.
    let client = browser(false)?;
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(max_secs);
    let before = cpu_snapshot(&procs, clk_tck);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = WorkerResult::default();
            while next.fetch_add(1, Ordering::Relaxed) < n && Instant::now() < deadline {
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(resp)
                        if resp.status() == StatusCode::SEE_OTHER
                            && resp.headers().contains_key(reqwest::header::SET_COOKIE) =>
                    {
                        r.ok += 1;
                        r.total.push(t.elapsed().as_micros() as u64);
                    }
                    Ok(resp) => r.fail(format!("GET /room answered {}", resp.status())),
                    Err(e) => r.fail(format!("GET /room: {e}")),
                }
            }
            r
        }));
    }
    let mut all = WorkerResult::default();
    for t in tasks {
        all.merge(t.await.map_err(|e| format!("worker: {e}"))?);
    }
    let wall = started.elapsed().as_secs_f64();
    let after = cpu_snapshot(&procs, clk_tck);
    println!("requests_ok={}", all.ok);
    println!("requests_failed={}", all.failed);
    println!("wall_secs={wall:.2}");
    println!("requests_per_sec={:.0}", all.ok as f64 / wall.max(1e-9));
    report_latency("request", &mut all.total);
    report_cpu(&procs, &before, &after, all.ok, "request");
    if let Some(e) = &all.first_error {
        println!("first_error={e}");
    }
    if all.ok < n {
        return Err(format!("only {} of {n} requests succeeded", all.ok));
    }
    Ok(())
}

struct LoginPlan {
    bridge: String,
    idp: Idp,
    room: String,
    users: Vec<(String, String)>,
    sso: bool,
    fresh_browser: bool,
    jitsi_url: String,
}

fn parse_users(users: &[String]) -> Result<Vec<(String, String)>, String> {
    let parsed: Vec<(String, String)> = users
        .iter()
        .filter_map(|u| u.split_once(':'))
        .map(|(u, p)| (u.to_owned(), p.to_owned()))
        .collect();
    if parsed.is_empty() {
        return Err("--users: expected user:password[,user:password...]".into());
    }
    Ok(parsed)
}

/// The action of Keycloak's login form (`form#kc-form-login`), HTML entities decoded.
fn form_action(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("form#kc-form-login").ok()?;
    let action = doc.select(&sel).next()?.value().attr("action")?;
    Some(action.to_owned())
}

/// One login; returns the µs spent in `GET /callback`.
async fn one_login(
    plan: &LoginPlan,
    client: &reqwest::Client,
    user: &(String, String),
) -> Result<u64, String> {
    let resp = client
        .get(format!("{}/room/{}", plan.bridge, plan.room))
        .send()
        .await
        .map_err(|e| format!("GET /room: {e}"))?;
    if resp.status() != StatusCode::SEE_OTHER {
        return Err(format!("GET /room answered {}", resp.status()));
    }
    let authorize = location(&resp)?;
    let resp = client
        .get(&authorize)
        .send()
        .await
        .map_err(|e| format!("GET authorize: {e}"))?;
    let resp = match (plan.idp, resp.status()) {
        (_, StatusCode::FOUND) => resp,
        (Idp::Keycloak, StatusCode::OK) => {
            let html = resp.text().await.map_err(|e| format!("login page: {e}"))?;
            let action = form_action(&html).ok_or("no form#kc-form-login on the login page")?;
            client
                .post(action)
                .form(&[
                    ("username", user.0.as_str()),
                    ("password", user.1.as_str()),
                    ("credentialId", ""),
                ])
                .send()
                .await
                .map_err(|e| format!("POST login form: {e}"))?
        }
        (_, other) => return Err(format!("authorize answered {other}")),
    };
    if resp.status() != StatusCode::FOUND {
        return Err(format!("the IdP answered the login with {}", resp.status()));
    }
    let callback = location(&resp)?;
    if !callback.starts_with(&format!("{}/callback?", plan.bridge)) {
        return Err(format!(
            "the IdP did not send back to /callback: {callback}"
        ));
    }
    let t = Instant::now();
    let resp = client
        .get(&callback)
        .send()
        .await
        .map_err(|e| format!("GET /callback: {e}"))?;
    let spent = t.elapsed().as_micros() as u64;
    if resp.status() != StatusCode::SEE_OTHER {
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let title = body
            .split("<title>")
            .nth(1)
            .and_then(|s| s.split("</title>").next())
            .unwrap_or("");
        return Err(format!("GET /callback answered {status} ({title})"));
    }
    let to = location(&resp)?;
    if !to.starts_with(&plan.jitsi_url) || !to.contains("jwt=") {
        return Err(format!("callback did not send to Jitsi with a token: {to}"));
    }
    Ok(spent)
}

async fn logins(
    plan: Arc<LoginPlan>,
    n: usize,
    concurrency: usize,
    cpu: Vec<String>,
    clk_tck: u64,
    max_secs: u64,
) -> Result<(), String> {
    let n = n.min(MAX_N);
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let procs = parse_cpu(&cpu)?;
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(max_secs);
    let before = cpu_snapshot(&procs, clk_tck);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (plan, next) = (plan.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = WorkerResult::default();
            // With the fake IdP and with --sso the worker keeps one browser (cookie jar and
            // connections); otherwise (or with --fresh-browser) each login is a new browser.
            let keep = (plan.idp == Idp::Fake || plan.sso) && !plan.fresh_browser;
            let mut kept = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || Instant::now() >= deadline {
                    break;
                }
                let client = match (&kept, keep) {
                    (Some(c), true) => Ok(reqwest::Client::clone(c)),
                    _ => browser(true),
                };
                let client = match client {
                    Ok(c) => c,
                    Err(e) => {
                        r.fail(e);
                        break;
                    }
                };
                if keep {
                    kept = Some(client.clone());
                }
                // A kept browser stays one Keycloak user; fresh browsers take turns.
                let pick = if keep { worker } else { worker + i };
                let user = &plan.users[pick % plan.users.len()];
                let t = Instant::now();
                match one_login(&plan, &client, user).await {
                    Ok(cb) => {
                        r.ok += 1;
                        r.total.push(t.elapsed().as_micros() as u64);
                        r.callback.push(cb);
                    }
                    Err(e) => r.fail(e),
                }
            }
            r
        }));
    }
    let mut all = WorkerResult::default();
    for t in tasks {
        all.merge(t.await.map_err(|e| format!("worker: {e}"))?);
    }
    let wall = started.elapsed().as_secs_f64();
    let after = cpu_snapshot(&procs, clk_tck);
    println!("logins_ok={}", all.ok);
    println!("logins_failed={}", all.failed);
    println!("wall_secs={wall:.2}");
    println!("logins_per_sec={:.1}", all.ok as f64 / wall.max(1e-9));
    report_latency("login", &mut all.total);
    report_latency("callback", &mut all.callback);
    report_cpu(&procs, &before, &after, all.ok, "login");
    if let Some(e) = &all.first_error {
        println!("first_error={e}");
    }
    if all.failed > 0 || all.ok == 0 {
        return Err(format!(
            "{} of {} logins failed; first error: {}",
            all.failed,
            all.ok + all.failed,
            all.first_error.as_deref().unwrap_or("none")
        ));
    }
    Ok(())
}
