//! Wires config into state, routes and the middleware stack, and runs the server.

use crate::clock::Clock;
use crate::config::{Config, RealmConfig};
use crate::jitsi::signing::PublicKey;
use crate::jitsi::token::Minter;
use crate::keycloak::oidc::{Oidc, OidcSettings};
use crate::session::pending::LoginCookies;
use crate::shared::{AppState, Realm, Shared};
use axum::Router;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A bound, ready-to-run bridge.
pub struct App {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
    limits: crate::http::server::serve::Limits,
    /// Where the connection cap came from, for the start-up line.
    cap_from: String,
}

/// The app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("{0}")]
    Setup(String),
}

impl App {
    /// Builds state and router and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let listener = TcpListener::bind(config.server.listen)
            .await
            .map_err(|e| BuildError::Bind(config.server.listen, e))?;
        Self::with_listener(config, clock, listener)
    }

    /// Builds on an already bound listener (tests bind first to learn the port that goes
    /// into `server.public_url`).
    pub fn with_listener(
        config: Config,
        clock: Arc<dyn Clock>,
        listener: TcpListener,
    ) -> Result<Self, BuildError> {
        let (router, state) = router(&config, clock)?;
        let metrics_listener = match config.server.metrics_listen {
            Some(addr) => {
                let algorithms: Vec<&'static str> = std::iter::once(&config.realm)
                    .chain(config.tenants.values())
                    .map(|r| r.signer.algorithm.name())
                    .collect();
                let claims: Vec<&'static str> = crate::policy::claims::Claim::ALL
                    .iter()
                    .map(|c| c.name())
                    .collect();
                let failure_kinds = crate::http::error_kinds::failure_kinds();
                crate::metrics::enable(&crate::metrics::Labels {
                    algorithms: &algorithms,
                    failure_kinds: &failure_kinds,
                    claims: &claims,
                });
                let bind = || -> std::io::Result<TcpListener> {
                    let std_listener = std::net::TcpListener::bind(addr)?;
                    std_listener.set_nonblocking(true)?;
                    TcpListener::from_std(std_listener)
                };
                Some(bind().map_err(|e| BuildError::Bind(addr, e))?)
            }
            None => None,
        };
        let (max_connections, cap_from) = match config.server.max_connections {
            Some(n) => (n, "server.max_connections".to_owned()),
            None => {
                let cap = crate::http::server::serve::default_max_connections();
                (cap.max_connections, cap.describe())
            }
        };
        let limits = crate::http::server::serve::Limits {
            header_timeout: Duration::from_secs(config.server.header_timeout_secs),
            max_connections,
            name: "public",
        };
        Ok(Self {
            listener,
            metrics_listener,
            router,
            state,
            limits,
            cap_from,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served, if metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Load Keycloak's metadata now rather than on the first login, and tell the admin at
        // once whether Keycloak is reachable. Failure is not fatal: it is retried on demand.
        let state = self.state.clone();
        tokio::spawn(async move {
            for realm in state.realms() {
                match realm.oidc.load().await {
                    Ok(()) => {
                        tracing::info!(realm = %realm.name, "Keycloak metadata and keys loaded")
                    }
                    Err(e) => tracing::warn!(
                        realm = %realm.name,
                        error = %e,
                        "Keycloak is not reachable yet; logins get a 503 page until it is"
                    ),
                }
            }
        });
        let metrics = self.metrics_listener.map(|listener| {
            tokio::spawn(async move {
                let Some(router) = crate::metrics::router() else {
                    tracing::error!("the metrics recorder could not be installed: no /metrics");
                    return;
                };
                // A scraper needs a handful of connections; the cap keeps a flood on this
                // port from taking descriptors from the public one.
                let limits = crate::http::server::serve::Limits {
                    header_timeout: std::time::Duration::from_secs(10),
                    max_connections: 64,
                    name: "metrics",
                };
                let serving = crate::http::server::serve::serve(
                    listener,
                    router,
                    limits,
                    std::future::pending(),
                );
                if let Err(e) = serving.await {
                    tracing::error!(error = %e, "the metrics endpoint stopped");
                }
            })
        });
        tracing::info!(
            max_connections = self.limits.max_connections,
            from = self.cap_from,
            header_timeout_secs = self.limits.header_timeout.as_secs(),
            max_request_head_bytes = crate::http::server::serve::MAX_REQUEST_HEAD_BYTES,
            "accepting connections"
        );
        // The accept loop runs on a worker thread, not on the thread that started the
        // runtime: a connection accepted there is spawned onto that worker's own queue; from
        // outside the workers every new connection went through the shared queue and woke
        // a worker (docs/benchmarks.md).
        let serving =
            crate::http::server::serve::serve(self.listener, self.router, self.limits, shutdown);
        let result = tokio::spawn(serving)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Some(task) = metrics {
            task.abort();
        }
        result
    }
}

/// The shared state, and the routes with the middleware stack around them.
pub fn router(config: &Config, clock: Arc<dyn Clock>) -> Result<(Router, AppState), BuildError> {
    let state = shared(config, clock)?;
    Ok((crate::http::routes::router(config, state.clone()), state))
}

/// What the handlers share: a realm (adapter, minter, rules) for the default realm and for
/// each tenant with its own, the published keys, the cookie sealer.
fn shared(config: &Config, clock: Arc<dyn Clock>) -> Result<AppState, BuildError> {
    let redirect_uri = config.redirect_uri();
    let realm = |name: &str, rc: &RealmConfig| -> Result<Arc<Realm>, BuildError> {
        let oidc = Oidc::new(oidc_settings(&rc.oidc, redirect_uri.clone()), clock.clone())
            .map_err(|e| BuildError::Setup(e.to_string()))?;
        Ok(Arc::new(Realm {
            name: name.to_owned(),
            oidc,
            issuer: rc.oidc.issuer.clone(),
            client_id: rc.oidc.client_id.clone(),
            minter: Minter::new(rc.token.clone(), rc.signer.clone()),
            moderators: rc.moderators.clone(),
            absent_means_empty: rc.oidc.absent_means_empty,
        }))
    };
    let default_realm = realm("default", &config.realm)?;
    let mut tenant_realms = HashMap::new();
    for (name, rc) in &config.tenants {
        tenant_realms.insert(name.clone(), realm(name, rc)?);
    }
    let mut public_keys: Vec<PublicKey> = Vec::new();
    for key in std::iter::once(&config.realm)
        .chain(config.tenants.values())
        .flat_map(|rc| rc.signer.published.iter())
    {
        if !public_keys.iter().any(|k| k.kid == key.kid) {
            public_keys.push(key.clone());
        }
    }
    let logins = LoginCookies::new(
        &config.login.cookie_key,
        config.login.ttl_secs,
        config.secure_cookies(),
        &config.base_path(),
    )
    .map_err(|e| BuildError::Setup(e.to_string()))?;
    let state = AppState(Arc::new(Shared {
        clock,
        logins,
        target: config.jitsi.target.clone(),
        default_realm,
        tenant_realms,
        public_keys,
        logout_redirect: config.logout_redirect(),
        guests: config.guests_enabled,
        policy: config.policy.clone(),
        inspector: config.inspector_enabled,
        base: config.base_path(),
        inline_origin: config.inline_origin(),
        own_logged_out: config.own_logged_out(),
        public_origin: config.server.public_url.origin().ascii_serialization(),
        branding: config.branding.clone(),
    }));
    Ok(state)
}

/// What the Keycloak adapter needs of one realm's `[oidc]` settings (it takes plain values,
/// not the configuration).
pub fn oidc_settings(rc: &crate::config::OidcConfig, redirect_uri: url::Url) -> OidcSettings {
    OidcSettings {
        issuer: rc.issuer.clone(),
        client_id: rc.client_id.clone(),
        client_secret: rc.client_secret.clone(),
        redirect_uri,
        scopes: rc.scopes.clone(),
        http_timeout: std::time::Duration::from_secs(rc.http_timeout_secs),
    }
}
