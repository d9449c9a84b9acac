//! Azure Blob response parsing (pure): filled in by the Azure driver work.
