//! Jitsi's `{state}` parameter: what jitsi-meet tells the bridge when it sends a user to
//! `tokenAuthUrl` (`react/features/authentication/functions.any.ts`, `_getTokenAuthState`).
//!
//! It is a JSON object with `refreshToken` (left by an earlier inline login), `room` (the
//! address-bar path segment, still percent-encoded by the web client, as typed by the apps),
//! `roomSafe` (Jitsi's backend-safe form), `tenant`, flat `config.*` / `interfaceConfig.*`
//! / `iceServers.*` keys holding already JSON-parsed values, and `electron` / `ios` / `android`
//! flags. Parsed strictly: wrong types, oversized input and a `room` / `roomSafe` / `tenant`
//! that disagree with the request path are refused. A short list of `config.*` values
//! ([`CARRIED_SETTINGS`]) is carried back to Jitsi as hash parameters (jitsi-meet applies its
//! own whitelist to them as well), under the names old and new Jitsi versions use; `iceServers.*`
//! (they would route the call's media through servers of the link's choosing) and
//! `refreshToken` (a credential: it must not end up in a Jitsi URL, its history and its logs)
//! are never carried back.

use crate::jitsi::room::RoomName;
use crate::jitsi::tenant::Tenant;
use serde_json::{Map, Value};

/// The settings carried back to Jitsi at all: how the user starts, never what the meeting
/// does. Jitsi applies its own whitelist as well; this one is short on purpose.
///
/// Audio-only start is listed under both of its names. jitsi-meet renamed `startAudioOnly` to
/// `startLowBandwidthMode` (jitsi/jitsi-meet PR #17623, July 2026, marked breaking for
/// integrators): a newer `_getTokenAuthState` sends only the new name, and the new
/// `react/features/base/config/configWhitelist.ts` no longer accepts the old one from the URL.
/// Older Jitsi, and docker-jitsi-meet's `START_AUDIO_ONLY`, still know only the old name. Each
/// name is handed back as it came, so a Jitsi gets back the name it sent.
pub const CARRIED_SETTINGS: &[&str] = &[
    "config.startWithAudioMuted",
    "config.startWithVideoMuted",
    "config.startAudioOnly",
    "config.startLowBandwidthMode",
    "config.prejoinConfig.enabled",
    "config.subject",
    "config.defaultLanguage",
];

/// What a link not known to come from Jitsi may still ask for: only choices that keep the user
/// private (start muted, without camera, audio only under either name). Each only takes
/// something away, so another site gains nothing by asking for it.
const PRIVATE_CHOICES: &[&str] = &[
    "config.startWithAudioMuted",
    "config.startWithVideoMuted",
    "config.startAudioOnly",
    "config.startLowBandwidthMode",
];

/// Longest accepted `state`, in bytes of JSON.
pub const MAX_STATE_BYTES: usize = 8 * 1024;
/// Longest total of carried-over settings (they ride in the login cookie).
pub const MAX_OVERRIDE_BYTES: usize = 500;
const MAX_KEY_LEN: usize = 100;

/// Which Jitsi client sent the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    #[default]
    Browser,
    Electron,
    Ios,
    Android,
}

/// A setting carried back to Jitsi as `#<key>=<JSON value>`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Override {
    pub key: String,
    pub value: Value,
}

/// What the state adds to a login.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateInfo {
    pub tenant: Option<Tenant>,
    pub overrides: Vec<Override>,
    pub client: ClientKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the state parameter is longer than {MAX_STATE_BYTES} bytes")]
    TooLong,
    #[error("the state parameter is not a JSON object")]
    NotAnObject,
    #[error("the state field {0:?} has the wrong type")]
    WrongType(&'static str),
    #[error("the state names a different room than the link")]
    RoomMismatch,
    #[error("the state's roomSafe does not match its room")]
    RoomSafeMismatch,
    #[error("the state names a different tenant than the link")]
    TenantMismatch,
    #[error("the state's tenant is not valid: {0}")]
    BadTenant(crate::jitsi::tenant::TenantError),
    #[error("the state contains an invalid setting name")]
    BadSettingName,
    #[error(
        "the state carries more settings than the bridge passes on ({MAX_OVERRIDE_BYTES} bytes)"
    )]
    TooManySettings,
    #[error("the state names more than one client app")]
    ConflictingClients,
}

/// Parses `state` for a login to `room` (from the path) and `path_tenant`.
pub fn parse(
    raw: &str,
    room: &RoomName,
    path_tenant: Option<&Tenant>,
) -> Result<StateInfo, StateError> {
    if raw.len() > MAX_STATE_BYTES {
        return Err(StateError::TooLong);
    }
    let object: Map<String, Value> = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(o)) => o,
        _ => return Err(StateError::NotAnObject),
    };
    same_room(&object, room)?;
    Ok(StateInfo {
        tenant: tenant(&object, path_tenant)?,
        client: client(&object)?,
        overrides: overrides(&object)?,
    })
}

/// `room` and `roomSafe`, when there, name the room of the link.
fn same_room(object: &Map<String, Value>, room: &RoomName) -> Result<(), StateError> {
    if let Some(v) = object.get("room") {
        let name = v.as_str().ok_or(StateError::WrongType("room"))?;
        // jitsi-meet's web client sends the address-bar path segment still percent-encoded
        // (`Quarterly%20Review`); its apps send the name as typed. Either way, decoded once it
        // must be the room of the link once both are normalised the way Jitsi does.
        let same = RoomName::parse(&decode_uri_component(name))
            .is_ok_and(|r| r.backend_safe() == room.backend_safe());
        if !same {
            return Err(StateError::RoomMismatch);
        }
    }
    if let Some(v) = object.get("roomSafe") {
        let safe = v.as_str().ok_or(StateError::WrongType("roomSafe"))?;
        // Compared decoded, so that a harmless difference in which characters an encoder
        // escapes cannot refuse a login, while a different room always does.
        if decode_uri_component(safe) != decode_uri_component(room.backend_safe()) {
            return Err(StateError::RoomSafeMismatch);
        }
    }
    Ok(())
}

/// The tenant: the path's, which `tenant` may repeat but not contradict.
fn tenant(
    object: &Map<String, Value>,
    path_tenant: Option<&Tenant>,
) -> Result<Option<Tenant>, StateError> {
    Ok(match object.get("tenant") {
        None | Some(Value::Null) => path_tenant.cloned(),
        Some(Value::String(t)) if t.is_empty() => path_tenant.cloned(),
        Some(Value::String(t)) => {
            let parsed = Tenant::parse(t).map_err(StateError::BadTenant)?;
            match path_tenant {
                Some(p) if p.canonical() != parsed.canonical() => {
                    return Err(StateError::TenantMismatch);
                }
                Some(p) => Some(p.clone()),
                None => Some(parsed),
            }
        }
        Some(_) => return Err(StateError::WrongType("tenant")),
    })
}

/// The client app, from at most one of `electron`, `ios` and `android`.
fn client(object: &Map<String, Value>) -> Result<ClientKind, StateError> {
    let mut client = ClientKind::Browser;
    for (key, kind) in [
        ("electron", ClientKind::Electron),
        ("ios", ClientKind::Ios),
        ("android", ClientKind::Android),
    ] {
        match object.get(key) {
            None | Some(Value::Bool(false)) | Some(Value::Null) => {}
            Some(Value::Bool(true)) if client == ClientKind::Browser => client = kind,
            Some(Value::Bool(true)) => return Err(StateError::ConflictingClients),
            Some(_) => {
                return Err(StateError::WrongType(match kind {
                    ClientKind::Electron => "electron",
                    ClientKind::Ios => "ios",
                    _ => "android",
                }));
            }
        }
    }
    Ok(client)
}

/// The settings to hand back to Jitsi: only known ones, with safe names, within the budget.
fn overrides(object: &Map<String, Value>) -> Result<Vec<Override>, StateError> {
    let mut overrides = Vec::new();
    let mut size = 0usize;
    for (key, value) in object {
        let carried = key.starts_with("config.") || key.starts_with("interfaceConfig.");
        let known = carried
            || key.starts_with("iceServers.")
            || matches!(
                key.as_str(),
                "room" | "roomSafe" | "tenant" | "electron" | "ios" | "android" | "refreshToken"
            );
        if !known {
            // Newer jitsi-meet versions may add fields; they are not needed to log in.
            continue;
        }
        if !carried {
            continue;
        }
        if key.len() > MAX_KEY_LEN
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            || key.split('.').any(|part| {
                part.is_empty() || matches!(part, "__proto__" | "constructor" | "prototype")
            })
        {
            return Err(StateError::BadSettingName);
        }
        if !CARRIED_SETTINGS.contains(&key.as_str()) {
            continue;
        }
        size += key.len() + value.to_string().len();
        if size > MAX_OVERRIDE_BYTES {
            return Err(StateError::TooManySettings);
        }
        overrides.push(Override {
            key: key.clone(),
            value: value.clone(),
        });
    }
    // Deterministic order whatever the JSON map implementation keeps.
    overrides.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(overrides)
}

/// The settings that may pass when the user was not sent by Jitsi itself (or did not ask for
/// the page themselves): a drive-by link must not switch a camera or microphone on, nor skip
/// the pre-join screen where the user sees which room they are entering.
pub fn for_untrusted_initiator(overrides: Vec<Override>) -> Vec<Override> {
    overrides
        .into_iter()
        .filter(|o| PRIVATE_CHOICES.contains(&o.key.as_str()) && o.value == Value::Bool(true))
        .collect()
}

/// A login whose start the bridge cannot trust: the private choices only, and the browser as
/// the client. An app flag would put the token into a link of the app's URL scheme, which any
/// installed app may claim, so only Jitsi's own page may ask for that.
pub fn for_untrusted(info: StateInfo) -> StateInfo {
    StateInfo {
        tenant: info.tenant,
        overrides: for_untrusted_initiator(info.overrides),
        client: ClientKind::Browser,
    }
}

/// The `state` of a retried login (the bridge's own "Try again" link): what the first login
/// kept after its checks, in the form [`parse`] reads. `None` when there is nothing to carry.
/// It never holds `refreshToken`, so the link on the page is no credential.
pub fn retry_state(overrides: &[Override], client: ClientKind) -> Option<String> {
    let mut object = Map::new();
    for o in overrides {
        object.insert(o.key.clone(), o.value.clone());
    }
    let flag = match client {
        ClientKind::Browser => None,
        ClientKind::Electron => Some("electron"),
        ClientKind::Ios => Some("ios"),
        ClientKind::Android => Some("android"),
    };
    if let Some(flag) = flag {
        object.insert(flag.to_owned(), Value::Bool(true));
    }
    (!object.is_empty()).then(|| Value::Object(object).to_string())
}

/// JavaScript's `decodeURIComponent`, except that text it would throw on (a lone `%`, bytes
/// that are not UTF-8) is kept as it is, like jitsi-meet's `getBackendSafeRoomName` does; such
/// a name then fails room validation instead of matching anything.
fn decode_uri_component(s: &str) -> std::borrow::Cow<'_, str> {
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(decoded) => decoded,
        Err(_) => std::borrow::Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests;
