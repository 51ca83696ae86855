//! The HTML pages (askama templates under `templates/`). Every value is HTML-escaped by
//! askama; the pages load only the bridge's own stylesheet, and the pages of Jitsi's inline
//! login also the bridge's own `inline.js`, which reads its data from an attribute.

use crate::config::branding::Branding;
use crate::lang::{Lang, Tr};
use crate::shared::AppState;
use askama::Template;

/// What every page's layout needs: where the bridge is served, the language, the brand.
#[derive(Clone, Copy)]
pub struct Chrome<'a> {
    /// The path the bridge is served under (`""` or e.g. `/auth`).
    pub base: &'a str,
    pub t: Tr,
    pub brand: &'a Branding,
    /// The page carries a Jitsi token: the operator's stylesheet (another origin) is left
    /// out, and [`crate::http::middleware::headers::CarriesToken`] keeps it out of the CSP too.
    pub carries_token: bool,
}

impl<'a> Chrome<'a> {
    /// The layout of an ordinary page.
    pub fn of(app: &'a AppState, lang: Lang) -> Self {
        Self {
            base: &app.base,
            t: Tr(lang),
            brand: &app.branding,
            carries_token: false,
        }
    }

    /// The layout of a page that carries a Jitsi token (its response is marked
    /// [`crate::http::middleware::headers::CarriesToken`]).
    pub fn carrying_token(app: &'a AppState, lang: Lang) -> Self {
        Self {
            carries_token: true,
            ..Self::of(app, lang)
        }
    }
}

/// What a page of Jitsi's inline login hands to the Jitsi window (see `http::inline`).
pub struct PostMessage {
    /// The only origin the message may go to: Jitsi's.
    pub origin: String,
    /// The message, as JSON.
    pub message: String,
    /// Where to go instead when no Jitsi window is there to receive it.
    pub fallback: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub c: Chrome<'a>,
    pub title: &'a str,
    pub message: &'a str,
    pub retry: Option<&'a str>,
    /// A denied user: log in again with another account.
    pub switch_account: Option<&'a str>,
    /// The meeting site's start page: the way forward when there is no room to retry (never
    /// back into the same failing login, so a broken link cannot loop).
    pub jitsi: &'a str,
    pub logout: Option<String>,
    pub guest: Option<&'a str>,
    /// Where the user can set up a second factor.
    pub account: Option<&'a str>,
    /// Hints for the administrator, behind a fold (empty: none).
    pub admin: &'a str,
    pub request_id: &'a str,
    /// "Error 403 · request id", in the page's language.
    pub meta: String,
    pub post: Option<PostMessage>,
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage<'a> {
    pub c: Chrome<'a>,
}

/// One row of the inspector's "Why" table.
pub struct WhyRow {
    pub part: String,
    pub value: String,
    pub because: String,
}

/// One claim row of the token inspector.
pub struct ClaimRow {
    pub name: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "inspect.html")]
pub struct InspectPage<'a> {
    pub c: Chrome<'a>,
    pub room: &'a str,
    pub heading: String,
    pub intro: String,
    /// Why the rules decided as they did (empty when not known).
    pub why: Vec<WhyRow>,
    pub header: String,
    pub payload: String,
    pub rows: Vec<ClaimRow>,
    pub expires_in: u64,
}

#[derive(Template)]
#[template(path = "return_to_app.html")]
pub struct ReturnToAppPage<'a> {
    pub c: Chrome<'a>,
    pub app_url: &'a str,
    pub web_url: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage<'a> {
    pub c: Chrome<'a>,
    /// The Jitsi site, to go back to.
    pub jitsi: &'a str,
    pub post: Option<PostMessage>,
}

/// The end of a successful inline login, in the pop-up.
#[derive(Template)]
#[template(path = "inline_done.html")]
pub struct InlineDonePage<'a> {
    pub c: Chrome<'a>,
    pub post: PostMessage,
}

/// Asks before ending the Keycloak session when another site sent the user to `/logout`.
#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub c: Chrome<'a>,
    pub jitsi: &'a str,
}
