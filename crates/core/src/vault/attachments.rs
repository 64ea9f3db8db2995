//! Attachments: scans and photos of a case's documents, and screenshots of
//! ANEF failures, stored **inside** the encrypted database as BLOBs.
//!
//! Why BLOBs in SQLCipher rather than encrypted files beside it: one key,
//! one backup, one integrity check, and no code path that could ever leave
//! a decrypted copy on disk (`temp_store = MEMORY`, `secure_delete = ON`
//! overwrites deleted pages). Phone photos are a few megabytes; the input
//! limit ([`crate::print::anef::MAX_INPUT_BYTES`]) keeps rows reasonable.
//!
//! Attachments are not records: they are not written to the op log, so
//! they are neither replayed nor synced. Syncing them needs a blob channel
//! (content-addressed, encrypted with the case key), a decision for the
//! sync design. They are deleted with their case (`ON DELETE CASCADE`) and
//! one by one with [`Vault::delete_attachment`].
//!
//! Input checks (is it an image, a readable PDF, not too large?) happen
//! before this module, in [`crate::print::anef`]; this module only stores
//! what it is given, all files of one call in one transaction.

use super::{Vault, VaultError};
use crate::domain::Id;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// A stored attachment, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: Id,
    pub case_id: Id,
    /// A catalog document id (`passport`), or `incident:<id>`.
    pub target: String,
    /// Page order within the target, from 1.
    pub position: i64,
    /// The name of the file the volunteer chose (no folder).
    pub file_name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// 1 for an image; the page count of a PDF.
    pub pages: i64,
    pub byte_len: i64,
    /// When it was attached (RFC 3339, UTC), from the injected clock.
    pub added_at: String,
}

/// A file to store, already checked.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub media_type: String,
    pub pages: u32,
    pub data: Vec<u8>,
}

/// The target of an incident's screenshots.
pub fn incident_target(incident: Id) -> String {
    format!("incident:{incident}")
}

impl Vault {
    /// Stores `files` for `target` of a case, after the ones already there,
    /// in one transaction: all are stored, or none.
    pub fn add_attachments(
        &mut self,
        case_id: Id,
        target: &str,
        files: Vec<NewAttachment>,
    ) -> Result<Vec<Id>, VaultError> {
        self.case(case_id)?;
        let added_at = self.opts.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let tx = self.conn.transaction()?;
        let last: Option<i64> = tx
            .query_row(
                "SELECT max(position) FROM attachment WHERE case_id = ?1 AND target = ?2",
                params![case_id.to_string(), target],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let mut position = last.unwrap_or(0);
        let mut ids = Vec::with_capacity(files.len());
        for file in files {
            position += 1;
            let id = Id::new();
            tx.execute(
                "INSERT INTO attachment(id, case_id, target, position, file_name, media_type, pages, byte_len, added_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id.to_string(),
                    case_id.to_string(),
                    target,
                    position,
                    file.file_name,
                    file.media_type,
                    i64::from(file.pages),
                    i64::try_from(file.data.len()).unwrap_or(i64::MAX),
                    added_at,
                    file.data,
                ],
            )?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// A case's attachments (of one target, or all), in page order.
    pub fn attachments(&self, case_id: Id, target: Option<&str>) -> Result<Vec<Attachment>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, case_id, target, position, file_name, media_type, pages, byte_len, added_at
             FROM attachment WHERE case_id = ?1 AND (?2 IS NULL OR target = ?2)
             ORDER BY target, position, id",
        )?;
        let rows = stmt.query_map(params![case_id.to_string(), target], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Attachment {
                    id: Id::default(),
                    case_id: Id::default(),
                    target: r.get(2)?,
                    position: r.get(3)?,
                    file_name: r.get(4)?,
                    media_type: r.get(5)?,
                    pages: r.get(6)?,
                    byte_len: r.get(7)?,
                    added_at: r.get(8)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, case, mut a) = row?;
            let damaged = || VaultError::Db("attachment id".into());
            a.id = id.parse().map_err(|_| damaged())?;
            a.case_id = case.parse().map_err(|_| damaged())?;
            out.push(a);
        }
        Ok(out)
    }

    /// The bytes of one attachment, decrypted in memory only.
    pub fn attachment_data(&self, id: Id) -> Result<Vec<u8>, VaultError> {
        self.conn
            .query_row("SELECT data FROM attachment WHERE id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(VaultError::NotFound { entity: "attachment", id: id.to_string() })
    }

    /// Deletes one attachment; its pages are overwritten (`secure_delete`).
    /// When it went through sync (sent from here or received), the deletion
    /// is marked for the next round in the same transaction: a tombstone
    /// then removes it from the other devices and the server
    /// (`sync::attachments`).
    pub fn delete_attachment(&mut self, id: Id) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        let case: Option<String> = tx.query_row("SELECT case_id FROM attachment WHERE id = ?1", [id.to_string()], |r| r.get(0)).optional()?;
        let Some(case) = case else {
            return Err(VaultError::NotFound { entity: "attachment", id: id.to_string() });
        };
        tx.execute("DELETE FROM attachment WHERE id = ?1", [id.to_string()])?;
        tx.execute(
            "UPDATE sync_attachment SET state = 'delete', ref = ?2 WHERE attachment_id = ?1 AND state IN ('sealed', 'received')",
            rusqlite::params![id.to_string(), serde_json::json!({ "case": case }).to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}
