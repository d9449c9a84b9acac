//! Zone files (BIND format): export and import. Being written.
