//! The SQLite backend: one file, nothing to install.
//!
//! One connection behind a mutex, used from blocking threads: SQLite
//! serialises writers anyway, and an association's traffic is small. The
//! database is not encrypted (there is nothing readable to protect: every
//! payload is ciphertext) and uses WAL with `synchronous = FULL`.

use crate::store::{DeviceRow, NewOp, Store, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sesame_core::sync::proto::{JoinRequest, KeyNeed, PullPage, PulledOp, PushOutcome, RejectReason, SignedDoc, StreamHead, WrappedKey, b64};
use std::path::Path;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS team (id TEXT PRIMARY KEY, gseq INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS membership (team TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (team, version));
CREATE TABLE IF NOT EXISTS device (team TEXT NOT NULL, device TEXT NOT NULL, sign_pk BLOB NOT NULL, admin INTEGER NOT NULL, active INTEGER NOT NULL, PRIMARY KEY (team, device));
CREATE TABLE IF NOT EXISTS invite (team TEXT NOT NULL, invite TEXT NOT NULL, token_hash TEXT NOT NULL, expires_ms INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (team, invite));
CREATE TABLE IF NOT EXISTS join_request (team TEXT NOT NULL, device TEXT NOT NULL, req TEXT NOT NULL, PRIMARY KEY (team, device));
CREATE TABLE IF NOT EXISTS stream (team TEXT NOT NULL, stream TEXT NOT NULL, head INTEGER NOT NULL DEFAULT 0, erased TEXT, PRIMARY KEY (team, stream));
CREATE TABLE IF NOT EXISTS op (team TEXT NOT NULL, gseq INTEGER NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, op_id TEXT NOT NULL, device TEXT NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (team, gseq), UNIQUE (team, op_id));
CREATE INDEX IF NOT EXISTS op_stream ON op (team, stream, seq);
CREATE TABLE IF NOT EXISTS chain (team TEXT NOT NULL, stream TEXT NOT NULL, device TEXT NOT NULL, last_dseq INTEGER NOT NULL, PRIMARY KEY (team, stream, device));
CREATE TABLE IF NOT EXISTS wrapped_key (team TEXT NOT NULL, stream TEXT NOT NULL, key_version INTEGER NOT NULL, recipient TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (team, stream, key_version, recipient));
CREATE INDEX IF NOT EXISTS wrapped_key_recipient ON wrapped_key (team, recipient);
CREATE TABLE IF NOT EXISTS stream_blob (team TEXT NOT NULL, id TEXT NOT NULL, stream TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (team, id));
CREATE INDEX IF NOT EXISTS stream_blob_stream ON stream_blob (team, stream);
CREATE TABLE IF NOT EXISTS catalog (team TEXT PRIMARY KEY, release TEXT NOT NULL, bundle BLOB NOT NULL);
"#;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        Self::prepare(conn)
    }

    pub fn memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory().map_err(db)?)
    }

    fn prepare(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;",
        )
        .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Db(e.to_string()))?
    }
}

fn doc_json(d: &SignedDoc) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

fn parse_doc(s: &str) -> Result<SignedDoc, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Db(e.to_string()))
}

fn write_devices(tx: &Connection, team: &str, devices: &[DeviceRow]) -> Result<(), StoreError> {
    tx.execute("DELETE FROM device WHERE team = ?1", [team]).map_err(db)?;
    for d in devices {
        tx.execute(
            "INSERT INTO device(team, device, sign_pk, admin, active) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![team, d.device.to_string(), d.sign_pk.as_slice(), d.admin, d.active],
        )
        .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_team(&self, team: Uuid, genesis: &SignedDoc, devices: &[DeviceRow], now_ms: u64) -> Result<(), StoreError> {
        let (genesis, devices) = (doc_json(genesis), devices.to_vec());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let t = team.to_string();
            let n = tx.execute("INSERT OR IGNORE INTO team(id, created_ms) VALUES (?1, ?2)", params![t, now_ms as i64]).map_err(db)?;
            if n == 0 {
                return Err(StoreError::Conflict("team exists"));
            }
            tx.execute("INSERT INTO membership(team, version, doc) VALUES (?1, 1, ?2)", params![t, genesis]).map_err(db)?;
            write_devices(&tx, &t, &devices)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn membership_docs(&self, team: Uuid, since: u64) -> Result<Vec<SignedDoc>, StoreError> {
        self.run(move |c| {
            let mut s = c.prepare_cached("SELECT doc FROM membership WHERE team = ?1 AND version > ?2 ORDER BY version").map_err(db)?;
            let rows: Vec<String> = s.query_map(params![team.to_string(), since as i64], |r| r.get(0)).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
            rows.iter().map(|d| parse_doc(d)).collect()
        })
        .await
    }

    async fn membership_head(&self, team: Uuid) -> Result<SignedDoc, StoreError> {
        self.run(move |c| {
            let d: Option<String> = c
                .query_row("SELECT doc FROM membership WHERE team = ?1 ORDER BY version DESC LIMIT 1", [team.to_string()], |r| r.get(0))
                .optional()
                .map_err(db)?;
            parse_doc(&d.ok_or(StoreError::NotFound)?)
        })
        .await
    }

    async fn append_membership(&self, team: Uuid, version: u64, doc: &SignedDoc, devices: &[DeviceRow]) -> Result<(), StoreError> {
        let (doc, devices) = (doc_json(doc), devices.to_vec());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let t = team.to_string();
            let head: Option<i64> = tx.query_row("SELECT max(version) FROM membership WHERE team = ?1", [&t], |r| r.get(0)).map_err(db)?;
            if head.unwrap_or(0) as u64 + 1 != version {
                return Err(StoreError::Conflict("membership version"));
            }
            tx.execute("INSERT INTO membership(team, version, doc) VALUES (?1, ?2, ?3)", params![t, version as i64, doc]).map_err(db)?;
            write_devices(&tx, &t, &devices)?;
            let ids: Vec<String> = devices.iter().map(|d| d.device.to_string()).collect();
            for id in ids {
                tx.execute("DELETE FROM join_request WHERE team = ?1 AND device = ?2", params![t, id]).map_err(db)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn device(&self, team: Uuid, device: Uuid) -> Result<Option<DeviceRow>, StoreError> {
        self.run(move |c| {
            c.prepare_cached("SELECT sign_pk, admin, active FROM device WHERE team = ?1 AND device = ?2")
                .map_err(db)?
                .query_row(params![team.to_string(), device.to_string()], |r| {
                    let pk: Vec<u8> = r.get(0)?;
                    Ok((pk, r.get::<_, bool>(1)?, r.get::<_, bool>(2)?))
                })
                .optional()
                .map_err(db)?
                .map(|(pk, admin, active)| {
                    Ok(DeviceRow { device, sign_pk: pk.try_into().map_err(|_| StoreError::Db("key".into()))?, admin, active })
                })
                .transpose()
        })
        .await
    }

    async fn add_invite(&self, team: Uuid, invite: Uuid, token_hash: &str, expires_ms: u64) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.run(move |c| {
            c.execute(
                "INSERT INTO invite(team, invite, token_hash, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                params![team.to_string(), invite.to_string(), token_hash, expires_ms as i64],
            )
            .map_err(|_| StoreError::Conflict("invite exists"))?;
            Ok(())
        })
        .await
    }

    async fn join(&self, team: Uuid, req: &JoinRequest, token_hash: &str, now_ms: u64) -> Result<(), StoreError> {
        let (req, token_hash) = (req.clone(), token_hash.to_owned());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let t = team.to_string();
            let row: Option<(String, i64, bool)> = tx
                .query_row("SELECT token_hash, expires_ms, used FROM invite WHERE team = ?1 AND invite = ?2", params![t, req.invite.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(db)?;
            let Some((hash, expires, used)) = row else { return Err(StoreError::NotFound) };
            if hash != token_hash {
                return Err(StoreError::NotFound);
            }
            if used || (expires as u64) < now_ms {
                return Err(StoreError::Gone);
            }
            tx.execute("UPDATE invite SET used = 1 WHERE team = ?1 AND invite = ?2", params![t, req.invite.to_string()]).map_err(db)?;
            let json = serde_json::to_string(&req).map_err(|e| StoreError::Db(e.to_string()))?;
            tx.execute("INSERT OR REPLACE INTO join_request(team, device, req) VALUES (?1, ?2, ?3)", params![t, req.device.to_string(), json])
                .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn join_requests(&self, team: Uuid) -> Result<Vec<JoinRequest>, StoreError> {
        self.run(move |c| {
            let mut s = c.prepare("SELECT req FROM join_request WHERE team = ?1 ORDER BY device").map_err(db)?;
            let rows: Vec<String> = s.query_map([team.to_string()], |r| r.get(0)).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
            rows.iter().map(|r| serde_json::from_str(r).map_err(|e| StoreError::Db(e.to_string()))).collect()
        })
        .await
    }

    async fn push(&self, team: Uuid, ops: &[NewOp]) -> Result<Vec<PushOutcome>, StoreError> {
        let ops = ops.to_vec();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let t = team.to_string();
            let mut gseq: i64 = tx.query_row("SELECT gseq FROM team WHERE id = ?1", [&t], |r| r.get(0)).optional().map_err(db)?.ok_or(StoreError::NotFound)?;
            let mut out = Vec::with_capacity(ops.len());
            for op in &ops {
                let (sid, did) = (op.stream.to_string(), op.device.to_string());
                let existing: Option<(i64, Vec<u8>)> = tx
                    .prepare_cached("SELECT seq, blob FROM op WHERE team = ?1 AND op_id = ?2")
                    .map_err(db)?
                    .query_row(params![t, op.op_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(db)?;
                if let Some((seq, blob)) = existing {
                    out.push(if blob == op.blob { PushOutcome::Duplicate { seq: seq as u64 } } else { PushOutcome::Rejected { reason: RejectReason::IdReused } });
                    continue;
                }
                let stream: Option<(i64, Option<String>)> = tx
                    .prepare_cached("SELECT head, erased FROM stream WHERE team = ?1 AND stream = ?2")
                    .map_err(db)?
                    .query_row(params![t, sid], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(db)?;
                let head = match stream {
                    Some((_, Some(_))) => {
                        out.push(PushOutcome::Rejected { reason: RejectReason::Erased });
                        continue;
                    }
                    Some((h, None)) => h,
                    None => 0,
                };
                let last: i64 = tx
                    .prepare_cached("SELECT last_dseq FROM chain WHERE team = ?1 AND stream = ?2 AND device = ?3")
                    .map_err(db)?
                    .query_row(params![t, sid, did], |r| r.get(0))
                    .optional()
                    .map_err(db)?
                    .unwrap_or(0);
                if op.prev as i64 != last || op.dseq as i64 <= last {
                    out.push(PushOutcome::Rejected { reason: RejectReason::OutOfOrder });
                    continue;
                }
                let seq = head + 1;
                gseq += 1;
                tx.prepare_cached("INSERT INTO op(team, gseq, stream, seq, op_id, device, blob) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                    .map_err(db)?
                    .execute(params![t, gseq, sid, seq, op.op_id.to_string(), did, op.blob])
                    .map_err(db)?;
                tx.prepare_cached(
                    "INSERT INTO stream(team, stream, head) VALUES (?1, ?2, ?3) ON CONFLICT(team, stream) DO UPDATE SET head = excluded.head",
                )
                .map_err(db)?
                .execute(params![t, sid, seq])
                .map_err(db)?;
                tx.prepare_cached(
                    "INSERT INTO chain(team, stream, device, last_dseq) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(team, stream, device) DO UPDATE SET last_dseq = excluded.last_dseq",
                )
                .map_err(db)?
                .execute(params![t, sid, did, op.dseq as i64])
                .map_err(db)?;
                out.push(PushOutcome::Stored { seq: seq as u64 });
            }
            tx.execute("UPDATE team SET gseq = ?1 WHERE id = ?2", params![gseq, t]).map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
    }

    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, StoreError> {
        self.run(move |c| {
            let tx = c.transaction().map_err(db)?;
            let t = team.to_string();
            let mut ops: Vec<PulledOp> = {
                let mut s = tx
                    .prepare_cached("SELECT stream, seq, gseq, blob FROM op WHERE team = ?1 AND gseq > ?2 ORDER BY gseq LIMIT ?3")
                    .map_err(db)?;
                s.query_map(params![t, since as i64, i64::from(limit) + 1], |r| {
                    let stream: String = r.get(0)?;
                    let blob: Vec<u8> = r.get(3)?;
                    Ok(PulledOp { stream: Uuid::parse_str(&stream).unwrap_or_default(), seq: r.get::<_, i64>(1)? as u64, gseq: r.get::<_, i64>(2)? as u64, blob: b64(&blob) })
                })
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?
            };
            let more = ops.len() > limit as usize;
            ops.truncate(limit as usize);
            let heads = if more {
                None
            } else {
                let mut s = tx.prepare_cached("SELECT stream, head, erased FROM stream WHERE team = ?1 ORDER BY stream").map_err(db)?;
                let rows: Vec<(String, i64, Option<String>)> =
                    s.query_map([&t], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
                Some(
                    rows.into_iter()
                        .map(|(s, h, e)| {
                            Ok(StreamHead { stream: Uuid::parse_str(&s).unwrap_or_default(), seq: h as u64, erased: e.as_deref().map(parse_doc).transpose()? })
                        })
                        .collect::<Result<Vec<_>, StoreError>>()?,
                )
            };
            Ok(PullPage { ops, more, heads })
        })
        .await
    }

    async fn put_keys(&self, team: Uuid, keys: &[WrappedKey]) -> Result<(), StoreError> {
        let keys = keys.to_vec();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let t = team.to_string();
            for k in &keys {
                let sid = k.stream.to_string();
                let erased: Option<Option<String>> =
                    tx.query_row("SELECT erased FROM stream WHERE team = ?1 AND stream = ?2", params![t, sid], |r| r.get(0)).optional().map_err(db)?;
                if matches!(erased, Some(Some(_))) {
                    return Err(StoreError::Gone);
                }
                tx.execute("INSERT OR IGNORE INTO stream(team, stream) VALUES (?1, ?2)", params![t, sid]).map_err(db)?;
                let json = serde_json::to_string(k).map_err(|e| StoreError::Db(e.to_string()))?;
                let existing: Option<String> = tx
                    .query_row(
                        "SELECT doc FROM wrapped_key WHERE team = ?1 AND stream = ?2 AND key_version = ?3 AND recipient = ?4",
                        params![t, sid, k.key_version, k.recipient.to_string()],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db)?;
                // First wins: a retried upload wraps the same key again (age
                // is randomised, so the bytes differ), and two members may
                // both answer the same "needed" entry. Never replaced.
                if existing.is_none() {
                    tx.execute(
                        "INSERT INTO wrapped_key(team, stream, key_version, recipient, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![t, sid, k.key_version, k.recipient.to_string(), json],
                    )
                    .map_err(db)?;
                }
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn keys_for(&self, team: Uuid, device: Uuid) -> Result<Vec<WrappedKey>, StoreError> {
        self.run(move |c| {
            let mut s = c.prepare_cached("SELECT doc FROM wrapped_key WHERE team = ?1 AND recipient = ?2 ORDER BY stream, key_version").map_err(db)?;
            let rows: Vec<String> = s.query_map(params![team.to_string(), device.to_string()], |r| r.get(0)).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
            rows.iter().map(|r| serde_json::from_str(r).map_err(|e| StoreError::Db(e.to_string()))).collect()
        })
        .await
    }

    async fn keys_needed(&self, team: Uuid) -> Result<Vec<KeyNeed>, StoreError> {
        self.run(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT k.stream, k.key_version, d.device
                     FROM (SELECT DISTINCT stream, key_version FROM wrapped_key WHERE team = ?1) k
                     JOIN stream s ON s.team = ?1 AND s.stream = k.stream AND s.erased IS NULL
                     CROSS JOIN device d
                     WHERE d.team = ?1 AND d.active = 1
                     AND NOT EXISTS (SELECT 1 FROM wrapped_key w WHERE w.team = ?1 AND w.stream = k.stream
                                     AND w.key_version = k.key_version AND w.recipient = d.device)
                     ORDER BY k.stream, k.key_version, d.device LIMIT 5000",
                )
                .map_err(db)?;
            let rows: Vec<(String, i64, String)> =
                s.query_map([team.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
            Ok(rows
                .into_iter()
                .filter_map(|(s, kv, d)| Some(KeyNeed { stream: Uuid::parse_str(&s).ok()?, key_version: kv as u32, recipient: Uuid::parse_str(&d).ok()? }))
                .collect())
        })
        .await
    }

    async fn erase_stream(&self, team: Uuid, stream: Uuid, order: &SignedDoc) -> Result<(), StoreError> {
        let order = doc_json(order);
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let (t, s) = (team.to_string(), stream.to_string());
            tx.execute(
                "INSERT INTO stream(team, stream, erased) VALUES (?1, ?2, ?3) ON CONFLICT(team, stream) DO UPDATE SET erased = excluded.erased",
                params![t, s, order],
            )
            .map_err(db)?;
            for table in ["op", "wrapped_key", "chain", "stream_blob"] {
                tx.execute(&format!("DELETE FROM {table} WHERE team = ?1 AND stream = ?2"), params![t, s]).map_err(db)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), StoreError> {
        let bytes = bytes.to_vec();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let (t, s, i) = (team.to_string(), stream.to_string(), id.to_string());
            let erased: Option<Option<String>> =
                tx.query_row("SELECT erased FROM stream WHERE team = ?1 AND stream = ?2", params![t, s], |r| r.get(0)).optional().map_err(db)?;
            if matches!(erased, Some(Some(_))) {
                return Err(StoreError::Gone);
            }
            let existing: Option<(String, Vec<u8>)> = tx
                .query_row("SELECT stream, bytes FROM stream_blob WHERE team = ?1 AND id = ?2", params![t, i], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db)?;
            match existing {
                Some((es, e)) if es == s && e == bytes => Ok(()),
                Some(_) => Err(StoreError::Conflict("another blob with this id")),
                None => {
                    tx.execute("INSERT INTO stream_blob(team, id, stream, bytes) VALUES (?1, ?2, ?3, ?4)", params![t, i, s, bytes]).map_err(db)?;
                    tx.commit().map_err(db)
                }
            }
        })
        .await
    }

    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(move |c| {
            c.query_row(
                "SELECT bytes FROM stream_blob WHERE team = ?1 AND stream = ?2 AND id = ?3",
                params![team.to_string(), stream.to_string(), id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.run(move |c| {
            c.execute(
                "DELETE FROM stream_blob WHERE team = ?1 AND stream = ?2 AND id = ?3",
                params![team.to_string(), stream.to_string(), id.to_string()],
            )
            .map(|_| ())
            .map_err(db)
        })
        .await
    }

    async fn put_catalog(&self, team: Uuid, release: &SignedDoc, bundle: &[u8]) -> Result<(), StoreError> {
        let (release, bundle) = (doc_json(release), bundle.to_vec());
        self.run(move |c| {
            c.execute(
                "INSERT INTO catalog(team, release, bundle) VALUES (?1, ?2, ?3)
                 ON CONFLICT(team) DO UPDATE SET release = excluded.release, bundle = excluded.bundle",
                params![team.to_string(), release, bundle],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn catalog_release(&self, team: Uuid) -> Result<Option<SignedDoc>, StoreError> {
        let s: Option<String> = self
            .run(move |c| c.query_row("SELECT release FROM catalog WHERE team = ?1", [team.to_string()], |r| r.get(0)).optional().map_err(db))
            .await?;
        s.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Db(e.to_string()))).transpose()
    }

    async fn catalog_bundle(&self, team: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(move |c| c.query_row("SELECT bundle FROM catalog WHERE team = ?1", [team.to_string()], |r| r.get(0)).optional().map_err(db))
            .await
    }
}
