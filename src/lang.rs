//! The language of the pages: English, German and French, negotiated from `?lang=`, else the
//! browser's `Accept-Language`, else `ui.default_language` (the request side is in
//! `http::middleware::i18n`). The texts live in Fluent catalogues under `locales/<lang>/bridge.ftl`,
//! compiled into the binary; a key missing in one language is a failing test, never an empty
//! page.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: room names and reasons are shown as
        // they are, and the marks would end up in `title` attributes and logs.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::De, Lang::Fr];

    /// The BCP 47 code, for `lang="…"` and Keycloak's `ui_locales`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::De => langid!("de"),
            Lang::Fr => langid!("fr"),
        }
    }

    /// `de`, `de-AT`, `DE` → German; anything else → `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language for a request: `?lang=`, then `Accept-Language` in the browser's order of
    /// preference, then the configured default.
    pub fn negotiate(
        query_lang: Option<&str>,
        accept_language: Option<&str>,
        default: Lang,
    ) -> Lang {
        if let Some(l) = query_lang.and_then(Lang::parse) {
            return l;
        }
        let requested = fluent_langneg::accepted_languages::parse(accept_language.unwrap_or(""));
        let available: Vec<LanguageIdentifier> = Lang::ALL.iter().map(|l| l.id()).collect();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Filtering,
        );
        chosen
            .first()
            .and_then(|id| Lang::parse(id.language.as_str()))
            .unwrap_or(default)
    }

    /// The text of `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// The text of `key` with its arguments.
    pub fn t_with(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(&self.id(), key, &args)
    }
}

/// What the templates call: `{{ t.get("key") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn get(&self, key: &str) -> String {
        self.0.t(key)
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the English catalogue exists in every other language.
    #[test]
    fn every_language_has_every_key() {
        let keys = |lang: &str| -> Vec<String> {
            let path = format!("{}/locales/{lang}/bridge.ftl", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}"))
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let english = keys("en");
        assert!(english.len() > 50);
        // Every variable any message uses, so that a message with variables loads too.
        let args: HashMap<Cow<'static, str>, FluentValue> =
            ["status", "detail", "reason", "char", "room", "seconds"]
                .into_iter()
                .map(|k| (Cow::Borrowed(k), FluentValue::from("x")))
                .collect();
        for lang in Lang::ALL {
            let theirs = keys(lang.code());
            for key in &english {
                assert!(theirs.contains(key), "{}: {key} is missing", lang.code());
                assert!(
                    LOCALES
                        .try_lookup_with_args(&lang.id(), key, &args)
                        .is_some(),
                    "{}: {key} does not load",
                    lang.code()
                );
            }
            assert_eq!(theirs.len(), english.len(), "{}: extra keys", lang.code());
        }
    }

    #[test]
    fn negotiation_follows_the_query_then_the_browser_then_the_default() {
        assert_eq!(Lang::negotiate(Some("de"), Some("fr"), Lang::En), Lang::De);
        assert_eq!(
            Lang::negotiate(Some("xx"), Some("fr-CA,fr;q=0.9"), Lang::En),
            Lang::Fr
        );
        assert_eq!(
            Lang::negotiate(None, Some("de-AT,de;q=0.9,en;q=0.8"), Lang::En),
            Lang::De
        );
        assert_eq!(
            Lang::negotiate(None, Some("es,it;q=0.5"), Lang::De),
            Lang::De
        );
        assert_eq!(Lang::negotiate(None, None, Lang::Fr), Lang::Fr);
        assert_eq!(Lang::De.t("log-out"), "Abmelden");
        assert_eq!(
            Lang::Fr.t_with("inspect-heading", &[("room", "x".into())]),
            "Vous entreriez maintenant dans « x »"
        );
    }
}
