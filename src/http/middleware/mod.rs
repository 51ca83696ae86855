//! What every request passes through around its handler: the frame (request id, language,
//! limits, error pages) and the security headers.

pub mod frame;
pub mod headers;
pub mod i18n;
pub mod shed;
