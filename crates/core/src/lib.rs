//! Sésame's library: everything but transport.
//!
//! The desktop shell (`src-tauri`) and the command line (`crates/cli`) only
//! parse input, call this crate and map its errors. Every feature is usable
//! and testable without a window.

pub mod catalog;
pub mod rules;
