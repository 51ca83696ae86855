//! Levels of authentication per room (step-up): which level a room needs, known from the room
//! and tenant alone, so that it can be asked for before the login starts; and whether the ID
//! token's `acr` reached it. Pure: no HTTP, no I/O. (Which level a room needs is
//! [`Policy::level_needed`](crate::policy::rules::Policy::level_needed).)
//!
//! Keycloak names a level by its ACR value (the client's "ACR to LoA mapping", e.g.
//! `otp` = 2) and puts the value it reached into the ID token's `acr`: the mapped name when the
//! level has one, otherwise the level's number as a string ("1", "2"), and "0" for a login
//! that reused a session without a level of its own (Keycloak's `AcrUtils`,
//! `LoAUtil.getCurrentLevelOfAuthentication`). `acr_values` only asks; the answer is checked
//! here, and anything that is not a known level at or above the one needed is refused.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Level numbers are Keycloak's "Level of Authentication": small non-negative integers.
pub const MAX_LEVEL: u32 = 99;

/// One named level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// The ACR value asked for (`acr_values`) and expected back.
    pub name: String,
    pub number: u32,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (level {})", self.name, self.number)
    }
}

/// `[step_up] levels`: the ACR values the rules may name, each with its level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels {
    by_name: BTreeMap<String, u32>,
}

impl Levels {
    pub fn new(by_name: BTreeMap<String, u32>) -> Self {
        Self { by_name }
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<Level> {
        self.by_name.get(name).map(|&number| Level {
            name: name.to_owned(),
            number,
        })
    }

    /// The levels, lowest first.
    pub fn ordered(&self) -> Vec<Level> {
        let mut all: Vec<Level> = self
            .by_name
            .iter()
            .map(|(name, &number)| Level {
                name: name.clone(),
                number,
            })
            .collect();
        all.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.name.cmp(&b.name)));
        all
    }

    /// The mapping as Keycloak's client attribute `acr.loa.map` holds it (a JSON object).
    pub fn loa_map(&self) -> Value {
        Value::Object(
            self.by_name
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(*v)))
                .collect(),
        )
    }

    /// What an `acr` claim says was reached.
    pub fn reached(&self, acr: Option<&Value>) -> Reached {
        match acr {
            None | Some(Value::Null) => Reached::Missing,
            Some(Value::String(s)) => match self.by_name.get(s) {
                Some(&n) => Reached::Level(n, s.clone()),
                // Keycloak's unnamed levels are their numbers.
                None => match s.parse::<u32>() {
                    Ok(n) if n <= MAX_LEVEL && s == &n.to_string() => Reached::Level(n, s.clone()),
                    _ => Reached::Unknown(printable(s)),
                },
            },
            Some(other) => Reached::WrongType(kind_of(other)),
        }
    }
}

/// What the ID token's `acr` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    /// A level, with the `acr` that named it.
    Level(u32, String),
    /// No `acr` claim: the provider does not say, so no level is reached.
    Missing,
    /// A value that is neither a configured name nor a level number (shortened, printable).
    Unknown(String),
    /// Not a string (OIDC Core 2: `acr` is a case-sensitive string).
    WrongType(&'static str),
}

impl fmt::Display for Reached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reached::Level(n, acr) => write!(f, "acr {acr:?} (level {n})"),
            Reached::Missing => write!(f, "no acr claim"),
            Reached::Unknown(s) => write!(f, "acr {s:?}, which is no configured level"),
            Reached::WrongType(t) => write!(f, "an acr claim that is a {t}, not a string"),
        }
    }
}

/// The login reached less than the room needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLow {
    pub needed: Level,
    /// The rule that asks for it.
    pub by: String,
    pub reached: Reached,
}

impl fmt::Display for TooLow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} needs {}, the ID token shows {}",
            self.by, self.needed, self.reached
        )
    }
}

fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
        Value::String(_) => "string",
        Value::Null => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn levels() -> Levels {
        Levels::new(BTreeMap::from([("password".into(), 1), ("otp".into(), 2)]))
    }

    #[test]
    fn names_and_keycloak_numbers_are_read_and_nothing_else() {
        let l = levels();
        assert_eq!(
            l.reached(Some(&json!("otp"))),
            Reached::Level(2, "otp".into())
        );
        assert_eq!(l.reached(Some(&json!("2"))), Reached::Level(2, "2".into()));
        assert_eq!(l.reached(Some(&json!("0"))), Reached::Level(0, "0".into()));
        assert_eq!(
            l.reached(Some(&json!("password"))).to_string(),
            "acr \"password\" (level 1)"
        );
        assert_eq!(l.reached(None), Reached::Missing);
        assert_eq!(l.reached(Some(&json!(null))), Reached::Missing);
        assert_eq!(l.reached(Some(&json!(2))), Reached::WrongType("number"));
        assert_eq!(l.reached(Some(&json!(["otp"]))), Reached::WrongType("list"));
        for odd in [
            "OTP",
            "02",
            "+2",
            " 2",
            "gold",
            "100",
            "urn:mace:incommon:iap:silver",
        ] {
            assert!(
                matches!(l.reached(Some(&json!(odd))), Reached::Unknown(_)),
                "{odd}"
            );
        }
    }

    #[test]
    fn keycloaks_mapping_is_a_json_object_of_numbers() {
        assert_eq!(levels().loa_map(), json!({"password": 1, "otp": 2}));
        let names: Vec<_> = levels().ordered().into_iter().map(|l| l.name).collect();
        assert_eq!(names, ["password", "otp"]);
    }
}
