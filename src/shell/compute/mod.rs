//! Compute: the [`ComputeDriver`] trait and the built-in drivers (the in-memory one so
//! far; EC2 and DigitalOcean are being built on the same trait).
//!
//! This file and its children are compiled twice, once per mode (see the crate docs).

mod any;
mod digitalocean;
mod driver;
mod ec2;
mod memory;

use super::rt;

pub use super::rt::Listing;
pub use crate::compute::{
    CreateNode, ImageOwner, KeyPair, Node, NodeImage, NodeLocation, NodeSize, NodeState, Volume,
    VolumeSnapshot, VolumeState,
};
pub use any::AnyCompute;
pub use digitalocean::DigitalOcean;
pub use driver::ComputeDriver;
pub use ec2::Ec2;
pub use memory::MemoryCompute;
