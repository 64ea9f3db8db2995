//! The database schema, as an append-only list of migrations.
//!
//! Never edit a migration that has shipped: add a new one at the end. The
//! schema version is SQLite's `user_version`.

use super::VaultError;
use rusqlite::Connection;

/// Every migration, in order. Index + 1 is the schema version it produces.
const MIGRATIONS: &[&str] = &[
    // 1: records, the operation log and search.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    -- Rows are created by their first operation and filled field by field,
    -- so columns are nullable here; required fields are enforced in core.
    CREATE TABLE applicant (
        id TEXT PRIMARY KEY,
        family_name TEXT, given_name TEXT, latin_family_name TEXT, latin_given_name TEXT,
        birth_date TEXT, nationality TEXT, languages TEXT, phone TEXT, email TEXT, address TEXT,
        agdref TEXT, anef_number TEXT, consent TEXT, notes TEXT,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE TABLE case_file (
        id TEXT PRIMARY KEY,
        applicant_id TEXT REFERENCES applicant(id) ON DELETE CASCADE,
        procedure TEXT, status TEXT, department TEXT, opened_on TEXT, facts TEXT,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE INDEX case_file_applicant ON case_file(applicant_id);
    CREATE TABLE document_item (
        id TEXT PRIMARY KEY,
        case_id TEXT REFERENCES case_file(id) ON DELETE CASCADE,
        doc_type TEXT, status TEXT, issued_on TEXT, note TEXT,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE INDEX document_item_case ON document_item(case_id);
    CREATE TABLE deadline (
        id TEXT PRIMARY KEY,
        case_id TEXT REFERENCES case_file(id) ON DELETE CASCADE,
        due TEXT, title TEXT, done INTEGER,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE INDEX deadline_case ON deadline(case_id);
    CREATE TABLE journal_entry (
        id TEXT PRIMARY KEY,
        case_id TEXT REFERENCES case_file(id) ON DELETE CASCADE,
        at TEXT, text TEXT,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE INDEX journal_entry_case ON journal_entry(case_id);
    CREATE TABLE incident (
        id TEXT PRIMARY KEY,
        case_id TEXT REFERENCES case_file(id) ON DELETE CASCADE,
        occurred_at TEXT, step TEXT, error_message TEXT, ticket TEXT, note TEXT,
        deleted INTEGER NOT NULL DEFAULT 0, created_hlc TEXT NOT NULL, updated_hlc TEXT NOT NULL
    );
    CREATE INDEX incident_case ON incident(case_id);

    -- The operation log: every change, in the order it was made here.
    -- It is the sync outbox and the history of each file.
    CREATE TABLE op (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        hlc TEXT NOT NULL,
        device_id TEXT NOT NULL,
        based_on TEXT
    ) STRICT;
    CREATE INDEX op_entity_field ON op(entity_id, field, hlc);
    CREATE INDEX op_hlc ON op(hlc);

    -- Search: names in any script, accents and case ignored, prefixes indexed
    -- for search-as-you-type. Inside the encrypted database like the rest.
    CREATE VIRTUAL TABLE applicant_fts USING fts5(
        names, numbers, notes,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 2 3'
    );
    "#,
    // 2: sync (issue 6). Everything here is inside the encrypted database
    // like the records: the device's secret keys, the streams' data keys,
    // the sealed outbox. See `crate::sync` for what each table is for.
    r#"
    -- This device's two secret keys (ed25519 seed, age identity), made on first use.
    CREATE TABLE sync_device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sign_secret BLOB NOT NULL,
        age_secret TEXT NOT NULL
    ) STRICT;
    -- The team this vault syncs with (at most one).
    CREATE TABLE sync_team (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        team_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        server_url TEXT NOT NULL,
        genesis_hash TEXT NOT NULL,
        next_dseq INTEGER NOT NULL DEFAULT 1,
        sealed_upto INTEGER NOT NULL DEFAULT 0,
        cursor INTEGER NOT NULL DEFAULT 0,
        last_sync_ms INTEGER,
        last_error TEXT
    ) STRICT;
    -- Verified membership versions, exactly as signed.
    CREATE TABLE sync_membership (version INTEGER PRIMARY KEY, body TEXT NOT NULL, sig TEXT NOT NULL) STRICT;
    -- One stream per applicant; seen_seq: the highest position pulled (rollback detection).
    CREATE TABLE sync_stream (
        stream_id TEXT PRIMARY KEY,
        applicant_id TEXT UNIQUE,
        seen_seq INTEGER NOT NULL DEFAULT 0,
        erased INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    -- Which stream every record belongs to.
    CREATE TABLE sync_entity (entity_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL) STRICT;
    CREATE INDEX sync_entity_stream ON sync_entity(stream_id);
    -- Streams' data keys; uploaded = 0 until wrapped for the team and sent.
    CREATE TABLE sync_key (
        stream_id TEXT NOT NULL,
        key_version INTEGER NOT NULL,
        key BLOB NOT NULL,
        key_mv INTEGER NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (stream_id, key_version)
    ) STRICT;
    -- Each author's last counter seen in each stream: drops, replays and reorders show as breaks.
    CREATE TABLE sync_chain (
        stream_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        last_dseq INTEGER NOT NULL,
        PRIMARY KEY (stream_id, device_id)
    ) STRICT;
    -- Sealed local ops: seq is NULL until the server acknowledges; the row
    -- goes when a pull shows the op at that position.
    CREATE TABLE sync_outbox (
        dseq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL UNIQUE,
        stream_id TEXT NOT NULL,
        prev INTEGER NOT NULL,
        blob BLOB NOT NULL,
        seq INTEGER
    ) STRICT;
    CREATE INDEX sync_outbox_stream ON sync_outbox(stream_id, dseq);
    -- Received ops that cannot be applied yet (no key yet, author's clock far ahead), in stream order.
    CREATE TABLE sync_held (
        stream_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        blob BLOB NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (stream_id, seq)
    ) STRICT;
    -- Fields with concurrent edits waiting for a person to choose.
    CREATE TABLE sync_conflict (
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        field TEXT NOT NULL,
        PRIMARY KEY (entity_id, field)
    ) STRICT;
    -- Invitations this (admin) device issued: the secret half never leaves the vault.
    CREATE TABLE sync_invite (invite_id TEXT PRIMARY KEY, secret BLOB NOT NULL, expires_ms INTEGER NOT NULL) STRICT;
    -- What sync refused or noticed, for `sesame sync status` (no personal data).
    CREATE TABLE sync_alert (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        code TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    "#,
    // 3: attachments (scans and photos of a case's documents), as BLOBs
    // inside the encrypted database: never a plaintext file next to it.
    // `target` is a catalog document id (`passport`) or `incident:<id>`
    // (a screenshot of an ANEF failure). Not a record table: attachments
    // are not in the op log (see vault/attachments.rs).
    r#"
    CREATE TABLE attachment (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES case_file(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        position INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        pages INTEGER NOT NULL,
        byte_len INTEGER NOT NULL,
        added_at TEXT NOT NULL,
        data BLOB NOT NULL
    ) STRICT;
    CREATE INDEX attachment_target ON attachment(case_id, target, position);
    "#,
    // 4: attachments through sync. Each one travels as an opaque blob on
    // the server (encrypted with its applicant's stream key), referenced by
    // a signed op of that stream that carries its metadata and the blob's
    // SHA-256. `state`: 'sealed' (this device's: uploaded and referenced),
    // 'pending' (another device's: to download), 'received', 'refused'
    // (the server's blob did not match its reference).
    r#"
    CREATE TABLE sync_attachment (
        attachment_id TEXT PRIMARY KEY,
        stream_id TEXT NOT NULL,
        state TEXT NOT NULL,
        ref TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sync_attachment_stream ON sync_attachment(stream_id, state);
    "#,
];

/// The schema version this build of Sésame writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`CURRENT`], each migration in its own transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), VaultError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(VaultError::TooNew { found, supported: CURRENT });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
