//! What travels between a device and the association's server, and how
//! each piece is signed.
//!
//! This module is pure (no I/O): the client and the server (`sesame-server`)
//! share it, so both check exactly the same things. The server checks what
//! it can (signatures, membership, ordering) as defence in depth; the client
//! checks everything again, because the server is not trusted.
//!
//! ## Pieces
//!
//! - [`Membership`]: the team's member list, versioned; version 1 is signed
//!   by its creator (the first admin), every later version by an admin of
//!   the version before it, and each names the hash of its predecessor. A
//!   device pins the hash of version 1 (from its invitation code) and
//!   verifies the chain from there: the server can withhold a new version
//!   but cannot invent one.
//! - [`Envelope`]: one operation, encrypted with its stream's data key
//!   (XChaCha20-Poly1305, the clear [`OpHeader`] as associated data) and
//!   signed by its author's ed25519 key.
//! - [`WrappedKey`]: a stream's data key wrapped with age for one member,
//!   signed by the member who wrapped it.
//! - [`EraseRecord`]: an admin's signed order to erase one stream.
//! - Requests are signed too ([`request_message`]), so the server knows
//!   which member device is asking.
//!
//! Why a binary header rather than JSON? One field edit must stay well
//! under a kilobyte on the wire; the header is 85 bytes.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
/// Length of [`OpHeader`] on the wire.
pub const HEADER_LEN: usize = 1 + 16 * 4 + 8 + 8 + 4;
const NONCE_LEN: usize = 24;
const SIG_LEN: usize = 64;
/// The smallest possible envelope (empty ciphertext is impossible: the AEAD tag alone is 16 bytes).
pub const MIN_ENVELOPE_LEN: usize = HEADER_LEN + NONCE_LEN + 16 + SIG_LEN;
/// The largest envelope accepted (one op: a long note, a case's facts).
pub const MAX_ENVELOPE_LEN: usize = 256 * 1024;
/// The most ops in one push.
pub const MAX_PUSH_OPS: usize = 1000;

const DOMAIN_OP: &[u8] = b"sesame-op-v1\0";
const DOMAIN_KEY: &[u8] = b"sesame-key-v1\0";
const DOMAIN_KEY_V2: &[u8] = b"sesame-key-v2\0";
const DOMAIN_DOC: &[u8] = b"sesame-doc-v1\0";
const DOMAIN_REQ: &[u8] = b"sesame-req-v1\0";

/// Something received does not hold together. Never contains payload data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
    #[error("{0} is not signed by a current member")]
    NotAMember(&'static str),
    #[error("membership chain broken: {0}")]
    Chain(&'static str),
}

/// The clear part of an operation's envelope. Everything the server needs
/// to store, order and deduplicate it, and nothing about its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpHeader {
    pub team: Uuid,
    /// The stream (one per applicant: the applicant, their cases and everything in them).
    pub stream: Uuid,
    pub op_id: Uuid,
    /// The author.
    pub device: Uuid,
    /// The author's own counter, +1 for every op it seals, across streams.
    pub dseq: u64,
    /// The author's previous `dseq` in this stream (0 for its first): lets
    /// every reader check that none of the author's ops was dropped or
    /// reordered in the stream.
    pub prev: u64,
    /// Which version of the stream's data key encrypts the op.
    pub key_version: u32,
}

impl OpHeader {
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0] = ENVELOPE_VERSION;
        b[1..17].copy_from_slice(self.team.as_bytes());
        b[17..33].copy_from_slice(self.stream.as_bytes());
        b[33..49].copy_from_slice(self.op_id.as_bytes());
        b[49..65].copy_from_slice(self.device.as_bytes());
        b[65..73].copy_from_slice(&self.dseq.to_be_bytes());
        b[73..81].copy_from_slice(&self.prev.to_be_bytes());
        b[81..85].copy_from_slice(&self.key_version.to_be_bytes());
        b
    }

    pub fn parse(b: &[u8]) -> Result<Self, ProtoError> {
        if b.len() < HEADER_LEN || b[0] != ENVELOPE_VERSION {
            return Err(ProtoError::Malformed("op header"));
        }
        let uuid = |r: std::ops::Range<usize>| Uuid::from_slice(&b[r]).map_err(|_| ProtoError::Malformed("op header"));
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_be_bytes(a)
        };
        let mut kv = [0u8; 4];
        kv.copy_from_slice(&b[81..85]);
        let h = OpHeader {
            team: uuid(1..17)?,
            stream: uuid(17..33)?,
            op_id: uuid(33..49)?,
            device: uuid(49..65)?,
            dseq: u64_at(65),
            prev: u64_at(73),
            key_version: u32::from_be_bytes(kv),
        };
        if h.dseq == 0 || h.prev >= h.dseq {
            return Err(ProtoError::Malformed("op counters"));
        }
        Ok(h)
    }
}

/// One sealed operation: header, nonce, ciphertext, signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub header: OpHeader,
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
    pub sig: [u8; SIG_LEN],
}

impl Envelope {
    /// The bytes the author signs: a domain tag, then everything but the signature.
    fn signed_bytes(header: &[u8; HEADER_LEN], nonce: &[u8; NONCE_LEN], ct: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN_OP.len() + HEADER_LEN + NONCE_LEN + ct.len());
        m.extend_from_slice(DOMAIN_OP);
        m.extend_from_slice(header);
        m.extend_from_slice(nonce);
        m.extend_from_slice(ct);
        m
    }

    /// Builds and signs an envelope around an already encrypted payload.
    pub fn sign(header: OpHeader, nonce: [u8; NONCE_LEN], ciphertext: Vec<u8>, key: &SigningKey) -> Self {
        let sig = key.sign(&Self::signed_bytes(&header.to_bytes(), &nonce, &ciphertext)).to_bytes();
        Envelope { header, nonce, ciphertext, sig }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN + NONCE_LEN + self.ciphertext.len() + SIG_LEN);
        b.extend_from_slice(&self.header.to_bytes());
        b.extend_from_slice(&self.nonce);
        b.extend_from_slice(&self.ciphertext);
        b.extend_from_slice(&self.sig);
        b
    }

    /// Splits the bytes; checks lengths and the header, not the signature.
    pub fn parse(b: &[u8]) -> Result<Self, ProtoError> {
        if b.len() < MIN_ENVELOPE_LEN || b.len() > MAX_ENVELOPE_LEN {
            return Err(ProtoError::Malformed("envelope length"));
        }
        let header = OpHeader::parse(&b[..HEADER_LEN])?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&b[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
        let ct_end = b.len() - SIG_LEN;
        let mut sig = [0u8; SIG_LEN];
        sig.copy_from_slice(&b[ct_end..]);
        Ok(Envelope { header, nonce, ciphertext: b[HEADER_LEN + NONCE_LEN..ct_end].to_vec(), sig })
    }

    /// Checks the author's signature with their public key.
    pub fn verify(&self, author: &VerifyingKey) -> Result<(), ProtoError> {
        let m = Self::signed_bytes(&self.header.to_bytes(), &self.nonce, &self.ciphertext);
        author
            .verify_strict(&m, &Signature::from_bytes(&self.sig))
            .map_err(|_| ProtoError::BadSignature("operation"))
    }
}

/// A member's role in the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Approves and removes devices, erases files.
    Admin,
    Member,
}

/// One device in the membership list. No names: a device is its id and keys
/// (volunteers' names are personal data too, and the server reads this list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub device: Uuid,
    /// ed25519 public key, base64.
    pub sign_pk: String,
    /// age x25519 recipient (`age1…`): stream keys are wrapped for it.
    pub age: String,
    pub role: Role,
    /// The membership version that added it.
    pub added_in: u64,
    /// Set when removed: the version that removed it.
    pub removed_in: Option<u64>,
    /// When removed: the last of its ops (by its own counter) that the
    /// removing admin had seen and that stays valid; later ones are refused.
    pub cutoff_dseq: Option<u64>,
}

impl Member {
    pub fn verifying_key(&self) -> Result<VerifyingKey, ProtoError> {
        let b = STANDARD.decode(&self.sign_pk).map_err(|_| ProtoError::Malformed("member key"))?;
        let a: [u8; 32] = b.try_into().map_err(|_| ProtoError::Malformed("member key"))?;
        VerifyingKey::from_bytes(&a).map_err(|_| ProtoError::Malformed("member key"))
    }

    pub fn active(&self) -> bool {
        self.removed_in.is_none()
    }
}

/// The team's member list, one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub team: Uuid,
    pub version: u64,
    /// Hex SHA-256 of the previous version's body (none for version 1).
    pub prev_hash: Option<String>,
    /// The admin device that signed this version.
    pub signer: Uuid,
    pub members: Vec<Member>,
}

impl Membership {
    pub fn member(&self, device: Uuid) -> Option<&Member> {
        self.members.iter().find(|m| m.device == device)
    }

    pub fn active_member(&self, device: Uuid) -> Option<&Member> {
        self.member(device).filter(|m| m.active())
    }

    pub fn is_admin(&self, device: Uuid) -> bool {
        self.active_member(device).is_some_and(|m| m.role == Role::Admin)
    }

    /// The latest version that removed someone (0: nobody was ever removed).
    pub fn last_removal(&self) -> u64 {
        self.members.iter().filter_map(|m| m.removed_in).max().unwrap_or(0)
    }

    /// Whether an op by `device` with counter `dseq` is acceptable under
    /// this membership: an active member's, or a removed member's up to its cutoff.
    pub fn accepts_op(&self, device: Uuid, dseq: u64) -> Option<&Member> {
        let m = self.member(device)?;
        match m.cutoff_dseq {
            Some(cut) if m.removed_in.is_some() && dseq > cut => None,
            _ => Some(m),
        }
    }
}

/// A signed document (membership version or erase record): the exact body
/// bytes, base64, and the signature over them. Signing bytes rather than a
/// re-serialised value avoids any canonicalisation question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDoc {
    pub body: String,
    pub sig: String,
}

impl SignedDoc {
    pub fn sign<T: Serialize>(value: &T, key: &SigningKey) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        let sig = key.sign(&doc_message(&body));
        SignedDoc { body: STANDARD.encode(&body), sig: STANDARD.encode(sig.to_bytes()) }
    }

    pub fn body_bytes(&self) -> Result<Vec<u8>, ProtoError> {
        STANDARD.decode(&self.body).map_err(|_| ProtoError::Malformed("signed document"))
    }

    /// Hex SHA-256 of the body bytes.
    pub fn hash(&self) -> Result<String, ProtoError> {
        Ok(hex(&Sha256::digest(self.body_bytes()?)))
    }

    pub fn decode<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ProtoError> {
        serde_json::from_slice(&self.body_bytes()?).map_err(|_| ProtoError::Malformed("signed document"))
    }

    pub fn verify(&self, key: &VerifyingKey, what: &'static str) -> Result<(), ProtoError> {
        let sig = decode_sig(&self.sig).ok_or(ProtoError::Malformed(what))?;
        key.verify_strict(&doc_message(&self.body_bytes()?), &sig).map_err(|_| ProtoError::BadSignature(what))
    }
}

fn doc_message(body: &[u8]) -> Vec<u8> {
    [DOMAIN_DOC, body].concat()
}

fn decode_sig(s: &str) -> Option<Signature> {
    let b = STANDARD.decode(s).ok()?;
    let a: [u8; 64] = b.try_into().ok()?;
    Some(Signature::from_bytes(&a))
}

/// Verifies membership versions `docs` (in order) on top of `known` (the
/// latest verified version, or none to start from version 1, whose hash
/// must then be `genesis_hash`). Returns the newly verified versions.
pub fn verify_membership_chain(
    genesis_hash: &str,
    known: Option<&SignedDoc>,
    docs: &[SignedDoc],
) -> Result<Vec<Membership>, ProtoError> {
    let mut out = Vec::with_capacity(docs.len());
    let mut last = known;
    for doc in docs {
        let m = match last {
            None => {
                if doc.hash()? != genesis_hash {
                    return Err(ProtoError::Chain("version 1 is not the team this device was invited to"));
                }
                verify_genesis_doc(doc)?
            }
            Some(prev) => verify_successor_doc(prev, doc)?,
        };
        out.push(m);
        last = Some(doc);
    }
    Ok(out)
}

/// Checks that `next` may follow `last`: same team, next version, every
/// member still listed with the same keys, removals never undone.
fn check_successor(last: &Membership, next: &Membership) -> Result<(), ProtoError> {
    if next.team != last.team {
        return Err(ProtoError::Chain("another team"));
    }
    if next.version != last.version + 1 {
        return Err(ProtoError::Chain("versions must follow one another"));
    }
    for old in &last.members {
        let Some(new) = next.member(old.device) else {
            return Err(ProtoError::Chain("a member disappeared"));
        };
        if new.sign_pk != old.sign_pk || new.age != old.age || new.added_in != old.added_in {
            return Err(ProtoError::Chain("a member's keys changed"));
        }
        if old.removed_in.is_some() && (new.removed_in != old.removed_in || new.cutoff_dseq != old.cutoff_dseq) {
            return Err(ProtoError::Chain("a removal was undone"));
        }
    }
    for new in &next.members {
        match last.member(new.device) {
            None if new.added_in != next.version || new.removed_in.is_some() => {
                return Err(ProtoError::Chain("a new member must be added by this version"));
            }
            Some(old) if old.removed_in.is_none() && new.removed_in.is_some_and(|r| r != next.version) => {
                return Err(ProtoError::Chain("a removal must be made by this version"));
            }
            _ => {}
        }
    }
    let mut ids: Vec<Uuid> = next.members.iter().map(|m| m.device).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != next.members.len() {
        return Err(ProtoError::Chain("a device is listed twice"));
    }
    if !next.members.iter().any(|m| m.active() && m.role == Role::Admin) {
        return Err(ProtoError::Chain("a team needs at least one admin"));
    }
    Ok(())
}

/// Verifies one new version against the stored previous one (body and all).
pub fn verify_successor_doc(last_doc: &SignedDoc, next_doc: &SignedDoc) -> Result<Membership, ProtoError> {
    let last: Membership = last_doc.decode()?;
    let next: Membership = next_doc.decode()?;
    check_successor(&last, &next)?;
    if next.prev_hash.as_deref() != Some(last_doc.hash()?.as_str()) {
        return Err(ProtoError::Chain("a version does not follow the previous one"));
    }
    let signer = last.active_member(next.signer).filter(|s| s.role == Role::Admin);
    let signer = signer.ok_or(ProtoError::NotAMember("membership"))?;
    next_doc.verify(&signer.verifying_key()?, "membership")?;
    Ok(next)
}

/// Verifies a team's first membership version on its own (for the server,
/// which has no pinned hash: it only checks the creator signed it).
pub fn verify_genesis_doc(doc: &SignedDoc) -> Result<Membership, ProtoError> {
    let m: Membership = doc.decode()?;
    if m.version != 1 || m.prev_hash.is_some() {
        return Err(ProtoError::Chain("the first version must be version 1"));
    }
    if m.members.len() != 1 || m.members[0].device != m.signer || m.members[0].role != Role::Admin {
        return Err(ProtoError::Chain("version 1 lists its creator alone, as admin"));
    }
    let signer = &m.members[0];
    if signer.added_in != 1 || signer.removed_in.is_some() {
        return Err(ProtoError::Chain("version 1 lists its creator alone, as admin"));
    }
    doc.verify(&signer.verifying_key()?, "membership")?;
    Ok(m)
}

/// A stream's data key wrapped with age for one member, signed by the
/// member who wrapped it (so the server cannot hand out a key of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    pub stream: Uuid,
    pub key_version: u32,
    pub recipient: Uuid,
    /// The membership version the key was made for: a key made before a
    /// removal is never used to seal after it.
    pub key_mv: u64,
    /// The membership version the wrap was signed under (the signer was an
    /// active member in it).
    pub mv: u64,
    pub signer: Uuid,
    /// The age file, base64. Format 1 (no `sealed`): the stream key itself.
    /// Format 2 (`sealed` present): the round's key-encryption key for this
    /// recipient, shared by every wrap made for them in that round.
    pub wrapped: String,
    /// Format 2 only: the stream key under the key-encryption key
    /// (XChaCha20-Poly1305: 24-byte nonce, ciphertext), base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    pub sig: String,
}

/// What both wrap formats sign besides the key material itself.
struct WrapHead {
    team: Uuid,
    stream: Uuid,
    key_version: u32,
    recipient: Uuid,
    key_mv: u64,
    mv: u64,
    signer: Uuid,
}

impl WrapHead {
    /// Signs the wrap (format 2 when `sealed` is given) and builds it.
    fn signed(self, wrapped: &[u8], wrapped_b64: String, sealed: Option<&[u8]>, key: &SigningKey) -> WrappedKey {
        let WrapHead { team, stream, key_version, recipient, key_mv, mv, signer } = self;
        let sig = key.sign(&WrappedKey::message(team, stream, key_version, recipient, key_mv, mv, signer, wrapped, sealed));
        WrappedKey {
            stream,
            key_version,
            recipient,
            key_mv,
            mv,
            signer,
            wrapped: wrapped_b64,
            sealed: sealed.map(|s| STANDARD.encode(s)),
            sig: STANDARD.encode(sig.to_bytes()),
        }
    }
}

impl WrappedKey {
    #[allow(clippy::too_many_arguments)]
    fn message(team: Uuid, stream: Uuid, kv: u32, recipient: Uuid, key_mv: u64, mv: u64, signer: Uuid, wrapped: &[u8], sealed: Option<&[u8]>) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN_KEY_V2.len() + 16 * 4 + 12 + wrapped.len() + sealed.map_or(0, |s| s.len() + 8));
        // Format 2 is signed under its own domain: a format-2 wrap can never
        // pass for a format-1 one (whose age file would hold the stream key).
        m.extend_from_slice(if sealed.is_some() { DOMAIN_KEY_V2 } else { DOMAIN_KEY });
        m.extend_from_slice(team.as_bytes());
        m.extend_from_slice(stream.as_bytes());
        m.extend_from_slice(&kv.to_be_bytes());
        m.extend_from_slice(recipient.as_bytes());
        m.extend_from_slice(&key_mv.to_be_bytes());
        m.extend_from_slice(&mv.to_be_bytes());
        m.extend_from_slice(signer.as_bytes());
        if let Some(sealed) = sealed {
            m.extend_from_slice(&(wrapped.len() as u64).to_be_bytes());
            m.extend_from_slice(wrapped);
            m.extend_from_slice(sealed);
        } else {
            m.extend_from_slice(wrapped);
        }
        m
    }

    /// A format-1 wrap: the age file holds the stream key.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(team: Uuid, stream: Uuid, key_version: u32, recipient: Uuid, key_mv: u64, mv: u64, signer: Uuid, wrapped: &[u8], key: &SigningKey) -> Self {
        let head = WrapHead { team, stream, key_version, recipient, key_mv, mv, signer };
        head.signed(wrapped, STANDARD.encode(wrapped), None, key)
    }

    /// A format-2 wrap: `wrapped` is the age file of the round's
    /// key-encryption key, `sealed` the stream key under it.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_sealed(
        team: Uuid,
        stream: Uuid,
        key_version: u32,
        recipient: Uuid,
        key_mv: u64,
        mv: u64,
        signer: Uuid,
        wrapped_b64: &str,
        sealed: &[u8],
        key: &SigningKey,
    ) -> Result<Self, ProtoError> {
        let wrapped = STANDARD.decode(wrapped_b64).map_err(|_| ProtoError::Malformed("wrapped key"))?;
        let head = WrapHead { team, stream, key_version, recipient, key_mv, mv, signer };
        Ok(head.signed(&wrapped, wrapped_b64.to_owned(), Some(sealed), key))
    }

    pub fn wrapped_bytes(&self) -> Result<Vec<u8>, ProtoError> {
        STANDARD.decode(&self.wrapped).map_err(|_| ProtoError::Malformed("wrapped key"))
    }

    /// Format 2's sealed stream key, if this is a format-2 wrap.
    pub fn sealed_bytes(&self) -> Result<Option<Vec<u8>>, ProtoError> {
        self.sealed.as_deref().map(|s| STANDARD.decode(s).map_err(|_| ProtoError::Malformed("wrapped key"))).transpose()
    }

    /// The associated data of format 2's sealed stream key: the wrap's
    /// metadata, so a sealed key cannot be moved to another stream, version
    /// or recipient.
    pub fn sealed_aad(&self, team: Uuid) -> Vec<u8> {
        Self::sealed_aad_for(team, self.stream, self.key_version, self.recipient, self.key_mv)
    }

    pub fn sealed_aad_for(team: Uuid, stream: Uuid, kv: u32, recipient: Uuid, key_mv: u64) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN_KEY_V2.len() + 16 * 3 + 12);
        m.extend_from_slice(DOMAIN_KEY_V2);
        m.extend_from_slice(team.as_bytes());
        m.extend_from_slice(stream.as_bytes());
        m.extend_from_slice(&kv.to_be_bytes());
        m.extend_from_slice(recipient.as_bytes());
        m.extend_from_slice(&key_mv.to_be_bytes());
        m
    }

    pub fn verify(&self, team: Uuid, signer: &VerifyingKey) -> Result<(), ProtoError> {
        let sig = decode_sig(&self.sig).ok_or(ProtoError::Malformed("wrapped key"))?;
        let sealed = self.sealed_bytes()?;
        let m = Self::message(team, self.stream, self.key_version, self.recipient, self.key_mv, self.mv, self.signer, &self.wrapped_bytes()?, sealed.as_deref());
        signer.verify_strict(&m, &sig).map_err(|_| ProtoError::BadSignature("wrapped key"))
    }
}

/// An admin's order to erase a stream (crypto-shredding: every device
/// destroys the stream's keys and ops, the server purges its ops).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EraseRecord {
    pub team: Uuid,
    pub stream: Uuid,
    /// The membership version the admin signed under.
    pub mv: u64,
    pub signer: Uuid,
}

/// The largest catalog bundle a server stores and a device accepts (the
/// shipped catalog is about 430 KB of TOML).
pub const MAX_CATALOG_BUNDLE: usize = 4 * 1024 * 1024;

/// An admin's signed release of a catalog edition (a [`SignedDoc`] body).
/// The bundle itself travels beside it; its SHA-256 binds the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRelease {
    /// Always `"catalog"`: a release can never be read as another signed document.
    pub kind: String,
    pub team: Uuid,
    /// The edition, as in the bundle's `catalog.toml`.
    pub version: String,
    /// `YYYY-MM-DD`, as in the bundle's `catalog.toml`.
    pub published: String,
    /// Hex SHA-256 of the bundle bytes.
    pub sha256: String,
    pub size: u64,
    /// The membership version the admin signed under.
    pub mv: u64,
    pub signer: Uuid,
}

pub const CATALOG_RELEASE_KIND: &str = "catalog";

impl CatalogRelease {
    /// Orders two editions: by publication date, then by version
    /// (dot-separated, numeric parts compared as numbers).
    pub fn edition_cmp(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
        a.0.cmp(b.0).then_with(|| version_cmp(a.1, b.1))
    }

    /// Whether this release is a newer edition than `(published, version)`.
    pub fn is_newer_than(&self, published: &str, version: &str) -> bool {
        Self::edition_cmp((&self.published, &self.version), (published, version)) == std::cmp::Ordering::Greater
    }
}

/// Compares `2026.11.2` and `2026.11.10` as versions, not as strings.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    _ => p.cmp(q),
                };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// The message a device signs to authenticate one HTTP request.
pub fn request_message(method: &str, path_and_query: &str, time_ms: u64, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(128);
    m.extend_from_slice(DOMAIN_REQ);
    m.extend_from_slice(method.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(path_and_query.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(time_ms.to_string().as_bytes());
    m.push(b'\n');
    m.extend_from_slice(&Sha256::digest(body));
    m
}

/// The `authorization` header value for a request.
pub fn authorization(device: Uuid, key: &SigningKey, method: &str, path_and_query: &str, time_ms: u64, body: &[u8]) -> String {
    let sig = key.sign(&request_message(method, path_and_query, time_ms, body));
    format!("Sesame device={device},time={time_ms},sig={}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Parses an `authorization` header: (device, time, signature).
pub fn parse_authorization(h: &str) -> Option<(Uuid, u64, Signature)> {
    let rest = h.strip_prefix("Sesame ")?;
    let (mut device, mut time, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "device" => device = Uuid::parse_str(v).ok(),
            "time" => time = v.parse().ok(),
            "sig" => {
                let b = URL_SAFE_NO_PAD.decode(v).ok()?;
                let a: [u8; 64] = b.try_into().ok()?;
                sig = Some(Signature::from_bytes(&a));
            }
            _ => return None,
        }
    }
    Some((device?, time?, sig?))
}

/// Verifies a request signature.
pub fn verify_request(key: &VerifyingKey, sig: &Signature, method: &str, path_and_query: &str, time_ms: u64, body: &[u8]) -> bool {
    key.verify_strict(&request_message(method, path_and_query, time_ms, body), sig).is_ok()
}

/// SHA-256, hex.
pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

pub fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(H[usize::from(x >> 4)]));
        s.push(char::from(H[usize::from(x & 0xf)]));
    }
    s
}

pub fn b64(b: &[u8]) -> String {
    STANDARD.encode(b)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s).ok()
}

// ---- HTTP bodies (JSON) ----

/// `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub ok: bool,
    pub version: String,
    /// The server's clock, so a device can sign requests in server time
    /// and notice when its own clock is far off.
    pub time_ms: u64,
    /// What this server accepts beyond the first protocol (absent from
    /// older servers: then empty). See [`FEATURE_KEY_WRAPS_V2`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// The server accepts format-2 wrapped keys ([`WrappedKey::sealed`]). A
/// device writes format 2 only to a server that says so (an older server
/// would refuse the wraps); it reads both formats from any server.
pub const FEATURE_KEY_WRAPS_V2: &str = "key-wraps-v2";

/// `POST /v1/teams`: a new team and its first membership version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateTeam {
    pub team: Uuid,
    pub genesis: SignedDoc,
}

/// `POST /v1/teams/{team}/invites` (admin): registers a one-time invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateInvite {
    pub invite: Uuid,
    /// Hex SHA-256 of the token the new device will present.
    pub token_hash: String,
    pub expires_ms: u64,
}

/// `POST /v1/teams/{team}/join`: a new device asks to join (signed with its own key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub invite: Uuid,
    /// The server half of the invitation, base64.
    pub token: String,
    pub device: Uuid,
    pub sign_pk: String,
    pub age: String,
    /// HMAC-SHA256 under the invitation's secret half (which never reaches
    /// the server) of the device id and keys, base64: proves to the admin
    /// that this request comes from whoever holds the code, not from the server.
    pub proof: String,
}

/// `GET /v1/teams/{team}/membership?since=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MembershipDocs {
    pub docs: Vec<SignedDoc>,
    /// Pending join requests (for admins; empty for others).
    pub pending: Vec<JoinRequest>,
}

/// `POST /v1/teams/{team}/ops`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Push {
    /// Envelopes, base64.
    pub ops: Vec<String>,
}

/// What happened to one pushed op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushOutcome {
    Stored { seq: u64 },
    /// Already stored (a retried batch): the same seq as the first time.
    Duplicate { seq: u64 },
    Rejected { reason: RejectReason },
}

/// Why the server refused one op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Not parseable, or not this team's.
    Malformed,
    /// The signature does not match the author's key.
    BadSignature,
    /// Pushed by another device than its author.
    NotAuthor,
    /// The stream was erased.
    Erased,
    /// The author's previous op in this stream is not stored yet: push it first.
    OutOfOrder,
    /// The same op id with different bytes.
    IdReused,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResult {
    pub outcomes: Vec<PushOutcome>,
}

/// One op as pulled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PulledOp {
    pub stream: Uuid,
    /// Position in its stream: 1, 2, 3… with no gap.
    pub seq: u64,
    /// Position in the team: the pull cursor.
    pub gseq: u64,
    pub blob: String,
}

/// A stream's head, as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamHead {
    pub stream: Uuid,
    pub seq: u64,
    /// The signed erase order, when the stream was erased.
    pub erased: Option<SignedDoc>,
}

/// `GET /v1/teams/{team}/ops?since=GSEQ&limit=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullPage {
    pub ops: Vec<PulledOp>,
    /// More ops after these: pull again.
    pub more: bool,
    /// Every stream's head, on the last page only (same snapshot as the ops).
    pub heads: Option<Vec<StreamHead>>,
}

/// `GET /v1/teams/{team}/keys`: the wrapped keys for the asking device, and
/// which members still need a wrap of a stream's latest key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Keys {
    pub keys: Vec<WrappedKey>,
    pub needed: Vec<KeyNeed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyNeed {
    pub stream: Uuid,
    pub key_version: u32,
    pub recipient: Uuid,
}

/// `POST /v1/teams/{team}/keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutKeys {
    pub keys: Vec<WrappedKey>,
}

/// `GET /v1/teams/{team}/catalog`: the latest release, if an admin published one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatalogInfo {
    pub release: Option<SignedDoc>,
}

/// `PUT /v1/teams/{team}/catalog` (admin): a release and its bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishCatalog {
    pub release: SignedDoc,
    /// The bundle, base64.
    pub bundle: String,
}

/// An error body: a stable code and a sentence in French then English.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    #[test]
    fn header_round_trip_and_refusals() {
        let h = OpHeader {
            team: Uuid::from_u128(1),
            stream: Uuid::from_u128(2),
            op_id: Uuid::from_u128(3),
            device: Uuid::from_u128(4),
            dseq: 9,
            prev: 4,
            key_version: 2,
        };
        assert_eq!(OpHeader::parse(&h.to_bytes()).unwrap(), h);
        let mut bad = h.to_bytes();
        bad[0] = 2;
        assert!(OpHeader::parse(&bad).is_err());
        assert!(OpHeader::parse(&OpHeader { prev: 9, ..h }.to_bytes()).is_err());
        let env = Envelope::sign(h, [7; 24], vec![1; 40], &key(1));
        let back = Envelope::parse(&env.to_bytes()).unwrap();
        assert_eq!(back, env);
        back.verify(&key(1).verifying_key()).unwrap();
        assert!(back.verify(&key(2).verifying_key()).is_err());
        let mut t = env.to_bytes();
        t[HEADER_LEN + 30] ^= 1;
        assert!(Envelope::parse(&t).unwrap().verify(&key(1).verifying_key()).is_err());
        assert!(Envelope::parse(&t[..50]).is_err());
    }

    fn member(n: u8, role: Role, added: u64) -> Member {
        Member {
            device: Uuid::from_u128(u128::from(n)),
            sign_pk: b64(key(n).verifying_key().as_bytes()),
            age: format!("age1fake{n}"),
            role,
            added_in: added,
            removed_in: None,
            cutoff_dseq: None,
        }
    }

    #[test]
    fn membership_chain() {
        let team = Uuid::from_u128(99);
        let v1 = Membership { team, version: 1, prev_hash: None, signer: Uuid::from_u128(1), members: vec![member(1, Role::Admin, 1)] };
        let d1 = SignedDoc::sign(&v1, &key(1));
        let g = d1.hash().unwrap();
        verify_genesis_doc(&d1).unwrap();
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.prev_hash = Some(g.clone());
        v2.members.push(member(2, Role::Member, 2));
        let d2 = SignedDoc::sign(&v2, &key(1));
        let all = verify_membership_chain(&g, None, &[d1.clone(), d2.clone()]).unwrap();
        assert_eq!(verify_membership_chain(&g, Some(&d1), &[d2.clone()]).unwrap().len(), 1);
        assert_eq!(all.len(), 2);
        verify_successor_doc(&d1, &d2).unwrap();
        // Signed by a non-admin: refused.
        let forged = SignedDoc::sign(&Membership { signer: Uuid::from_u128(2), ..v2.clone() }, &key(2));
        assert!(verify_membership_chain(&g, None, &[d1.clone(), forged]).is_err());
        // Another genesis: refused.
        assert!(verify_membership_chain("00", None, &[d1.clone()]).is_err());
        // Removing member 2, then un-removing it: refused.
        let mut v3 = v2.clone();
        v3.version = 3;
        v3.prev_hash = Some(d2.hash().unwrap());
        v3.members[1].removed_in = Some(3);
        v3.members[1].cutoff_dseq = Some(5);
        let d3 = SignedDoc::sign(&v3, &key(1));
        let m3 = verify_successor_doc(&d2, &d3).unwrap();
        assert!(m3.accepts_op(Uuid::from_u128(2), 5).is_some());
        assert!(m3.accepts_op(Uuid::from_u128(2), 6).is_none());
        let mut v4 = v3.clone();
        v4.version = 4;
        v4.prev_hash = Some(d3.hash().unwrap());
        v4.members[1].removed_in = None;
        assert!(verify_successor_doc(&d3, &SignedDoc::sign(&v4, &key(1))).is_err());
    }

    #[test]
    fn catalog_editions_order_by_date_then_version() {
        use std::cmp::Ordering::*;
        assert_eq!(version_cmp("2026.11.2", "2026.11.10"), Less);
        assert_eq!(version_cmp("2026.11", "2026.11.1"), Less);
        assert_eq!(version_cmp("2026.11.1", "2026.11.1"), Equal);
        assert_eq!(CatalogRelease::edition_cmp(("2026-12-01", "1"), ("2026-11-30", "9")), Greater);
        assert_eq!(CatalogRelease::edition_cmp(("2026-12-01", "2026.12.1"), ("2026-12-01", "2026.12.2")), Less);
    }

    #[test]
    fn request_signature() {
        let k = key(3);
        let d = Uuid::from_u128(3);
        let h = authorization(d, &k, "POST", "/v1/teams/x/ops", 1000, b"{}");
        let (dev, t, sig) = parse_authorization(&h).unwrap();
        assert_eq!((dev, t), (d, 1000));
        assert!(verify_request(&k.verifying_key(), &sig, "POST", "/v1/teams/x/ops", 1000, b"{}"));
        assert!(!verify_request(&k.verifying_key(), &sig, "POST", "/v1/teams/x/ops", 1000, b"{ }"));
        assert!(!verify_request(&k.verifying_key(), &sig, "GET", "/v1/teams/x/ops", 1000, b"{}"));
    }
}
