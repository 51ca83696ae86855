//! Who may enter which room, and with which rights: the identity read from a verified ID
//! token (`claims`, `who`), and the rules that decide (`rules`, `decision`), and the level of authentication a room
//! needs (`level`). Pure: no HTTP,
//! no I/O, time passed in. (`cli::explain` explains a decision offline.)

pub mod claims;
pub mod decision;
pub mod level;
pub mod rules;
pub mod who;
