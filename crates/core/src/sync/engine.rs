//! One sync round, and what it checks.
//!
//! A round: read the server's clock (refuse to send when ours is far off),
//! fetch and verify new membership versions, fetch the stream keys wrapped
//! for this device, pull and apply, seal the outbox, upload keys, push,
//! and pull again to see our own ops stored where the server said.
//!
//! Every pulled page is applied in one transaction together with the new
//! cursor: a device killed mid-apply re-pulls the page and, ops being
//! deduplicated by id, applies each exactly once. Sealed ops are written to
//! the outbox before they are pushed and keep their bytes: a device killed
//! mid-push sends the same bytes again, and the server answers "duplicate"
//! with the position it gave the first time.
//!
//! What the server is *not* trusted with, and how it shows:
//! - Each op is signed by its author, who must be a member: a forged or
//!   tampered op fails the signature or the AEAD.
//! - Each stream's positions go 1, 2, 3…; each author's ops in a stream name
//!   the previous one (`prev`): a dropped, replayed or reordered op breaks
//!   the chain, and a history rolled back (an old backup restored) shows as
//!   a stream head below what this device already saw.
//! - The ops this device pushed must come back at the positions acknowledged.

use super::crypto::{self, DeviceKeys, StreamKey};
use super::proto::{
    self, Envelope, EraseRecord, KeyNeed, Membership, OpHeader, PullPage, Push, PushOutcome, PutKeys, RejectReason,
    SignedDoc, StreamHead, WrappedKey,
};
use super::{Remote, SyncError};
use crate::domain::{Entity, Id};
use crate::oplog::Op;
use crate::vault::Vault;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// `execute` and `query_row` through the statement cache: a page of a
/// thousand ops runs the same few dozen statements a thousand times.
pub(crate) trait Cached {
    fn exec<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize>;
    fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(p)
    }
    fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(p, f)
    }
}

/// Maps `f` over `items` on all cores (signature checks, age wraps: the
/// crypto of a big page is most of its cost). Order is kept.
pub(crate) fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<U>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// How many ops to ask for per pull.
pub const PULL_PAGE: u32 = 1000;
/// How many ops to send per push.
pub const PUSH_BATCH: usize = 500;

/// What one round moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Ops received and applied.
    pub pulled: usize,
    /// Ops sent (newly stored by the server).
    pub pushed: usize,
    /// Ops received that wait (a key not shared yet, an author's clock far ahead).
    pub held: usize,
    /// Ops refused (from a removed device, or inconsistent with their stream).
    pub refused: usize,
    /// Fields in conflict after the round.
    pub conflicts: usize,
    /// Streams erased by an administrator during the round.
    pub erased: usize,
    /// Attachments uploaded, and downloaded from other devices.
    pub attachments_sent: usize,
    pub attachments_received: usize,
    /// Attachments deleted here whose deletion was sent to the other devices.
    pub attachments_deleted: usize,
    /// The edition of a catalog the team distributed, adopted during the round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_adopted: Option<String>,
}

/// Where sync stands, for `sesame sync status --json` and the app's indicator.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub team: Option<Uuid>,
    pub server: Option<String>,
    pub device: Uuid,
    pub fingerprint: Option<String>,
    pub role: Option<proto::Role>,
    pub approved: bool,
    pub membership_version: u64,
    pub last_sync_ms: Option<u64>,
    pub last_error: Option<String>,
    /// Local ops not yet acknowledged by the server.
    pub pending_ops: u64,
    /// Received ops waiting to be applied.
    pub held_ops: u64,
    pub conflicts: u64,
    /// The latest things sync refused or noticed (codes and ids, no personal data).
    pub alerts: Vec<Alert>,
    /// The catalog the team distributed, if this device adopted one.
    pub catalog: Option<super::catalog::DistributedCatalog>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub at_ms: u64,
    pub code: String,
    pub detail: String,
}

/// The team settings stored in the vault.
#[derive(Debug, Clone)]
pub(crate) struct TeamRow {
    pub team: Uuid,
    pub url: String,
    pub genesis: String,
}

pub(crate) fn team_row(conn: &Connection) -> Result<Option<TeamRow>, SyncError> {
    Ok(conn
        .row("SELECT team_id, server_url, genesis_hash FROM sync_team WHERE id = 1", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })
        .optional()?
        .and_then(|(t, url, genesis)| Some(TeamRow { team: Uuid::parse_str(&t).ok()?, url, genesis })))
}

/// This device's keys, made on first use.
pub(crate) fn device_keys(conn: &Connection) -> Result<DeviceKeys, SyncError> {
    let row: Option<(Vec<u8>, String)> = conn
        .row("SELECT sign_secret, age_secret FROM sync_device WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((s, a)) = row {
        let s = zeroize::Zeroizing::new(s);
        let a = zeroize::Zeroizing::new(a);
        return DeviceKeys::from_parts(&s, &a).ok_or(SyncError::Vault(crate::vault::VaultError::Db("damaged device keys".into())));
    }
    let k = DeviceKeys::generate().map_err(|_| SyncError::Random)?;
    conn.exec(
        "INSERT INTO sync_device(id, sign_secret, age_secret) VALUES (1, ?1, ?2)",
        params![k.sign_secret().as_slice(), k.age_secret().as_str()],
    )?;
    DeviceKeys::from_parts(&k.sign_secret(), &k.age_secret()).ok_or(SyncError::Random)
}

/// Every verified membership version, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memberships {
    pub docs: Vec<SignedDoc>,
    pub versions: Vec<Membership>,
}

impl Memberships {
    pub fn load(conn: &Connection) -> Result<Self, SyncError> {
        let mut stmt = conn.prepare("SELECT body, sig FROM sync_membership ORDER BY version")?;
        let docs: Vec<SignedDoc> =
            stmt.query_map([], |r| Ok(SignedDoc { body: r.get(0)?, sig: r.get(1)? }))?.collect::<Result<_, _>>()?;
        let versions = docs.iter().filter_map(|d| d.decode().ok()).collect();
        Ok(Memberships { docs, versions })
    }

    pub fn latest(&self) -> Option<&Membership> {
        self.versions.last()
    }

    pub fn version(&self, v: u64) -> Option<&Membership> {
        self.versions.iter().find(|m| m.version == v)
    }

    pub fn latest_version(&self) -> u64 {
        self.latest().map_or(0, |m| m.version)
    }
}

/// Fetches new membership versions, verifies them against what this device
/// already trusts (the pinned first version), and stores them.
pub(crate) async fn refresh_membership<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow) -> Result<(Memberships, Vec<proto::JoinRequest>), SyncError> {
    let mut ms = Memberships::load(vault.conn_ref())?;
    let got = remote.membership(team.team, ms.latest_version()).await?;
    let fresh: Vec<SignedDoc> = got.docs.into_iter().collect();
    if !fresh.is_empty() {
        let verified = proto::verify_membership_chain(&team.genesis, ms.docs.last(), &fresh)
            .map_err(|e| SyncError::ServerMisbehaved(format!("membership: {e}")))?;
        let tx = vault.conn_ref().unchecked_transaction()?;
        for (doc, m) in fresh.iter().zip(&verified) {
            tx.exec(
                "INSERT OR IGNORE INTO sync_membership(version, body, sig) VALUES (?1, ?2, ?3)",
                params![m.version as i64, doc.body, doc.sig],
            )?;
        }
        tx.commit()?;
        ms.docs.extend(fresh);
        ms.versions.extend(verified);
    }
    Ok((ms, got.pending))
}

/// Runs one sync round.
pub async fn sync_once<R: Remote>(vault: &mut Vault, remote: &R) -> Result<SyncReport, SyncError> {
    vault.conn_ref().set_prepared_statement_cache_capacity(256);
    let result = round(vault, remote).await;
    let conn = vault.conn_ref();
    match &result {
        Ok(_) => {
            conn.exec("UPDATE sync_team SET last_sync_ms = ?1, last_error = NULL WHERE id = 1", [vault.now_ms() as i64])?;
        }
        Err(e) => {
            conn.exec("UPDATE sync_team SET last_error = ?1 WHERE id = 1", [e.code()])?;
            if matches!(e, SyncError::ServerMisbehaved(_)) {
                alert(conn, vault.now_ms(), "server_misbehaved", &e.to_string())?;
            }
        }
    }
    result
}

async fn round<R: Remote>(vault: &mut Vault, remote: &R) -> Result<SyncReport, SyncError> {
    let team = team_row(vault.conn_ref())?.ok_or(SyncError::NoTeam)?;
    let keys = device_keys(vault.conn_ref())?;
    let me = vault.device_id().0;
    let mut report = SyncReport::default();

    // A clock far ahead would stamp this device's ops in the future, where
    // they would win every conflict; a clock far behind would refuse every
    // op it receives (they look far in its future) and shows wrong
    // deadlines. Either way: nothing is sent or applied until the clock is
    // fixed, and the volunteer is told.
    let health = remote.health().await?;
    let skew = health.time_ms as i64 - vault.now_ms() as i64;
    if skew.unsigned_abs() > vault.max_drift_ms() {
        return Err(if skew < 0 {
            SyncError::ClockAhead { minutes: -skew / 60_000 }
        } else {
            SyncError::ClockBehind { minutes: skew / 60_000 }
        });
    }

    let (mut ms, _) = refresh_membership(vault, remote, &team).await?;
    let latest = ms.latest().ok_or_else(|| SyncError::NotApproved(keys.fingerprint()))?;
    match latest.member(me) {
        None => return Err(SyncError::NotApproved(keys.fingerprint())),
        Some(m) if !m.active() => return Err(SyncError::Removed),
        Some(_) => {}
    }

    let t = std::time::Instant::now();
    let needed = fetch_keys(vault, remote, &team, &keys, &ms).await?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: keys fetched");
    pull_all(vault, remote, &team, &mut ms, &mut report).await?;
    retry_held(vault, &team, &mut report)?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: pulled");
    seal_outbox(vault, &team, &keys, &ms)?;
    let last_removal = ms.latest().map_or(0, |m| m.last_removal());
    report.attachments_sent = super::attachments::upload(vault, remote, &team, last_removal).await?;
    report.attachments_deleted = super::attachments::send_deletions(vault, remote, &team, last_removal).await?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: sealed");
    let v2 = health.features.iter().any(|f| f == proto::FEATURE_KEY_WRAPS_V2);
    upload_keys(vault, remote, &team, &keys, &ms, &needed, v2).await?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: keys uploaded");
    report.pushed = push_outbox(vault, remote, &team).await?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: pushed");
    pull_all(vault, remote, &team, &mut ms, &mut report).await?;
    retry_held(vault, &team, &mut report)?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: pulled again");
    report.attachments_received = super::attachments::download(vault, remote, &team).await?;
    // Last, so that a large catalog download never delays the volunteers' edits.
    match super::catalog::refresh(vault, remote, &team, &ms).await {
        Ok(super::catalog::CatalogOutcome::Adopted { version }) => report.catalog_adopted = Some(version),
        Ok(_) => {}
        // The network failed mid-way: the next round tries again.
        Err(e) => tracing::debug!(code = e.code(), "sync: catalog not refreshed"),
    }
    report.conflicts = vault.conflicts()?.len();
    report.held = count(vault.conn_ref(), "SELECT count(*) FROM sync_held")? as usize;
    Ok(report)
}

fn count(conn: &Connection, sql: &str) -> Result<u64, SyncError> {
    Ok(conn.row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
}

pub(crate) fn alert(conn: &Connection, at_ms: u64, code: &str, detail: &str) -> Result<(), SyncError> {
    conn.exec("INSERT INTO sync_alert(at_ms, code, detail) VALUES (?1, ?2, ?3)", params![at_ms as i64, code, detail])?;
    // Keep the list short: it is a status, not an archive.
    conn.exec("DELETE FROM sync_alert WHERE id <= (SELECT max(id) - 200 FROM sync_alert)", [])?;
    Ok(())
}

/// Fetches keys wrapped for this device; returns which members still need wraps.
async fn fetch_keys<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow, keys: &DeviceKeys, ms: &Memberships) -> Result<Vec<KeyNeed>, SyncError> {
    let t = std::time::Instant::now();
    let got = remote.keys(team.team).await?;
    tracing::debug!(keys = got.keys.len(), needed = got.needed.len(), ms = t.elapsed().as_millis() as u64, "sync: keys listed");
    let me = vault.device_id().0;
    let now = vault.now_ms();
    // Which wraps are new (database), then check and unwrap them on every core.
    let mut fresh: Vec<&WrappedKey> = Vec::new();
    {
        let conn = vault.conn_ref();
        for wk in got.keys.iter().filter(|wk| wk.recipient == me) {
            let have: Option<i64> = conn
                .row("SELECT 1 FROM sync_key WHERE stream_id = ?1 AND key_version = ?2", params![wk.stream.to_string(), wk.key_version], |r| r.get(0))
                .optional()?;
            let erased: Option<i64> =
                conn.row("SELECT erased FROM sync_stream WHERE stream_id = ?1", [wk.stream.to_string()], |r| r.get(0)).optional()?;
            if have.is_none() && erased != Some(1) {
                fresh.push(wk);
            }
        }
    }
    tracing::debug!(fresh = fresh.len(), ms = t.elapsed().as_millis() as u64, "sync: keys filtered");
    let signed: Vec<bool> = par_map(&fresh, |wk| {
        ms.version(wk.mv)
            .filter(|_| wk.key_mv <= wk.mv)
            .and_then(|m| m.active_member(wk.signer))
            .and_then(|m| m.verifying_key().ok())
            .is_some_and(|vk| wk.verify(team.team, &vk).is_ok())
    });
    // Format 2: one age file per recipient and round, shared by its wraps;
    // open each distinct one once (a catch-up of 2,000 files: a handful).
    let mut distinct: Vec<&str> = fresh.iter().zip(&signed).filter(|(wk, ok)| **ok && wk.sealed.is_some()).map(|(wk, _)| wk.wrapped.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let keks: std::collections::HashMap<&str, Option<crypto::WrapKey>> =
        distinct.iter().copied().zip(par_map(&distinct, |w| proto::unb64(w).and_then(|b| keys.unwrap_kek(&b)))).collect();
    let jobs: Vec<(&WrappedKey, bool)> = fresh.iter().copied().zip(signed).collect();
    let unwrapped: Vec<Option<StreamKey>> = par_map(&jobs, |(wk, ok)| {
        if !ok {
            return None;
        }
        match wk.sealed_bytes() {
            Ok(Some(sealed)) => keks.get(wk.wrapped.as_str())?.as_ref()?.open_key(&sealed, &wk.sealed_aad(team.team)),
            Ok(None) => wk.wrapped_bytes().ok().and_then(|w| keys.unwrap(&w)),
            Err(_) => None,
        }
    });
    tracing::debug!(age_files = keks.len(), "sync: distinct age files opened");
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "sync: keys unwrapped");
    let tx = vault.conn_ref().unchecked_transaction()?;
    for (wk, key) in fresh.into_iter().zip(unwrapped) {
        let Some(key) = key else {
            alert(&tx, now, "key_refused", &format!("stream {} key {} from device {}", wk.stream, wk.key_version, wk.signer))?;
            continue;
        };
        tx.exec("INSERT OR IGNORE INTO sync_stream(stream_id) VALUES (?1)", [wk.stream.to_string()])?;
        tx.exec(
            "INSERT OR IGNORE INTO sync_key(stream_id, key_version, key, key_mv, uploaded) VALUES (?1, ?2, ?3, ?4, 1)",
            params![wk.stream.to_string(), wk.key_version, key.bytes().as_slice(), wk.key_mv as i64],
        )?;
    }
    tx.commit()?;
    Ok(got.needed)
}

pub(crate) fn stream_key(conn: &Connection, stream: Uuid, kv: u32) -> Result<Option<StreamKey>, SyncError> {
    let b: Option<Vec<u8>> = conn
        .prepare_cached("SELECT key FROM sync_key WHERE stream_id = ?1 AND key_version = ?2")?
        .query_row(params![stream.to_string(), kv], |r| r.get(0))
        .optional()?;
    let b = b.map(zeroize::Zeroizing::new);
    Ok(b.and_then(|b| StreamKey::from_slice(&b)))
}

async fn pull_all<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow, ms: &mut Memberships, report: &mut SyncReport) -> Result<(), SyncError> {
    let mut refreshed = false;
    loop {
        let cursor: i64 = vault.conn_ref().query_row("SELECT cursor FROM sync_team WHERE id = 1", [], |r| r.get(0))?;
        let page = remote.pull(team.team, cursor.max(0) as u64, PULL_PAGE).await?;
        match apply_page(vault, team, ms, &page, report) {
            Err(Verdict::UnknownSigner) if !refreshed => {
                // A member approved since this round read the membership: read it again, once.
                *ms = refresh_membership(vault, remote, team).await?.0;
                refreshed = true;
                continue;
            }
            Err(Verdict::UnknownSigner) => return Err(SyncError::ServerMisbehaved("an op signed by a device that is not a member".into())),
            Err(Verdict::Fail(e)) => return Err(e),
            Ok(()) => {}
        }
        if !page.more {
            return Ok(());
        }
    }
}

enum Verdict {
    UnknownSigner,
    Fail(SyncError),
}

impl<E: Into<SyncError>> From<E> for Verdict {
    fn from(e: E) -> Self {
        Verdict::Fail(e.into())
    }
}

fn misbehaved(what: impl Into<String>) -> Verdict {
    Verdict::Fail(SyncError::ServerMisbehaved(what.into()))
}

/// Applies one page, with its cursor, in one transaction; checks the heads on the last page.
fn apply_page(vault: &Vault, team: &TeamRow, ms: &Memberships, page: &PullPage, report: &mut SyncReport) -> Result<(), Verdict> {
    let me = vault.device_id().0;
    let now = vault.now_ms();
    let latest = ms.latest().ok_or_else(|| misbehaved("no membership"))?;
    let tx = vault.conn_ref().unchecked_transaction()?;
    let mut cursor: i64 = tx.row("SELECT cursor FROM sync_team WHERE id = 1", [], |r| r.get(0))?;
    let mut counted = SyncReport::default();
    // Checked ops, applied together at the end of the page (one search
    // refresh per applicant, one conflict check per field).
    let mut ready: Vec<Op> = Vec::with_capacity(page.ops.len());
    // Parse and check signatures on every core first; the checks below
    // that depend on order and on the database run one by one.
    let mut keys: std::collections::HashMap<Uuid, Option<ed25519_dalek::VerifyingKey>> = std::collections::HashMap::new();
    for item in &page.ops {
        if let Some(b) = proto::unb64(&item.blob) {
            if let Ok(env) = Envelope::parse(&b) {
                keys.entry(env.header.device).or_insert_with(|| latest.member(env.header.device).and_then(|m| m.verifying_key().ok()));
            }
        }
    }
    let t0 = std::time::Instant::now();
    let checked: Vec<Option<(Vec<u8>, Envelope, bool)>> = par_map(&page.ops, |item| {
        let blob = proto::unb64(&item.blob)?;
        let env = Envelope::parse(&blob).ok()?;
        let ok = keys.get(&env.header.device).copied().flatten().is_some_and(|vk| env.verify(&vk).is_ok());
        Some((blob, env, ok))
    });
    let mut streams: std::collections::HashMap<String, PageStream> = std::collections::HashMap::new();
    let mut chains: std::collections::HashMap<(String, Uuid), i64> = std::collections::HashMap::new();
    for (item, checked) in page.ops.iter().zip(checked) {
        if (item.gseq as i64) <= cursor {
            return Err(misbehaved("the team's positions went backwards"));
        }
        let (blob, env, sig_ok) = checked.ok_or_else(|| misbehaved("malformed op"))?;
        let h = env.header;
        if h.team != team.team || h.stream != item.stream {
            return Err(misbehaved("an op filed under another team or stream"));
        }
        let sid = h.stream.to_string();
        // Stream and chain state, read once per page and written back at its end.
        if !streams.contains_key(&sid) {
            tx.exec("INSERT OR IGNORE INTO sync_stream(stream_id) VALUES (?1)", [&sid])?;
            let (seen, erased): (i64, i64) =
                tx.row("SELECT seen_seq, erased FROM sync_stream WHERE stream_id = ?1", [&sid], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let held: Option<i64> = tx.row("SELECT 1 FROM sync_held WHERE stream_id = ?1 LIMIT 1", [&sid], |r| r.get(0)).optional()?;
            streams.insert(sid.clone(), PageStream { seen, erased: erased == 1, held: held.is_some(), dirty: false });
        }
        let st = streams.get_mut(&sid).ok_or_else(|| misbehaved("stream state"))?;
        if st.erased {
            cursor = item.gseq as i64;
            continue;
        }
        let (seen, seq) = (st.seen, item.seq as i64);
        if seq <= seen {
            return Err(misbehaved(format!("stream {} position {seq} seen before: history rolled back or replayed", h.stream)));
        }
        if seq != seen + 1 {
            return Err(misbehaved(format!("stream {} skips from {seen} to {seq}: ops withheld", h.stream)));
        }
        if latest.member(h.device).is_none() {
            return Err(Verdict::UnknownSigner);
        }
        if !sig_ok {
            return Err(misbehaved(format!("stream {} position {seq}: bad signature", h.stream)));
        }
        let chain_key = (sid.clone(), h.device);
        let last = match chains.get(&chain_key) {
            Some(l) => *l,
            None => tx
                .row("SELECT last_dseq FROM sync_chain WHERE stream_id = ?1 AND device_id = ?2", params![&sid, h.device.to_string()], |r| r.get(0))
                .optional()?
                .unwrap_or(0),
        };
        if (h.dseq as i64) <= last {
            return Err(misbehaved(format!("stream {} position {seq}: an op replayed", h.stream)));
        }
        if h.prev as i64 != last {
            return Err(misbehaved(format!("stream {} position {seq}: ops reordered or one missing", h.stream)));
        }
        chains.insert(chain_key, h.dseq as i64);
        st.seen = seq;
        st.dirty = true;
        let stream_held = st.held;
        cursor = item.gseq as i64;
        if h.device == me {
            let acked: Option<Option<i64>> = tx
                .row("SELECT seq FROM sync_outbox WHERE op_id = ?1", [h.op_id.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(Some(s)) = acked {
                if s != seq {
                    return Err(misbehaved(format!("stream {}: this device's op at {seq}, acknowledged at {s}", h.stream)));
                }
            }
            tx.exec("DELETE FROM sync_outbox WHERE op_id = ?1", [h.op_id.to_string()])?;
            // After a vault restored from a backup, ops it had sent come back:
            // never reuse their counters.
            tx.exec("UPDATE sync_team SET next_dseq = max(next_dseq, ?1) WHERE id = 1", [h.dseq as i64 + 1])?;
        }
        if latest.accepts_op(h.device, h.dseq).is_none() {
            // Written by a device after the admin's cutoff at its removal.
            alert(&tx, now, "removed_device_op", &format!("stream {} position {seq} from removed device {}", h.stream, h.device))?;
            counted.refused += 1;
            continue;
        }
        if stream_held {
            hold(&tx, &sid, seq, &blob, "waiting")?;
            counted.held += 1;
            continue;
        }
        match try_apply(vault, &tx, &env, now)? {
            Applied::Ready(op) if super::attachments::is_attachment_op(&op) => {
                if super::attachments::receive(&tx, &sid, &op)? {
                    counted.pulled += 1;
                } else {
                    alert(&tx, now, "op_refused", &format!("stream {} op {}: not an attachment reference", h.stream, h.op_id))?;
                    counted.refused += 1;
                }
            }
            Applied::Ready(op) => {
                ready.push(op);
                counted.pulled += 1;
            }
            Applied::Held(reason) => {
                hold(&tx, &sid, seq, &blob, reason)?;
                if let Some(st) = streams.get_mut(&sid) {
                    st.held = true;
                }
                counted.held += 1;
            }
            Applied::Refused => counted.refused += 1,
        }
    }
    for (sid, st) in streams.iter().filter(|(_, st)| st.dirty) {
        tx.exec("UPDATE sync_stream SET seen_seq = ?1 WHERE stream_id = ?2", params![st.seen, sid])?;
    }
    for ((sid, device), last) in &chains {
        tx.exec(
            "INSERT INTO sync_chain(stream_id, device_id, last_dseq) VALUES (?1, ?2, ?3)
             ON CONFLICT(stream_id, device_id) DO UPDATE SET last_dseq = excluded.last_dseq",
            params![sid, device.to_string(), last],
        )?;
    }
    let t1 = std::time::Instant::now();
    crate::vault::sync_apply(&tx, &ready)?;
    let t2 = std::time::Instant::now();
    tx.exec("UPDATE sync_team SET cursor = ?1 WHERE id = 1", [cursor])?;
    if !page.more {
        let heads = page.heads.as_ref().ok_or_else(|| misbehaved("the last page has no stream heads"))?;
        counted.erased += check_heads(vault, &tx, team, ms, heads)?;
    }
    #[cfg(debug_assertions)]
    if !page.ops.is_empty() {
        test_pause("apply");
    }
    tx.commit()?;
    tracing::debug!(
        ops = page.ops.len(),
        check_ms = (t1 - t0).as_millis() as u64,
        apply_ms = (t2 - t1).as_millis() as u64,
        commit_ms = t2.elapsed().as_millis() as u64,
        "sync: page"
    );
    report.pulled += counted.pulled;
    report.held = counted.held;
    report.refused += counted.refused;
    report.erased += counted.erased;
    Ok(())
}

/// A stream's state while a page is applied.
struct PageStream {
    seen: i64,
    erased: bool,
    /// Some op of the stream waits: later ones wait behind it.
    held: bool,
    dirty: bool,
}

enum Applied {
    /// Checked; to apply (in order, with the others of its page).
    Ready(Op),
    Held(&'static str),
    Refused,
}

fn hold(tx: &Connection, sid: &str, seq: i64, blob: &[u8], reason: &str) -> Result<(), SyncError> {
    tx.exec(
        "INSERT OR REPLACE INTO sync_held(stream_id, seq, blob, reason) VALUES (?1, ?2, ?3, ?4)",
        params![sid, seq, blob, reason],
    )?;
    Ok(())
}

/// Decrypts, checks and applies one verified op.
fn try_apply(vault: &Vault, tx: &Connection, env: &Envelope, now: u64) -> Result<Applied, SyncError> {
    let h = env.header;
    let Some(key) = stream_key(tx, h.stream, h.key_version)? else { return Ok(Applied::Held("no_key")) };
    let Some(op) = crypto::open(env, &key) else {
        alert(tx, now, "undecryptable", &format!("stream {} op {} from device {}", h.stream, h.op_id, h.device))?;
        return Ok(Applied::Held("undecryptable"));
    };
    if let Err(why) = check_routing(tx, h.stream, &op)? {
        alert(tx, now, "op_refused", &format!("stream {} op {}: {why}", h.stream, h.op_id))?;
        return Ok(Applied::Refused);
    }
    if let Some(ahead) = vault.too_far_ahead(op.hlc) {
        alert(tx, now, "clock_ahead", &format!("device {} is {} minutes ahead", h.device, ahead / 60_000))?;
        return Ok(Applied::Held("clock_ahead"));
    }
    vault.observe(op.hlc)?;
    Ok(Applied::Ready(op))
}

/// An op may only touch the records of its own stream: its applicant, their
/// cases, and what is in those cases. Records it the first time.
fn check_routing(tx: &Connection, stream: Uuid, op: &Op) -> Result<Result<(), &'static str>, SyncError> {
    let sid = stream.to_string();
    let eid = op.entity_id.to_string();
    let mapped: Option<String> =
        tx.prepare_cached("SELECT stream_id FROM sync_entity WHERE entity_id = ?1")?.query_row([&eid], |r| r.get(0)).optional()?;
    if mapped.as_deref().is_some_and(|m| m != sid) {
        return Ok(Err("a record of another stream"));
    }
    let applicant: Option<String> =
        tx.row("SELECT applicant_id FROM sync_stream WHERE stream_id = ?1", [&sid], |r| r.get(0)).optional()?.flatten();
    match op.entity {
        Entity::Applicant => match &applicant {
            Some(a) if *a != eid => return Ok(Err("a second applicant in one stream")),
            Some(_) => {}
            None => {
                let taken: Option<i64> = tx
                    .row("SELECT 1 FROM sync_stream WHERE applicant_id = ?1", [&eid], |r| r.get(0))
                    .optional()?;
                if taken.is_some() {
                    return Ok(Err("an applicant already in another stream"));
                }
                tx.exec("UPDATE sync_stream SET applicant_id = ?1 WHERE stream_id = ?2", params![&eid, &sid])?;
            }
        },
        Entity::Case if op.field == "applicant_id" => {
            if applicant.as_deref() != op.value.as_str() {
                return Ok(Err("a case of another applicant"));
            }
        }
        Entity::DocumentItem | Entity::Deadline | Entity::JournalEntry | Entity::Incident if op.field == "case_id" => {
            let case_stream: Option<String> = match op.value.as_str() {
                Some(c) => tx.row("SELECT stream_id FROM sync_entity WHERE entity_id = ?1", [c], |r| r.get(0)).optional()?,
                None => None,
            };
            if case_stream.as_deref() != Some(sid.as_str()) {
                return Ok(Err("an item of a case in another stream"));
            }
        }
        _ => {}
    }
    if mapped.is_none() {
        tx.prepare_cached("INSERT INTO sync_entity(entity_id, stream_id) VALUES (?1, ?2)")?.execute(params![&eid, &sid])?;
    }
    Ok(Ok(()))
}

/// Compares the server's stream heads with what this device saw, and
/// carries out erasures. Returns how many streams were erased now.
fn check_heads(vault: &Vault, tx: &Connection, team: &TeamRow, ms: &Memberships, heads: &[StreamHead]) -> Result<usize, Verdict> {
    let mut erased_now = 0;
    let mut listed = std::collections::HashSet::new();
    for head in heads {
        listed.insert(head.stream.to_string());
        let sid = head.stream.to_string();
        let local: Option<(i64, i64)> = tx
            .row("SELECT seen_seq, erased FROM sync_stream WHERE stream_id = ?1", [&sid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (seen, erased) = local.unwrap_or((0, 0));
        if let Some(doc) = &head.erased {
            if erased == 1 {
                continue;
            }
            let rec: EraseRecord = doc.decode().map_err(|_| misbehaved("unreadable erase order"))?;
            let ok = rec.team == team.team
                && rec.stream == head.stream
                && ms
                    .version(rec.mv)
                    .filter(|m| m.is_admin(rec.signer))
                    .and_then(|m| m.active_member(rec.signer))
                    .and_then(|m| m.verifying_key().ok())
                    .is_some_and(|vk| doc.verify(&vk, "erase").is_ok());
            if !ok {
                return Err(misbehaved(format!("stream {}: an erase order not signed by an admin", head.stream)));
            }
            erase_stream_local(tx, head.stream, head.seq)?;
            alert(tx, vault.now_ms(), "erased", &format!("stream {} erased by admin device {}", head.stream, rec.signer))?;
            erased_now += 1;
            continue;
        }
        if erased == 1 {
            return Err(misbehaved(format!("stream {}: erased, yet listed again", head.stream)));
        }
        if (head.seq as i64) < seen {
            return Err(misbehaved(format!(
                "stream {} holds {} ops, this device saw {seen}: history rolled back (an old backup restored?)",
                head.stream, head.seq
            )));
        }
        if (head.seq as i64) > seen {
            return Err(misbehaved(format!("stream {}: ops withheld ({} stored, {seen} delivered)", head.stream, head.seq)));
        }
    }
    let mut stmt = tx.prepare("SELECT stream_id FROM sync_stream WHERE seen_seq > 0 AND erased = 0")?;
    let known: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if let Some(gone) = known.iter().find(|s| !listed.contains(*s)) {
        return Err(misbehaved(format!("stream {gone} vanished: history rolled back (an old backup restored?)")));
    }
    // Our own acknowledged ops must have shown up where the server said.
    let lost: Option<String> = tx
        .row(
            "SELECT o.op_id FROM sync_outbox o JOIN sync_stream s ON s.stream_id = o.stream_id
             WHERE o.seq IS NOT NULL AND o.seq <= s.seen_seq AND s.erased = 0 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(op) = lost {
        return Err(misbehaved(format!("op {op} acknowledged, then missing from its stream")));
    }
    Ok(erased_now)
}

/// Crypto-shredding on this device: the stream's keys, ops, records and
/// bookkeeping are deleted (`secure_delete` overwrites the freed pages).
pub(crate) fn erase_stream_local(tx: &Connection, stream: Uuid, head: u64) -> Result<(), SyncError> {
    let sid = stream.to_string();
    let applicant: Option<String> =
        tx.row("SELECT applicant_id FROM sync_stream WHERE stream_id = ?1", [&sid], |r| r.get(0)).optional()?.flatten();
    // The attachments of its cases (their blobs are purged by the server).
    tx.exec("DELETE FROM attachment WHERE case_id IN (SELECT entity_id FROM sync_entity WHERE stream_id = ?1)", [&sid])?;
    if let Some(a) = applicant.and_then(|a| a.parse::<Id>().ok()) {
        Vault::erase_applicant_rows(tx, a)?;
    }
    tx.exec("DELETE FROM op WHERE entity_id IN (SELECT entity_id FROM sync_entity WHERE stream_id = ?1)", [&sid])?;
    for t in ["sync_entity", "sync_key", "sync_chain", "sync_held", "sync_outbox", "sync_attachment"] {
        tx.exec(&format!("DELETE FROM {t} WHERE stream_id = ?1"), [&sid])?;
    }
    tx.exec("INSERT OR IGNORE INTO sync_stream(stream_id) VALUES (?1)", [&sid])?;
    tx.exec("UPDATE sync_stream SET erased = 1, seen_seq = max(seen_seq, ?1) WHERE stream_id = ?2", params![head as i64, &sid])?;
    Ok(())
}

/// Tries the held ops again, stream by stream, in order.
fn retry_held(vault: &mut Vault, _team: &TeamRow, report: &mut SyncReport) -> Result<(), SyncError> {
    let now = vault.now_ms();
    let tx = vault.conn_ref().unchecked_transaction()?;
    let rows: Vec<(String, i64, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT stream_id, seq, blob FROM sync_held ORDER BY stream_id, seq")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
    };
    let mut blocked: Option<String> = None;
    let mut ready: Vec<Op> = Vec::new();
    for (sid, seq, blob) in rows {
        if blocked.as_deref() == Some(sid.as_str()) {
            continue;
        }
        let Ok(env) = Envelope::parse(&blob) else { continue };
        match try_apply(vault, &tx, &env, now)? {
            Applied::Ready(op) => {
                tx.exec("DELETE FROM sync_held WHERE stream_id = ?1 AND seq = ?2", params![&sid, seq])?;
                if !super::attachments::is_attachment_op(&op) {
                    ready.push(op);
                    report.pulled += 1;
                } else if super::attachments::receive(&tx, &sid, &op)? {
                    report.pulled += 1;
                } else {
                    report.refused += 1;
                }
            }
            Applied::Refused => {
                tx.exec("DELETE FROM sync_held WHERE stream_id = ?1 AND seq = ?2", params![&sid, seq])?;
                report.refused += 1;
            }
            Applied::Held(reason) => {
                tx.exec("UPDATE sync_held SET reason = ?1 WHERE stream_id = ?2 AND seq = ?3", params![reason, &sid, seq])?;
                blocked = Some(sid);
            }
        }
    }
    crate::vault::sync_apply(&tx, &ready)?;
    tx.commit()?;
    Ok(())
}

/// The stream an op of this device belongs to, creating the applicant's
/// stream (and its first key) when it has none yet.
fn route(tx: &Connection, op: &Op, mv: u64) -> Result<Option<Uuid>, SyncError> {
    let eid = op.entity_id.to_string();
    let mapped: Option<String> =
        tx.prepare_cached("SELECT stream_id FROM sync_entity WHERE entity_id = ?1")?.query_row([&eid], |r| r.get(0)).optional()?;
    if let Some(s) = mapped {
        return Ok(Uuid::parse_str(&s).ok());
    }
    let stream = match op.entity {
        Entity::Applicant => {
            let s: Option<String> =
                tx.row("SELECT stream_id FROM sync_stream WHERE applicant_id = ?1", [&eid], |r| r.get(0)).optional()?;
            match s.and_then(|s| Uuid::parse_str(&s).ok()) {
                Some(s) => s,
                None => {
                    let s = Uuid::new_v4();
                    let key = StreamKey::generate().map_err(|_| SyncError::Random)?;
                    tx.exec("INSERT INTO sync_stream(stream_id, applicant_id) VALUES (?1, ?2)", params![s.to_string(), &eid])?;
                    tx.exec(
                        "INSERT INTO sync_key(stream_id, key_version, key, key_mv, uploaded) VALUES (?1, 1, ?2, ?3, 0)",
                        params![s.to_string(), key.bytes().as_slice(), mv as i64],
                    )?;
                    s
                }
            }
        }
        Entity::Case => {
            let a: Option<String> =
                tx.row("SELECT applicant_id FROM case_file WHERE id = ?1", [&eid], |r| r.get(0)).optional()?.flatten();
            let s: Option<String> = match a {
                Some(a) => tx.row("SELECT stream_id FROM sync_entity WHERE entity_id = ?1", [a], |r| r.get(0)).optional()?,
                None => None,
            };
            match s.and_then(|s| Uuid::parse_str(&s).ok()) {
                Some(s) => s,
                None => return Ok(None),
            }
        }
        e => {
            let c: Option<String> = tx
                .row(&format!("SELECT case_id FROM {} WHERE id = ?1", e.table()), [&eid], |r| r.get(0))
                .optional()?
                .flatten();
            let s: Option<String> = match c {
                Some(c) => tx.row("SELECT stream_id FROM sync_entity WHERE entity_id = ?1", [c], |r| r.get(0)).optional()?,
                None => None,
            };
            match s.and_then(|s| Uuid::parse_str(&s).ok()) {
                Some(s) => s,
                None => return Ok(None),
            }
        }
    };
    tx.exec("INSERT INTO sync_entity(entity_id, stream_id) VALUES (?1, ?2)", params![&eid, stream.to_string()])?;
    Ok(Some(stream))
}

/// Seals this device's new ops into the outbox, in one transaction.
fn seal_outbox(vault: &mut Vault, team: &TeamRow, keys: &DeviceKeys, ms: &Memberships) -> Result<usize, SyncError> {
    let me = vault.device_id();
    let now = vault.now_ms();
    let latest = ms.latest().ok_or(SyncError::NoTeam)?;
    let last_removal = latest.last_removal();
    let tx = vault.conn_ref().unchecked_transaction()?;
    let (mut next_dseq, sealed_upto): (i64, i64) =
        tx.row("SELECT next_dseq, sealed_upto FROM sync_team WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT seq, id FROM op WHERE seq > ?1 AND device_id = ?2 ORDER BY seq")?;
        stmt.query_map(params![sealed_upto, me.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    let mut upto = sealed_upto;
    let mut sealed = 0;
    for (seq, _id) in rows {
        let Some(op) = crate::vault::sync_read_op(&tx, seq)? else {
            upto = seq;
            continue;
        };
        let Some(stream) = route(&tx, &op, latest.version)? else {
            alert(&tx, now, "op_unroutable", &format!("op {} has no applicant", op.id))?;
            upto = seq;
            continue;
        };
        let sid = stream.to_string();
        let erased: i64 = tx.row("SELECT erased FROM sync_stream WHERE stream_id = ?1", [&sid], |r| r.get(0))?;
        if erased == 1 {
            upto = seq;
            continue;
        }
        let kv: Option<i64> = tx
            .row(
                "SELECT max(key_version) FROM sync_key WHERE stream_id = ?1 AND key_mv >= ?2",
                params![&sid, last_removal as i64],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let Some(kv) = kv else {
            // A device was removed and this stream's new key has not reached
            // us yet: wait (the op stays in the log, sealed next round).
            break;
        };
        let Some(key) = stream_key(&tx, stream, kv as u32)? else { break };
        seal_one(&tx, team, keys, me.0, stream, kv as u32, &key, &op, next_dseq)?;
        next_dseq += 1;
        upto = seq;
        sealed += 1;
    }
    tx.exec("UPDATE sync_team SET next_dseq = ?1, sealed_upto = ?2 WHERE id = 1", params![next_dseq, upto])?;
    tx.commit()?;
    Ok(sealed)
}

/// Seals one op of this device into the outbox with counter `dseq`, after
/// this device's previous op in the stream.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_one(
    tx: &Connection,
    team: &TeamRow,
    keys: &DeviceKeys,
    me: Uuid,
    stream: Uuid,
    kv: u32,
    key: &StreamKey,
    op: &Op,
    dseq: i64,
) -> Result<(), SyncError> {
    let sid = stream.to_string();
    let prev: i64 = tx.row(
        "SELECT max(coalesce((SELECT max(dseq) FROM sync_outbox WHERE stream_id = ?1), 0),
                    coalesce((SELECT last_dseq FROM sync_chain WHERE stream_id = ?1 AND device_id = ?2), 0))",
        params![&sid, me.to_string()],
        |r| r.get(0),
    )?;
    let header = OpHeader { team: team.team, stream, op_id: op.id.0, device: me, dseq: dseq as u64, prev: prev as u64, key_version: kv };
    let env = crypto::seal(op, header, key, keys.signing()).ok_or(SyncError::Random)?;
    tx.exec(
        "INSERT INTO sync_outbox(dseq, op_id, stream_id, prev, blob) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![dseq, op.id.to_string(), &sid, prev, env.to_bytes()],
    )?;
    Ok(())
}

/// The key version this device seals a stream's new ops with: the latest
/// made since the last removal (none yet: wait for the admin's new key).
pub(crate) fn sealing_key(conn: &Connection, stream: Uuid, last_removal: u64) -> Result<Option<(u32, StreamKey)>, SyncError> {
    let kv: Option<i64> = conn
        .row(
            "SELECT max(key_version) FROM sync_key WHERE stream_id = ?1 AND key_mv >= ?2",
            params![stream.to_string(), last_removal as i64],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let Some(kv) = kv else { return Ok(None) };
    Ok(stream_key(conn, stream, kv as u32)?.map(|k| (kv as u32, k)))
}

/// Wraps keys for the members who need them and uploads the wraps.
///
/// `v2`: the server accepts format-2 wraps (one age file per recipient).
async fn upload_keys<R: Remote>(
    vault: &mut Vault,
    remote: &R,
    team: &TeamRow,
    keys: &DeviceKeys,
    ms: &Memberships,
    needed: &[KeyNeed],
    v2: bool,
) -> Result<(), SyncError> {
    let latest = ms.latest().ok_or(SyncError::NoTeam)?;
    let me = vault.device_id().0;
    // What to wrap for whom (database), then wrap and sign on every core.
    let mut jobs: Vec<(Uuid, u32, u64, StreamKey, &proto::Member)> = Vec::new();
    let mut fresh: Vec<(String, i64)> = Vec::new();
    {
        let conn = vault.conn_ref();
        let mut stmt = conn.prepare("SELECT stream_id, key_version, key, key_mv FROM sync_key WHERE uploaded = 0")?;
        let rows: Vec<(String, i64, Vec<u8>, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        for (sid, kv, key, key_mv) in rows {
            let key = zeroize::Zeroizing::new(key);
            let Ok(stream) = Uuid::parse_str(&sid) else { continue };
            for m in latest.members.iter().filter(|m| m.active()) {
                let Some(k) = StreamKey::from_slice(&key) else { continue };
                jobs.push((stream, kv as u32, key_mv as u64, k, m));
            }
            fresh.push((sid, kv));
        }
        for need in needed {
            let Some(m) = latest.active_member(need.recipient) else { continue };
            let key_mv: Option<i64> = conn
                .row(
                    "SELECT key_mv FROM sync_key WHERE stream_id = ?1 AND key_version = ?2",
                    params![need.stream.to_string(), need.key_version],
                    |r| r.get(0),
                )
                .optional()?;
            let (Some(key_mv), Some(k)) = (key_mv, stream_key(conn, need.stream, need.key_version)?) else { continue };
            if jobs.iter().any(|j| j.0 == need.stream && j.1 == need.key_version && j.4.device == need.recipient) {
                continue;
            }
            jobs.push((need.stream, need.key_version, key_mv as u64, k, m));
        }
    }
    let wraps: Vec<WrappedKey> = if v2 {
        // Format 2: one key-encryption key and one age file per recipient
        // (see `crypto::WrapKey`), then each stream key sealed under it.
        let mut recipients: Vec<&proto::Member> = jobs.iter().map(|j| j.4).collect();
        recipients.sort_unstable_by_key(|m| m.device);
        recipients.dedup_by_key(|m| m.device);
        let keks: Vec<(crypto::WrapKey, String)> = par_map(&recipients, |m| {
            let kek = crypto::WrapKey::generate()?;
            let file = kek.wrap_for(&m.age)?;
            Some((kek, proto::b64(&file)))
        })
        .into_iter()
        .collect::<Option<_>>()
        .ok_or(SyncError::Random)?;
        let by_recipient: std::collections::HashMap<Uuid, &(crypto::WrapKey, String)> =
            recipients.iter().map(|m| m.device).zip(keks.iter()).collect();
        par_map(&jobs, |(stream, kv, key_mv, k, m)| {
            let (kek, file) = by_recipient.get(&m.device).ok_or(SyncError::Random)?;
            wrap_sealed(team, *stream, *kv, *key_mv, latest.version, me, k, m.device, kek, file, keys)
        })
        .into_iter()
        .collect::<Result<_, _>>()?
    } else {
        par_map(&jobs, |(stream, kv, key_mv, k, m)| wrap(team, *stream, *kv, *key_mv, latest.version, me, k, m, keys))
            .into_iter()
            .collect::<Result<_, _>>()?
    };
    tracing::debug!(wraps = wraps.len(), "sync: keys wrapped");
    for chunk in wraps.chunks(500) {
        remote.put_keys(team.team, &PutKeys { keys: chunk.to_vec() }).await?;
    }
    // One transaction (one fsync), not one per key: with 2,000 new files
    // this loop alone took seconds on a laptop disk.
    let tx = vault.conn_ref().unchecked_transaction()?;
    for (sid, kv) in fresh {
        tx.exec("UPDATE sync_key SET uploaded = 1 WHERE stream_id = ?1 AND key_version = ?2", params![sid, kv])?;
    }
    tx.commit()?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn wrap(
    team: &TeamRow,
    stream: Uuid,
    kv: u32,
    key_mv: u64,
    mv: u64,
    me: Uuid,
    key: &StreamKey,
    to: &proto::Member,
    keys: &DeviceKeys,
) -> Result<WrappedKey, SyncError> {
    let w = key.wrap_for(&to.age).ok_or(SyncError::Random)?;
    Ok(WrappedKey::sign(team.team, stream, kv, to.device, key_mv, mv, me, &w, keys.signing()))
}

/// A format-2 wrap: `key` sealed under the recipient's key-encryption key
/// of this round, whose age file (`file`, base64) every wrap shares.
#[allow(clippy::too_many_arguments)]
fn wrap_sealed(
    team: &TeamRow,
    stream: Uuid,
    kv: u32,
    key_mv: u64,
    mv: u64,
    me: Uuid,
    key: &StreamKey,
    recipient: Uuid,
    kek: &crypto::WrapKey,
    file: &str,
    keys: &DeviceKeys,
) -> Result<WrappedKey, SyncError> {
    let sealed = kek.seal_key(key, &WrappedKey::sealed_aad_for(team.team, stream, kv, recipient, key_mv)).ok_or(SyncError::Random)?;
    WrappedKey::sign_sealed(team.team, stream, kv, recipient, key_mv, mv, me, file, &sealed, keys.signing()).map_err(|_| SyncError::Random)
}

/// Pushes the sealed outbox in order; returns how many ops the server newly stored.
async fn push_outbox<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow) -> Result<usize, SyncError> {
    let mut stored = 0;
    loop {
        let rows: Vec<(i64, Vec<u8>)> = {
            let conn = vault.conn_ref();
            let mut stmt = conn.prepare("SELECT dseq, blob FROM sync_outbox WHERE seq IS NULL ORDER BY dseq LIMIT ?1")?;
            stmt.query_map([PUSH_BATCH as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
        };
        if rows.is_empty() {
            return Ok(stored);
        }
        #[cfg(debug_assertions)]
        test_pause("push");
        let res = remote.push(team.team, &Push { ops: rows.iter().map(|(_, b)| proto::b64(b)).collect() }).await?;
        #[cfg(debug_assertions)]
        test_pause("pushed");
        if res.outcomes.len() != rows.len() {
            return Err(SyncError::ServerMisbehaved("push answer does not match the batch".into()));
        }
        let now = vault.now_ms();
        let tx = vault.conn_ref().unchecked_transaction()?;
        let mut stop = false;
        for ((dseq, _), outcome) in rows.iter().zip(&res.outcomes) {
            match outcome {
                PushOutcome::Stored { seq } | PushOutcome::Duplicate { seq } => {
                    if matches!(outcome, PushOutcome::Stored { .. }) {
                        stored += 1;
                    }
                    tx.exec("UPDATE sync_outbox SET seq = ?1 WHERE dseq = ?2", params![*seq as i64, dseq])?;
                }
                PushOutcome::Rejected { reason: RejectReason::Erased } => {
                    alert(&tx, now, "push_erased", &format!("op with counter {dseq}: its file was erased"))?;
                    tx.exec("DELETE FROM sync_outbox WHERE dseq = ?1", [dseq])?;
                }
                PushOutcome::Rejected { reason: RejectReason::OutOfOrder } => {
                    stop = true;
                    break;
                }
                PushOutcome::Rejected { reason } => {
                    alert(&tx, now, "push_rejected", &format!("op with counter {dseq}: {reason:?}"))?;
                    stop = true;
                    break;
                }
            }
        }
        tx.commit()?;
        if stop {
            return Ok(stored);
        }
    }
}

/// Test hook: when `SESAME_TEST_PAUSE_AT` names this point, say so on
/// stderr and sleep, so a fault test can kill the process right here.
/// Compiled into debug builds only.
#[cfg(debug_assertions)]
pub(crate) fn test_pause(point: &str) {
    if std::env::var("SESAME_TEST_PAUSE_AT").is_ok_and(|p| p == point) {
        eprintln!("SESAME_TEST_PAUSED_AT {point}");
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// Where sync stands.
pub fn status(vault: &Vault) -> Result<SyncStatus, SyncError> {
    let conn = vault.conn_ref();
    let me = vault.device_id().0;
    let team = team_row(conn)?;
    let ms = Memberships::load(conn)?;
    let latest = ms.latest();
    let member = latest.and_then(|m| m.member(me));
    let fp: Option<(Vec<u8>, String)> = conn
        .row("SELECT sign_secret, age_secret FROM sync_device WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let fingerprint = fp.and_then(|(s, a)| {
        let s = zeroize::Zeroizing::new(s);
        let a = zeroize::Zeroizing::new(a);
        DeviceKeys::from_parts(&s, &a).map(|k| k.fingerprint())
    });
    let (last_sync, last_error, sealed_upto): (Option<i64>, Option<String>, i64) = conn
        .row("SELECT last_sync_ms, last_error, sealed_upto FROM sync_team WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .unwrap_or((None, None, 0));
    // Without a team nothing is pending, and counting would read the whole
    // op log (over a second on a 10,000-applicant vault, at every start).
    let (unsealed, unacked) = if team.is_some() {
        let unsealed: i64 = conn.row(
            "SELECT count(*) FROM op WHERE seq > ?1 AND device_id = ?2",
            params![sealed_upto, me.to_string()],
            |r| r.get(0),
        )?;
        (unsealed as u64, count(conn, "SELECT count(*) FROM sync_outbox WHERE seq IS NULL")?)
    } else {
        (0, 0)
    };
    let alerts = {
        let mut stmt = conn.prepare("SELECT at_ms, code, detail FROM sync_alert ORDER BY id DESC LIMIT 20")?;
        stmt.query_map([], |r| Ok(Alert { at_ms: r.get::<_, i64>(0)? as u64, code: r.get(1)?, detail: r.get(2)? }))?
            .collect::<Result<_, _>>()?
    };
    Ok(SyncStatus {
        team: team.as_ref().map(|t| t.team),
        server: team.map(|t| t.url),
        device: me,
        fingerprint,
        role: member.map(|m| m.role),
        approved: member.is_some_and(|m| m.active()),
        membership_version: ms.latest_version(),
        last_sync_ms: last_sync.map(|v| v as u64),
        last_error,
        pending_ops: unsealed + unacked,
        held_ops: count(conn, "SELECT count(*) FROM sync_held")?,
        conflicts: count(conn, "SELECT count(*) FROM sync_conflict")?,
        alerts,
        catalog: super::catalog::distributed(vault.dir()),
    })
}

/// Exponential backoff with jitter for the background loop: 1 s, 2 s, 4 s…
/// up to `max`, back to the start after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff { next: min, min, max }
    }

    /// The delay before the next try after a failure (with up to 25 % jitter).
    pub fn failed(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let mut b = [0u8; 2];
        let _ = getrandom::fill(&mut b);
        let jitter = base.mul_f64(f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX) * 0.25);
        base + jitter
    }

    pub fn succeeded(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        for expect in [1000u128, 2000, 4000, 8000, 8000] {
            let d = b.failed().as_millis();
            assert!(d >= expect && d <= expect * 5 / 4, "{d} vs {expect}");
        }
        b.succeeded();
        assert!(b.failed() < Duration::from_millis(1300));
    }
}
