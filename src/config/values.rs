//! How one value is read and checked: typed, ranged, URLs, secrets (inline or from a file,
//! never the example's placeholders), and which keys nobody asked for.

use super::*;

impl Reader<'_> {
    pub(super) fn problem(&mut self, key: &str, message: String) {
        self.problems.push(Problem {
            key: key.to_owned(),
            message,
        });
    }

    pub(super) fn opt<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        self.known.insert(key.to_owned());
        if !self.figment.contains(key) {
            return None;
        }
        match self.figment.extract_inner::<T>(key) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = match e.kind {
                    figment::error::Kind::InvalidType(actual, expected) => {
                        format!("expected {expected}, found {actual}")
                    }
                    figment::error::Kind::UnknownVariant(found, allowed) => {
                        format!("{found:?} is not one of {}", allowed.join(", "))
                    }
                    other => other.to_string(),
                };
                self.problem(key, message);
                None
            }
        }
    }

    pub(super) fn get<T: DeserializeOwned>(&mut self, key: &str, default: T) -> T {
        self.opt(key).unwrap_or(default)
    }

    pub(super) fn required<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let present = self.figment.contains(key);
        let value = self.opt(key);
        if !present {
            self.problem(key, "is required".into());
        }
        value
    }

    pub(super) fn ranged(
        &mut self,
        key: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> u64 {
        let value = self.get(key, default);
        if !range.contains(&value) {
            self.problem(
                key,
                format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        value
    }

    pub(super) fn parsed<T: std::str::FromStr>(&mut self, key: &str, default: &str) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        let text = self.get::<String>(key, default.to_owned());
        match text.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(key, format!("{text:?} is not valid: {e}"));
                None
            }
        }
    }

    pub(super) fn non_empty(&mut self, key: &str, value: String) -> Option<String> {
        if value.trim().is_empty() {
            self.problem(key, "must not be empty".into());
            None
        } else {
            Some(value)
        }
    }

    /// A custom URL scheme of a Jitsi app (never one a browser would treat as a web page or
    /// script).
    pub(super) fn app_scheme(&mut self, key: &str, default: &str) -> String {
        let scheme = self
            .get::<String>(key, default.to_owned())
            .to_ascii_lowercase();
        let well_formed = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
            && scheme.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')
            });
        let reserved = matches!(
            scheme.as_str(),
            "http" | "https" | "javascript" | "data" | "file" | "vbscript" | "blob" | "about"
        );
        if !well_formed || reserved {
            self.problem(key, format!("{scheme:?} is not a usable app URL scheme"));
        }
        scheme
    }

    /// A list of group or role names: no empty entries.
    pub(super) fn names(&mut self, key: &str) -> Vec<String> {
        let names: Vec<String> = self.get(key, Vec::new());
        if names.iter().any(|n| n.trim().is_empty()) {
            self.problem(key, "contains an empty name".into());
        }
        names
    }

    /// Organization aliases, or `"{tenant}"`: braces anywhere else are a misspelt
    /// placeholder (`{Tenant}`), which would silently match no organization.
    pub(super) fn organization_names(&mut self, key: &str) -> Vec<String> {
        let names = self.names(key);
        if let Some(problem) = crate::policy::who::misspelt_placeholder(&names) {
            self.problem(key, problem);
        }
        names
    }

    /// `oidc.absent_means_empty`: claim names the rules know.
    pub(super) fn absent_claims(&mut self, key: &str) -> AbsentMeansEmpty {
        let raw: Vec<String> = self.get(key, Vec::new());
        let mut claims = Vec::new();
        for name in &raw {
            match Claim::from_name(name) {
                // The one claim the browser can make Keycloak leave out: it carries the
                // request, and without the organization scope a member of a denied
                // organization would read as a member of none.
                Some(Claim::Organizations) => self.problem(
                    key,
                    "\"organizations\" cannot be declared empty: Keycloak leaves the claim out \
                     both for a user in no organization and for a login whose scope the browser \
                     dropped; rules that only give read it as empty anyway"
                        .into(),
                ),
                Some(c) => claims.push(c),
                None => {
                    let known: Vec<&str> = Claim::ALL
                        .iter()
                        .filter(|c| **c != Claim::Organizations)
                        .map(|c| c.name())
                        .collect();
                    self.problem(
                        key,
                        format!(
                            "{name:?} is not a claim the rules read (known: {})",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        AbsentMeansEmpty::of(claims)
    }

    /// An absolute http(s) URL with a host, without credentials, query or fragment. Plain
    /// http is accepted only for loopback hosts (local demos and tests).
    pub(super) fn web_url(&mut self, key: &str, text: &str) -> Option<Url> {
        self.checked_url(key, text, false)
    }

    /// Like [`Self::web_url`], for pages people are sent to (imprint, privacy, help), which
    /// may have a query string or a fragment.
    pub(super) fn page_url(&mut self, key: &str, text: &str) -> Option<Url> {
        self.checked_url(key, text, true)
    }

    fn checked_url(&mut self, key: &str, text: &str, query_ok: bool) -> Option<Url> {
        let url = match Url::parse(text) {
            Ok(u) => u,
            Err(e) => {
                self.problem(key, format!("{text:?} is not a URL: {e}"));
                return None;
            }
        };
        let message = if !matches!(url.scheme(), "http" | "https") {
            Some("must start with https://")
        } else if url.host().is_none() {
            Some("must name a host")
        } else if !url.username().is_empty() || url.password().is_some() {
            Some("must not contain a user name or password")
        } else if !query_ok && (url.query().is_some() || url.fragment().is_some()) {
            Some("must not contain a query (?) or fragment (#)")
        } else if url.scheme() == "http" && !is_loopback(&url) {
            Some("must use https:// (plain http is accepted only for localhost and 127.0.0.1)")
        } else {
            None
        };
        match message {
            Some(m) => {
                self.problem(key, m.into());
                None
            }
            None => Some(url),
        }
    }

    /// A secret given inline (`key`) or in a file (`key_file`), exactly one of the two.
    pub(super) fn secret(&mut self, key: &str, min_bytes: usize) -> Option<SecretString> {
        let file_key = format!("{key}_file");
        let inline = self.opt::<Value>(key);
        let file = self.opt::<PathBuf>(&file_key);
        let text = match (inline, file) {
            (Some(_), Some(_)) => {
                self.problem(key, format!("set either {key} or {file_key}, not both"));
                return None;
            }
            (None, None) => {
                self.problem(
                    key,
                    format!("is required (or put it in a file named by {file_key})"),
                );
                return None;
            }
            (Some(Value::String(_, s)), None) => s,
            (Some(_), None) => {
                self.problem(key, "must be a string (quote it)".into());
                return None;
            }
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                // Files usually end with a newline that is not part of the secret.
                Ok(s) => s.trim_end_matches(['\r', '\n']).to_owned(),
                Err(e) => {
                    self.problem(&file_key, format!("cannot read {}: {e}", path.display()));
                    return None;
                }
            },
        };
        if PLACEHOLDER_SECRETS.contains(&text.as_str()) {
            self.problem(
                key,
                "is still the placeholder from config.example.toml; set a real secret".into(),
            );
            return None;
        }
        let secret = SecretString::from(text);
        if secret.expose_secret().len() < min_bytes {
            self.problem(key, format!("must be at least {min_bytes} bytes long"));
            return None;
        }
        Some(secret)
    }

    pub(super) fn unknown_keys(&mut self) {
        let data = match self.figment.extract::<Dict>() {
            Ok(d) => d,
            Err(e) => {
                self.problem("", format!("the configuration cannot be read: {e}"));
                return;
            }
        };
        let mut leaves = Vec::new();
        flatten("", &data, &mut leaves);
        for key in leaves {
            if !self.known.contains(&key) {
                self.problem(
                    &key,
                    "unknown key (misspelt, or not supported by this version)".into(),
                );
            }
        }
    }
}

pub(super) fn flatten(prefix: &str, dict: &Dict, out: &mut Vec<String>) {
    for (k, v) in dict {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Dict(_, inner) => flatten(&key, inner, out),
            _ => out.push(key),
        }
    }
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
