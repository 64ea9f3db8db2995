//! Attachments through sync: scans and photos follow their case to the
//! other volunteers, as opaque blobs the server cannot read.
//!
//! Attachments are not records (they are not in the op log: a photo is
//! megabytes, an op is a field). Each one travels in two parts:
//!
//! - the **blob**: its bytes encrypted with its applicant's stream key
//!   ([`StreamKey::seal_blob`], the attachment id as associated data),
//!   uploaded to `PUT /v1/teams/{team}/streams/{stream}/blobs/{id}`
//!   (25 MiB at most);
//! - a **reference**: an op of the same stream (entity `case`, field
//!   [`ATTACHMENT_FIELD`]), sealed and signed like any other, carrying the
//!   metadata (document, page, file name, type) and the blob's SHA-256.
//!
//! The blob is uploaded *before* its reference is sealed, so a device that
//! sees the reference finds the blob. Sealing is deterministic (see
//! `seal_blob`): after a crash between the upload and the seal, the same
//! bytes are uploaded again and the server answers as for a retry.
//!
//! On pull, a reference is checked like every op (signature, chain, stream),
//! then recorded as pending; after the round's pulls the blob is
//! downloaded, its hash compared with the signed reference (the server
//! cannot substitute one), decrypted, and stored in the vault like a local
//! attachment. Erasing an applicant erases their attachments on every
//! device and purges the blobs on the server (crypto-shredding: the key is
//! gone too).
//!
//! **Deleting one attachment** ([`Vault::delete_attachment`]) is a
//! tombstone: the vault marks its sync row `delete` in the same transaction
//! as the deletion; the next round seals an op of the stream (field
//! [`ATTACHMENT_DELETED_FIELD`], the attachment's id) and asks the server to
//! purge the blob. A device that applies the tombstone deletes its copy and
//! will never download the blob (a newcomer pulls the reference and the
//! tombstone in the same stream, before any download). States of
//! `sync_attachment` added for this: `delete` (deleted here, tombstone to
//! seal), `purge` (sealed, the server's blob to purge), `deleted`.

use super::crypto::StreamKey;
use super::engine::{Cached, TeamRow, alert, seal_one, sealing_key, stream_key};
use super::proto;
use super::{Remote, RemoteError, SyncError};
use crate::domain::{Entity, Id};
use crate::oplog::Op;
use crate::vault::Vault;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The field of a case op that references an attachment.
pub const ATTACHMENT_FIELD: &str = "@attachment";
/// The field of a case op that deletes an attachment (value: `{"id": …}`).
pub const ATTACHMENT_DELETED_FIELD: &str = "@attachment-deleted";

/// An op about attachments, not a field of a record: handled by
/// [`receive`], never applied to the tables.
pub(crate) fn is_attachment_op(op: &Op) -> bool {
    op.field == ATTACHMENT_FIELD || op.field == ATTACHMENT_DELETED_FIELD
}

/// What a deletion op carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentDeleted {
    pub id: Id,
}

/// What a reference op carries (encrypted, like every op's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: Id,
    pub target: String,
    pub position: i64,
    pub file_name: String,
    pub media_type: String,
    pub pages: i64,
    pub byte_len: i64,
    pub added_at: String,
    /// The key version the blob is sealed with.
    pub key_version: u32,
    /// Hex SHA-256 of the sealed blob, as uploaded.
    pub blob_sha256: String,
}

/// Uploads this device's new attachments and seals their references.
/// Returns how many were sent.
pub(crate) async fn upload<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow, last_removal: u64) -> Result<usize, SyncError> {
    // Attachments not sent yet whose case already belongs to a stream.
    let todo: Vec<(String, String, String, AttachmentRef)> = {
        let conn = vault.conn_ref();
        let mut stmt = conn.prepare(
            "SELECT a.id, a.case_id, e.stream_id, a.target, a.position, a.file_name, a.media_type, a.pages, a.byte_len, a.added_at
             FROM attachment a JOIN sync_entity e ON e.entity_id = a.case_id
             JOIN sync_stream s ON s.stream_id = e.stream_id AND s.erased = 0
             WHERE NOT EXISTS (SELECT 1 FROM sync_attachment x WHERE x.attachment_id = a.id)
             ORDER BY a.case_id, a.target, a.position",
        )?;
        stmt.query_map([], |r| {
            let id: String = r.get(0)?;
            Ok((
                id.clone(),
                r.get(1)?,
                r.get(2)?,
                AttachmentRef {
                    id: id.parse().unwrap_or_default(),
                    target: r.get(3)?,
                    position: r.get(4)?,
                    file_name: r.get(5)?,
                    media_type: r.get(6)?,
                    pages: r.get(7)?,
                    byte_len: r.get(8)?,
                    added_at: r.get(9)?,
                    key_version: 0,
                    blob_sha256: String::new(),
                },
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    let keys = super::engine::device_keys(vault.conn_ref())?;
    let me = vault.device_id().0;
    let mut sent = 0;
    for (id, case_id, sid, mut r) in todo {
        let (Ok(stream), Ok(case), Ok(blob_id)) = (Uuid::parse_str(&sid), case_id.parse::<Id>(), Uuid::parse_str(&id)) else { continue };
        let Some((kv, key)) = sealing_key(vault.conn_ref(), stream, last_removal)? else { continue };
        let sealed = {
            let plain = zeroize::Zeroizing::new(vault.attachment_data(Id(blob_id))?);
            key.seal_blob(blob_id, &plain).ok_or(SyncError::Random)?
        };
        match remote.put_blob(team.team, stream, blob_id, &sealed).await {
            Ok(()) => {}
            Err(RemoteError::Refused { code, .. }) if code == "erased" => continue,
            Err(e) => return Err(e.into()),
        }
        r.key_version = kv;
        r.blob_sha256 = proto::sha256_hex(&sealed);
        let value = serde_json::to_value(&r).map_err(|e| SyncError::Vault(crate::vault::VaultError::Db(e.to_string())))?;
        let op = Op { id: Id::new(), entity: Entity::Case, entity_id: case, field: ATTACHMENT_FIELD.into(), value, hlc: vault.tick()?, device_id: Id(me), based_on: None };
        let tx = vault.conn_ref().unchecked_transaction()?;
        let next: i64 = tx.row("SELECT next_dseq FROM sync_team WHERE id = 1", [], |r| r.get(0))?;
        seal_one(&tx, team, &keys, me, stream, kv, &key, &op, next)?;
        tx.exec("UPDATE sync_team SET next_dseq = ?1 WHERE id = 1", [next + 1])?;
        tx.exec(
            "INSERT INTO sync_attachment(attachment_id, stream_id, state, ref) VALUES (?1, ?2, 'sealed', ?3)",
            params![id, sid, serde_json::to_string(&r).unwrap_or_default()],
        )?;
        tx.commit()?;
        sent += 1;
    }
    if sent > 0 {
        tracing::debug!(sent, "sync: attachments uploaded");
    }
    Ok(sent)
}

/// A checked reference op from the stream `sid`: recorded, to download
/// after the pulls. Refused (false) when it is not a case's reference or
/// does not parse.
pub(crate) fn receive(tx: &Connection, sid: &str, op: &Op) -> Result<bool, SyncError> {
    if op.entity != Entity::Case {
        return Ok(false);
    }
    if op.field == ATTACHMENT_DELETED_FIELD {
        return receive_deletion(tx, sid, op);
    }
    let Ok(r) = serde_json::from_value::<AttachmentRef>(op.value.clone()) else { return Ok(false) };
    let json = serde_json::to_string(&(op.entity_id, &r)).unwrap_or_default();
    tx.exec(
        "INSERT OR IGNORE INTO sync_attachment(attachment_id, stream_id, state, ref) VALUES (?1, ?2, 'pending', ?3)",
        params![r.id.to_string(), sid, json],
    )?;
    Ok(true)
}

/// A checked deletion op from the stream `sid`: the attachment (of this
/// case, in this stream) is deleted here and never downloaded. Refused
/// (false) when it names an attachment of another stream or case.
fn receive_deletion(tx: &Connection, sid: &str, op: &Op) -> Result<bool, SyncError> {
    let Ok(d) = serde_json::from_value::<AttachmentDeleted>(op.value.clone()) else { return Ok(false) };
    let id = d.id.to_string();
    let known: Option<String> = tx.row("SELECT stream_id FROM sync_attachment WHERE attachment_id = ?1", [&id], |r| r.get(0)).optional()?;
    if known.as_deref().is_some_and(|s| s != sid) {
        return Ok(false);
    }
    let case: Option<String> = tx.row("SELECT case_id FROM attachment WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
    if case.as_deref().is_some_and(|c| c != op.entity_id.to_string()) {
        return Ok(false);
    }
    tx.exec("DELETE FROM attachment WHERE id = ?1", [&id])?;
    tx.exec(
        "INSERT INTO sync_attachment(attachment_id, stream_id, state, ref) VALUES (?1, ?2, 'deleted', '')
         ON CONFLICT(attachment_id) DO UPDATE SET state = 'deleted'",
        params![&id, sid],
    )?;
    Ok(true)
}

/// Seals a tombstone for each attachment deleted on this device since the
/// last round, then asks the server to purge its blob. Returns how many
/// tombstones were sealed.
pub(crate) async fn send_deletions<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow, last_removal: u64) -> Result<usize, SyncError> {
    let todo: Vec<(String, String, String)> = {
        let mut stmt = vault.conn_ref().prepare("SELECT attachment_id, stream_id, ref FROM sync_attachment WHERE state = 'delete'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
    };
    let keys = super::engine::device_keys(vault.conn_ref())?;
    let me = vault.device_id().0;
    let mut sealed = 0;
    for (id, sid, json) in todo {
        let (Ok(stream), Ok(att)) = (Uuid::parse_str(&sid), id.parse::<Id>()) else { continue };
        // `Vault::delete_attachment` left the case's id in `ref`.
        let Some(case) = serde_json::from_str::<serde_json::Value>(&json).ok().and_then(|v| v.get("case")?.as_str()?.parse::<Id>().ok()) else {
            continue;
        };
        let Some((kv, key)) = sealing_key(vault.conn_ref(), stream, last_removal)? else { continue };
        let value = serde_json::to_value(AttachmentDeleted { id: att }).map_err(|e| SyncError::Vault(crate::vault::VaultError::Db(e.to_string())))?;
        let op = Op { id: Id::new(), entity: Entity::Case, entity_id: case, field: ATTACHMENT_DELETED_FIELD.into(), value, hlc: vault.tick()?, device_id: Id(me), based_on: None };
        let tx = vault.conn_ref().unchecked_transaction()?;
        let next: i64 = tx.row("SELECT next_dseq FROM sync_team WHERE id = 1", [], |r| r.get(0))?;
        seal_one(&tx, team, &keys, me, stream, kv, &key, &op, next)?;
        tx.exec("UPDATE sync_team SET next_dseq = ?1 WHERE id = 1", [next + 1])?;
        tx.exec("UPDATE sync_attachment SET state = 'purge' WHERE attachment_id = ?1", [&id])?;
        tx.commit()?;
        sealed += 1;
    }
    // The server's copy: purged once the tombstone is sealed (it is pushed
    // this round; a device that has not pulled it yet would otherwise find
    // no blob and keep the reference pending, which the tombstone settles).
    let purge: Vec<(String, String)> = {
        let mut stmt = vault.conn_ref().prepare("SELECT attachment_id, stream_id FROM sync_attachment WHERE state = 'purge'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    for (id, sid) in purge {
        let (Ok(stream), Ok(blob)) = (Uuid::parse_str(&sid), Uuid::parse_str(&id)) else { continue };
        match remote.delete_blob(team.team, stream, blob).await {
            // Purged, already gone, or a server that cannot purge (an older
            // one): nothing more to do; the tombstone is what matters.
            Ok(()) | Err(RemoteError::Refused { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        vault.conn_ref().exec("UPDATE sync_attachment SET state = 'deleted' WHERE attachment_id = ?1", [&id])?;
    }
    Ok(sealed)
}

/// Downloads, checks, decrypts and stores the attachments other devices
/// referenced. One that cannot be fetched now stays pending (next round);
/// one whose blob does not match its signed reference is refused, with an alert.
pub(crate) async fn download<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow) -> Result<usize, SyncError> {
    let pending: Vec<(String, String, String)> = {
        let mut stmt = vault.conn_ref().prepare("SELECT attachment_id, stream_id, ref FROM sync_attachment WHERE state = 'pending'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
    };
    let mut stored = 0;
    for (id, sid, json) in pending {
        let parsed: Option<(Id, AttachmentRef)> = serde_json::from_str(&json).ok();
        let (Some((case, r)), Ok(stream), Ok(blob_id)) = (parsed, Uuid::parse_str(&sid), Uuid::parse_str(&id)) else { continue };
        let sealed = match remote.get_blob(team.team, stream, blob_id).await {
            Ok(b) => b,
            Err(RemoteError::Refused { code, .. }) if code == "not_found" => {
                // Not uploaded (or purged): try again next round.
                tracing::debug!(attachment = %id, "sync: attachment blob not found yet");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let conn = vault.conn_ref();
        let key: Option<StreamKey> = stream_key(conn, stream, r.key_version)?;
        let plain = key.filter(|_| proto::sha256_hex(&sealed) == r.blob_sha256).and_then(|k| k.open_blob(blob_id, &sealed));
        let Some(plain) = plain.map(zeroize::Zeroizing::new) else {
            alert(conn, vault.now_ms(), "attachment_refused", &format!(
                "Une pièce jointe reçue du serveur ne correspond pas à sa référence signée : elle est ignorée ; prévenez l'administrateur du serveur. / An attachment received from the server does not match its signed reference: it is ignored; tell the server's administrator. (stream {stream}, attachment {id})"
            ))?;
            conn.exec("UPDATE sync_attachment SET state = 'refused' WHERE attachment_id = ?1", [&id])?;
            continue;
        };
        let tx = conn.unchecked_transaction()?;
        let case_here: Option<i64> = tx.row("SELECT 1 FROM case_file WHERE id = ?1", [case.to_string()], |r| r.get(0)).optional()?;
        if case_here.is_some() {
            tx.exec(
                "INSERT OR IGNORE INTO attachment(id, case_id, target, position, file_name, media_type, pages, byte_len, added_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![id, case.to_string(), r.target, r.position, r.file_name, r.media_type, r.pages, plain.len() as i64, r.added_at, plain.as_slice()],
            )?;
            stored += 1;
        }
        tx.exec("UPDATE sync_attachment SET state = 'received' WHERE attachment_id = ?1", [&id])?;
        tx.commit()?;
    }
    if stored > 0 {
        tracing::debug!(stored, "sync: attachments downloaded");
    }
    Ok(stored)
}
