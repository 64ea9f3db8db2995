//! The database key and how it is wrapped.
//!
//! Why a random key rather than a key derived from the passphrase? Because
//! the passphrase must be changeable, and forgettable. The 32-byte database
//! key never changes; it is stored only wrapped with age: once under the
//! volunteer's passphrase (scrypt), and once under the association's
//! recovery key (x25519) when one is given. Changing the passphrase
//! rewrites one small file; a forgotten passphrase is recovered by the
//! association, not lost with every file it protected.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::io::{Read, Write};
use zeroize::{Zeroize, Zeroizing};

/// The SQLCipher key. Not `Clone`, not `Serialize`, redacted in `Debug`,
/// zeroized on drop: it must not outlive the unlocked vault or leak into a
/// log or a panic message.
pub struct DbKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

/// Why the key could not be unwrapped.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("wrong passphrase or key")]
    WrongSecret,
    #[error("not an age file or damaged")]
    Damaged,
    #[error("the key derivation asks for too much work ({0})")]
    ExcessiveWork(u8),
    #[error("random number generator failed")]
    Random,
}

impl DbKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut()).map_err(|_| KeyError::Random)?;
        Ok(DbKey(k))
    }

    /// A second copy, for a second handle on the same vault
    /// ([`super::Vault::reopen`]); zeroized on drop like the first.
    pub(crate) fn duplicate(&self) -> Self {
        DbKey(Zeroizing::new(*self.0))
    }

    /// The `PRAGMA key` statement for SQLCipher: a raw key given in hex, so
    /// SQLCipher skips its own (here pointless) key derivation.
    pub(crate) fn pragma(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(80));
        s.push_str("PRAGMA key = \"x'");
        for b in self.0.iter() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s.push_str("'\";");
        s
    }

    /// Wraps the key under a passphrase (age scrypt). `log_n` overrides the
    /// scrypt work factor (age picks about one second of work by default).
    pub fn wrap_with_passphrase(&self, passphrase: &SecretString, log_n: Option<u8>) -> Result<Vec<u8>, KeyError> {
        let mut r = age::scrypt::Recipient::new(passphrase.clone());
        r.set_work_factor(log_n.unwrap_or(DEFAULT_LOG_N).clamp(1, MAX_LOG_N));
        self.wrap(&r)
    }

    /// Wraps the key for an age x25519 recipient (the association's recovery key).
    pub fn wrap_for(&self, recipient: &age::x25519::Recipient) -> Result<Vec<u8>, KeyError> {
        self.wrap(recipient)
    }

    fn wrap(&self, r: &dyn age::Recipient) -> Result<Vec<u8>, KeyError> {
        let enc = age::Encryptor::with_recipients(std::iter::once(r)).map_err(|_| KeyError::Damaged)?;
        let mut out = Vec::with_capacity(256);
        let mut w = enc.wrap_output(&mut out).map_err(|_| KeyError::Damaged)?;
        w.write_all(self.0.as_ref()).map_err(|_| KeyError::Damaged)?;
        w.finish().map_err(|_| KeyError::Damaged)?;
        Ok(out)
    }

    /// Unwraps a key wrapped by [`Self::wrap_with_passphrase`].
    pub fn unwrap_with_passphrase(wrapped: &[u8], passphrase: &SecretString) -> Result<Self, KeyError> {
        let mut id = age::scrypt::Identity::new(passphrase.clone());
        // A vault made on a fast machine must still open on a slow one, but
        // a hostile file must not make us work for minutes: scrypt with
        // r = 8 needs 128 * 8 * 2^log_n bytes, so 2^20 is 1 GiB at most.
        id.set_max_work_factor(MAX_LOG_N);
        Self::unwrap(wrapped, &id)
    }

    /// Unwraps a key wrapped by [`Self::wrap_for`] with the matching identity.
    pub fn unwrap_with_identity(wrapped: &[u8], identity: &age::x25519::Identity) -> Result<Self, KeyError> {
        Self::unwrap(wrapped, identity)
    }

    fn unwrap(wrapped: &[u8], identity: &dyn age::Identity) -> Result<Self, KeyError> {
        let dec = age::Decryptor::new(wrapped).map_err(|_| KeyError::Damaged)?;
        let mut r = dec.decrypt(std::iter::once(identity)).map_err(|e| match e {
            age::DecryptError::ExcessiveWork { required, .. } => KeyError::ExcessiveWork(required),
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => KeyError::WrongSecret,
            _ => KeyError::Damaged,
        })?;
        let mut buf = Zeroizing::new(Vec::with_capacity(33));
        r.read_to_end(&mut buf).map_err(|_| KeyError::Damaged)?;
        if buf.len() != 32 {
            return Err(KeyError::Damaged);
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&buf);
        buf.zeroize();
        Ok(DbKey(k))
    }
}

/// The scrypt work factor used when wrapping under a passphrase: 2^18
/// (256 MiB, about half a second on a 2020 laptop). Fixed rather than
/// measured, so that a vault made on a fast machine opens on a slow one.
pub const DEFAULT_LOG_N: u8 = 18;
/// The highest work factor accepted when unwrapping.
pub const MAX_LOG_N: u8 = 20;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The association's recovery key pair, generated once by an administrator.
/// The public half is given to every volunteer at `sesame init`; the secret
/// half is kept offline by the association.
pub struct RecoveryKey(age::x25519::Identity);

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(<redacted>)")
    }
}

impl RecoveryKey {
    pub fn generate() -> Self {
        RecoveryKey(age::x25519::Identity::generate())
    }

    /// Reads an `AGE-SECRET-KEY-1…` line.
    pub fn parse(s: &str) -> Option<Self> {
        s.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .and_then(|l| l.parse().ok())
            .map(RecoveryKey)
    }

    /// The secret, as `AGE-SECRET-KEY-1…`, to be written down and kept offline.
    pub fn secret(&self) -> SecretString {
        self.0.to_string()
    }

    /// The public recipient `age1…` given to volunteers.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }

    pub(crate) fn identity(&self) -> &age::x25519::Identity {
        &self.0
    }
}

/// Reads an `age1…` recipient, or says why not.
pub fn parse_recipient(s: &str) -> Option<age::x25519::Recipient> {
    s.trim().parse().ok()
}

/// Passphrase strength, for the feedback shown while typing. Deliberately
/// simple and explainable: length dominates, variety helps.
pub fn passphrase_strength(p: &str) -> u8 {
    let n = p.chars().count();
    let classes = [
        p.chars().any(|c| c.is_lowercase()),
        p.chars().any(|c| c.is_uppercase()),
        p.chars().any(|c| c.is_numeric()),
        p.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    match (n, classes) {
        (0..=7, _) => 0,
        (8..=11, 0..=2) => 1,
        (8..=11, _) | (12..=15, 0..=1) => 2,
        (12..=15, _) | (16..=19, _) => 3,
        _ => 4,
    }
}

/// Minimum passphrase length accepted at init and change.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

pub(crate) fn expose(p: &SecretString) -> &str {
    p.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn passphrase_wrap_round_trip_and_wrong_passphrase() {
        let k = DbKey::generate().unwrap();
        let w = k.wrap_with_passphrase(&pass("correct horse battery"), Some(10)).unwrap();
        let back = DbKey::unwrap_with_passphrase(&w, &pass("correct horse battery")).unwrap();
        assert_eq!(*k.0, *back.0);
        assert!(matches!(DbKey::unwrap_with_passphrase(&w, &pass("wrong")), Err(KeyError::WrongSecret)));
        assert!(matches!(DbKey::unwrap_with_passphrase(b"garbage", &pass("x")), Err(KeyError::Damaged)));
    }

    #[test]
    fn recovery_round_trip() {
        let k = DbKey::generate().unwrap();
        let rk = RecoveryKey::generate();
        let w = k.wrap_for(&parse_recipient(&rk.recipient()).unwrap()).unwrap();
        let again = RecoveryKey::parse(rk.secret().expose_secret()).unwrap();
        assert_eq!(*DbKey::unwrap_with_identity(&w, again.identity()).unwrap().0, *k.0);
        let other = RecoveryKey::generate();
        assert!(matches!(DbKey::unwrap_with_identity(&w, other.identity()), Err(KeyError::WrongSecret)));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let k = DbKey::generate().unwrap();
        assert_eq!(format!("{k:?}"), "DbKey(<redacted>)");
        assert_eq!(format!("{:?}", RecoveryKey::generate()), "RecoveryKey(<redacted>)");
    }

    #[test]
    fn strength_grows_with_length() {
        assert_eq!(passphrase_strength("abc"), 0);
        assert!(passphrase_strength("correct horse battery staple") >= 4);
        assert!(passphrase_strength("Tr0ub4dor&3") >= passphrase_strength("troubador"));
    }
}
