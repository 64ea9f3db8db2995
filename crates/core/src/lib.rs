//! Sésame's library: everything but transport.
//!
//! The desktop shell (`src-tauri`) and the command line (`crates/cli`) only
//! parse input, call this crate and map its errors. Every feature is usable
//! and testable without a window.
//!
//! - [`vault`]: the encrypted vault (SQLCipher, keys wrapped with age).
//! - [`domain`]: applicants, cases, documents, deadlines, journal, incidents.
//! - [`oplog`] and [`hlc`]: every change as an operation, ordered by a hybrid logical clock.
//! - [`rules`]: the deadline engine, pure functions of facts and "today".
//! - [`catalog`]: procedures, documents and translations, as data.
//! - [`print`]: checklists and letters as PDF, attachments made ready for ANEF.
//! - [`clock`]: time, injected.
//! - [`sync`]: end-to-end encrypted, signed sync through the association's server.

pub mod catalog;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod followup;
pub mod hlc;
pub mod oplog;
pub mod print;
pub mod rules;
pub mod sync;
pub mod vault;
