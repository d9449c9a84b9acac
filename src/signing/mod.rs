//! Request signing, pure functions of their inputs (the clock is passed in).

pub mod azure_sas;
pub mod azure_sharedkey;
pub mod gcs_v4;
pub mod sigv4;
