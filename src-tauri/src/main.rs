//! Sésame's desktop app: a thin Tauri 2 shell over `sesame-core`.
//!
//! - [`commands`]: the IPC commands (arguments in, `AppError` out).
//! - [`app`]: what each command does, as plain functions the tests call.
//! - [`dto`]: the shapes the page receives; core types never cross IPC.
//! - [`error`]: errors as `{code, fr, en, fields}`.
//! - [`state`]: at most one unlocked vault; lock = drop it.
//! - [`notify`], [`print`]: reminders and printouts (with their preview).
//! - [`attach`]: scans and photos of a case's document items.
//! - [`sync`]: background sync on a second vault handle, conflicts, readers.
//!
//! **Invariants.** The page never receives a core type, a stack trace or a
//! path it did not choose. Nothing here logs applicant data (this binary
//! logs nothing at all). No plugin is callable from the page: the save
//! dialog, the opener and notifications are driven from Rust, so the
//! window's capability grants Sésame's own commands only.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod attach;
mod bench;
mod commands;
mod dto;
mod error;
mod memory;
mod notify;
mod print;
mod state;
mod sync;

use sesame_core::clock::SystemClock;
use state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tauri::Manager;

/// The vault folder: `SESAME_VAULT_DIR`, then the command line's
/// `SESAME_VAULT`, then the same default folder as `sesame`.
fn vault_dir() -> Option<PathBuf> {
    for var in ["SESAME_VAULT_DIR", "SESAME_VAULT"] {
        if let Some(d) = std::env::var_os(var).filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(d));
        }
    }
    directories::ProjectDirs::from("fr", "Sesame", "Sesame").map(|d| d.data_dir().join("vault"))
}

/// `SESAME_KDF_LOG_N` lowers the scrypt cost of new passphrase wraps: for
/// tests only (a low value makes a stolen vault easier to crack).
fn kdf_log_n() -> Option<u8> {
    std::env::var("SESAME_KDF_LOG_N").ok().and_then(|s| s.parse().ok()).filter(|n| (10..=20).contains(n))
}

fn fail(fr: &str, en: &str) -> ! {
    eprintln!("{fr}\n{en}");
    std::process::exit(1);
}

fn main() {
    bench::started();
    let Some(dir) = vault_dir() else {
        fail(
            "Sésame ne trouve pas de dossier de données : lancez-le avec SESAME_VAULT_DIR=/chemin/du/coffre.",
            "Sésame finds no data folder: start it with SESAME_VAULT_DIR=/path/to/vault.",
        )
    };
    // The newest verified catalog: the team's signed one if it was adopted
    // at a sync, else the association's folder (SESAME_CATALOG), else the
    // one shipped with Sésame.
    let association = std::env::var_os("SESAME_CATALOG").map(PathBuf::from);
    let catalog = match sesame_core::sync::catalog::load_for_vault(&dir, association.as_deref()) {
        Ok(c) => Arc::new(c),
        Err(_) => fail(
            "Le catalogue de Sésame est illisible : vérifiez le dossier indiqué par SESAME_CATALOG, ou réinstallez Sésame.",
            "Sésame's catalog cannot be read: check the folder given in SESAME_CATALOG, or reinstall Sésame.",
        ),
    };
    bench::event("catalog loaded");
    let state = AppState::new(dir, catalog, Arc::new(SystemClock), kdf_log_n());
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state)
        .setup(|app| {
            // The shell's own idle lock: holds even if the page froze.
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    handle.state::<AppState>().lock_if_idle();
                }
            });
            bench::event("setup");
            Ok(())
        })
        .on_page_load(|_, payload| {
            bench::event(match payload.event() {
                tauri::webview::PageLoadEvent::Started => "page load started",
                tauri::webview::PageLoadEvent::Finished => "page load finished",
            })
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::passphrase_strength,
            commands::vault_create,
            commands::vault_unlock,
            commands::vault_lock,
            commands::vault_change_passphrase,
            commands::activity,
            commands::settings_get,
            commands::settings_save,
            commands::catalog_procedures,
            commands::catalog_languages,
            commands::applicants_search,
            commands::applicant_get,
            commands::applicant_save,
            commands::case_save,
            commands::case_get,
            commands::document_set,
            commands::journal_add,
            commands::incident_add,
            commands::deadline_add,
            commands::deadline_done,
            commands::today,
            commands::notify_check,
            commands::print_case_checklist,
            commands::print_blank_checklist,
            commands::letter_draft,
            commands::letter_export,
            commands::open_saved,
            commands::sync_status,
            commands::sync_now,
            commands::preview_case_checklist,
            commands::preview_blank_checklist,
            commands::letter_preview,
            commands::attachments_list,
            commands::attachments_add,
            commands::attachment_delete,
            commands::attachment_export,
            commands::sync_conflicts,
            commands::sync_resolve,
            commands::case_readers,
            bench::bench_mark,
        ])
        .run(tauri::generate_context!());
    if result.is_err() {
        fail(
            "La fenêtre de Sésame n'a pas pu s'ouvrir : vérifiez que WebKitGTK 4.1 est installé (scripts/run l'installe), puis relancez.",
            "Sésame's window could not open: check that WebKitGTK 4.1 is installed (scripts/run installs it), then start again.",
        );
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_print;
#[cfg(test)]
mod sync_tests;
