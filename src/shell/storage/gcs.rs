// GCS driver (shell): filled in by the GCS driver work.
