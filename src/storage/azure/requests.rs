//! Azure Blob request building (pure): filled in by the Azure driver work.
