//! The procedure catalog (placeholder, filled by the catalog work).
