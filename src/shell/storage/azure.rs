// Azure Blob driver (shell): filled in by the Azure driver work.
