//! Printing entry points: a case's checklist in the applicant's language,
//! a blank checklist per procedure, letters drafted from the case and
//! edited by the volunteer. Everything is typeset in memory by core; the
//! only file written is the one the volunteer chose in the save dialog
//! (`print::write_file`: a hidden part file in that same folder, renamed).

use crate::app::{parse_id, tag};
use crate::dto::{LetterDraftDto, PreviewDto};
use crate::error::AppError;
use crate::state::AppState;
use sesame_core::print::{self, LetterKind, PrintContext, Rendered};
use std::str::FromStr;

fn context(state: &AppState, lang: &str) -> Result<PrintContext, AppError> {
    let settings = state.with_vault(|v| Ok(v.settings()?))?;
    let lang = state.catalog.language(lang)?;
    Ok(PrintContext {
        association_name: settings.association_name,
        association_contact: settings.association_contact,
        printed_on: state.clock.today(),
        lang,
    })
}

/// A case's personal checklist, and a file name without personal data.
pub fn case_checklist(state: &AppState, case_id: &str, lang: &str) -> Result<(Rendered, String), AppError> {
    let id = parse_id(case_id)?;
    let ctx = context(state, lang)?;
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        let case = v.case(id)?;
        let pdf = print::case_checklist_pdf(v, &catalog, id, &ctx)?;
        Ok((pdf, format!("liste-pieces-{}-{}.pdf", case.procedure, ctx.lang)))
    })
}

/// A blank checklist: no personal data at all.
pub fn blank_checklist(state: &AppState, procedure: &str, lang: &str) -> Result<(Rendered, String), AppError> {
    let ctx = context(state, lang)?;
    let pdf = print::blank_checklist_pdf(&state.catalog, procedure, &Default::default(), None, &ctx)?;
    Ok((pdf, format!("liste-vierge-{procedure}-{}.pdf", ctx.lang)))
}

fn kind(kind: &str) -> Result<LetterKind, AppError> {
    LetterKind::from_str(kind).map_err(AppError::from)
}

pub fn draft_letter(state: &AppState, case_id: &str, letter: &str) -> Result<LetterDraftDto, AppError> {
    let id = parse_id(case_id)?;
    let kind = kind(letter)?;
    let ctx = context(state, "fr")?;
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        let d = print::draft_letter(v, &catalog, kind, id, &ctx)?;
        Ok(LetterDraftDto {
            kind: tag(&d.kind),
            title: d.title,
            text: d.text,
            to_check: d.to_check,
            appendices: d.appendices.len(),
            attempts: d.span.as_ref().map(|s| s.attempts),
            more_than_one_week: d.span.as_ref().map(|s| s.more_than_one_week),
        })
    })
}

/// The letter as the volunteer edited it, with the pieces its draft appends.
pub fn letter(state: &AppState, case_id: &str, letter: &str, text: &str) -> Result<(Rendered, String), AppError> {
    let id = parse_id(case_id)?;
    let kind = kind(letter)?;
    let ctx = context(state, "fr")?;
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        let mut d = print::draft_letter(v, &catalog, kind, id, &ctx)?;
        d.text = text.to_owned();
        let pdf = print::letter_pdf(v, &d, &ctx)?;
        Ok((pdf, format!("courrier-{}.pdf", kind.as_str().replace('_', "-"))))
    })
}

/// The pages of a printout as images, for the preview: drawn in memory from
/// the same layout as its PDF (`Rendered::preview`), sent as data URLs. The
/// preview's "Save…" typesets again from the same data, which gives the
/// same pages: nothing decrypted is kept in the shell between the two.
pub fn preview(rendered: &Rendered) -> PreviewDto {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    PreviewDto {
        pages: rendered.preview().iter().map(|svg| format!("data:image/svg+xml;base64,{}", b64.encode(svg))).collect(),
        missing_glyphs: rendered.missing_glyphs.iter().map(char::to_string).collect(),
        deadlines_unavailable: rendered.deadlines_unavailable,
        untranslated: rendered.untranslated.clone(),
    }
}
