//! The HTML pages (askama templates under `templates/`). Every value is HTML-escaped by
//! askama; the pages load no script and only the bridge's own stylesheet.

use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub retry: Option<&'a str>,
    pub guest: Option<&'a str>,
    pub request_id: &'a str,
    pub status: u16,
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage;

/// One claim row of the token inspector.
pub struct ClaimRow {
    pub name: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "inspect.html")]
pub struct InspectPage<'a> {
    pub room: &'a str,
    /// Why the rules decided as they did (empty when not known).
    pub explanation: String,
    pub header: String,
    pub payload: String,
    pub rows: Vec<ClaimRow>,
    pub expires_in: u64,
}

#[derive(Template)]
#[template(path = "return_to_app.html")]
pub struct ReturnToAppPage<'a> {
    pub app_url: &'a str,
    pub web_url: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage;
