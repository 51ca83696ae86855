//! The connections: the accept loop with its cap and header timeout, and the memory limit
//! the cap follows.

pub mod memory_limit;
pub mod serve;
