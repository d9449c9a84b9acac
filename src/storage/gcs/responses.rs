//! GCS JSON API response parsing (pure): filled in by the GCS driver work.
