//! Papers that help: checklists in the applicant's language, letters built
//! from the incident log, and attachments made ready for ANEF.
//!
//! Volunteers print. An applicant takes a checklist home; a préfecture or a
//! court reads a letter; ANEF wants files in a form phones do not produce.
//!
//! - [`checklist`]: a case's personal checklist, or a blank one per
//!   procedure, in French and the applicant's language (13 languages,
//!   right to left for Arabic, Dari and Pashto).
//! - [`letters`]: four letters in French, drafted as editable text from the
//!   case, its incidents and the association's settings, then typeset from
//!   the (possibly edited) text.
//! - [`anef`]: checks scans and photos before they are stored encrypted in
//!   the vault, and prepares one ANEF-ready file per document item
//!   (upright, downscaled, under the size limit, pages merged).
//! - [`output`]: writing a file only where the volunteer chose, atomically.
//! - `engine`: Typst as a library, fonts embedded, no disk, no clock.
//!
//! Invariant: **no plaintext temporary file.** Everything is typeset in
//! memory; the only file written is the destination the caller names
//! ([`output::write_file`]), through a hidden temporary file in that same
//! directory renamed over it.

pub mod anef;
pub mod checklist;
mod engine;
mod error;
mod labels;
pub mod letters;
pub mod output;

pub use anef::{AnefFile, AnefFormat, AnefLimit, MediaKind, PreparedUpload, attach_files, prepare_for_anef};
pub use checklist::{blank_checklist_pdf, case_checklist_pdf};
pub use engine::{Rendered, warm_up};
pub use error::PrintError;
pub use letters::{AttemptSpan, Appendix, LetterDraft, LetterKind, draft_letter, letter_pdf};
pub use output::write_file;

use chrono::NaiveDate;

/// What every printout needs besides the case: who prints it, when, and
/// in which language.
///
/// The association's name and contact come from the vault's settings
/// ([`PrintContext::from_settings`]); the CLI lets `--association` and
/// `--contact` (or `SESAME_ASSOCIATION`, `SESAME_ASSOCIATION_CONTACT`)
/// override them for one printout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintContext {
    pub association_name: String,
    /// Address, phone, e-mail or opening hours, as one line or several.
    pub association_contact: String,
    /// The date printed on the page, from the injected clock.
    pub printed_on: NaiveDate,
    /// The applicant's language (a catalog language: `ar`, `fa-AF`, `ti`…).
    /// Letters are always in French.
    pub lang: String,
}

impl PrintContext {
    /// The context of a printout made with the association's settings.
    pub fn from_settings(settings: &crate::vault::Settings, printed_on: NaiveDate, lang: &str) -> PrintContext {
        PrintContext {
            association_name: settings.association_name.clone(),
            association_contact: settings.association_contact.clone(),
            printed_on,
            lang: lang.to_owned(),
        }
    }
}

/// Dates as French readers write them: 28/11/2026. Digits and slashes stay
/// in order inside right-to-left text (the bidi algorithm keeps a number
/// with its separators together).
pub(crate) fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The same date in words, for letters: « 28 novembre 2026 ».
pub(crate) fn date_long_fr(d: NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre",
    ];
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    let day = if d.day() == 1 { "1er".to_owned() } else { d.day().to_string() };
    format!("{day} {month} {}", d.year())
}
