//! What crosses the IPC boundary, in the shapes the page uses. Core's
//! types are converted here and nowhere else; the page never receives a
//! core type directly.
//!
//! Forms travel as `field name → text as typed`, the same names core's
//! field specs parse, so a refused field comes back with the name the form
//! uses and what the volunteer typed is never lost or reformatted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type FormFields = BTreeMap<String, String>;

#[derive(Debug, Serialize)]
pub struct AppStatus {
    pub vault_exists: bool,
    pub unlocked: bool,
    pub version: &'static str,
    /// The interface language stored in the vault, once unlocked.
    pub language: Option<String>,
    pub auto_lock_minutes: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ApplicantSummary {
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    pub latin_family_name: Option<String>,
    pub latin_given_name: Option<String>,
    pub birth_date: Option<String>,
    pub nationality: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApplicantList {
    pub items: Vec<ApplicantSummary>,
    /// How many applicants the vault holds (the list may show fewer).
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct CaseSummary {
    pub id: String,
    pub procedure: String,
    pub procedure_name: String,
    pub status: String,
    pub opened_on: String,
}

#[derive(Debug, Serialize)]
pub struct ApplicantView {
    pub id: String,
    pub fields: FormFields,
    pub languages: Vec<String>,
    pub cases: Vec<CaseSummary>,
}

#[derive(Debug, Serialize)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    pub request: String,
}

/// The case form: record fields plus the few facts the deadline engine
/// needs most, kept as typed.
#[derive(Debug, Serialize, Deserialize, Default)]
pub struct CaseForm {
    pub procedure: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub opened_on: String,
    /// `current_permit.expires_on`: the residence permit's last day.
    #[serde(default)]
    pub permit_expires_on: String,
    #[serde(default)]
    pub permit_on_anef: bool,
    /// `filing.filed_on`: the day the request was filed.
    #[serde(default)]
    pub filed_on: String,
    /// `api[].valid_until` of the latest attestation de prolongation d'instruction.
    #[serde(default)]
    pub api_valid_until: String,
}

#[derive(Debug, Serialize)]
pub struct ChecklistLine {
    pub doc_type: String,
    pub name: String,
    pub explain: String,
    pub category: String,
    pub status: String,
    pub issued_on: Option<String>,
    pub verified: bool,
    pub alternative: Option<String>,
    /// Needs an issue date to be judged fresh (a "less than N months" document).
    pub max_age_months: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineDto {
    /// Stable id the page translates (`renewal_window_open`, `oqtf_appeal`…).
    pub id: String,
    /// `deadline` or `alert`.
    pub kind: String,
    pub due: String,
    pub due_date: String,
    pub moved_from: Option<String>,
    pub rule: String,
    pub legal_basis: String,
    pub counting: String,
    /// False: shown as "à vérifier / to be checked", never as law.
    pub verified: bool,
    pub subject: Option<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ManualDeadline {
    pub id: String,
    pub due: String,
    pub title: String,
    pub done: bool,
}

#[derive(Debug, Serialize)]
pub struct JournalLine {
    pub id: String,
    pub at: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct IncidentLine {
    pub id: String,
    pub occurred_at: String,
    pub step: String,
    pub error_message: Option<String>,
    pub ticket: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CaseView {
    pub id: String,
    pub applicant_id: String,
    pub applicant_name: String,
    /// The applicant's languages that the catalog prints (default for "print the list").
    pub print_languages: Vec<String>,
    pub procedure_name: String,
    pub form: CaseForm,
    pub checklist: Vec<ChecklistLine>,
    pub deadlines: Vec<DeadlineDto>,
    /// Set when the stored situation cannot be read: the deadlines are missing.
    pub deadlines_error: Option<crate::error::AppError>,
    pub manual_deadlines: Vec<ManualDeadline>,
    pub journal: Vec<JournalLine>,
    pub incidents: Vec<IncidentLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgendaLine {
    /// `now` or `soon`.
    pub urgency: String,
    pub due: String,
    pub case_id: String,
    pub applicant_id: String,
    /// Initials only: Today is seen over shoulders.
    pub initials: String,
    pub procedure_name: String,
    /// `rule`, `manual` or `documents`.
    pub what: String,
    pub deadline: Option<DeadlineDto>,
    pub title: Option<String>,
    pub missing: usize,
    pub stale: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Today {
    pub today: String,
    pub horizon_days: u32,
    pub items: Vec<AgendaLine>,
    /// Lines in all; `items` holds the most urgent ones.
    pub total: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SettingsDto {
    pub language: String,
    pub auto_lock_minutes: String,
    pub notify_days: String,
    pub association_name: String,
    pub association_contact: String,
}

#[derive(Debug, Serialize)]
pub struct Created {
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct SavedFile {
    pub path: String,
    pub file_name: String,
    /// Characters no embedded font could draw (the PDF shows boxes).
    pub missing_glyphs: Vec<String>,
    /// The checklist was printed without computed dates.
    pub deadlines_unavailable: bool,
}

#[derive(Debug, Serialize)]
pub struct LetterDraftDto {
    pub kind: String,
    pub title: String,
    pub text: String,
    pub to_check: Vec<String>,
    pub appendices: usize,
    pub attempts: Option<usize>,
    pub more_than_one_week: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct SyncIndicator {
    pub team: bool,
    pub last_sync_ms: Option<u64>,
    pub pending_ops: u64,
    pub conflicts: u64,
    pub last_error: Option<String>,
    /// A round is under way in the background.
    pub syncing: bool,
    /// The background worker runs (an unlocked vault of a team).
    pub background: bool,
    /// The last background round's failure, in both languages.
    pub failure: Option<crate::error::AppError>,
}

/// A printout's pages, to look at before saving: one
/// `data:image/svg+xml;base64,…` URL per page, shown with `<img>` (an SVG
/// in an image runs no script and loads nothing).
#[derive(Debug, Serialize)]
pub struct PreviewDto {
    pub pages: Vec<String>,
    /// Characters no embedded font could draw (the PDF shows boxes).
    pub missing_glyphs: Vec<String>,
    /// The checklist has no computed dates: the case's facts cannot be read.
    pub deadlines_unavailable: bool,
    /// Items printed in French for want of a translation (French names).
    pub untranslated: Vec<String>,
}

/// A scan or photo attached to a document item, without its bytes.
#[derive(Debug, Serialize)]
pub struct AttachmentDto {
    pub id: String,
    /// The checklist's `doc_type` it belongs to.
    pub doc_type: String,
    /// Page order within the item, from 1.
    pub position: i64,
    /// The name of the file the volunteer chose (no folder).
    pub file_name: String,
    pub media_type: String,
    pub pages: i64,
    pub byte_len: i64,
    pub added_at: String,
}

// ---- sync: conflicts and readers (src/sync.rs) -------------------------

/// One competing value of a conflict.
#[derive(Debug, Serialize)]
pub struct ConflictValueDto {
    /// The value as text (what the field shows).
    pub text: String,
    /// The value as stored (JSON), sent back as is to choose it.
    pub value: serde_json::Value,
    /// When it was written (ISO 8601, from its clock).
    pub at: Option<String>,
    /// Who wrote it: this device, or another one by the first characters
    /// of its id (devices have no names; volunteers' names never travel).
    pub this_device: bool,
    pub device: String,
}

/// A field edited on two devices at once.
#[derive(Debug, Serialize)]
pub struct ConflictDto {
    /// `applicant`, `case`, `document_item`, `journal_entry`, `deadline`, `incident`.
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    /// The applicant the record belongs to, as the list shows them (empty if unknown).
    pub applicant: String,
    /// The applicant's id, to open their file.
    pub applicant_id: Option<String>,
    pub current: String,
    pub candidates: Vec<ConflictValueDto>,
}

/// One device that can read a file.
#[derive(Debug, Serialize)]
pub struct ReaderDto {
    pub fingerprint: String,
    /// `admin` or `member`.
    pub role: String,
    pub this_device: bool,
    pub removed: bool,
}

/// Who can read an applicant's file (and every case in it).
#[derive(Debug, Serialize)]
pub struct ReadersDto {
    /// The vault belongs to a team.
    pub team: bool,
    /// The file has been synced at least once (else: this device only).
    pub shared: bool,
    pub devices: Vec<ReaderDto>,
}

