// Filled in by the gcs driver work (included once per mode).
