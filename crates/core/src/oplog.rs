//! The operation log.
//!
//! Every change to a record is an [`Op`]: one field of one record set to one
//! value, stamped with a hybrid logical clock and the device that made it.
//! A local edit writes the row and its ops in the same transaction, so the
//! log is never behind the tables. The log is the outbox for sync and the
//! history of a file; replaying it from empty rebuilds every table (a
//! property test checks this).

use crate::domain::{Entity, Id};
use crate::hlc::Hlc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The pseudo-field of a tombstone: `{"field": "_deleted", "value": true}`.
pub const DELETED: &str = "_deleted";

/// One change: `entity/entity_id.field = value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub id: Id,
    pub entity: Entity,
    pub entity_id: Id,
    pub field: String,
    pub value: Value,
    pub hlc: Hlc,
    pub device_id: Id,
    /// The timestamp of the op this value replaced, as this device saw it:
    /// two ops on the same field based on the same version are concurrent.
    pub based_on: Option<Hlc>,
}

/// How a column's JSON value is stored in SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Bool,
    Json,
}

pub(crate) fn kind(field: &str) -> Kind {
    match field {
        "languages" | "consent" | "facts" => Kind::Json,
        "done" | DELETED => Kind::Bool,
        _ => Kind::Text,
    }
}

fn column(op: &Op) -> Option<&'static str> {
    if op.field == DELETED {
        Some("deleted")
    } else {
        op.entity.field(&op.field).map(|f| f.name)
    }
}

fn to_sql(field: &str, v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match (kind(field), v) {
        (_, Value::Null) => S::Null,
        (Kind::Bool, Value::Bool(b)) => S::Integer(i64::from(*b)),
        (Kind::Json, v) => S::Text(v.to_string()),
        (_, Value::String(s)) => S::Text(s.clone()),
        (_, other) => S::Text(other.to_string()),
    }
}

/// Writes the op's value into its row (creating the row on its first op)
/// and appends the op to the log. Does not refresh the search index: the
/// caller does that once per record, see [`refresh_search`].
pub(crate) fn apply(conn: &Connection, op: &Op) -> rusqlite::Result<()> {
    let Some(col) = column(op) else {
        // An unknown field (from a newer version of Sésame) is kept in the
        // log, where a later version can apply it, but touches no column.
        return record(conn, op);
    };
    let table = op.entity.table();
    let hlc = op.hlc.to_string();
    conn.prepare_cached(&format!(
        "INSERT INTO {table}(id, created_hlc, updated_hlc) VALUES (?1, ?2, ?2) ON CONFLICT(id) DO NOTHING"
    ))?
    .execute(params![op.entity_id.to_string(), hlc])?;
    // Per-field last-writer-wins by (hlc, device): an op older than one
    // already applied to this field is logged but does not change the row.
    // Local ops always win (the clock is ahead of every op seen); remote
    // ops arrive in any order, and replaying the log in any order gives
    // the same rows.
    if is_newest(conn, op, &hlc)? {
        conn.prepare_cached(&format!("UPDATE {table} SET {col} = ?1, updated_hlc = max(updated_hlc, ?2) WHERE id = ?3"))?
            .execute(params![to_sql(&op.field, &op.value), hlc, op.entity_id.to_string()])?;
    } else {
        conn.prepare_cached(&format!("UPDATE {table} SET updated_hlc = max(updated_hlc, ?1) WHERE id = ?2"))?
            .execute(params![hlc, op.entity_id.to_string()])?;
    }
    record(conn, op)
}

/// Whether no logged op on the same field is newer than `op` by (hlc, device).
fn is_newest(conn: &Connection, op: &Op, hlc: &str) -> rusqlite::Result<bool> {
    let newer: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM op WHERE entity_id = ?1 AND field = ?2
             AND (hlc > ?3 OR (hlc = ?3 AND device_id > ?4)) LIMIT 1",
        )?
        .query_row(params![op.entity_id.to_string(), op.field, hlc, op.device_id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(newer.is_none())
}

fn record(conn: &Connection, op: &Op) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO op(id, entity, entity_id, field, value, hlc, device_id, based_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        op.id.to_string(),
        op.entity.as_str(),
        op.entity_id.to_string(),
        op.field,
        op.value.to_string(),
        op.hlc.to_string(),
        op.device_id.to_string(),
        op.based_on.map(|h| h.to_string()),
    ])?;
    Ok(())
}

/// Rebuilds the search entry of one applicant from its row.
pub(crate) fn refresh_search(conn: &Connection, applicant: Id) -> rusqlite::Result<()> {
    let id = applicant.to_string();
    let rowid: Option<i64> = conn
        .prepare_cached("SELECT rowid FROM applicant WHERE id = ?1")?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    let Some(rowid) = rowid else { return Ok(()) };
    conn.prepare_cached("DELETE FROM applicant_fts WHERE rowid = ?1")?.execute([rowid])?;
    conn.prepare_cached(
        "INSERT INTO applicant_fts(rowid, names, numbers, notes)
         SELECT rowid,
                concat_ws(' ', family_name, given_name, latin_family_name, latin_given_name),
                concat_ws(' ', agdref, anef_number, phone, email, birth_date),
                notes
         FROM applicant WHERE id = ?1 AND deleted = 0",
    )?
    .execute([&id])?;
    Ok(())
}

/// The latest op on one field of one record, if any.
pub(crate) fn last_on_field(conn: &Connection, entity_id: Id, field: &str) -> rusqlite::Result<Option<Hlc>> {
    let s: Option<String> = conn
        .prepare_cached("SELECT hlc FROM op WHERE entity_id = ?1 AND field = ?2 ORDER BY hlc DESC LIMIT 1")?
        .query_row(params![entity_id.to_string(), field], |r| r.get(0))
        .optional()?;
    Ok(s.and_then(|s| s.parse().ok()))
}

/// Reads ops in log order, optionally only those of one record.
pub(crate) fn read(conn: &Connection, entity_id: Option<Id>) -> rusqlite::Result<Vec<Op>> {
    let sql = "SELECT id, entity, entity_id, field, value, hlc, device_id, based_on FROM op
               WHERE ?1 IS NULL OR entity_id = ?1 ORDER BY seq";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([entity_id.map(|i| i.to_string())], |r| {
        let text = |i: usize| r.get::<_, String>(i);
        Ok(Op {
            id: text(0)?.parse().map_err(bad(0))?,
            entity: text(1)?.parse().map_err(bad(1))?,
            entity_id: text(2)?.parse().map_err(bad(2))?,
            field: text(3)?,
            value: serde_json::from_str(&text(4)?).map_err(bad(4))?,
            hlc: text(5)?.parse().map_err(bad(5))?,
            device_id: text(6)?.parse().map_err(bad(6))?,
            based_on: r.get::<_, Option<String>>(7)?.map(|s| s.parse()).transpose().map_err(bad(7))?,
        })
    })?;
    rows.collect()
}

fn bad<E>(column: usize) -> impl Fn(E) -> rusqlite::Error {
    move |_| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, "malformed op".into())
}
