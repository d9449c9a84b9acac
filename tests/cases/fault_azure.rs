// Filled in by the azure driver work (included once per mode).
