//! What sync needs from the vault's insides: the connection, the clock,
//! applying remote ops, conflicts, and erasure.
//!
//! Applying a remote op is the same as replaying a local one (per-field
//! last-writer-wins lives in [`crate::oplog`]); what is added here is the
//! conflict bookkeeping. Two ops on the same field are *concurrent* when
//! neither author had seen the other's, i.e. neither is based on a version
//! at or after the other. The *heads* of a field are its ops that no other
//! op was based on; when the heads disagree on the value, the field is in
//! conflict: the row shows the last writer's value (so every device shows
//! the same), and both values are kept and listed by [`Vault::conflicts`]
//! until a person picks one with [`Vault::resolve_conflict`].

use super::records::apply_all;
use super::{Vault, VaultError};
use crate::domain::{Entity, Id};
use crate::hlc::{Hlc, HlcError};
use crate::oplog::{self, Op};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

/// One of the values in conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictValue {
    pub op_id: Id,
    pub device_id: Id,
    pub hlc: Hlc,
    pub value: Value,
}

/// A field edited on two devices at once, both values kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub entity: Entity,
    pub entity_id: Id,
    pub field: String,
    /// The value the record shows now (the last writer's, by clock).
    pub current: Value,
    /// Every competing value, oldest first.
    pub candidates: Vec<ConflictValue>,
}

impl Vault {
    pub(crate) fn conn_ref(&self) -> &Connection {
        &self.conn
    }

    /// A new timestamp from this device's clock (for ops sync makes itself,
    /// such as attachment references).
    pub(crate) fn tick(&self) -> Result<Hlc, HlcError> {
        self.hlc.tick()
    }

    /// Merges a remote timestamp into this device's clock (refusing one too far ahead).
    pub(crate) fn observe(&self, remote: Hlc) -> Result<Hlc, HlcError> {
        self.hlc.observe(remote)
    }

    /// Checks a remote timestamp against the drift bound without merging it.
    pub(crate) fn too_far_ahead(&self, remote: Hlc) -> Option<u64> {
        let now = self.opts.clock.now_millis();
        (remote.millis > now.saturating_add(self.opts.max_drift_ms)).then(|| remote.millis - now)
    }

    pub(crate) fn clock(&self) -> std::sync::Arc<dyn crate::clock::Clock> {
        self.opts.clock.clone()
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.opts.clock.now_millis()
    }

    pub(crate) fn max_drift_ms(&self) -> u64 {
        self.opts.max_drift_ms
    }

    /// Fields in conflict, with their competing values.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, VaultError> {
        let keys: Vec<(String, String, String)> = {
            let mut stmt = self.conn.prepare("SELECT entity, entity_id, field FROM sync_conflict ORDER BY entity_id, field")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
        };
        let mut out = Vec::new();
        for (entity, id, field) in keys {
            let (Ok(entity), Ok(id)) = (entity.parse::<Entity>(), id.parse::<Id>()) else { continue };
            if let Some(c) = conflict_on(&self.conn, entity, id, &field)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Settles a conflict with the value of one candidate (or any value the
    /// person typed, as JSON): writes a new op based on every competing one,
    /// so every device sees the conflict closed once it syncs.
    pub fn resolve_conflict(&mut self, entity_id: Id, field: &str, value: Value) -> Result<(), VaultError> {
        let entity: Option<String> = self
            .conn
            .query_row("SELECT entity FROM sync_conflict WHERE entity_id = ?1 AND field = ?2", params![entity_id.to_string(), field], |r| r.get(0))
            .optional()?;
        let entity: Entity = entity
            .ok_or_else(|| VaultError::NotFound { entity: "conflict", id: format!("{entity_id}/{field}") })?
            .parse()?;
        let based_on = oplog::last_on_field(&self.conn, entity_id, field)?;
        let op = Op {
            id: Id::new(),
            entity,
            entity_id,
            field: field.to_owned(),
            value,
            hlc: self.hlc.tick()?,
            device_id: self.device_id,
            based_on,
        };
        let tx = self.conn.savepoint()?;
        apply_all(&tx, std::slice::from_ref(&op))?;
        refresh_conflict(&tx, entity, entity_id, field)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes an applicant and everything in their file, with its history:
    /// rows, ops, search entry. Used by erasure (crypto-shredding): the
    /// caller destroys the stream's keys in the same transaction.
    pub(crate) fn erase_applicant_rows(conn: &Connection, applicant: Id) -> Result<Vec<String>, VaultError> {
        let a = applicant.to_string();
        let mut ids: Vec<String> = vec![a.clone()];
        let cases: Vec<String> = {
            let mut s = conn.prepare("SELECT id FROM case_file WHERE applicant_id = ?1")?;
            s.query_map([&a], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        for c in &cases {
            for t in ["document_item", "deadline", "journal_entry", "incident"] {
                let mut s = conn.prepare(&format!("SELECT id FROM {t} WHERE case_id = ?1"))?;
                let child: Vec<String> = s.query_map([c], |r| r.get(0))?.collect::<Result<_, _>>()?;
                ids.extend(child);
                conn.execute(&format!("DELETE FROM {t} WHERE case_id = ?1"), [c])?;
            }
        }
        ids.extend(cases.iter().cloned());
        conn.execute("DELETE FROM case_file WHERE applicant_id = ?1", [&a])?;
        let rowid: Option<i64> = conn.query_row("SELECT rowid FROM applicant WHERE id = ?1", [&a], |r| r.get(0)).optional()?;
        if let Some(rowid) = rowid {
            conn.execute("DELETE FROM applicant_fts WHERE rowid = ?1", [rowid])?;
        }
        conn.execute("DELETE FROM applicant WHERE id = ?1", [&a])?;
        for id in &ids {
            conn.execute("DELETE FROM op WHERE entity_id = ?1", [id])?;
            conn.execute("DELETE FROM sync_conflict WHERE entity_id = ?1", [id])?;
        }
        Ok(ids)
    }
}

/// Applies remote ops (skipping those already logged) and updates the
/// conflict list for every field they touched. Returns how many were new.
pub(crate) fn apply_remote(conn: &Connection, ops: &[Op]) -> Result<usize, VaultError> {
    let mut fresh = Vec::with_capacity(ops.len());
    let mut seen = std::collections::HashSet::with_capacity(ops.len());
    for op in ops {
        let known: Option<i64> =
            conn.prepare_cached("SELECT 1 FROM op WHERE id = ?1")?.query_row([op.id.to_string()], |r| r.get(0)).optional()?;
        if known.is_none() && seen.insert(op.id) {
            fresh.push(op.clone());
        }
    }
    apply_all(conn, &fresh)?;
    let mut touched: Vec<(Entity, Id, &str)> = Vec::new();
    let mut seen_fields = std::collections::HashSet::new();
    for op in &fresh {
        if seen_fields.insert((op.entity_id, op.field.as_str())) {
            touched.push((op.entity, op.entity_id, &op.field));
        }
    }
    for (e, id, f) in touched {
        refresh_conflict(conn, e, id, f)?;
    }
    Ok(fresh.len())
}

/// Recomputes whether one field is in conflict.
pub(crate) fn refresh_conflict(conn: &Connection, entity: Entity, id: Id, field: &str) -> Result<(), VaultError> {
    let open = conflict_on(conn, entity, id, field)?.is_some();
    if open {
        conn.prepare_cached("INSERT OR IGNORE INTO sync_conflict(entity, entity_id, field) VALUES (?1, ?2, ?3)")?
            .execute(params![entity.as_str(), id.to_string(), field])?;
    } else {
        conn.prepare_cached("DELETE FROM sync_conflict WHERE entity_id = ?1 AND field = ?2")?
            .execute(params![id.to_string(), field])?;
    }
    Ok(())
}

/// The conflict on one field, if its heads disagree.
fn conflict_on(conn: &Connection, entity: Entity, id: Id, field: &str) -> Result<Option<Conflict>, VaultError> {
    struct Row {
        id: String,
        hlc: Hlc,
        device: String,
        based_on: Option<Hlc>,
        value: String,
    }
    let rows: Vec<Row> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, hlc, device_id, based_on, value FROM op WHERE entity_id = ?1 AND field = ?2 ORDER BY hlc, device_id",
        )?;
        stmt.query_map(params![id.to_string(), field], |r| {
            Ok(Row {
                id: r.get(0)?,
                hlc: r.get::<_, String>(1)?.parse().unwrap_or_default(),
                device: r.get(2)?,
                based_on: r.get::<_, Option<String>>(3)?.and_then(|s| s.parse().ok()),
                value: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?
    };
    let heads: Vec<&Row> = rows
        .iter()
        .filter(|y| !rows.iter().any(|x| x.id != y.id && x.based_on.is_some_and(|b| b >= y.hlc)))
        .collect();
    let mut values: Vec<&str> = heads.iter().map(|h| h.value.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    if values.len() < 2 {
        return Ok(None);
    }
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let current = heads.last().map(|h| parse(&h.value)).unwrap_or(Value::Null);
    let candidates = heads
        .iter()
        .filter_map(|h| {
            Some(ConflictValue { op_id: h.id.parse().ok()?, device_id: h.device.parse().ok()?, hlc: h.hlc, value: parse(&h.value) })
        })
        .collect();
    Ok(Some(Conflict { entity, entity_id: id, field: field.to_owned(), current, candidates }))
}

/// One op of the log, by its position.
pub(crate) fn read_op(conn: &Connection, seq: i64) -> Result<Option<Op>, VaultError> {
    let row: Option<(String, String, String, String, String, String, String, Option<String>)> = conn
        .prepare_cached("SELECT id, entity, entity_id, field, value, hlc, device_id, based_on FROM op WHERE seq = ?1")?
        .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)))
        .optional()?;
    let Some((id, entity, entity_id, field, value, hlc, device, based_on)) = row else { return Ok(None) };
    let op = (|| {
        Some(Op {
            id: id.parse().ok()?,
            entity: entity.parse().ok()?,
            entity_id: entity_id.parse().ok()?,
            field,
            value: serde_json::from_str(&value).ok()?,
            hlc: hlc.parse().ok()?,
            device_id: device.parse().ok()?,
            based_on: match based_on {
                Some(b) => Some(b.parse().ok()?),
                None => None,
            },
        })
    })();
    op.map(Some).ok_or_else(|| VaultError::Db("a malformed op in the log".into()))
}
