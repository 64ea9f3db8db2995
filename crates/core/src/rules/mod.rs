//! The deadline engine (placeholder, filled by the rules work).
