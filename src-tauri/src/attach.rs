//! Scans and photos attached to a case's document items, from the app.
//!
//! The open and save dialogs (in [`crate::commands`]) only yield paths;
//! everything else is here, over core, and tested without a window:
//! reading and checking each file by its content, storing all of them
//! encrypted in the vault or none ([`sesame_core::print::attach_files`], the
//! path `sesame attach` takes), listing, deleting, and preparing the
//! ANEF-ready file in memory ([`sesame_core::print::prepare_for_anef`]).
//! A refused file is named (file name only) in a French and an English
//! sentence that says what to do.

use crate::app::parse_id;
use crate::dto::AttachmentDto;
use crate::error::AppError;
use crate::state::AppState;
use sesame_core::domain::Id;
use sesame_core::print::{self, AnefFile, AnefFormat, AnefLimit, PrintError};
use sesame_core::vault::attachments::Attachment;
use std::path::PathBuf;

/// What the open dialog offers: JPEG, PNG and PDF, in both cases (phones
/// write `IMG_0001.JPG`; GTK's filters are case-sensitive). HEIC is offered
/// too, so that an iPhone photo is refused with the sentence that says how
/// to get a JPEG instead of being invisible in the dialog.
pub const PICK_FILTER_NAME: &str = "Scans et photos / Scans and photos";
pub const PICK_EXTENSIONS: &[&str] =
    &["jpg", "jpeg", "png", "pdf", "heic", "heif", "JPG", "JPEG", "PNG", "PDF", "HEIC", "HEIF"];

fn dto(a: Attachment) -> AttachmentDto {
    AttachmentDto {
        id: a.id.to_string(),
        doc_type: a.target,
        position: a.position,
        file_name: a.file_name,
        media_type: a.media_type,
        pages: a.pages,
        byte_len: a.byte_len,
        added_at: a.added_at,
    }
}

/// Core's messages name CLI commands in two places; the app says what to
/// do in the app.
fn error(e: PrintError) -> AppError {
    match e {
        PrintError::Vault(v) => v.into(),
        PrintError::NothingAttached { .. } => AppError::new(
            "nothing_attached",
            "Aucun scan ni photo n'est joint à ce document : joignez-en d'abord avec « Joindre un scan ou une photo… ».",
            "No scan or photo is attached to this document: attach one first with \"Attach scan or photo…\".",
        ),
        PrintError::UnknownDocument(_) => unknown_document(),
        other => other.into(),
    }
}

fn unknown_document() -> AppError {
    AppError::new(
        "unknown_document",
        "Ce document ne fait pas partie du catalogue de Sésame : revenez à la liste des pièces du dossier et réessayez.",
        "This document is not in Sésame's catalog: go back to the case's checklist and try again.",
    )
}

/// The case's id, once its record and the document item are known: the
/// app refuses before opening a dialog, not after the volunteer chose.
pub fn check_target(state: &AppState, case_id: &str, doc_type: &str) -> Result<Id, AppError> {
    let id = parse_id(case_id)?;
    if !state.catalog.documents().contains_key(doc_type) {
        return Err(unknown_document());
    }
    state.with_vault(|v| {
        v.case(id)?;
        Ok(id)
    })
}

/// The attachments of a case's document items, item by item, in page order.
/// (An incident's screenshots are not document items and are left out.)
pub fn list(state: &AppState, case_id: &str) -> Result<Vec<AttachmentDto>, AppError> {
    let id = parse_id(case_id)?;
    state.with_vault(|v| {
        v.case(id)?;
        Ok(v.attachments(id, None)?.into_iter().filter(|a| !a.target.starts_with("incident:")).map(dto).collect())
    })
}

/// Reads, checks and stores `paths` as the next pages of `doc_type`: every
/// file is checked before anything is stored, then all are stored in one
/// transaction. Answers the case's attachments.
pub fn add(state: &AppState, case_id: &str, doc_type: &str, paths: &[PathBuf]) -> Result<Vec<AttachmentDto>, AppError> {
    let id = check_target(state, case_id, doc_type)?;
    if !paths.is_empty() {
        let catalog = state.catalog.clone();
        state.with_vault(|v| print::attach_files(v, &catalog, id, doc_type, paths).map(|_| ()).map_err(error))?;
    }
    list(state, case_id)
}

/// Deletes one attachment of the case (its pages are overwritten in the
/// database). Answers the case's attachments.
pub fn delete(state: &AppState, case_id: &str, attachment_id: &str) -> Result<Vec<AttachmentDto>, AppError> {
    let case = parse_id(case_id)?;
    let id = parse_id(attachment_id)?;
    state.with_vault(|v| {
        if !v.attachments(case, None)?.iter().any(|a| a.id == id) {
            return Err(AppError::bad_id());
        }
        Ok(v.delete_attachment(id)?)
    })?;
    list(state, case_id)
}

/// The item's attachments as one ANEF-ready PDF (upright, downscaled, under
/// the size limit, pages in order), in memory, named after the document
/// (`Passeport.pdf`): no personal data in the name.
pub fn prepare(state: &AppState, case_id: &str, doc_type: &str) -> Result<AnefFile, AppError> {
    let id = check_target(state, case_id, doc_type)?;
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        print::prepare_for_anef(v, &catalog, id, doc_type, &AnefLimit::default(), AnefFormat::Pdf).map_err(error)
    })
}
