//! Discovery and the provider's keys: fetched at start or on first use, retried after a
//! failure at most every few seconds, and fetched again when an ID token names a key not seen
//! yet (limited separately, so that a rotation right after start is picked up at once).

use super::*;

impl Oidc {
    pub(super) async fn provider(&self) -> Result<Arc<Provider>, OidcError> {
        if let Some(p) = self.provider.read().await.as_ref() {
            return Ok(p.clone());
        }
        let mut refresh = self.refresh.lock().await;
        // Another request may have finished discovery while this one waited.
        if let Some(p) = self.provider.read().await.as_ref() {
            return Ok(p.clone());
        }
        let now = self.clock.now();
        if refresh.last_failed
            && refresh
                .last_attempt
                .is_some_and(|t| now < t.saturating_add(RETRY_AFTER_FAILURE_SECS))
        {
            return Err(OidcError::Unavailable(
                "the last attempt failed moments ago".into(),
            ));
        }
        refresh.last_attempt = Some(now);
        match self.discover().await {
            Ok(p) => {
                refresh.last_failed = false;
                self.reach.record(now, Ok(()));
                let p = Arc::new(p);
                *self.provider.write().await = Some(p.clone());
                Ok(p)
            }
            Err(e) => {
                refresh.last_failed = true;
                // The back-off counts from when the attempt gave up, not from when it began,
                // so that requests queued behind a hanging attempt do not each repeat it.
                let ended = self.clock.now();
                refresh.last_attempt = Some(ended);
                self.reach.record(ended, Err(e.to_string()));
                Err(e)
            }
        }
    }

    /// Fetches metadata and keys again, at most once per [`KEY_REFRESH_INTERVAL_SECS`].
    pub(super) async fn refresh_keys(&self) -> Option<Arc<Provider>> {
        let mut refresh = self.refresh.lock().await;
        let now = self.clock.now();
        if refresh
            .last_key_refresh
            .is_some_and(|t| now < t.saturating_add(KEY_REFRESH_INTERVAL_SECS))
        {
            return None;
        }
        refresh.last_key_refresh = Some(now);
        refresh.last_attempt = Some(now);
        match self.discover().await {
            Ok(p) => {
                refresh.last_failed = false;
                let p = Arc::new(p);
                *self.provider.write().await = Some(p.clone());
                Some(p)
            }
            Err(e) => {
                refresh.last_failed = true;
                tracing::warn!(error = %e, "refreshing Keycloak's keys failed");
                None
            }
        }
    }

    pub(super) async fn discover(&self) -> Result<Provider, OidcError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Unavailable(format!("the issuer is not a URL: {e}")))?;
        let started = std::time::Instant::now();
        let metadata = Metadata::discover_async(issuer, &self.http).await;
        crate::metrics::observe_idp("discovery", started.elapsed());
        let metadata =
            metadata.map_err(|e| OidcError::Unavailable(crate::telemetry::error_chain(&e)))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let iss_required = metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported;
        let mut authorize_base = metadata.authorization_endpoint().url().clone();
        {
            let scopes = std::iter::once("openid")
                .chain(
                    self.settings
                        .scopes
                        .iter()
                        .map(String::as_str)
                        .filter(|s| *s != "openid"),
                )
                .collect::<Vec<_>>()
                .join(" ");
            authorize_base
                .query_pairs_mut()
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", self.settings.redirect_uri.as_str())
                .append_pair("scope", &scopes);
        }
        let client = OidcClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(RedirectUrl::from_url(self.settings.redirect_uri.clone()));
        Ok(Provider {
            client,
            authorize_base,
            end_session,
            iss_required,
        })
    }
}
