//! Room names: the only way a room reaches a URL or a token.
//!
//! A [`RoomName`] is built once from the decoded path segment and then carries two forms:
//! the name as the user typed it (put into the Jitsi URL path, percent-encoded by `url`), and
//! the *backend-safe* form that Jitsi's Prosody compares the `room` claim against. The latter
//! follows jitsi-meet's `getBackendSafeRoomName`: NFKC, lower case, `encodeURIComponent`, lower
//! case again (so `Réunion Team` becomes `r%c3%a9union%20team`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Longest name accepted, in characters.
pub const MAX_CHARS: usize = 128;
/// Longest backend-safe form accepted, in bytes. XMPP limits a JID localpart to 1023 bytes and
/// Jitsi may prefix `[tenant]`, so stay well below.
pub const MAX_SAFE_BYTES: usize = 900;

/// Characters jitsi-meet strips from a room path segment (`_ROOM_EXCLUDE_PATTERN` in
/// `base/util/uri.ts`), so a name containing one would open a different room than asked for.
/// `\` and `%` are refused too: the first is a path separator to some parsers, the second would
/// be decoded a second time by Jitsi (`decodeURIComponent`) and change the name.
const FORBIDDEN: &[char] = &[
    ':', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '>', '<',
    '/', '"', '\\', '%',
];

/// What JavaScript's `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
pub(crate) const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Why a room name was refused. The messages are shown to users, so they never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    #[error("the room name is empty")]
    Empty,
    #[error("the room name is longer than {MAX_CHARS} characters")]
    TooLong,
    #[error("the room name contains the character {0:?}, which Jitsi does not allow in room names")]
    Forbidden(char),
    #[error("the room name contains an invisible or control character (U+{0:04X})")]
    Invisible(u32),
    #[error("the room name contains U+{0:04X}, which looks like a slash")]
    Slashlike(u32),
    #[error("the room name starts or ends with a space")]
    OuterSpace,
    #[error("the room name cannot be \".\" or \"..\"")]
    DotSegment,
    #[error("the room name is not valid text (bad percent-encoding or UTF-8)")]
    Undecodable,
}

/// A validated Jitsi room name.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomName {
    display: String,
    /// NFKC, lower case, not encoded: what room patterns in rules are matched against.
    normalised: String,
    backend_safe: String,
}

impl RoomName {
    /// Parses a room name that has already been percent-decoded once (as axum's `Path` does).
    pub fn parse(raw: &str) -> Result<Self, RoomError> {
        if raw.is_empty() {
            return Err(RoomError::Empty);
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(RoomError::TooLong);
        }
        if raw == "." || raw == ".." {
            return Err(RoomError::DotSegment);
        }
        let mut after_visible = false;
        for c in raw.chars() {
            if FORBIDDEN.contains(&c) {
                return Err(RoomError::Forbidden(c));
            }
            if SLASHLIKE.contains(&c) {
                return Err(RoomError::Slashlike(u32::from(c)));
            }
            // Joiners and variation selectors belong to the character before them (emoji
            // sequences, Persian and Indic words); alone or first they only hide.
            if is_joiner_or_selector(c) {
                if !after_visible {
                    return Err(RoomError::Invisible(u32::from(c)));
                }
                continue;
            }
            if is_invisible(c) {
                return Err(RoomError::Invisible(u32::from(c)));
            }
            after_visible = c != ' ';
        }
        if raw.starts_with(' ') || raw.ends_with(' ') {
            return Err(RoomError::OuterSpace);
        }
        // NFKC can turn a harmless character into a forbidden one (e.g. U+FF0F fullwidth
        // solidus into `/`), so the normalised form is checked again. Most names are in NFKC
        // already (all ASCII ones are), which the quick check tells without normalising.
        let normalised: String = if is_nfkc_quick(raw.chars()) == IsNormalized::Yes {
            raw.to_owned()
        } else {
            raw.nfkc().collect()
        };
        let lower = normalised.to_lowercase();
        let backend_safe = backend_safe(&lower);
        if let Some(c) = normalised.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(RoomError::Forbidden(c));
        }
        if normalised.trim() != normalised || normalised.is_empty() {
            return Err(RoomError::OuterSpace);
        }
        if normalised == "." || normalised == ".." {
            return Err(RoomError::DotSegment);
        }
        if backend_safe.len() > MAX_SAFE_BYTES {
            return Err(RoomError::TooLong);
        }
        Ok(Self {
            display: raw.to_owned(),
            normalised: lower,
            backend_safe,
        })
    }

    /// The name as the user wrote it; goes into the Jitsi URL path (encoded by `url`).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// NFKC and lower case, not encoded (`Réunion Team` → `réunion team`).
    pub fn normalised(&self) -> &str {
        &self.normalised
    }

    /// The form Prosody compares the `room` claim against (jitsi-meet `roomSafe`).
    pub fn backend_safe(&self) -> &str {
        &self.backend_safe
    }
}

impl fmt::Debug for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RoomName").field(&self.backend_safe).finish()
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// jitsi-meet `getBackendSafeRoomName` for an already decoded name, given in NFKC and
/// lower case.
fn backend_safe(lower: &str) -> String {
    utf8_percent_encode(lower, URI_COMPONENT)
        .to_string()
        .to_lowercase()
}

/// Characters that look like `/` or `\` without being one: a name with one of them passes for
/// a path to the eye (NFKC maps the full-width forms to the real ones, caught above).
const SLASHLIKE: &[char] = &[
    '\u{2044}', '\u{2215}', '\u{2216}', '\u{2571}', '\u{2572}', '\u{27CB}', '\u{27CD}', '\u{29F5}',
    '\u{29F8}', '\u{29F9}', '\u{FE68}',
];

/// ZWNJ, ZWJ and the variation selectors: default-ignorable, yet part of real text.
fn is_joiner_or_selector(c: char) -> bool {
    matches!(
        u32::from(c),
        0x200C | 0x200D | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF
    )
}

/// Control characters, line separators, bidirectional overrides, the other default-ignorable
/// code points (Unicode's DerivedCoreProperties: fillers, invisible operators, tags) and
/// characters that render as a blank (braille pattern blank): they let two different rooms
/// look the same, or a room look like no name at all.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            u32::from(c),
            0x00AD
                | 0x034F
                | 0x061C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B
                | 0x200E..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x2800
                | 0x3164
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE00FF
                | 0xE01F0..=0xE0FFF
        )
        || (u32::from(c) & 0xFFFE) == 0xFFFE
        || matches!(u32::from(c), 0xFDD0..=0xFDEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_jitsi_users_type() {
        let cases = [
            ("team", "team"),
            ("Team-Meeting_1.2", "team-meeting_1.2"),
            ("Réunion Team", "r%c3%a9union%20team"),
            ("ВСТРЕЧА", "%d0%b2%d1%81%d1%82%d1%80%d0%b5%d1%87%d0%b0"),
            ("Straße", "stra%c3%9fe"),
            ("ＡＢＣ", "abc"),
            ("🎉party", "%f0%9f%8e%89party"),
            ("👩‍💻 devs", "%f0%9f%91%a9%e2%80%8d%f0%9f%92%bb%20devs"),
            ("ΟΔΟΣ", "%ce%bf%ce%b4%ce%bf%cf%82"),
            ("a..b", "a..b"),
            ("~tilde", "~tilde"),
            // Emoji with a variation selector, Persian with ZWNJ, CJK, Devanagari.
            ("❤️ team", "%e2%9d%a4%ef%b8%8f%20team"),
            (
                "می\u{200C}خواهم",
                "%d9%85%db%8c%e2%80%8c%d8%ae%d9%88%d8%a7%d9%87%d9%85",
            ),
            ("会議", "%e4%bc%9a%e8%ad%b0"),
            (
                "नमस्ते",
                "%e0%a4%a8%e0%a4%ae%e0%a4%b8%e0%a5%8d%e0%a4%a4%e0%a5%87",
            ),
        ];
        for (raw, safe) in cases {
            let room = RoomName::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(room.backend_safe(), safe, "{raw:?}");
            assert_eq!(room.as_str(), raw);
        }
    }

    #[test]
    fn refuses_hostile_names() {
        let long = "a".repeat(MAX_CHARS + 1);
        let wide = "😀".repeat(MAX_CHARS);
        let cases: &[(&str, RoomError)] = &[
            ("", RoomError::Empty),
            (".", RoomError::DotSegment),
            ("..", RoomError::DotSegment),
            ("//evil.example", RoomError::Forbidden('/')),
            ("https://evil.example", RoomError::Forbidden(':')),
            ("/\\evil.example", RoomError::Forbidden('/')),
            ("\\evil.example", RoomError::Forbidden('\\')),
            ("../admin", RoomError::Forbidden('/')),
            ("a%2Fb", RoomError::Forbidden('%')),
            ("room?jwt=x", RoomError::Forbidden('?')),
            ("room#frag", RoomError::Forbidden('#')),
            ("user@host", RoomError::Forbidden('@')),
            ("it's", RoomError::Forbidden('\'')),
            ("a\u{0000}b", RoomError::Invisible(0)),
            ("a\nb", RoomError::Invisible(0x0A)),
            ("a\tb", RoomError::Invisible(0x09)),
            ("abc\u{202E}gpj", RoomError::Invisible(0x202E)),
            ("zero\u{200B}width", RoomError::Invisible(0x200B)),
            // Names that look blank, or like something else.
            ("\u{3164}", RoomError::Invisible(0x3164)),
            ("a\u{3164}b", RoomError::Invisible(0x3164)),
            ("\u{2800}", RoomError::Invisible(0x2800)),
            ("x\u{034F}", RoomError::Invisible(0x034F)),
            ("\u{FE0F}", RoomError::Invisible(0xFE0F)),
            ("a \u{200D}", RoomError::Invisible(0x200D)),
            ("\u{115F}\u{1160}", RoomError::Invisible(0x115F)),
            ("team\u{2215}admin", RoomError::Slashlike(0x2215)),
            ("a\u{2044}b", RoomError::Slashlike(0x2044)),
            (" lead", RoomError::OuterSpace),
            ("trail ", RoomError::OuterSpace),
            ("full\u{FF0F}width", RoomError::Forbidden('/')),
            ("\u{FF0E}\u{FF0E}", RoomError::DotSegment),
            (&long, RoomError::TooLong),
            (&wide, RoomError::TooLong),
        ];
        for (raw, want) in cases {
            assert_eq!(RoomName::parse(raw).as_ref().err(), Some(want), "{raw:?}");
        }
    }

    #[test]
    fn error_messages_never_echo_the_input() {
        let err = RoomName::parse("<script>").unwrap_err();
        assert!(!err.to_string().contains("script"));
    }
}
