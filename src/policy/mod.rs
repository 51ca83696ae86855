//! Who may enter which room, and with which rights: the identity read from a verified ID
//! token (`claims`), the rules that decide (`rules`), and the offline explanation of a
//! decision (`explain`). Pure: no HTTP, no I/O, time passed in.

pub mod claims;
pub mod decision;
pub mod explain;
pub mod rules;
pub mod who;
