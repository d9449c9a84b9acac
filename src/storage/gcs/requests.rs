//! GCS JSON API request building (pure): filled in by the GCS driver work.
