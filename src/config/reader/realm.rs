//! One realm's settings: the default realm's, or a tenant's, which inherits what it does not
//! set.

use super::*;

impl Reader<'_> {
    /// The Keycloak and signing settings of the default realm (`prefix` empty, `base` None),
    /// or of one tenant (`prefix` `tenants.<name>.`), where every key left out is inherited.
    pub(super) fn realm(
        &mut self,
        prefix: &str,
        base: Option<&RealmConfig>,
    ) -> Option<RealmConfig> {
        let sc = Scope { prefix, base };
        // Every part is read even when an earlier one failed, so that all problems are listed.
        let oidc = self.realm_oidc(&sc);
        let token = self.realm_token(&sc);
        let signer = self.realm_signer(&sc);
        let moderators = self.realm_moderators(&sc);
        Some(RealmConfig {
            oidc: oidc?,
            token: token?,
            signer: signer?,
            moderators,
        })
    }

    fn realm_oidc(&mut self, sc: &Scope<'_, '_>) -> Option<OidcConfig> {
        let r = self;
        let issuer = match sc.base {
            Some(b) if sc.inherits(r, "oidc.issuer") => Some(b.oidc.issuer.clone()),
            _ => r
                .required::<String>(&sc.key("oidc.issuer"))
                .and_then(|s| r.web_url(&sc.key("oidc.issuer"), &s).map(|_| s)),
        };
        let client_id = match sc.base {
            Some(b) if sc.inherits(r, "oidc.client_id") => Some(b.oidc.client_id.clone()),
            _ => r
                .required::<String>(&sc.key("oidc.client_id"))
                .and_then(|s| r.non_empty(&sc.key("oidc.client_id"), s)),
        };
        let client_secret = r.client_secret(sc, issuer.as_deref());
        let client_secret_file = match sc.base {
            Some(b) if sc.inherits(r, "oidc.client_secret_file") => {
                b.oidc.client_secret_file.clone()
            }
            _ => r.opt::<PathBuf>(&sc.key("oidc.client_secret_file")),
        };
        let scopes = match sc.base {
            Some(b) if sc.inherits(r, "oidc.scopes") => b.oidc.scopes.clone(),
            _ => r.scopes(&sc.key("oidc.scopes")),
        };
        // Whether a mapper is there is a fact of one client: a tenant with a client of its
        // own (another issuer or client id) inherits nothing of it.
        let own_client = sc.base.is_some()
            && (r.figment.contains(&sc.key("oidc.issuer"))
                || r.figment.contains(&sc.key("oidc.client_id")));
        let absent_means_empty = match sc.base {
            Some(b) if sc.inherits(r, "oidc.absent_means_empty") && !own_client => {
                b.oidc.absent_means_empty
            }
            Some(_) if !r.figment.contains(&sc.key("oidc.absent_means_empty")) => {
                Default::default()
            }
            _ => r.absent_claims(&sc.key("oidc.absent_means_empty")),
        };
        let http_timeout_secs = match sc.base {
            Some(b) => b.oidc.http_timeout_secs,
            None => r.ranged("oidc.http_timeout_secs", 10, 1..=120),
        };
        Some(OidcConfig {
            issuer: issuer?,
            client_id: client_id?,
            client_secret: client_secret?,
            client_secret_file,
            scopes,
            absent_means_empty,
            http_timeout_secs,
        })
    }

    /// A tenant inherits the default realm's client secret only when its issuer is on the
    /// same server.
    fn client_secret(&mut self, sc: &Scope<'_, '_>, issuer: Option<&str>) -> Option<SecretString> {
        let r = self;
        match sc.base {
            Some(b)
                if sc.inherits(r, "oidc.client_secret")
                    && sc.inherits(r, "oidc.client_secret_file") =>
            {
                // The bridge and `doctor` send the secret to the tenant's token endpoint: a
                // tenant on another server would receive the default realm's credential.
                let other_server = issuer.is_some_and(|i| {
                    origin_of(i).is_some_and(|o| Some(o) != origin_of(&b.oidc.issuer))
                });
                if other_server {
                    r.problem(
                        &sc.key("oidc.client_secret"),
                        "this tenant's issuer is on another server than the default realm's, so \
                         it needs its own client secret (`oidc.client_secret` or \
                         `oidc.client_secret_file`): the default realm's must not be sent there"
                            .into(),
                    );
                    None
                } else {
                    Some(b.oidc.client_secret.clone())
                }
            }
            _ => {
                let before = r.problems.len();
                let secret = r.secret(&sc.key("oidc.client_secret"), 1);
                // `setup-keycloak` writes the secret; before it has, none can be read.
                if secret.is_none() && r.setup {
                    r.problems.truncate(before);
                    Some(SecretString::from(String::new()))
                } else {
                    secret
                }
            }
        }
    }

    fn realm_token(&mut self, sc: &Scope<'_, '_>) -> Option<TokenSettings> {
        let r = self;
        let app_id = match sc.base {
            Some(b) if sc.inherits(r, "jitsi.app_id") => Some(b.token.issuer.clone()),
            _ => r
                .required::<String>(&sc.key("jitsi.app_id"))
                .and_then(|s| r.non_empty(&sc.key("jitsi.app_id"), s)),
        };
        let audience = match sc.base {
            Some(b) if sc.inherits(r, "jitsi.audience") => Some(b.token.audience.clone()),
            _ => {
                let a = r.get::<String>(&sc.key("jitsi.audience"), "jitsi".into());
                r.non_empty(&sc.key("jitsi.audience"), a)
            }
        };
        let ttl_secs = match sc.base {
            Some(b) if sc.inherits(r, "jitsi.token_ttl_secs") => b.token.ttl_secs,
            _ => r.ranged(
                &sc.key("jitsi.token_ttl_secs"),
                DEFAULT_TOKEN_TTL_SECS,
                60..=86_400,
            ),
        };
        let (subject, nbf_backdate_secs) = match sc.base {
            Some(b) => (Some(b.token.subject.clone()), b.token.nbf_backdate_secs),
            None => {
                let s = r.get::<String>("jitsi.subject", "meet.jitsi".into());
                let s = if s.trim() == "*" {
                    r.problem(
                        "jitsi.subject",
                        "\"*\" lets a token open the room of the same name in every tenant; \
                         set Jitsi's XMPP domain (docker-jitsi-meet: meet.jitsi)"
                            .into(),
                    );
                    None
                } else {
                    r.non_empty("jitsi.subject", s)
                };
                (s, r.ranged("jitsi.nbf_backdate_secs", 30, 0..=300))
            }
        };
        Some(TokenSettings {
            issuer: app_id?,
            audience: audience?,
            subject: subject?,
            ttl_secs,
            nbf_backdate_secs,
        })
    }

    fn realm_signer(&mut self, sc: &Scope<'_, '_>) -> Option<crate::jitsi::signing::Signer> {
        let r = self;
        let signing_keys = [
            "jitsi.algorithm",
            "jitsi.secret",
            "jitsi.secret_file",
            "jitsi.signing_keys",
        ];
        match sc.base {
            Some(b) if signing_keys.iter().all(|key| sc.inherits(r, key)) => Some(b.signer.clone()),
            _ => r.signer(sc.prefix, sc.base.map(|b| b.signer.algorithm)),
        }
    }

    fn realm_moderators(&mut self, sc: &Scope<'_, '_>) -> ModeratorPolicy {
        let r = self;
        match sc.base {
            Some(b)
                if [
                    "moderators.groups",
                    "moderators.realm_roles",
                    "moderators.client_roles",
                    "moderators.organizations",
                ]
                .iter()
                .all(|key| sc.inherits(r, key)) =>
            {
                b.moderators.clone()
            }
            _ => ModeratorPolicy {
                groups: r.names(&sc.key("moderators.groups")),
                realm_roles: r.names(&sc.key("moderators.realm_roles")),
                client_roles: r.names(&sc.key("moderators.client_roles")),
                email_domains: Vec::new(),
                organizations: r.organization_names(&sc.key("moderators.organizations")),
            },
        }
    }
}

/// Where a realm's keys are read: the default realm's (`prefix` empty, no `base`) or a
/// tenant's (`tenants.<name>.`), which inherits each key it does not set from `base`.
struct Scope<'p, 'b> {
    prefix: &'p str,
    base: Option<&'b RealmConfig>,
}

impl Scope<'_, '_> {
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Whether a tenant inherits `key` (it does not set it); the key counts as known.
    fn inherits(&self, r: &mut Reader<'_>, key: &str) -> bool {
        r.known.insert(self.key(key));
        self.base.is_some() && !r.figment.contains(&self.key(key))
    }
}
