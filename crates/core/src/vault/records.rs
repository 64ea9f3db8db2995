//! Reading and changing records. Every change is a set of ops written with
//! its row in one transaction (see [`crate::oplog`]).

use super::{Vault, VaultError};
use crate::domain::{
    Applicant, Case, Deadline, DocStatus, DocumentItem, Entity, FieldError, FieldProblem, Id, IdMap, Incident,
    JournalEntry,
};
use crate::oplog::{self, DELETED, Kind, Op};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use chrono::NaiveDate;

/// An applicant as the Today screen sees them: initials, never the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicantBrief {
    pub initials: String,
    pub birth_date: Option<NaiveDate>,
}

/// A document item as the Today screen sees it: what it is and where it
/// stands, without the volunteer's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentBrief {
    pub id: Id,
    pub doc_type: String,
    pub status: DocStatus,
    pub issued_on: Option<NaiveDate>,
}

impl From<&DocumentItem> for DocumentBrief {
    fn from(d: &DocumentItem) -> Self {
        Self { id: d.id, doc_type: d.doc_type.clone(), status: d.status, issued_on: d.issued_on }
    }
}

/// Everything in the vault, as plain data (for `sesame export`).
#[derive(Debug, Serialize)]
pub struct Export {
    pub schema_version: i64,
    pub applicants: Vec<Applicant>,
    pub cases: Vec<Case>,
    pub document_items: Vec<DocumentItem>,
    pub deadlines: Vec<Deadline>,
    pub journal: Vec<JournalEntry>,
    pub incidents: Vec<Incident>,
}

impl Vault {
    /// Creates a record from typed field values (`("family_name", "Zéphyrine")`…).
    /// Every field is validated first; all refusals are returned together so a
    /// form can show each next to its field. Nothing is written on refusal.
    pub fn create(&mut self, entity: Entity, fields: &[(&str, &str)]) -> Result<Id, VaultError> {
        let mut values = self.parse_fields(entity, fields, true)?;
        for spec in entity.fields() {
            if spec.name == "status" && !values.iter().any(|(n, _)| *n == "status") {
                let initial = match entity {
                    Entity::Case => "preparing",
                    _ => "missing",
                };
                values.push(("status", Value::String(initial.into())));
            }
            if spec.name == "opened_on" && !values.iter().any(|(n, _)| *n == "opened_on") {
                values.push(("opened_on", Value::String(self.today().to_string())));
            }
        }
        self.check_parent(entity, &values)?;
        let id = Id::new();
        self.write(entity, id, values.into_iter().map(|(n, v)| (n.to_owned(), v, None)).collect())?;
        Ok(id)
    }

    /// Changes some fields of a record. Unchanged values write nothing.
    /// Returns how many fields changed.
    pub fn update(&mut self, entity: Entity, id: Id, fields: &[(&str, &str)]) -> Result<usize, VaultError> {
        let values = self.parse_fields(entity, fields, false)?;
        let current = self.row_json(entity, id)?;
        let mut changes = Vec::new();
        let mut errors = Vec::new();
        for (name, value) in values {
            if entity.field(name).is_some_and(|f| f.immutable) {
                errors.push(FieldError::new(
                    name,
                    FieldProblem::Other {
                        fr: "ce lien ne se modifie pas ; créez un nouvel enregistrement.".into(),
                        en: "this link cannot be changed; create a new record instead.".into(),
                    },
                ));
                continue;
            }
            if current.get(name) != Some(&value) {
                let based_on = oplog::last_on_field(&self.conn, id, name)?;
                changes.push((name.to_owned(), value, based_on));
            }
        }
        if !errors.is_empty() {
            return Err(VaultError::Invalid(errors));
        }
        let n = changes.len();
        if n > 0 {
            self.write(entity, id, changes)?;
        }
        Ok(n)
    }

    /// Marks a record deleted (a tombstone op: sync must learn of deletions too).
    pub fn delete(&mut self, entity: Entity, id: Id) -> Result<(), VaultError> {
        self.row_json(entity, id)?;
        let based_on = oplog::last_on_field(&self.conn, id, DELETED)?;
        self.write(entity, id, vec![(DELETED.to_owned(), Value::Bool(true), based_on)])
    }

    /// Sets the status (and optionally the issue date) of one document of a
    /// case's checklist, creating the item if the case has none for it yet.
    pub fn set_document(
        &mut self,
        case_id: Id,
        doc_type: &str,
        status: DocStatus,
        issued_on: Option<&str>,
    ) -> Result<Id, VaultError> {
        self.case(case_id)?;
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM document_item WHERE case_id = ?1 AND doc_type = ?2 AND deleted = 0",
                params![case_id.to_string(), doc_type],
                |r| r.get(0),
            )
            .optional()?;
        let mut fields = vec![("status", status.as_str())];
        if let Some(d) = issued_on {
            fields.push(("issued_on", d));
        }
        match existing.and_then(|s| s.parse::<Id>().ok()) {
            Some(id) => {
                self.update(Entity::DocumentItem, id, &fields)?;
                Ok(id)
            }
            None => {
                let case = case_id.to_string();
                fields.extend([("case_id", case.as_str()), ("doc_type", doc_type)]);
                self.create(Entity::DocumentItem, &fields)
            }
        }
    }

    /// Settles a conflict with a value the person typed rather than picked:
    /// parsed and checked like the same field in a form (refused next to
    /// the field otherwise), then written by [`Vault::resolve_conflict`].
    pub fn resolve_conflict_text(&mut self, entity_id: Id, field: &str, text: &str) -> Result<(), VaultError> {
        let entity: Option<String> = self
            .conn
            .query_row("SELECT entity FROM sync_conflict WHERE entity_id = ?1 AND field = ?2", params![entity_id.to_string(), field], |r| r.get(0))
            .optional()?;
        let entity: Entity = entity.ok_or_else(|| VaultError::NotFound { entity: "conflict", id: format!("{entity_id}/{field}") })?.parse()?;
        let mut values = self.parse_fields(entity, &[(field, text)], false)?;
        let value = values.pop().map(|(_, v)| v).unwrap_or(Value::Null);
        self.resolve_conflict(entity_id, field, value)
    }

    fn parse_fields<'a>(
        &self,
        entity: Entity,
        fields: &[(&'a str, &str)],
        creating: bool,
    ) -> Result<Vec<(&'a str, Value)>, VaultError> {
        let mut out: Vec<(&'a str, Value)> = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in fields {
            let Some(spec) = entity.field(name) else {
                let known = entity.fields().iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
                errors.push(FieldError::new(*name, FieldProblem::OneOf(known)));
                continue;
            };
            match (spec.parse)(text, self) {
                Ok(v) => {
                    out.retain(|(n, _)| n != name);
                    out.push((spec.name, v));
                }
                Err(e) => errors.push(e),
            }
        }
        if creating {
            for spec in entity.fields().iter().filter(|f| f.required) {
                if !out.iter().any(|(n, v)| *n == spec.name && !v.is_null()) && !errors.iter().any(|e| e.field == spec.name) {
                    errors.push(FieldError::new(spec.name, FieldProblem::Empty));
                }
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(VaultError::Invalid(errors)) }
    }

    /// A new record's parent (the applicant of a case, the case of a
    /// document…) must exist and not be deleted.
    fn check_parent(&self, entity: Entity, values: &[(&str, Value)]) -> Result<(), VaultError> {
        let parent = match entity {
            Entity::Applicant => return Ok(()),
            Entity::Case => ("applicant_id", Entity::Applicant),
            _ => ("case_id", Entity::Case),
        };
        let id = values
            .iter()
            .find(|(n, _)| *n == parent.0)
            .and_then(|(_, v)| v.as_str())
            .and_then(|s| s.parse::<Id>().ok());
        match id {
            Some(id) if self.row_json(parent.1, id).is_ok() => Ok(()),
            _ => Err(VaultError::Invalid(vec![FieldError::new(parent.0, FieldProblem::NotFound)])),
        }
    }

    /// Stamps and writes ops for one record, in one transaction.
    fn write(&mut self, entity: Entity, id: Id, changes: Vec<(String, Value, Option<crate::hlc::Hlc>)>) -> Result<(), VaultError> {
        let mut ops = Vec::with_capacity(changes.len());
        for (field, value, based_on) in changes {
            ops.push(Op {
                id: Id::new(),
                entity,
                entity_id: id,
                field,
                value,
                hlc: self.hlc.tick()?,
                device_id: self.device_id,
                based_on,
            });
        }
        // A savepoint commits on its own, or nests inside a [`Vault::batch`].
        let sp = self.conn.savepoint()?;
        apply_all(&sp, &ops)?;
        sp.commit()?;
        Ok(())
    }

    /// Runs `f` in one transaction: all its changes are saved, or none.
    /// For bulk work (demo data, imports), where one commit per record
    /// would cost one disk flush each.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Vault) -> Result<T, VaultError>) -> Result<T, VaultError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Applies ops (from this device's log or another's) in one transaction.
    pub fn apply_ops(&mut self, ops: &[Op]) -> Result<(), VaultError> {
        let tx = self.conn.transaction()?;
        apply_all(&tx, ops)?;
        tx.commit()?;
        Ok(())
    }

    /// The history of one record, oldest first; all ops when `id` is `None`.
    pub fn ops(&self, id: Option<Id>) -> Result<Vec<Op>, VaultError> {
        Ok(oplog::read(&self.conn, id)?)
    }

    /// One record's columns as a JSON object (the op-log view of the row).
    pub(crate) fn row_json(&self, entity: Entity, id: Id) -> Result<Map<String, Value>, VaultError> {
        let sql = format!("SELECT * FROM {} WHERE id = ?1 AND deleted = 0", entity.table());
        self.conn
            .prepare_cached(&sql)?
            .query_row([id.to_string()], row_to_json)
            .optional()?
            .ok_or_else(|| VaultError::NotFound { entity: entity.as_str(), id: id.to_string() })
    }

    fn one<T: DeserializeOwned>(&self, entity: Entity, id: Id) -> Result<T, VaultError> {
        let row = self.row_json(entity, id)?;
        decode(entity, row)
    }

    fn many<T: DeserializeOwned>(&self, entity: Entity, filter: &str, arg: Option<String>, order: &str) -> Result<Vec<T>, VaultError> {
        let sql = format!("SELECT * FROM {} WHERE deleted = 0 {filter} ORDER BY {order}", entity.table());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = match arg {
            Some(a) => stmt.query_map([a], row_to_json)?.collect::<Result<Vec<_>, _>>()?,
            None => stmt.query_map([], row_to_json)?.collect::<Result<Vec<_>, _>>()?,
        };
        rows.into_iter().map(|r| decode(entity, r)).collect()
    }

    pub fn applicant(&self, id: Id) -> Result<Applicant, VaultError> {
        self.one(Entity::Applicant, id)
    }

    /// Applicants in alphabetical order of family name.
    pub fn applicants(&self) -> Result<Vec<Applicant>, VaultError> {
        self.many(Entity::Applicant, "", None, "family_name COLLATE NOCASE, given_name COLLATE NOCASE, id")
    }

    pub fn case(&self, id: Id) -> Result<Case, VaultError> {
        self.one(Entity::Case, id)
    }

    /// All cases, or those of one applicant.
    pub fn cases(&self, applicant: Option<Id>) -> Result<Vec<Case>, VaultError> {
        const COLUMNS: &str = "SELECT id, applicant_id, procedure, status, department, opened_on, facts FROM case_file WHERE deleted = 0";
        let rows = match applicant {
            Some(a) => {
                let mut stmt = self.conn.prepare_cached(&format!("{COLUMNS} AND applicant_id = ?1 ORDER BY opened_on, id"))?;
                stmt.query_map([a.to_string()], case_from_row)?.filter_map(skip_incomplete).collect()
            }
            None => {
                let mut stmt = self.conn.prepare_cached(&format!("{COLUMNS} ORDER BY opened_on, id"))?;
                stmt.query_map([], case_from_row)?.filter_map(skip_incomplete).collect()
            }
        };
        rows
    }

    pub fn documents(&self, case: Id) -> Result<Vec<DocumentItem>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, case_id, doc_type, status, issued_on, note FROM document_item WHERE deleted = 0 AND case_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([case.to_string()], document_from_row)?;
        rows.filter_map(skip_incomplete).collect()
    }

    /// The last row number of the document table (0 when it is empty): the
    /// agenda splits its reading of documents at a row number.
    pub fn document_rows_end(&self) -> Result<i64, VaultError> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM document_item", [], |r| r.get(0))?)
    }

    /// Every live document item whose row number is in `rows`, grouped by
    /// case (each case's items in no particular order): one query for a
    /// whole agenda instead of one per case, and a row range so that two
    /// connections can share the reading.
    pub fn document_briefs_by_case(&self, rows: std::ops::RangeInclusive<i64>) -> Result<IdMap<Vec<DocumentBrief>>, VaultError> {
        // Grouped here, not sorted by SQL: an ORDER BY over every row of
        // a large vault is a sort of a hundred thousand text keys.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, case_id, doc_type, status, issued_on FROM document_item \
             WHERE rowid BETWEEN ?1 AND ?2 AND deleted = 0",
        )?;
        let mut rows = stmt.query([rows.start(), rows.end()])?;
        let mut out: IdMap<Vec<DocumentBrief>> = IdMap::default();
        // A case's items were mostly written together, so consecutive rows
        // tend to share a case: its id is parsed once for them.
        let mut last: Option<(String, Id)> = None;
        while let Some(r) = rows.next()? {
            let Some(case_text) = text(r, 1)? else { continue };
            let case_id = match &last {
                Some((t, id)) if t == case_text => *id,
                _ => {
                    let Ok(id) = case_text.parse::<Id>() else { continue };
                    last = Some((case_text.to_owned(), id));
                    id
                }
            };
            let (Some(id), Some(doc_type), Some(status)) =
                (id_at(r, 0)?, text(r, 2)?, text(r, 3)?.and_then(|s| s.parse::<DocStatus>().ok()))
            else {
                continue;
            };
            let brief = DocumentBrief { id, doc_type: doc_type.to_owned(), status, issued_on: date_at(r, 4)? };
            out.entry(case_id).or_default().push(brief);
        }
        Ok(out)
    }

    pub fn deadlines(&self, case: Id) -> Result<Vec<Deadline>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, case_id, due, title, done FROM deadline WHERE deleted = 0 AND case_id = ?1 ORDER BY due, id",
        )?;
        let rows = stmt.query_map([case.to_string()], deadline_from_row)?;
        rows.filter_map(skip_incomplete).collect()
    }

    /// Manual deadlines not done and due by `until`, grouped by case.
    pub fn pending_deadlines_by_case(&self, until: NaiveDate) -> Result<IdMap<Vec<Deadline>>, VaultError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, case_id, due, title, done FROM deadline \
             WHERE deleted = 0 AND COALESCE(done, 0) = 0 AND due <= ?1 ORDER BY case_id, due, id",
        )?;
        let mut out: IdMap<Vec<Deadline>> = IdMap::default();
        for d in stmt.query_map([until.to_string()], deadline_from_row)?.filter_map(skip_incomplete) {
            let d = d?;
            out.entry(d.case_id).or_default().push(d);
        }
        Ok(out)
    }

    /// What the agenda needs to know of every applicant, in one query:
    /// their initials and birth date, never the full name.
    pub fn applicant_briefs(&self) -> Result<IdMap<ApplicantBrief>, VaultError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, given_name, family_name, birth_date FROM applicant WHERE deleted = 0")?;
        let rows = stmt.query_map([], |r| {
            let id = r.get_ref(0)?.as_str()?.parse::<Id>().ok();
            let given: Option<String> = r.get(1)?;
            let family: Option<String> = r.get(2)?;
            let birth = r.get_ref(3)?.as_str_or_null()?.and_then(|s| s.parse::<NaiveDate>().ok());
            let initials = crate::domain::initials(given.as_deref().unwrap_or(""), family.as_deref().unwrap_or(""));
            Ok(id.map(|id| (id, ApplicantBrief { initials, birth_date: birth })))
        })?;
        let mut out = IdMap::default();
        for row in rows {
            if let Some((id, brief)) = row? {
                out.insert(id, brief);
            }
        }
        Ok(out)
    }

    pub fn journal(&self, case: Id) -> Result<Vec<JournalEntry>, VaultError> {
        self.many(Entity::JournalEntry, "AND case_id = ?1", Some(case.to_string()), "at, id")
    }

    pub fn incidents(&self, case: Id) -> Result<Vec<Incident>, VaultError> {
        self.many(Entity::Incident, "AND case_id = ?1", Some(case.to_string()), "occurred_at, id")
    }

    /// Everything, as plain data.
    pub fn export(&self) -> Result<Export, VaultError> {
        Ok(Export {
            schema_version: super::SCHEMA_VERSION,
            applicants: self.applicants()?,
            cases: self.cases(None)?,
            document_items: self.many(Entity::DocumentItem, "", None, "case_id, id")?,
            deadlines: self.many(Entity::Deadline, "", None, "case_id, due, id")?,
            journal: self.many(Entity::JournalEntry, "", None, "case_id, at, id")?,
            incidents: self.many(Entity::Incident, "", None, "case_id, occurred_at, id")?,
        })
    }

    /// Every table's live rows as JSON, keyed by table: what the op log
    /// must be able to rebuild (used by the replay test and `sesame check`).
    pub fn snapshot(&self) -> Result<std::collections::BTreeMap<String, Vec<Map<String, Value>>>, VaultError> {
        snapshot(&self.conn)
    }

    /// Rebuilds every table from the op log into a fresh in-memory database
    /// and compares it with the tables: `Ok(true)` when they match.
    pub fn replay_matches(&self) -> Result<bool, VaultError> {
        let mut mem = Connection::open_in_memory()?;
        super::schema::migrate(&mut mem)?;
        let ops = self.ops(None)?;
        let tx = mem.transaction()?;
        apply_all(&tx, &ops)?;
        tx.commit()?;
        Ok(snapshot(&mem)? == self.snapshot()?)
    }
}

/// Applies ops, then refreshes the search entry of each applicant touched.
pub(crate) fn apply_all(conn: &Connection, ops: &[Op]) -> Result<(), VaultError> {
    let mut touched: Vec<Id> = Vec::new();
    for op in ops {
        oplog::apply(conn, op)?;
        if op.entity == Entity::Applicant && !touched.contains(&op.entity_id) {
            touched.push(op.entity_id);
        }
    }
    for id in touched {
        oplog::refresh_search(conn, id)?;
    }
    Ok(())
}

fn snapshot(conn: &Connection) -> Result<std::collections::BTreeMap<String, Vec<Map<String, Value>>>, VaultError> {
    let mut out = std::collections::BTreeMap::new();
    for e in Entity::ALL {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {} ORDER BY id", e.table()))?;
        let rows = stmt.query_map([], row_to_json)?.collect::<Result<Vec<_>, _>>()?;
        out.insert(e.table().to_owned(), rows);
    }
    let mut stmt = conn.prepare("SELECT rowid, names, numbers, notes FROM applicant_fts ORDER BY rowid")?;
    let fts = stmt.query_map([], row_to_json)?.collect::<Result<Vec<_>, _>>()?;
    out.insert("applicant_fts".into(), fts);
    Ok(out)
}

fn row_to_json(r: &Row<'_>) -> rusqlite::Result<Map<String, Value>> {
    use rusqlite::types::ValueRef;
    let stmt = r.as_ref();
    let mut m = Map::new();
    for i in 0..stmt.column_count() {
        let name = stmt.column_name(i)?;
        let v = match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) if oplog::kind(name) == Kind::Bool || name == "deleted" => Value::Bool(n != 0),
            ValueRef::Integer(n) => Value::from(n),
            ValueRef::Real(f) => Value::from(f),
            ValueRef::Text(t) => {
                let s = String::from_utf8_lossy(t);
                if oplog::kind(name) == Kind::Json {
                    serde_json::from_str(&s).unwrap_or(Value::Null)
                } else {
                    Value::String(s.into_owned())
                }
            }
            ValueRef::Blob(_) => Value::Null,
        };
        m.insert(name.to_owned(), v);
    }
    Ok(m)
}

// Typed row decoders for the hot reads (a case screen, the agenda): the
// JSON-map path below costs tens of microseconds per row. A row whose
// required columns are still empty (half-synced) is skipped, as `decode`
// refuses it.

fn text<'a>(r: &'a Row<'_>, i: usize) -> rusqlite::Result<Option<&'a str>> {
    r.get_ref(i)?.as_str_or_null().map_err(Into::into)
}

fn id_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Id>> {
    Ok(text(r, i)?.and_then(|s| s.parse().ok()))
}

fn date_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
    // The strict `YYYY-MM-DD` the vault writes is read directly; anything
    // else goes through chrono's parser.
    Ok(text(r, i)?.and_then(|s| crate::rules::parse_date(s).or_else(|| s.parse().ok())))
}

fn document_from_row(r: &Row<'_>) -> rusqlite::Result<Option<DocumentItem>> {
    let (Some(id), Some(case_id), Some(doc_type), Some(status)) =
        (id_at(r, 0)?, id_at(r, 1)?, text(r, 2)?, text(r, 3)?.and_then(|s| s.parse::<DocStatus>().ok()))
    else {
        return Ok(None);
    };
    Ok(Some(DocumentItem {
        id,
        case_id,
        doc_type: doc_type.to_owned(),
        status,
        issued_on: date_at(r, 4)?,
        note: text(r, 5)?.map(str::to_owned),
    }))
}

fn case_from_row(r: &Row<'_>) -> rusqlite::Result<Option<Case>> {
    let (Some(id), Some(applicant_id), Some(procedure), Some(status), Some(opened_on)) = (
        id_at(r, 0)?,
        id_at(r, 1)?,
        text(r, 2)?,
        text(r, 3)?.and_then(|s| s.parse::<crate::domain::CaseStatus>().ok()),
        date_at(r, 5)?,
    ) else {
        return Ok(None);
    };
    let facts = text(r, 6)?.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| Value::Object(Map::new()));
    Ok(Some(Case {
        id,
        applicant_id,
        procedure: procedure.to_owned(),
        status,
        department: text(r, 4)?.map(str::to_owned),
        opened_on,
        facts,
    }))
}

fn deadline_from_row(r: &Row<'_>) -> rusqlite::Result<Option<Deadline>> {
    let (Some(id), Some(case_id), Some(due), Some(title)) = (id_at(r, 0)?, id_at(r, 1)?, date_at(r, 2)?, text(r, 3)?) else {
        return Ok(None);
    };
    let done: Option<i64> = r.get(4)?;
    Ok(Some(Deadline { id, case_id, due, title: title.to_owned(), done: done.unwrap_or(0) != 0 }))
}

fn skip_incomplete<T>(row: rusqlite::Result<Option<T>>) -> Option<Result<T, VaultError>> {
    match row {
        Ok(Some(t)) => Some(Ok(t)),
        Ok(None) => None,
        Err(e) => Some(Err(e.into())),
    }
}

fn decode<T: DeserializeOwned>(entity: Entity, mut row: Map<String, Value>) -> Result<T, VaultError> {
    // Fields that are absent in a half-synced row get neutral defaults.
    for (k, default) in [("languages", Value::Array(vec![])), ("facts", Value::Object(Map::new())), ("done", Value::Bool(false))] {
        if row.get(k).is_some_and(Value::is_null) {
            row.insert(k.into(), default);
        }
    }
    serde_json::from_value(Value::Object(row))
        .map_err(|_| VaultError::Db(format!("a {} row is incomplete", entity.as_str())))
}
