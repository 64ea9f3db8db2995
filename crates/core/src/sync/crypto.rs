//! The device's keys, the streams' data keys, and sealing an op.
//!
//! Why two key pairs per device? age (x25519) gives confidentiality — a
//! stream key wrapped for a member — but does not authenticate who wrapped
//! it; ed25519 signatures say who wrote each op and each wrapped key, so a
//! server (or anyone else) cannot slip in an op or a key of its own.
//!
//! Why one random data key per stream rather than one team key? A key per
//! applicant makes erasure real (destroy the key and every copy of their
//! file is noise: crypto-shredding), and a removal only re-keys the streams
//! the removed device could read.

use super::proto::{Envelope, OpHeader};
use crate::domain::{Entity, Id};
use crate::hlc::Hlc;
use crate::oplog::Op;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::SigningKey;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// A device's two secret keys. Not `Clone`, not `Serialize`, redacted in
/// `Debug`; the ed25519 key zeroizes itself on drop, the age identity too.
pub struct DeviceKeys {
    pub(crate) sign: SigningKey,
    pub(crate) age: age::x25519::Identity,
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKeys(<redacted>)")
    }
}

impl DeviceKeys {
    /// Fresh keys from the operating system's random generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut())?;
        Ok(DeviceKeys { sign: SigningKey::from_bytes(&seed), age: age::x25519::Identity::generate() })
    }

    /// Rebuilds keys stored in the vault.
    pub(crate) fn from_parts(sign: &[u8], age: &str) -> Option<Self> {
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(sign.try_into().ok()?);
        Some(DeviceKeys { sign: SigningKey::from_bytes(&seed), age: age.parse().ok()? })
    }

    pub(crate) fn sign_secret(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.sign.to_bytes().to_vec())
    }

    pub(crate) fn age_secret(&self) -> Zeroizing<String> {
        Zeroizing::new(self.age.to_string().expose_secret().to_owned())
    }

    pub fn signing(&self) -> &SigningKey {
        &self.sign
    }

    /// The ed25519 public key, base64 (as listed in the membership).
    pub fn sign_pk(&self) -> String {
        super::proto::b64(self.sign.verifying_key().as_bytes())
    }

    /// The age recipient (`age1…`).
    pub fn age_recipient(&self) -> String {
        self.age.to_public().to_string()
    }

    /// A short fingerprint a volunteer can read aloud to the admin who
    /// approves the device (first 8 bytes of SHA-256 of both public keys).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.sign_pk(), &self.age_recipient())
    }

    /// Unwraps a stream key wrapped for this device.
    pub(crate) fn unwrap(&self, wrapped: &[u8]) -> Option<StreamKey> {
        let plain = Zeroizing::new(age::decrypt(&self.age, wrapped).ok()?);
        let k: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(StreamKey(Zeroizing::new(k)))
    }
}

impl DeviceKeys {
    /// Unwraps a format-2 key-encryption key wrapped for this device.
    pub(crate) fn unwrap_kek(&self, wrapped: &[u8]) -> Option<WrapKey> {
        let plain = Zeroizing::new(age::decrypt(&self.age, wrapped).ok()?);
        let k: [u8; 32] = plain.strip_prefix(KEK_MAGIC)?.try_into().ok()?;
        Some(WrapKey(Zeroizing::new(k)))
    }
}

/// What the age file of a format-2 wrap starts with. It also makes the
/// plaintext 46 bytes, so a device that only knows format 1 (which expects
/// exactly the 32 bytes of a stream key) refuses it instead of taking the
/// key-encryption key for a stream key.
const KEK_MAGIC: &[u8] = b"sesame-kek-v2\0";

/// A key-encryption key: one per recipient per round (wrap format 2).
///
/// Why? Unwrapping an age file costs an x25519 exchange and a few hashes
/// (0.1–0.3 ms on a laptop core); a device that catches up on 2,000 files
/// spent most of a second on 2,000 age files. Format 2 wraps one random key
/// with age per recipient and round, and each stream key under it with
/// XChaCha20-Poly1305 (microseconds): a catch-up opens a handful of age
/// files. Each wrap stays a separate signed record on the server, so
/// "which member still needs which key" and erasure work as before. Not
/// `Clone`, redacted in `Debug`, zeroized on drop.
pub(crate) struct WrapKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for WrapKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrapKey(<redacted>)")
    }
}

impl WrapKey {
    pub(crate) fn generate() -> Option<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut()).ok()?;
        Some(WrapKey(k))
    }

    /// The age file of this key for one member's recipient.
    pub(crate) fn wrap_for(&self, recipient: &str) -> Option<Vec<u8>> {
        let r: age::x25519::Recipient = recipient.parse().ok()?;
        let plain = Zeroizing::new([KEK_MAGIC, &self.0[..]].concat());
        age::encrypt(&r, &plain).ok()
    }

    /// A stream key under this key (random nonce, `aad` = the wrap's metadata).
    pub(crate) fn seal_key(&self, key: &StreamKey, aad: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).ok()?;
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0[..]));
        let ct = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: &key.0[..], aad }).ok()?;
        Some([&nonce[..], &ct].concat())
    }

    pub(crate) fn open_key(&self, sealed: &[u8], aad: &[u8]) -> Option<StreamKey> {
        if sealed.len() != 24 + 32 + 16 {
            return None;
        }
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0[..]));
        let plain = Zeroizing::new(cipher.decrypt(XNonce::from_slice(&sealed[..24]), Payload { msg: &sealed[24..], aad }).ok()?);
        StreamKey::from_slice(&plain)
    }
}

/// The fingerprint of a device's public keys, in groups of four hex digits.
pub fn fingerprint(sign_pk: &str, age: &str) -> String {
    let h = super::proto::sha256_hex(format!("{sign_pk}\n{age}").as_bytes());
    h[..16].as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// A stream's data key. Not `Clone`-able by accident (explicit
/// [`StreamKey::duplicate`]), redacted in `Debug`, zeroized on drop.
pub struct StreamKey(pub(crate) Zeroizing<[u8; 32]>);

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey(<redacted>)")
    }
}

impl StreamKey {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut())?;
        Ok(StreamKey(k))
    }

    pub(crate) fn from_slice(b: &[u8]) -> Option<Self> {
        Some(StreamKey(Zeroizing::new(b.try_into().ok()?)))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Wraps the key with age for one member's recipient.
    pub(crate) fn wrap_for(&self, recipient: &str) -> Option<Vec<u8>> {
        let r: age::x25519::Recipient = recipient.parse().ok()?;
        age::encrypt(&r, self.0.as_ref()).ok()
    }

    /// Encrypts attachment bytes (an opaque blob for the server), its id as
    /// associated data. The nonce is derived from the key, the id and the
    /// plaintext's hash (HMAC-SHA256), not drawn at random: sealing the same
    /// attachment again after a crash gives the same bytes, so the upload
    /// is idempotent; two different plaintexts never share a nonce.
    pub fn seal_blob(&self, blob_id: uuid::Uuid, plain: &[u8]) -> Option<Vec<u8>> {
        use hmac::Mac as _;
        use sha2::Digest as _;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&self.0[..]).ok()?;
        mac.update(b"sesame-blob-nonce-v1\0");
        mac.update(blob_id.as_bytes());
        mac.update(&sha2::Sha256::digest(plain));
        let tag = mac.finalize().into_bytes();
        let nonce = &tag[..24];
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0[..]));
        let ct = cipher.encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad: blob_id.as_bytes() }).ok()?;
        Some([nonce, &ct].concat())
    }

    /// Decrypts an attachment sealed by [`StreamKey::seal_blob`].
    pub fn open_blob(&self, blob_id: uuid::Uuid, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 24 + 16 {
            return None;
        }
        let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0[..]));
        cipher.decrypt(XNonce::from_slice(&sealed[..24]), Payload { msg: &sealed[24..], aad: blob_id.as_bytes() }).ok()
    }
}

/// The encrypted part of an op: everything not already in the header.
/// Short keys: this is what one edit costs on the wire.
#[derive(Serialize, Deserialize)]
struct Body {
    e: Entity,
    i: Id,
    f: String,
    v: serde_json::Value,
    h: Hlc,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    b: Option<Hlc>,
}

/// Encrypts and signs one op. The header is the associated data: moving
/// the ciphertext to another team, stream, op id, author or key version
/// makes it fail to decrypt.
pub(crate) fn seal(op: &Op, header: OpHeader, key: &StreamKey, signer: &SigningKey) -> Option<Envelope> {
    let body = Zeroizing::new(
        serde_json::to_vec(&Body {
            e: op.entity,
            i: op.entity_id,
            f: op.field.clone(),
            v: op.value.clone(),
            h: op.hlc,
            b: op.based_on,
        })
        .ok()?,
    );
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).ok()?;
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&key.0[..]));
    let aad = header.to_bytes();
    let ct = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: &body, aad: &aad }).ok()?;
    Some(Envelope::sign(header, nonce, ct, signer))
}

/// Decrypts an envelope whose signature was already checked.
pub(crate) fn open(env: &Envelope, key: &StreamKey) -> Option<Op> {
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&key.0[..]));
    let aad = env.header.to_bytes();
    let plain = Zeroizing::new(
        cipher.decrypt(XNonce::from_slice(&env.nonce), Payload { msg: &env.ciphertext, aad: &aad }).ok()?,
    );
    let b: Body = serde_json::from_slice(&plain).ok()?;
    Some(Op {
        id: Id(env.header.op_id),
        entity: b.e,
        entity_id: b.i,
        field: b.f,
        value: b.v,
        hlc: b.h,
        device_id: Id(env.header.device),
        based_on: b.b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn seal_open_and_tamper() {
        let dev = DeviceKeys::generate().unwrap();
        let key = StreamKey::generate().unwrap();
        let op = Op {
            id: Id::new(),
            entity: Entity::Applicant,
            entity_id: Id::new(),
            field: "family_name".into(),
            value: serde_json::json!("Quatrebarbes"),
            hlc: Hlc { millis: 5, counter: 1 },
            device_id: Id(Uuid::from_u128(7)),
            based_on: None,
        };
        let h = OpHeader {
            team: Uuid::from_u128(1),
            stream: Uuid::from_u128(2),
            op_id: op.id.0,
            device: op.device_id.0,
            dseq: 1,
            prev: 0,
            key_version: 1,
        };
        let env = seal(&op, h, &key, dev.signing()).unwrap();
        let bytes = env.to_bytes();
        assert!(!bytes.windows(12).any(|w| w == b"Quatrebarbes"));
        env.verify(&dev.signing().verifying_key()).unwrap();
        assert_eq!(open(&env, &key).unwrap(), op);
        // Another stream in the header: the AEAD refuses it.
        let mut moved = env.clone();
        moved.header.stream = Uuid::from_u128(3);
        assert!(open(&moved, &key).is_none());
        let mut flipped = env.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(open(&flipped, &key).is_none());
        assert!(open(&env, &StreamKey::generate().unwrap()).is_none());
        // Wrap and unwrap for the device's age key.
        let w = key.wrap_for(&dev.age_recipient()).unwrap();
        assert_eq!(dev.unwrap(&w).unwrap().bytes(), key.bytes());
        // Format 2: the age file holds a key-encryption key, which a
        // format-1 reader refuses; the stream key opens only with its aad.
        let kek = WrapKey::generate().unwrap();
        let w2 = kek.wrap_for(&dev.age_recipient()).unwrap();
        assert!(dev.unwrap(&w2).is_none());
        assert!(dev.unwrap_kek(&w).is_none());
        let sealed = kek.seal_key(&key, b"aad").unwrap();
        let back = dev.unwrap_kek(&w2).unwrap();
        assert_eq!(back.open_key(&sealed, b"aad").unwrap().bytes(), key.bytes());
        assert!(back.open_key(&sealed, b"other").is_none());
        let again = DeviceKeys::from_parts(&dev.sign_secret(), &dev.age_secret()).unwrap();
        assert_eq!(again.fingerprint(), dev.fingerprint());
        assert_eq!(format!("{key:?}"), "StreamKey(<redacted>)");
    }
}
