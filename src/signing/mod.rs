//! Request signing, pure functions of their inputs (the clock is passed in).

pub mod sigv4;
