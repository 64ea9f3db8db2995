//! The PostgreSQL backend, for a federation that outgrows one machine.
//!
//! Same tables and the same semantics as the SQLite backend. Pushes to one
//! team are serialised by a row lock on the team (`SELECT … FOR UPDATE`),
//! so team positions are handed out in commit order and a concurrent pull
//! never skips one; pulls read one `REPEATABLE READ` snapshot, so the
//! stream heads they return match the ops they return. Every query names
//! its team first: partitioning the big tables by team (hash) needs no
//! code change, and pulls can go to a read replica (see ARCHITECTURE.md, *Sync*).

use crate::store::{DeviceRow, NewOp, Store, StoreError};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use sesame_core::sync::proto::{JoinRequest, KeyNeed, PullPage, PulledOp, PushOutcome, RejectReason, SignedDoc, StreamHead, WrappedKey, b64};
use std::collections::HashMap;
use std::str::FromStr;
use tokio_postgres::{IsolationLevel, NoTls};
use uuid::Uuid;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS team (id TEXT PRIMARY KEY, gseq BIGINT NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS membership (team TEXT NOT NULL, version BIGINT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (team, version));
CREATE TABLE IF NOT EXISTS device (team TEXT NOT NULL, device TEXT NOT NULL, sign_pk BYTEA NOT NULL, admin BOOLEAN NOT NULL, active BOOLEAN NOT NULL, PRIMARY KEY (team, device));
CREATE TABLE IF NOT EXISTS invite (team TEXT NOT NULL, invite TEXT NOT NULL, token_hash TEXT NOT NULL, expires_ms BIGINT NOT NULL, used BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (team, invite));
CREATE TABLE IF NOT EXISTS join_request (team TEXT NOT NULL, device TEXT NOT NULL, req TEXT NOT NULL, PRIMARY KEY (team, device));
CREATE TABLE IF NOT EXISTS stream (team TEXT NOT NULL, stream TEXT NOT NULL, head BIGINT NOT NULL DEFAULT 0, erased TEXT, PRIMARY KEY (team, stream));
CREATE TABLE IF NOT EXISTS op (team TEXT NOT NULL, gseq BIGINT NOT NULL, stream TEXT NOT NULL, seq BIGINT NOT NULL, op_id TEXT NOT NULL, device TEXT NOT NULL, blob BYTEA NOT NULL, PRIMARY KEY (team, gseq), UNIQUE (team, op_id));
CREATE INDEX IF NOT EXISTS op_stream ON op (team, stream, seq);
CREATE TABLE IF NOT EXISTS chain (team TEXT NOT NULL, stream TEXT NOT NULL, device TEXT NOT NULL, last_dseq BIGINT NOT NULL, PRIMARY KEY (team, stream, device));
CREATE TABLE IF NOT EXISTS wrapped_key (team TEXT NOT NULL, stream TEXT NOT NULL, key_version BIGINT NOT NULL, recipient TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (team, stream, key_version, recipient));
CREATE INDEX IF NOT EXISTS wrapped_key_recipient ON wrapped_key (team, recipient);
CREATE TABLE IF NOT EXISTS stream_blob (team TEXT NOT NULL, id TEXT NOT NULL, stream TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (team, id));
CREATE INDEX IF NOT EXISTS stream_blob_stream ON stream_blob (team, stream);
CREATE TABLE IF NOT EXISTS catalog (team TEXT PRIMARY KEY, release TEXT NOT NULL, bundle BYTEA NOT NULL);
"#;

/// The PostgreSQL store: a small connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

fn db<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Db(e.to_string())
}

fn parse_doc(s: &str) -> Result<SignedDoc, StoreError> {
    serde_json::from_str(s).map_err(db)
}

impl PgStore {
    /// Connects; with `schema`, works inside that schema (created if
    /// needed) — the tests give each run its own.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut cfg = tokio_postgres::Config::from_str(url).map_err(db)?;
        if let Some(s) = schema {
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(StoreError::Db("schema names are letters, digits and _".into()));
            }
            let (client, conn) = cfg.connect(NoTls).await.map_err(db)?;
            let task = tokio::spawn(conn);
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}")).await.map_err(db)?;
            drop(client);
            let _ = task.await;
            cfg.options(format!("-c search_path={s}"));
        }
        let mgr = Manager::from_config(cfg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr).max_size(16).build().map_err(db)?;
        let client = pool.get().await.map_err(db)?;
        client.batch_execute(SCHEMA).await.map_err(db)?;
        Ok(PgStore { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(db)
    }
}

async fn write_devices(tx: &deadpool_postgres::Transaction<'_>, team: &str, devices: &[DeviceRow]) -> Result<(), StoreError> {
    tx.execute("DELETE FROM device WHERE team = $1", &[&team]).await.map_err(db)?;
    for d in devices {
        tx.execute(
            "INSERT INTO device(team, device, sign_pk, admin, active) VALUES ($1, $2, $3, $4, $5)",
            &[&team, &d.device.to_string(), &d.sign_pk.as_slice(), &d.admin, &d.active],
        )
        .await
        .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    async fn create_team(&self, team: Uuid, genesis: &SignedDoc, devices: &[DeviceRow], now_ms: u64) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let t = team.to_string();
        let n = tx
            .execute("INSERT INTO team(id, created_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&t, &(now_ms as i64)])
            .await
            .map_err(db)?;
        if n == 0 {
            return Err(StoreError::Conflict("team exists"));
        }
        let doc = serde_json::to_string(genesis).map_err(db)?;
        tx.execute("INSERT INTO membership(team, version, doc) VALUES ($1, 1, $2)", &[&t, &doc]).await.map_err(db)?;
        write_devices(&tx, &t, devices).await?;
        tx.commit().await.map_err(db)
    }

    async fn membership_docs(&self, team: Uuid, since: u64) -> Result<Vec<SignedDoc>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query("SELECT doc FROM membership WHERE team = $1 AND version > $2 ORDER BY version", &[&team.to_string(), &(since as i64)])
            .await
            .map_err(db)?;
        rows.iter().map(|r| parse_doc(r.get(0))).collect()
    }

    async fn membership_head(&self, team: Uuid) -> Result<SignedDoc, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt("SELECT doc FROM membership WHERE team = $1 ORDER BY version DESC LIMIT 1", &[&team.to_string()])
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
        parse_doc(row.get(0))
    }

    async fn append_membership(&self, team: Uuid, version: u64, doc: &SignedDoc, devices: &[DeviceRow]) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let t = team.to_string();
        tx.query_opt("SELECT 1 FROM team WHERE id = $1 FOR UPDATE", &[&t]).await.map_err(db)?.ok_or(StoreError::NotFound)?;
        let head: Option<i64> = tx.query_one("SELECT max(version) FROM membership WHERE team = $1", &[&t]).await.map_err(db)?.get(0);
        if head.unwrap_or(0) as u64 + 1 != version {
            return Err(StoreError::Conflict("membership version"));
        }
        let doc = serde_json::to_string(doc).map_err(db)?;
        tx.execute("INSERT INTO membership(team, version, doc) VALUES ($1, $2, $3)", &[&t, &(version as i64), &doc]).await.map_err(db)?;
        write_devices(&tx, &t, devices).await?;
        for d in devices {
            tx.execute("DELETE FROM join_request WHERE team = $1 AND device = $2", &[&t, &d.device.to_string()]).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn device(&self, team: Uuid, device: Uuid) -> Result<Option<DeviceRow>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt("SELECT sign_pk, admin, active FROM device WHERE team = $1 AND device = $2", &[&team.to_string(), &device.to_string()])
            .await
            .map_err(db)?;
        row.map(|r| {
            let pk: Vec<u8> = r.get(0);
            Ok(DeviceRow { device, sign_pk: pk.try_into().map_err(|_| StoreError::Db("key".into()))?, admin: r.get(1), active: r.get(2) })
        })
        .transpose()
    }

    async fn add_invite(&self, team: Uuid, invite: Uuid, token_hash: &str, expires_ms: u64) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO invite(team, invite, token_hash, expires_ms) VALUES ($1, $2, $3, $4)",
            &[&team.to_string(), &invite.to_string(), &token_hash, &(expires_ms as i64)],
        )
        .await
        .map_err(|_| StoreError::Conflict("invite exists"))?;
        Ok(())
    }

    async fn join(&self, team: Uuid, req: &JoinRequest, token_hash: &str, now_ms: u64) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let t = team.to_string();
        let inv = req.invite.to_string();
        let row = tx
            .query_opt("SELECT token_hash, expires_ms, used FROM invite WHERE team = $1 AND invite = $2 FOR UPDATE", &[&t, &inv])
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
        let (hash, expires, used): (String, i64, bool) = (row.get(0), row.get(1), row.get(2));
        if hash != token_hash {
            return Err(StoreError::NotFound);
        }
        if used || (expires as u64) < now_ms {
            return Err(StoreError::Gone);
        }
        tx.execute("UPDATE invite SET used = TRUE WHERE team = $1 AND invite = $2", &[&t, &inv]).await.map_err(db)?;
        let json = serde_json::to_string(req).map_err(db)?;
        tx.execute(
            "INSERT INTO join_request(team, device, req) VALUES ($1, $2, $3) ON CONFLICT (team, device) DO UPDATE SET req = excluded.req",
            &[&t, &req.device.to_string(), &json],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn join_requests(&self, team: Uuid) -> Result<Vec<JoinRequest>, StoreError> {
        let c = self.client().await?;
        let rows = c.query("SELECT req FROM join_request WHERE team = $1 ORDER BY device", &[&team.to_string()]).await.map_err(db)?;
        rows.iter().map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(db)).collect()
    }

    async fn push(&self, team: Uuid, ops: &[NewOp]) -> Result<Vec<PushOutcome>, StoreError> {
        // A batch costs a handful of round trips, not a few per op: read
        // what it touches, decide in memory, write with UNNEST.
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let t = team.to_string();
        let row = tx.query_opt("SELECT gseq FROM team WHERE id = $1 FOR UPDATE", &[&t]).await.map_err(db)?.ok_or(StoreError::NotFound)?;
        let mut gseq: i64 = row.get(0);
        let ids: Vec<String> = ops.iter().map(|o| o.op_id.to_string()).collect();
        let sids: Vec<String> = ops.iter().map(|o| o.stream.to_string()).collect();
        let dids: Vec<String> = ops.iter().map(|o| o.device.to_string()).collect();
        let mut existing: HashMap<String, (i64, Vec<u8>)> = HashMap::new();
        for r in tx.query("SELECT op_id, seq, blob FROM op WHERE team = $1 AND op_id = ANY($2)", &[&t, &ids]).await.map_err(db)? {
            existing.insert(r.get(0), (r.get(1), r.get(2)));
        }
        let mut heads: HashMap<String, (i64, bool)> = HashMap::new();
        for r in tx.query("SELECT stream, head, erased IS NOT NULL FROM stream WHERE team = $1 AND stream = ANY($2)", &[&t, &sids]).await.map_err(db)? {
            heads.insert(r.get(0), (r.get(1), r.get(2)));
        }
        let mut chains: HashMap<(String, String), i64> = HashMap::new();
        for r in tx
            .query("SELECT stream, device, last_dseq FROM chain WHERE team = $1 AND stream = ANY($2) AND device = ANY($3)", &[&t, &sids, &dids])
            .await
            .map_err(db)?
        {
            chains.insert((r.get(0), r.get(1)), r.get(2));
        }
        let mut out = Vec::with_capacity(ops.len());
        let (mut g, mut st, mut sq, mut oi, mut dv, mut bl): (Vec<i64>, Vec<String>, Vec<i64>, Vec<String>, Vec<String>, Vec<Vec<u8>>) =
            Default::default();
        let mut touched_heads: Vec<String> = Vec::new();
        let mut touched_chains: Vec<(String, String)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if let Some((seq, blob)) = existing.get(&ids[i]) {
                out.push(if *blob == op.blob { PushOutcome::Duplicate { seq: *seq as u64 } } else { PushOutcome::Rejected { reason: RejectReason::IdReused } });
                continue;
            }
            let (head, erased) = heads.get(&sids[i]).copied().unwrap_or((0, false));
            if erased {
                out.push(PushOutcome::Rejected { reason: RejectReason::Erased });
                continue;
            }
            let key = (sids[i].clone(), dids[i].clone());
            let last = chains.get(&key).copied().unwrap_or(0);
            if op.prev as i64 != last || op.dseq as i64 <= last {
                out.push(PushOutcome::Rejected { reason: RejectReason::OutOfOrder });
                continue;
            }
            let seq = head + 1;
            gseq += 1;
            heads.insert(sids[i].clone(), (seq, false));
            chains.insert(key.clone(), op.dseq as i64);
            existing.insert(ids[i].clone(), (seq, op.blob.clone()));
            touched_heads.push(sids[i].clone());
            touched_chains.push(key);
            g.push(gseq);
            st.push(sids[i].clone());
            sq.push(seq);
            oi.push(ids[i].clone());
            dv.push(dids[i].clone());
            bl.push(op.blob.clone());
            out.push(PushOutcome::Stored { seq: seq as u64 });
        }
        if !g.is_empty() {
            tx.execute(
                "INSERT INTO op(team, gseq, stream, seq, op_id, device, blob)
                 SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bytea[])",
                &[&t, &g, &st, &sq, &oi, &dv, &bl],
            )
            .await
            .map_err(db)?;
            touched_heads.sort();
            touched_heads.dedup();
            let hv: Vec<i64> = touched_heads.iter().map(|s| heads.get(s).map_or(0, |h| h.0)).collect();
            tx.execute(
                "INSERT INTO stream(team, stream, head) SELECT $1, * FROM UNNEST($2::text[], $3::bigint[])
                 ON CONFLICT (team, stream) DO UPDATE SET head = excluded.head",
                &[&t, &touched_heads, &hv],
            )
            .await
            .map_err(db)?;
            touched_chains.sort();
            touched_chains.dedup();
            let (cs, cd): (Vec<String>, Vec<String>) = touched_chains.iter().cloned().unzip();
            let cl: Vec<i64> = touched_chains.iter().map(|k| chains.get(k).copied().unwrap_or(0)).collect();
            tx.execute(
                "INSERT INTO chain(team, stream, device, last_dseq) SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::bigint[])
                 ON CONFLICT (team, stream, device) DO UPDATE SET last_dseq = excluded.last_dseq",
                &[&t, &cs, &cd, &cl],
            )
            .await
            .map_err(db)?;
            tx.execute("UPDATE team SET gseq = $1 WHERE id = $2", &[&gseq, &t]).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, StoreError> {
        let mut c = self.client().await?;
        let tx = c.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await.map_err(db)?;
        let t = team.to_string();
        let rows = tx
            .query(
                "SELECT stream, seq, gseq, blob FROM op WHERE team = $1 AND gseq > $2 ORDER BY gseq LIMIT $3",
                &[&t, &(since as i64), &(i64::from(limit) + 1)],
            )
            .await
            .map_err(db)?;
        let mut ops: Vec<PulledOp> = rows
            .iter()
            .map(|r| PulledOp {
                stream: Uuid::parse_str(r.get::<_, &str>(0)).unwrap_or_default(),
                seq: r.get::<_, i64>(1) as u64,
                gseq: r.get::<_, i64>(2) as u64,
                blob: b64(r.get::<_, &[u8]>(3)),
            })
            .collect();
        let more = ops.len() > limit as usize;
        ops.truncate(limit as usize);
        let heads = if more {
            None
        } else {
            let rows = tx.query("SELECT stream, head, erased FROM stream WHERE team = $1 ORDER BY stream", &[&t]).await.map_err(db)?;
            Some(
                rows.iter()
                    .map(|r| {
                        Ok(StreamHead {
                            stream: Uuid::parse_str(r.get::<_, &str>(0)).unwrap_or_default(),
                            seq: r.get::<_, i64>(1) as u64,
                            erased: r.get::<_, Option<&str>>(2).map(parse_doc).transpose()?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?,
            )
        };
        tx.commit().await.map_err(db)?;
        Ok(PullPage { ops, more, heads })
    }

    async fn put_keys(&self, team: Uuid, keys: &[WrappedKey]) -> Result<(), StoreError> {
        // A batch in four statements, whatever its size (a new member of a
        // team with 2,000 files receives 2,000 wraps at once): check, then
        // write with UNNEST. One wrap per (stream, version, recipient): the
        // first wins, never replaced (ON CONFLICT DO NOTHING), as in SQLite.
        if keys.is_empty() {
            return Ok(());
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let t = team.to_string();
        // Serialised with erasure, which locks the team row FOR UPDATE.
        tx.query_opt("SELECT 1 FROM team WHERE id = $1 FOR SHARE", &[&t]).await.map_err(db)?.ok_or(StoreError::NotFound)?;
        let mut streams: Vec<String> = Vec::with_capacity(keys.len());
        let mut versions: Vec<i64> = Vec::with_capacity(keys.len());
        let mut recipients: Vec<String> = Vec::with_capacity(keys.len());
        let mut docs: Vec<String> = Vec::with_capacity(keys.len());
        for k in keys {
            streams.push(k.stream.to_string());
            versions.push(i64::from(k.key_version));
            recipients.push(k.recipient.to_string());
            docs.push(serde_json::to_string(k).map_err(db)?);
        }
        let erased = tx
            .query_opt("SELECT 1 FROM stream WHERE team = $1 AND stream = ANY($2) AND erased IS NOT NULL LIMIT 1", &[&t, &streams])
            .await
            .map_err(db)?;
        if erased.is_some() {
            return Err(StoreError::Gone);
        }
        tx.execute("INSERT INTO stream(team, stream) SELECT DISTINCT $1, s FROM UNNEST($2::text[]) AS x(s) ON CONFLICT DO NOTHING", &[&t, &streams])
            .await
            .map_err(db)?;
        tx.execute(
            "INSERT INTO wrapped_key(team, stream, key_version, recipient, doc)
             SELECT $1, s, kv, r, d FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::text[]) AS x(s, kv, r, d)
             ON CONFLICT DO NOTHING",
            &[&t, &streams, &versions, &recipients, &docs],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn keys_for(&self, team: Uuid, device: Uuid) -> Result<Vec<WrappedKey>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT doc FROM wrapped_key WHERE team = $1 AND recipient = $2 ORDER BY stream, key_version",
                &[&team.to_string(), &device.to_string()],
            )
            .await
            .map_err(db)?;
        rows.iter().map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(db)).collect()
    }

    async fn keys_needed(&self, team: Uuid) -> Result<Vec<KeyNeed>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                // MATERIALIZED: computed once. Without it, on a table without
                // statistics yet, the planner re-ran the DISTINCT for every
                // row of the outer loop (1.1 s for a team with 2,000 files;
                // 48 ms with it).
                "WITH k AS MATERIALIZED (SELECT DISTINCT stream, key_version FROM wrapped_key WHERE team = $1)
                 SELECT k.stream, k.key_version, d.device
                 FROM k
                 JOIN stream s ON s.team = $1 AND s.stream = k.stream AND s.erased IS NULL
                 CROSS JOIN device d
                 WHERE d.team = $1 AND d.active
                 AND NOT EXISTS (SELECT 1 FROM wrapped_key w WHERE w.team = $1 AND w.stream = k.stream
                                 AND w.key_version = k.key_version AND w.recipient = d.device)
                 ORDER BY k.stream, k.key_version, d.device LIMIT 5000",
                &[&team.to_string()],
            )
            .await
            .map_err(db)?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(KeyNeed {
                    stream: Uuid::parse_str(r.get::<_, &str>(0)).ok()?,
                    key_version: r.get::<_, i64>(1) as u32,
                    recipient: Uuid::parse_str(r.get::<_, &str>(2)).ok()?,
                })
            })
            .collect())
    }

    async fn erase_stream(&self, team: Uuid, stream: Uuid, order: &SignedDoc) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let (t, s) = (team.to_string(), stream.to_string());
        tx.query_opt("SELECT 1 FROM team WHERE id = $1 FOR UPDATE", &[&t]).await.map_err(db)?.ok_or(StoreError::NotFound)?;
        let order = serde_json::to_string(order).map_err(db)?;
        tx.execute(
            "INSERT INTO stream(team, stream, erased) VALUES ($1, $2, $3) ON CONFLICT (team, stream) DO UPDATE SET erased = excluded.erased",
            &[&t, &s, &order],
        )
        .await
        .map_err(db)?;
        for table in ["op", "wrapped_key", "chain", "stream_blob"] {
            tx.execute(&format!("DELETE FROM {table} WHERE team = $1 AND stream = $2"), &[&t, &s]).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db)?;
        let (t, s, i) = (team.to_string(), stream.to_string(), id.to_string());
        // Serialised with erasure (which locks the team row too).
        tx.query_opt("SELECT 1 FROM team WHERE id = $1 FOR SHARE", &[&t]).await.map_err(db)?.ok_or(StoreError::NotFound)?;
        let erased = tx.query_opt("SELECT erased FROM stream WHERE team = $1 AND stream = $2", &[&t, &s]).await.map_err(db)?;
        if erased.is_some_and(|r| r.get::<_, Option<String>>(0).is_some()) {
            return Err(StoreError::Gone);
        }
        let n = tx
            .execute("INSERT INTO stream_blob(team, id, stream, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", &[&t, &i, &s, &bytes])
            .await
            .map_err(db)?;
        if n == 0 {
            let r = tx.query_one("SELECT stream, bytes FROM stream_blob WHERE team = $1 AND id = $2", &[&t, &i]).await.map_err(db)?;
            if r.get::<_, &str>(0) != s || r.get::<_, &[u8]>(1) != bytes {
                return Err(StoreError::Conflict("another blob with this id"));
            }
        }
        tx.commit().await.map_err(db)
    }

    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        let c = self.client().await?;
        let r = c
            .query_opt(
                "SELECT bytes FROM stream_blob WHERE team = $1 AND stream = $2 AND id = $3",
                &[&team.to_string(), &stream.to_string(), &id.to_string()],
            )
            .await
            .map_err(db)?;
        Ok(r.map(|r| r.get(0)))
    }

    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM stream_blob WHERE team = $1 AND stream = $2 AND id = $3",
            &[&team.to_string(), &stream.to_string(), &id.to_string()],
        )
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn put_catalog(&self, team: Uuid, release: &SignedDoc, bundle: &[u8]) -> Result<(), StoreError> {
        let c = self.client().await?;
        let release = serde_json::to_string(release).map_err(db)?;
        c.execute(
            "INSERT INTO catalog(team, release, bundle) VALUES ($1, $2, $3)
             ON CONFLICT (team) DO UPDATE SET release = excluded.release, bundle = excluded.bundle",
            &[&team.to_string(), &release, &bundle],
        )
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn catalog_release(&self, team: Uuid) -> Result<Option<SignedDoc>, StoreError> {
        let c = self.client().await?;
        let r = c.query_opt("SELECT release FROM catalog WHERE team = $1", &[&team.to_string()]).await.map_err(db)?;
        r.map(|r| parse_doc(r.get(0))).transpose()
    }

    async fn catalog_bundle(&self, team: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        let c = self.client().await?;
        let r = c.query_opt("SELECT bundle FROM catalog WHERE team = $1", &[&team.to_string()]).await.map_err(db)?;
        Ok(r.map(|r| r.get(0)))
    }
}
