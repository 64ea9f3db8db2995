//! Teams: create one, invite, join, approve, remove, erase a file.
//!
//! Joining is three steps so that neither the server nor whoever reads the
//! invitation over a shoulder can get in alone:
//! 1. an admin runs `team invite`: a one-time code with the server's
//!    address, the team, a token for the server and a secret half the
//!    server never sees;
//! 2. the new device runs `team join CODE`: it sends its public keys, the
//!    token, and a proof (HMAC under the secret half) binding its keys;
//! 3. the admin runs `team approve DEVICE`: their device checks the proof
//!    (so the server cannot slip in keys of its own) and signs a new
//!    membership version. The fingerprint printed on both sides can be
//!    compared aloud as well.

use super::crypto::{self, DeviceKeys, StreamKey};
use super::engine::{self, Memberships, TeamRow, alert, device_keys, erase_stream_local, refresh_membership, team_row};
use super::proto::{self, CreateInvite, CreateTeam, EraseRecord, JoinRequest, Member, Membership, Role, SignedDoc};
use super::{Remote, SyncError};
use crate::domain::Id;
use crate::vault::Vault;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

const CODE_PREFIX: &str = "SESAME1-";
/// How long an invitation stays valid: 7 days.
pub const INVITE_TTL_MS: u64 = 7 * 24 * 3600 * 1000;

/// What an invitation code carries.
#[derive(Serialize, Deserialize)]
struct InviteCode {
    /// Server URL.
    u: String,
    t: Uuid,
    i: Uuid,
    /// Token for the server, base64.
    k: String,
    /// Secret half, base64: never sent to the server.
    s: String,
    /// Hash of the team's first membership version: the root of trust.
    g: String,
    /// The team's name (the association's), kept on devices only.
    #[serde(default)]
    n: String,
}

/// The server address written in an invitation code.
pub fn invite_server(code: &str) -> Result<String, SyncError> {
    Ok(parse_code(code)?.u)
}

fn parse_code(code: &str) -> Result<InviteCode, SyncError> {
    let body = code.trim().strip_prefix(CODE_PREFIX).ok_or(SyncError::BadInvite)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| SyncError::BadInvite)?;
    serde_json::from_slice(&bytes).map_err(|_| SyncError::BadInvite)
}

fn random32() -> Result<Zeroizing<[u8; 32]>, SyncError> {
    let mut b = Zeroizing::new([0u8; 32]);
    getrandom::fill(b.as_mut()).map_err(|_| SyncError::Random)?;
    Ok(b)
}

fn proof(secret: &[u8], device: Uuid, sign_pk: &str, age: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(b"sesame-join-v1\0");
    mac.update(device.as_bytes());
    mac.update(sign_pk.as_bytes());
    mac.update(b"\n");
    mac.update(age.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn store_team(vault: &Vault, team: Uuid, name: &str, url: &str, genesis: &str) -> Result<(), SyncError> {
    vault.conn_ref().execute(
        "INSERT INTO sync_team(id, team_id, name, server_url, genesis_hash) VALUES (1, ?1, ?2, ?3, ?4)",
        params![team.to_string(), name, url, genesis],
    )?;
    Ok(())
}

/// Creates a team on the server with this device as its first admin.
/// The name stays on the devices (the server never sees it). Returns the team id.
pub async fn create<R: Remote>(vault: &mut Vault, remote: &R, server_url: &str, name: &str) -> Result<Uuid, SyncError> {
    if team_row(vault.conn_ref())?.is_some() {
        return Err(SyncError::AlreadyInTeam);
    }
    let keys = device_keys(vault.conn_ref())?;
    let me = vault.device_id().0;
    let team = Uuid::new_v4();
    let genesis = Membership {
        team,
        version: 1,
        prev_hash: None,
        signer: me,
        members: vec![Member {
            device: me,
            sign_pk: keys.sign_pk(),
            age: keys.age_recipient(),
            role: Role::Admin,
            added_in: 1,
            removed_in: None,
            cutoff_dseq: None,
        }],
    };
    let doc = SignedDoc::sign(&genesis, keys.signing());
    let hash = doc.hash().map_err(|_| SyncError::Random)?;
    remote.create_team(&CreateTeam { team, genesis: doc.clone() }).await?;
    let tx = vault.conn_ref().unchecked_transaction()?;
    store_team(vault, team, name, server_url, &hash)?;
    tx.execute("INSERT INTO sync_membership(version, body, sig) VALUES (1, ?1, ?2)", params![doc.body, doc.sig])?;
    tx.commit()?;
    Ok(team)
}

fn team_name(vault: &Vault) -> Result<String, SyncError> {
    Ok(vault.conn_ref().query_row("SELECT name FROM sync_team WHERE id = 1", [], |r| r.get(0))?)
}

fn require_team(vault: &Vault) -> Result<TeamRow, SyncError> {
    team_row(vault.conn_ref())?.ok_or(SyncError::NoTeam)
}

fn require_admin(vault: &Vault, ms: &Memberships) -> Result<(), SyncError> {
    if ms.latest().is_some_and(|m| m.is_admin(vault.device_id().0)) { Ok(()) } else { Err(SyncError::NotAdmin) }
}

/// Issues a one-time invitation code (admins).
pub async fn invite<R: Remote>(vault: &mut Vault, remote: &R) -> Result<String, SyncError> {
    let team = require_team(vault)?;
    let (ms, _) = refresh_membership(vault, remote, &team).await?;
    require_admin(vault, &ms)?;
    let invite = Uuid::new_v4();
    let token = random32()?;
    let secret = random32()?;
    let expires_ms = vault.now_ms() + INVITE_TTL_MS;
    remote
        .create_invite(team.team, &CreateInvite { invite, token_hash: proto::sha256_hex(token.as_ref()), expires_ms })
        .await?;
    vault.conn_ref().execute(
        "INSERT INTO sync_invite(invite_id, secret, expires_ms) VALUES (?1, ?2, ?3)",
        params![invite.to_string(), secret.as_slice(), expires_ms as i64],
    )?;
    let code = InviteCode {
        u: team.url.clone(),
        t: team.team,
        i: invite,
        k: proto::b64(token.as_ref()),
        s: proto::b64(secret.as_ref()),
        g: team.genesis,
        n: team_name(vault)?,
    };
    let json = Zeroizing::new(serde_json::to_vec(&code).map_err(|_| SyncError::Random)?);
    Ok(format!("{CODE_PREFIX}{}", URL_SAFE_NO_PAD.encode(json.as_slice())))
}

/// Asks to join the team of an invitation code. Returns this device's
/// fingerprint, for the admin to compare.
pub async fn join<R: Remote>(vault: &mut Vault, remote: &R, code: &str) -> Result<String, SyncError> {
    if team_row(vault.conn_ref())?.is_some() {
        return Err(SyncError::AlreadyInTeam);
    }
    let c = parse_code(code)?;
    let secret = Zeroizing::new(proto::unb64(&c.s).ok_or(SyncError::BadInvite)?);
    let keys = device_keys(vault.conn_ref())?;
    let me = vault.device_id().0;
    let (sign_pk, age) = (keys.sign_pk(), keys.age_recipient());
    let req = JoinRequest {
        invite: c.i,
        token: c.k.clone(),
        device: me,
        proof: proto::b64(&proof(&secret, me, &sign_pk, &age)),
        sign_pk,
        age,
    };
    remote.join(c.t, &req).await?;
    store_team(vault, c.t, &c.n, &c.u, &c.g)?;
    Ok(keys.fingerprint())
}

/// A device waiting for approval.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub device: Uuid,
    pub fingerprint: String,
    /// The request proves it was made with an invitation code from this device.
    pub proof_ok: bool,
}

/// A member, as listed by `sesame team list`.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub device: Uuid,
    pub role: Role,
    pub fingerprint: String,
    pub active: bool,
    pub added_in: u64,
    pub removed_in: Option<u64>,
    pub this_device: bool,
}

/// The team as this device knows it: members, and (for admins, when the
/// server is reachable) devices waiting for approval.
#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub team: Uuid,
    pub name: String,
    pub server: String,
    pub membership_version: u64,
    pub members: Vec<MemberView>,
    pub pending: Vec<Pending>,
}

/// Lists the team; refreshes from the server when `remote` is given.
pub async fn list<R: Remote>(vault: &mut Vault, remote: Option<&R>) -> Result<TeamView, SyncError> {
    let team = require_team(vault)?;
    let (ms, pending) = match remote {
        Some(r) => refresh_membership(vault, r, &team).await?,
        None => (Memberships::load(vault.conn_ref())?, Vec::new()),
    };
    let me = vault.device_id().0;
    let members = ms
        .latest()
        .map(|m| {
            m.members
                .iter()
                .map(|x| MemberView {
                    device: x.device,
                    role: x.role,
                    fingerprint: crypto::fingerprint(&x.sign_pk, &x.age),
                    active: x.active(),
                    added_in: x.added_in,
                    removed_in: x.removed_in,
                    this_device: x.device == me,
                })
                .collect()
        })
        .unwrap_or_default();
    let pending = pending
        .iter()
        .filter(|p| ms.latest().is_none_or(|m| m.member(p.device).is_none()))
        .map(|p| Ok(Pending { device: p.device, fingerprint: crypto::fingerprint(&p.sign_pk, &p.age), proof_ok: proof_ok(vault, p)? }))
        .collect::<Result<_, SyncError>>()?;
    Ok(TeamView { team: team.team, name: team_name(vault)?, server: team.url, membership_version: ms.latest_version(), members, pending })
}

fn proof_ok(vault: &Vault, p: &JoinRequest) -> Result<bool, SyncError> {
    let secret: Option<Vec<u8>> = vault
        .conn_ref()
        .query_row("SELECT secret FROM sync_invite WHERE invite_id = ?1", [p.invite.to_string()], |r| r.get(0))
        .optional()?;
    let Some(secret) = secret.map(Zeroizing::new) else { return Ok(false) };
    let want = proof(&secret, p.device, &p.sign_pk, &p.age);
    let got = proto::unb64(&p.proof).unwrap_or_default();
    // Constant-time comparison through the MAC's own verifier.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret).unwrap_or_else(|_| unreachable!());
    mac.update(&want);
    let a = mac.clone().finalize().into_bytes();
    let mut mac2 = <Hmac<Sha256> as Mac>::new_from_slice(&secret).unwrap_or_else(|_| unreachable!());
    mac2.update(&got);
    Ok(mac2.verify_slice(&a).is_ok() && got.len() == want.len())
}

fn matches(device: Uuid, fingerprint: &str, prefix: &str) -> bool {
    let p = prefix.trim().to_ascii_lowercase();
    !p.is_empty() && (device.to_string().starts_with(&p) || fingerprint == p)
}

async fn post_version<R: Remote>(vault: &mut Vault, remote: &R, team: &TeamRow, ms: &Memberships, next: Membership) -> Result<(), SyncError> {
    let keys = device_keys(vault.conn_ref())?;
    let doc = SignedDoc::sign(&next, keys.signing());
    // Check our own document as every device will, before sending it.
    if let Some(last) = ms.docs.last() {
        proto::verify_successor_doc(last, &doc).map_err(|e| SyncError::Refused { code: "invalid_membership".into(), message: e.to_string() })?;
    }
    remote.post_membership(team.team, &doc).await?;
    refresh_membership(vault, remote, team).await?;
    Ok(())
}

/// Approves a waiting device (admins). `who` is the start of its id or its fingerprint.
pub async fn approve<R: Remote>(vault: &mut Vault, remote: &R, who: &str, role: Role) -> Result<Uuid, SyncError> {
    let team = require_team(vault)?;
    let (ms, pending) = refresh_membership(vault, remote, &team).await?;
    require_admin(vault, &ms)?;
    let latest = ms.latest().ok_or(SyncError::NoTeam)?.clone();
    let found: Vec<&JoinRequest> = pending
        .iter()
        .filter(|p| latest.member(p.device).is_none() && matches(p.device, &crypto::fingerprint(&p.sign_pk, &p.age), who))
        .collect();
    let [p] = found.as_slice() else { return Err(SyncError::UnknownDevice(who.to_owned())) };
    if !proof_ok(vault, p)? {
        return Err(SyncError::BadProof(p.device.to_string()));
    }
    let mut next = latest.clone();
    next.version += 1;
    next.prev_hash = Some(ms.docs.last().and_then(|d| d.hash().ok()).unwrap_or_default());
    next.signer = vault.device_id().0;
    next.members.push(Member {
        device: p.device,
        sign_pk: p.sign_pk.clone(),
        age: p.age.clone(),
        role,
        added_in: next.version,
        removed_in: None,
        cutoff_dseq: None,
    });
    let device = p.device;
    post_version(vault, remote, &team, &ms, next).await?;
    // Share every stream key with the newcomer right away.
    engine::sync_once(vault, remote).await?;
    Ok(device)
}

/// Removes a member (admins): signs the removal with a cutoff (the last of
/// its ops this device has seen), then gives every stream a new key that
/// the removed device never receives.
pub async fn remove<R: Remote>(vault: &mut Vault, remote: &R, who: &str) -> Result<Uuid, SyncError> {
    let team = require_team(vault)?;
    // Catch up first, so the cutoff covers everything already sent.
    engine::sync_once(vault, remote).await?;
    let (ms, _) = refresh_membership(vault, remote, &team).await?;
    require_admin(vault, &ms)?;
    let latest = ms.latest().ok_or(SyncError::NoTeam)?.clone();
    let found: Vec<&Member> =
        latest.members.iter().filter(|m| m.active() && matches(m.device, &crypto::fingerprint(&m.sign_pk, &m.age), who)).collect();
    let [m] = found.as_slice() else { return Err(SyncError::UnknownDevice(who.to_owned())) };
    let device = m.device;
    let cutoff: i64 = vault
        .conn_ref()
        .query_row("SELECT coalesce(max(last_dseq), 0) FROM sync_chain WHERE device_id = ?1", [device.to_string()], |r| r.get(0))?;
    let mut next = latest.clone();
    next.version += 1;
    next.prev_hash = Some(ms.docs.last().and_then(|d| d.hash().ok()).unwrap_or_default());
    next.signer = vault.device_id().0;
    for x in next.members.iter_mut().filter(|x| x.device == device) {
        x.removed_in = Some(next.version);
        x.cutoff_dseq = Some(cutoff.max(0) as u64);
    }
    let version = next.version;
    post_version(vault, remote, &team, &ms, next).await?;
    rotate_all(vault, version)?;
    engine::sync_once(vault, remote).await?;
    Ok(device)
}

/// Gives every live stream this device holds a key for a new key version,
/// made for membership version `mv` (uploaded by the next round).
fn rotate_all(vault: &Vault, mv: u64) -> Result<(), SyncError> {
    let tx = vault.conn_ref().unchecked_transaction()?;
    let streams: Vec<(String, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT k.stream_id, max(k.key_version) FROM sync_key k JOIN sync_stream s ON s.stream_id = k.stream_id
             WHERE s.erased = 0 GROUP BY k.stream_id",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    for (sid, kv) in streams {
        let key = StreamKey::generate().map_err(|_| SyncError::Random)?;
        tx.execute(
            "INSERT INTO sync_key(stream_id, key_version, key, key_mv, uploaded) VALUES (?1, ?2, ?3, ?4, 0)",
            params![sid, kv + 1, key.bytes().as_slice(), mv as i64],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Erases an applicant and their whole file everywhere (admins; GDPR
/// art. 17): the server purges the stream, every device destroys its keys
/// and rows at its next sync. Without a team, erases locally only.
pub async fn erase_applicant<R: Remote>(vault: &mut Vault, remote: Option<&R>, applicant: Id) -> Result<(), SyncError> {
    vault.applicant(applicant)?;
    let stream: Option<(String, i64)> = vault
        .conn_ref()
        .query_row("SELECT stream_id, seen_seq FROM sync_stream WHERE applicant_id = ?1", [applicant.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let team = team_row(vault.conn_ref())?;
    if let (Some(team), Some((sid, _))) = (&team, &stream) {
        let remote = remote.ok_or(SyncError::Unreachable("no server".into()))?;
        let (ms, _) = refresh_membership(vault, remote, team).await?;
        require_admin(vault, &ms)?;
        let keys: DeviceKeys = device_keys(vault.conn_ref())?;
        let stream = Uuid::parse_str(sid).map_err(|_| SyncError::Vault(crate::vault::VaultError::Db("bad stream id".into())))?;
        let rec = EraseRecord { team: team.team, stream, mv: ms.latest_version(), signer: vault.device_id().0 };
        remote.erase(team.team, stream, &SignedDoc::sign(&rec, keys.signing())).await?;
    }
    let tx = vault.conn_ref().unchecked_transaction()?;
    match &stream {
        Some((sid, seen)) => {
            let stream = Uuid::parse_str(sid).map_err(|_| SyncError::Vault(crate::vault::VaultError::Db("bad stream id".into())))?;
            erase_stream_local(&tx, stream, (*seen).max(0) as u64)?;
        }
        None => {
            Vault::erase_applicant_rows(&tx, applicant)?;
        }
    }
    alert(&tx, vault.now_ms(), "erased", &format!("applicant {applicant} erased on this device"))?;
    tx.commit()?;
    Ok(())
}

/// Who can read an applicant's file (and every case in it).
#[derive(Debug, Clone, Serialize)]
pub struct Readers {
    /// The file's stream, once it has been synced; none: it has never left this device.
    pub stream: Option<Uuid>,
    pub devices: Vec<Reader>,
}

/// One device that can (or could) read a file.
#[derive(Debug, Clone, Serialize)]
pub struct Reader {
    pub device: Uuid,
    pub role: Role,
    pub fingerprint: String,
    pub this_device: bool,
    /// Removed from the team: it may keep what it had received before its
    /// removal, and cannot read anything written after (the file's key was
    /// renewed without it).
    pub removed: bool,
}

/// Who can read the file of `id` (an applicant or one of their cases):
/// every active member of the team (each gets the file's key), and the
/// removed members who could read it before their removal. Without a
/// team, or before the file's first sync, only this device.
pub fn readers(vault: &Vault, id: Id) -> Result<Readers, SyncError> {
    let conn = vault.conn_ref();
    let me = vault.device_id().0;
    let applicant: Option<String> = match vault.applicant(id) {
        Ok(_) => Some(id.to_string()),
        Err(_) => Some(vault.case(id)?.applicant_id.to_string()),
    };
    let stream: Option<String> = conn
        .query_row("SELECT stream_id FROM sync_stream WHERE applicant_id = ?1 AND erased = 0", [applicant], |r| r.get(0))
        .optional()?;
    let stream = stream.and_then(|s| Uuid::parse_str(&s).ok());
    let ms = Memberships::load(conn)?;
    let (Some(stream), Some(latest)) = (stream, ms.latest()) else {
        let role = ms.latest().and_then(|m| m.member(me)).map_or(Role::Admin, |m| m.role);
        let fingerprint = device_keys(conn).map(|k| k.fingerprint()).unwrap_or_default();
        return Ok(Readers { stream: None, devices: vec![Reader { device: me, role, fingerprint, this_device: true, removed: false }] });
    };
    // The oldest key version of the file: members removed before it was made never had it.
    let first_mv: i64 = conn
        .query_row("SELECT coalesce(min(key_mv), 0) FROM sync_key WHERE stream_id = ?1", [stream.to_string()], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let devices = latest
        .members
        .iter()
        .filter(|m| m.removed_in.is_none_or(|r| r as i64 > first_mv))
        .map(|m| Reader {
            device: m.device,
            role: m.role,
            fingerprint: crypto::fingerprint(&m.sign_pk, &m.age),
            this_device: m.device == me,
            removed: !m.active(),
        })
        .collect();
    Ok(Readers { stream: Some(stream), devices })
}
