//! Everything about Jitsi's side of the contract, free of HTTP types: room names and tenants
//! as jitsi-meet builds them, its `{state}` parameter, the URL back into the room, the token
//! Prosody verifies (`cli::print_jitsi_config` prints the settings that accept it).

pub mod room;
pub mod room_url;
pub mod signing;
pub mod state_param;
pub mod tenant;
pub mod token;
