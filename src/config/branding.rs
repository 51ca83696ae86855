//! `[branding]`: the operator's name, logo, colour, stylesheet, footer links and support
//! contact. Everything is optional and the defaults stay neutral; nothing is loaded from
//! another origin unless configured here (the CSP lists exactly these origins).

use url::Url;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    /// Shown in titles instead of the translated default.
    pub product_name: Option<String>,
    pub logo_url: Option<Url>,
    /// `#rrggbb`: buttons and links (white text on it must reach 4.5:1, checked).
    pub primary_color: Option<String>,
    pub stylesheet_url: Option<Url>,
    pub imprint_url: Option<Url>,
    pub privacy_url: Option<Url>,
    pub help_url: Option<Url>,
    /// Shown on error pages next to the request id (an address, a phone number).
    pub support_contact: Option<String>,
}

impl Branding {
    /// Origins the pages load images from besides their own.
    pub fn img_origins(&self) -> Vec<String> {
        origins(self.logo_url.iter())
    }

    /// Origins the pages load stylesheets from besides their own.
    pub fn style_origins(&self) -> Vec<String> {
        origins(self.stylesheet_url.iter())
    }

    /// The stylesheet that sets the configured colour, served at `/static/brand.css`.
    pub fn css(&self) -> String {
        match &self.primary_color {
            // Light pages only: a colour chosen for white text on a light page is often too dark
            // for focus rings on a dark one, where the bridge's own accent stays.
            Some(c) => format!(
                ":root {{ --accent: {c}; }}\n@media (prefers-color-scheme: dark) {{ :root {{ --accent: #5b9bff; }} }}\n"
            ),
            None => String::new(),
        }
    }

    pub fn has_footer(&self) -> bool {
        self.imprint_url.is_some() || self.privacy_url.is_some() || self.help_url.is_some()
    }
}

fn origins<'a>(urls: impl Iterator<Item = &'a Url>) -> Vec<String> {
    let mut out: Vec<String> = urls.map(|u| u.origin().ascii_serialization()).collect();
    out.dedup();
    out
}

/// WCAG contrast ratio of white text on `#rrggbb`; `None` when it is not such a colour.
pub fn contrast_with_white(color: &str) -> Option<f64> {
    let hex = color.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| -> Option<f64> {
        let v = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    let l = 0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?;
    Some(1.05 / (l + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_checked_as_wcag_computes_it() {
        assert!(contrast_with_white("#1a5fc8").unwrap() > 4.5);
        assert!(contrast_with_white("#ffcc00").unwrap() < 2.0);
        assert_eq!(contrast_with_white("blue"), None);
        assert_eq!(contrast_with_white("#12345"), None);
    }
}
