//! The Tauri commands: argument parsing and nothing else. Every command
//! is `async` so that Tauri runs it off the main thread (the window stays
//! responsive while the KDF or the agenda runs), and answers `AppError`.
//! Argument names are snake_case on both sides (`rename_all`).

use crate::app;
use crate::attach;
use crate::dto::*;
use crate::error::AppError;
use crate::notify;
use crate::print;
use crate::state::AppState;
use secrecy::SecretString;
use serde::Deserialize;
use sesame_core::print::Rendered;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_opener::OpenerExt;

/// A passphrase from the page. It is moved straight into a `SecretString`
/// (zeroized when dropped) and never logged or serialized back. (The IPC
/// layer's own JSON buffer is outside our reach; it is freed right away.)
pub struct Secret(SecretString);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret(SecretString::from(String::deserialize(d)?)))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

type R<T> = Result<T, AppError>;

#[tauri::command(rename_all = "snake_case")]
pub async fn app_status(state: State<'_, AppState>) -> R<AppStatus> {
    crate::bench::event("status asked");
    let status = app::status(&state);
    crate::bench::event("status answered");
    Ok(status)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn passphrase_strength(passphrase: Secret) -> R<u8> {
    Ok(app::strength(&passphrase.0))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn vault_create(
    state: State<'_, AppState>,
    passphrase: Secret,
    confirm: Secret,
    recovery: Option<String>,
) -> R<()> {
    app::create_vault(&state, &passphrase.0, &confirm.0, recovery.as_deref())
}

/// Starts background sync after an unlock; a failure to start is not a
/// failure to unlock (the badge offers "Sync now", which says why).
fn start_sync(state: &AppState) {
    let _ = crate::sync::start(state);
}

#[tauri::command(rename_all = "snake_case")]
pub async fn vault_unlock(app: AppHandle, state: State<'_, AppState>, passphrase: Secret) -> R<()> {
    app::unlock(&state, &passphrase.0)?;
    prepare_today(&app);
    start_sync(&state);
    Ok(())
}

/// Computes Today's agenda on its own thread right after unlocking: the
/// page asks for it as soon as it has drawn its frame, and finds it ready
/// (or waits for the rest) instead of starting from nothing.
pub fn prepare_today(app: &AppHandle) {
    let handle = app.clone();
    std::thread::spawn(move || {
        // An error shows on Today when the page asks: nothing to do here.
        crate::bench::event("agenda started");
        let _ = handle.state::<AppState>().digest();
        crate::bench::event("agenda ready");
    });
}

#[tauri::command(rename_all = "snake_case")]
pub async fn vault_lock(state: State<'_, AppState>) -> R<()> {
    state.lock();
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn vault_change_passphrase(state: State<'_, AppState>, old: Secret, new: Secret, confirm: Secret) -> R<()> {
    app::change_passphrase(&state, &old.0, &new.0, &confirm.0)
}

/// The page reports keyboard and mouse activity (throttled), so the
/// shell's own idle lock agrees with the page's.
#[tauri::command(rename_all = "snake_case")]
pub async fn activity(state: State<'_, AppState>) -> R<bool> {
    if state.lock_if_idle() {
        return Ok(false);
    }
    state.touch();
    Ok(state.is_unlocked())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn settings_get(state: State<'_, AppState>) -> R<SettingsDto> {
    app::settings(&state)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn settings_save(state: State<'_, AppState>, settings: SettingsDto) -> R<()> {
    app::save_settings(&state, &settings)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn catalog_procedures(state: State<'_, AppState>, lang: String) -> R<Vec<Procedure>> {
    Ok(app::procedures(&state, &lang))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn catalog_languages(state: State<'_, AppState>) -> R<Vec<String>> {
    Ok(app::print_languages(&state))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn applicants_search(state: State<'_, AppState>, query: String) -> R<ApplicantList> {
    app::search_applicants(&state, &query)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn applicant_get(state: State<'_, AppState>, id: String) -> R<ApplicantView> {
    app::applicant(&state, &id)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn applicant_save(state: State<'_, AppState>, id: Option<String>, fields: FormFields) -> R<Created> {
    app::save_applicant(&state, id.as_deref(), &fields)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_save(state: State<'_, AppState>, id: Option<String>, applicant_id: String, form: CaseForm) -> R<Created> {
    app::save_case(&state, id.as_deref(), &applicant_id, &form)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn case_get(state: State<'_, AppState>, id: String, lang: String) -> R<CaseView> {
    let view = app::case_view(&state, &id, &lang);
    // A volunteer opens file after file during a session: what each one
    // needed is freed, and given back rather than kept by the allocator.
    crate::memory::trim();
    view
}

#[tauri::command(rename_all = "snake_case")]
pub async fn document_set(
    state: State<'_, AppState>,
    case_id: String,
    doc_type: String,
    status: String,
    issued_on: String,
) -> R<()> {
    app::set_document(&state, &case_id, &doc_type, &status, &issued_on)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn journal_add(state: State<'_, AppState>, case_id: String, text: String) -> R<Created> {
    app::add_journal(&state, &case_id, &text)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn incident_add(state: State<'_, AppState>, case_id: String, fields: FormFields) -> R<Created> {
    app::add_incident(&state, &case_id, &fields)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn deadline_add(state: State<'_, AppState>, case_id: String, due: String, title: String) -> R<Created> {
    app::add_deadline(&state, &case_id, &due, &title)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn deadline_done(state: State<'_, AppState>, id: String, done: bool) -> R<()> {
    app::set_deadline_done(&state, &id, done)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn today(state: State<'_, AppState>) -> R<Today> {
    crate::bench::event("today asked");
    let today = app::today(&state);
    crate::bench::event("today answered");
    today
}

/// Shows today's reminder, if any; returns how many deadlines it lists.
#[tauri::command(rename_all = "snake_case")]
pub async fn notify_check(app: AppHandle, state: State<'_, AppState>) -> R<usize> {
    let Some(r) = notify::due_reminders(&state)? else { return Ok(0) };
    // A desktop without a notification service must not break the app:
    // the deadlines are on Today anyway.
    let _ = app.notification().builder().title(&r.title).body(&r.body).show();
    Ok(r.count)
}

/// Asks where to save, writes there (atomically), remembers the path so
/// that "open to print" may open it. `None`: the volunteer cancelled.
fn save(app: &AppHandle, state: &AppState, (pdf, name): (Rendered, String)) -> R<Option<SavedFile>> {
    let Some(path) = save_as(app, state, &name, ("PDF", &["pdf"]), &pdf.bytes)? else { return Ok(None) };
    Ok(Some(SavedFile {
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        path: path.to_string_lossy().into_owned(),
        missing_glyphs: pdf.missing_glyphs.iter().map(char::to_string).collect(),
        deadlines_unavailable: pdf.deadlines_unavailable,
    }))
}

fn unusable_location() -> AppError {
    AppError::new(
        "save_path",
        "Cet emplacement ne peut pas être utilisé : choisissez un dossier de l'ordinateur.",
        "This location cannot be used: choose a folder on this computer.",
    )
}

/// The save dialog, then `bytes` written there atomically; the path is
/// remembered for "open to print". `None`: the volunteer cancelled.
fn save_as(app: &AppHandle, state: &AppState, name: &str, (filter, extensions): (&str, &[&str]), bytes: &[u8]) -> R<Option<std::path::PathBuf>> {
    let chosen = app
        .dialog()
        .file()
        .set_title("Enregistrer sous / Save as")
        .set_file_name(name)
        .add_filter(filter, extensions)
        .blocking_save_file();
    let Some(chosen) = chosen else { return Ok(None) };
    let path = chosen.into_path().map_err(|_| unusable_location())?;
    sesame_core::print::write_file(&path, bytes)?;
    state.remember_saved(path.clone());
    Ok(Some(path))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn print_case_checklist(app: AppHandle, state: State<'_, AppState>, case_id: String, lang: String) -> R<Option<SavedFile>> {
    let rendered = print::case_checklist(&state, &case_id, &lang)?;
    save(&app, &state, rendered)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn print_blank_checklist(app: AppHandle, state: State<'_, AppState>, procedure: String, lang: String) -> R<Option<SavedFile>> {
    let rendered = print::blank_checklist(&state, &procedure, &lang)?;
    save(&app, &state, rendered)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn letter_draft(state: State<'_, AppState>, case_id: String, kind: String) -> R<LetterDraftDto> {
    print::draft_letter(&state, &case_id, &kind)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn letter_export(app: AppHandle, state: State<'_, AppState>, case_id: String, kind: String, text: String) -> R<Option<SavedFile>> {
    let rendered = print::letter(&state, &case_id, &kind, &text)?;
    save(&app, &state, rendered)
}

/// Opens a file saved in this session with the system's viewer, to print.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_saved(app: AppHandle, state: State<'_, AppState>, path: String) -> R<()> {
    let path = std::path::PathBuf::from(path);
    if !state.was_saved(&path) {
        return Err(AppError::new(
            "not_saved_here",
            "Seul un fichier enregistré depuis Sésame pendant cette session peut être ouvert ici.",
            "Only a file saved from Sésame during this session can be opened here.",
        ));
    }
    app.opener().open_path(path.to_string_lossy(), None::<&str>).map_err(|_| {
        AppError::new(
            "open_failed",
            "Aucune application ne sait ouvrir ce PDF : ouvrez-le depuis le dossier où vous l'avez enregistré.",
            "No application can open this PDF: open it from the folder where you saved it.",
        )
    })
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_status(state: State<'_, AppState>) -> R<SyncIndicator> {
    app::sync_indicator(&state)
}

/// One round now, by the background worker: the window's vault is not
/// held during the network exchange, so the window stays usable.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(state: State<'_, AppState>) -> R<SyncIndicator> {
    crate::sync::sync_now(&state).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_conflicts(state: State<'_, AppState>) -> R<Vec<ConflictDto>> {
    crate::sync::conflicts(&state)
}

/// Settles a conflict with a candidate's `value`, or with `text` typed by the volunteer.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_resolve(
    state: State<'_, AppState>,
    entity_id: String,
    field: String,
    value: Option<serde_json::Value>,
    text: Option<String>,
) -> R<()> {
    crate::sync::resolve(&state, &entity_id, &field, value, text.as_deref())
}

/// Who can read an applicant's file (an applicant or case id).
#[tauri::command(rename_all = "snake_case")]
pub async fn case_readers(state: State<'_, AppState>, id: String) -> R<ReadersDto> {
    crate::sync::readers(&state, &id)
}

// ---- preview and attachments (issue 5) ----------------------------------

#[tauri::command(rename_all = "snake_case")]
pub async fn preview_case_checklist(state: State<'_, AppState>, case_id: String, lang: String) -> R<PreviewDto> {
    Ok(print::preview(&print::case_checklist(&state, &case_id, &lang)?.0))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn preview_blank_checklist(state: State<'_, AppState>, procedure: String, lang: String) -> R<PreviewDto> {
    Ok(print::preview(&print::blank_checklist(&state, &procedure, &lang)?.0))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn letter_preview(state: State<'_, AppState>, case_id: String, kind: String, text: String) -> R<PreviewDto> {
    Ok(print::preview(&print::letter(&state, &case_id, &kind, &text)?.0))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachments_list(state: State<'_, AppState>, case_id: String) -> R<Vec<AttachmentDto>> {
    attach::list(&state, &case_id)
}

/// The open dialog (several files: the pages of one document, in the order
/// chosen), then the files checked and stored. `None`: cancelled.
#[tauri::command(rename_all = "snake_case")]
pub async fn attachments_add(app: AppHandle, state: State<'_, AppState>, case_id: String, doc_type: String) -> R<Option<Vec<AttachmentDto>>> {
    attach::check_target(&state, &case_id, &doc_type)?;
    let picked = app
        .dialog()
        .file()
        .set_title("Joindre un scan ou une photo / Attach a scan or photo")
        .add_filter(attach::PICK_FILTER_NAME, attach::PICK_EXTENSIONS)
        .blocking_pick_files();
    let Some(picked) = picked else { return Ok(None) };
    let paths = picked.into_iter().map(|p| p.into_path()).collect::<Result<Vec<_>, _>>().map_err(|_| unusable_location())?;
    attach::add(&state, &case_id, &doc_type, &paths).map(Some)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_delete(state: State<'_, AppState>, case_id: String, id: String) -> R<Vec<AttachmentDto>> {
    attach::delete(&state, &case_id, &id)
}

/// The item's ANEF-ready file, then the save dialog. `None`: cancelled.
#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_export(app: AppHandle, state: State<'_, AppState>, case_id: String, doc_type: String) -> R<Option<SavedFile>> {
    let file = attach::prepare(&state, &case_id, &doc_type)?;
    let filter: (&str, &[&str]) = if file.media_type == "application/pdf" { ("PDF", &["pdf"]) } else { ("JPEG", &["jpg", "jpeg"]) };
    let Some(path) = save_as(&app, &state, &file.file_name, filter, &file.bytes)? else { return Ok(None) };
    Ok(Some(SavedFile {
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        path: path.to_string_lossy().into_owned(),
        missing_glyphs: Vec::new(),
        deadlines_unavailable: false,
    }))
}
