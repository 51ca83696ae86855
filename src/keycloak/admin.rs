//! A small client for Keycloak's admin REST API (`/admin/realms/...`), enough for
//! `setup-keycloak`: sign in as an admin or a service account, then read and write clients,
//! their protocol mappers and roles, and groups.

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;

/// Who signs in to the admin API.
pub enum Credentials {
    /// An admin user of `realm` (usually `master`), through the `admin-cli` client, of the
    /// Keycloak at `base` only: the password is never sent to another server (a tenant's own
    /// Keycloak, or whatever its issuer names).
    User {
        base: String,
        realm: String,
        user: String,
        password: SecretString,
    },
    /// A service account with `manage-clients` (and `manage-users` for groups) in the realm.
    Client {
        realm: String,
        client_id: String,
        secret: SecretString,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot reach Keycloak at {0}: {1}")]
    Unreachable(String, String),
    #[error("Keycloak refused the admin sign-in ({0}): check the admin credentials")]
    SignIn(StatusCode),
    #[error(
        "the admin account may not {0} (HTTP {1}): it needs the realm-management roles \
         manage-clients (and manage-users to create groups) in realm {2}"
    )]
    Forbidden(String, StatusCode, String),
    #[error("Keycloak answered {1} to {0}")]
    Failed(String, StatusCode),
    #[error(
        "not signed in to {target}: the admin user belongs to the Keycloak at {own}, and its \
         password is sent nowhere else; run setup-keycloak (or doctor) for this realm with \
         credentials of that Keycloak (a configuration of its own, or a service account there)"
    )]
    OtherServer { target: String, own: String },
}

pub struct Admin {
    http: reqwest::Client,
    /// `https://sso.example.org` (Keycloak's base, without `/realms/...`).
    base: String,
    realm: String,
    token: SecretString,
}

impl Admin {
    /// Signs in; `base` is Keycloak's base URL, `realm` the realm to manage.
    pub async fn sign_in(base: &str, realm: &str, creds: &Credentials) -> Result<Self, AdminError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| AdminError::Unreachable(base.to_owned(), e.to_string()))?;
        let (token_realm, form): (&str, Vec<(&str, &str)>) = match creds {
            Credentials::User { base: own, .. }
                if own.trim_end_matches('/') != base.trim_end_matches('/') =>
            {
                return Err(AdminError::OtherServer {
                    target: base.to_owned(),
                    own: own.clone(),
                });
            }
            Credentials::User {
                base: _,
                realm,
                user,
                password,
            } => (
                realm,
                vec![
                    ("grant_type", "password"),
                    ("client_id", "admin-cli"),
                    ("username", user),
                    ("password", password.expose_secret()),
                ],
            ),
            Credentials::Client {
                realm,
                client_id,
                secret,
            } => (
                realm,
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret.expose_secret()),
                ],
            ),
        };
        let url = format!("{base}/realms/{token_realm}/protocol/openid-connect/token");
        let resp = http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|e| AdminError::Unreachable(base.to_owned(), e.to_string()))?;
        if !resp.status().is_success() {
            return Err(AdminError::SignIn(resp.status()));
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| AdminError::Unreachable(base.to_owned(), e.to_string()))?;
        let token = body["access_token"]
            .as_str()
            .ok_or(AdminError::SignIn(StatusCode::OK))?;
        Ok(Self {
            http,
            base: base.to_owned(),
            realm: realm.to_owned(),
            token: SecretString::from(token.to_owned()),
        })
    }

    /// When Keycloak says it issued the admin token (`iat`): its clock, for `doctor`. The
    /// payload is read only for that time, never trusted for anything else.
    pub fn issued_at(&self) -> Option<i64> {
        use base64::Engine;
        let payload = self.token.expose_secret().split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        serde_json::from_slice::<Value>(&bytes).ok()?["iat"].as_i64()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/realms/{}{path}", self.base, self.realm)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<reqwest::Response, AdminError> {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.token.expose_secret());
        if let Some(b) = body {
            request = request.json(b);
        }
        let resp = request
            .send()
            .await
            .map_err(|e| AdminError::Unreachable(self.base.clone(), e.to_string()))?;
        match resp.status() {
            s if s.is_success() => Ok(resp),
            s @ (StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => Err(AdminError::Forbidden(
                what.to_owned(),
                s,
                self.realm.clone(),
            )),
            s => Err(AdminError::Failed(what.to_owned(), s)),
        }
    }

    pub async fn get(&self, path: &str, what: &str) -> Result<Value, AdminError> {
        let resp = self.call(Method::GET, path, None, what).await?;
        resp.json()
            .await
            .map_err(|e| AdminError::Unreachable(self.base.clone(), e.to_string()))
    }

    pub async fn post(&self, path: &str, body: &Value, what: &str) -> Result<(), AdminError> {
        self.call(Method::POST, path, Some(body), what)
            .await
            .map(|_| ())
    }

    pub async fn put(&self, path: &str, body: &Value, what: &str) -> Result<(), AdminError> {
        self.call(Method::PUT, path, Some(body), what)
            .await
            .map(|_| ())
    }
}
