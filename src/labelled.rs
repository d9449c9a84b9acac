//! [`Labelled`]: one target's result when the same call runs on many drivers at once
//! (`blocking::across`, `asynchronous::across`).

use crate::error::Result;

/// The result of a call on one of several targets (a region, a provider, an account),
/// with the label the caller gave it. One target failing leaves the others' results whole.
#[derive(Debug)]
#[non_exhaustive]
pub struct Labelled<T> {
    /// The caller's name for the target (`"ec2 eu-west-1"`).
    pub label: String,
    /// What the call returned there.
    pub result: Result<T>,
}

impl<T> Labelled<T> {
    /// A labelled result.
    pub fn new(label: impl Into<String>, result: Result<T>) -> Self {
        Labelled {
            label: label.into(),
            result,
        }
    }
}
