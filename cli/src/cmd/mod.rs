//! The commands, one module per family.

pub mod cloud;
pub mod cp;
pub mod stdio;
pub mod store;
pub mod sync;
