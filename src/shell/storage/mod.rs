//! Object storage: the [`StorageDriver`] trait, the built-in drivers and [`AnyStorage`].
//!
//! This file and its children are compiled twice, once per mode (see the crate docs).

mod any;
mod azure;
mod driver;
mod gcs;
mod local;
mod memory;
mod ranged;
mod s3;
mod scoped;
mod streams;
mod upload_item;

use super::rt;

pub use super::rt::{DownloadWriter, Listing, ObjectReader, UploadReader};
pub use crate::storage::{
    BatchProgress, ByteRange, CancelToken, Container, DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE,
    DownloadOptions, Entry, GetOptions, Object, Observer, Page, Progress, ProgressObserver,
    ReadConditions, UploadOptions, WriteCondition,
};
pub use any::AnyStorage;
pub use azure::Azure;
pub use driver::StorageDriver;
pub use gcs::Gcs;
pub use local::Local;
pub use memory::Memory;
pub use s3::S3;
pub use scoped::Scoped;
pub use streams::copy_between;
pub use upload_item::{UploadItem, UploadSource};
