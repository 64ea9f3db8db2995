//! The encrypted vault: one folder on the volunteer's laptop.
//!
//! ```text
//! DIR/vault.json            format marker and version; no personal data
//! DIR/key.passphrase.age    the database key, wrapped under the passphrase (age scrypt)
//! DIR/key.recovery.age      the same key, wrapped for the association's recovery key (optional)
//! DIR/vault.db (-wal, -shm) the SQLCipher database: every record, the op log, the search index
//! ```
//!
//! The whole database is encrypted by SQLCipher, indexes and full-text
//! search included. Unlocking reads and decrypts the small key file first:
//! a wrong passphrase fails there, before the database is opened, so not
//! one byte of the vault changes. Key files are replaced atomically
//! (write, fsync, rename), so a crash while changing the passphrase leaves
//! either the old or the new one, never neither.

pub mod attachments;
mod error;
pub mod keys;
mod records;
mod schema;
mod search;
mod settings;
mod sync_store;

pub use error::VaultError;
pub use keys::{DbKey, RecoveryKey, passphrase_strength, MIN_PASSPHRASE_CHARS};
pub use records::{ApplicantBrief, DocumentBrief, Export};
pub use schema::CURRENT as SCHEMA_VERSION;
pub use search::SearchHit;
pub use settings::Settings;
pub use sync_store::{Conflict, ConflictValue};
pub(crate) use sync_store::{apply_remote as sync_apply, read_op as sync_read_op};

use crate::clock::Clock;
use crate::domain::{Id, ParseContext};
use crate::hlc::{DEFAULT_MAX_DRIFT_MS, Hlc, HlcClock};
use keys::KeyError;
use rusqlite::{Connection, OpenFlags};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MARKER: &str = "vault.json";
const KEY_PASSPHRASE: &str = "key.passphrase.age";
const KEY_RECOVERY: &str = "key.recovery.age";
const DB: &str = "vault.db";

/// What the vault needs from the catalog: which ids exist.
pub trait KnownIds: Send + Sync + std::fmt::Debug {
    fn has_procedure(&self, id: &str) -> bool;
    fn has_document(&self, id: &str) -> bool;
}

/// Ids given as two lists: for tests, and for tools without a catalog.
#[derive(Debug, Default, Clone)]
pub struct ListedIds {
    pub procedures: Vec<String>,
    pub documents: Vec<String>,
}

impl KnownIds for ListedIds {
    fn has_procedure(&self, id: &str) -> bool {
        self.procedures.iter().any(|p| p == id)
    }
    fn has_document(&self, id: &str) -> bool {
        self.documents.iter().any(|d| d == id)
    }
}

/// How to open or create a vault.
#[derive(Debug, Clone)]
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub known: Arc<dyn KnownIds>,
    /// scrypt work factor for a new passphrase wrap (`None`: the default,
    /// [`keys::DEFAULT_LOG_N`]). Tests lower it to run fast.
    pub kdf_log_n: Option<u8>,
    /// How far ahead a remote clock may be before its ops are refused.
    pub max_drift_ms: u64,
}

impl Options {
    pub fn new(clock: Arc<dyn Clock>, known: Arc<dyn KnownIds>) -> Self {
        Self { clock, known, kdf_log_n: None, max_drift_ms: DEFAULT_MAX_DRIFT_MS }
    }
}

/// The plaintext marker file. It says what the folder is, nothing about whom.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
}

const FORMAT: &str = "sesame-vault";

/// An unlocked vault. Dropping it (or [`Vault::lock`]) closes the database;
/// SQLCipher wipes its copy of the key when the connection closes.
#[derive(Debug)]
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    device_id: Id,
    /// Shared with the handles [`Vault::reopen`] makes, so that every op
    /// this device writes, whichever handle writes it, is stamped after
    /// every op any of them has seen.
    hlc: Arc<HlcClock<Arc<dyn Clock>>>,
    opts: Options,
    /// The database key, kept only so that [`Vault::reopen`] can open a
    /// second connection without asking the passphrase again (SQLCipher
    /// holds it in memory for the connection anyway). Shared by the
    /// handles, zeroized when the last one is dropped (locked). `None`:
    /// the benchmarks' unencrypted database.
    key: Option<Arc<DbKey>>,
    /// How long the passphrase's key derivation took when this handle was
    /// unlocked (zero otherwise): the desktop's benchmark reports it apart.
    kdf_time: std::time::Duration,
}

impl Vault {
    /// Creates a vault in `dir` (which must be empty or absent).
    ///
    /// `recovery` is the association's `age1…` recipient, if it has one.
    pub fn init(
        dir: &Path,
        passphrase: &SecretString,
        recovery: Option<&str>,
        opts: Options,
    ) -> Result<Vault, VaultError> {
        check_passphrase(passphrase)?;
        let recipient = match recovery {
            Some(r) => Some(keys::parse_recipient(r).ok_or_else(|| {
                VaultError::Invalid(vec![crate::domain::FieldError::new(
                    "recovery_recipient",
                    crate::domain::FieldProblem::Other {
                        fr: "la clé de secours doit être une clé publique age qui commence par « age1 ».".into(),
                        en: "the recovery key must be an age public key starting with \"age1\".".into(),
                    },
                )])
            })?),
            None => None,
        };
        if dir.join(MARKER).exists() {
            return Err(VaultError::AlreadyExists(dir.to_owned()));
        }
        if dir.exists() {
            let mut entries = fs::read_dir(dir).map_err(VaultError::io(dir))?;
            if entries.next().is_some() {
                return Err(VaultError::FolderNotEmpty(dir.to_owned()));
            }
        }
        fs::create_dir_all(dir).map_err(VaultError::io(dir))?;
        restrict_permissions(dir);

        let created = (|| {
            let key = DbKey::generate().map_err(|_| VaultError::Random)?;
            let wrapped = key.wrap_with_passphrase(passphrase, opts.kdf_log_n).map_err(|_| VaultError::Random)?;
            write_atomic(&dir.join(KEY_PASSPHRASE), &wrapped)?;
            if let Some(r) = &recipient {
                let w = key.wrap_for(r).map_err(|_| VaultError::Random)?;
                write_atomic(&dir.join(KEY_RECOVERY), &w)?;
            }
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let mut conn = Connection::open_with_flags(dir.join(DB), flags)?;
            prepare(&mut conn, Some(&key), &dir.join(DB))?;
            let device_id = Id::new();
            conn.execute("INSERT INTO meta(key, value) VALUES ('device_id', ?1)", [device_id.to_string()])?;
            let marker = serde_json::to_vec_pretty(&Marker { format: FORMAT.into(), version: 1 })
                .map_err(|_| VaultError::Random)?;
            // The marker is written last: a folder without it is an unfinished init.
            write_atomic(&dir.join(MARKER), &marker)?;
            Ok((conn, key))
        })();
        match created {
            Ok((conn, key)) => {
                let mut v = Vault::from_conn(dir, conn, opts)?;
                v.key = Some(Arc::new(key));
                Ok(v)
            }
            Err(e) => {
                // Leave the folder as we found it (empty), so init can be retried.
                for f in [MARKER, KEY_PASSPHRASE, KEY_RECOVERY, DB, "vault.db-wal", "vault.db-shm"] {
                    let _ = fs::remove_file(dir.join(f));
                }
                Err(e)
            }
        }
    }

    /// Unlocks the vault in `dir` with the volunteer's passphrase.
    pub fn unlock(dir: &Path, passphrase: &SecretString, opts: Options) -> Result<Vault, VaultError> {
        let started = std::time::Instant::now();
        let key = read_key(dir, KEY_PASSPHRASE, |w| DbKey::unwrap_with_passphrase(w, passphrase))
            .map_err(|e| match e {
                Unwrap::Wrong => VaultError::WrongPassphrase,
                Unwrap::Other(e) => e,
            })?;
        let kdf_time = started.elapsed();
        Ok(Vault { kdf_time, ..Self::open_db(dir, &key, opts)? })
    }

    /// How long deriving the key from the passphrase took at unlock (the
    /// deliberate cost of scrypt, with reading the small key file); zero
    /// for a handle made otherwise.
    pub fn key_derivation_time(&self) -> std::time::Duration {
        self.kdf_time
    }

    /// Unlocks the vault with the association's recovery key, then sets a
    /// new passphrase: for a volunteer who forgot theirs.
    pub fn recover(
        dir: &Path,
        recovery_secret: &SecretString,
        new_passphrase: &SecretString,
        opts: Options,
    ) -> Result<Vault, VaultError> {
        check_passphrase(new_passphrase)?;
        let identity =
            RecoveryKey::parse(keys::expose(recovery_secret)).ok_or(VaultError::WrongRecoveryKey)?;
        if dir.join(MARKER).exists() && !dir.join(KEY_RECOVERY).exists() {
            return Err(VaultError::NoRecoveryKey);
        }
        let key = read_key(dir, KEY_RECOVERY, |w| DbKey::unwrap_with_identity(w, identity.identity()))
            .map_err(|e| match e {
                Unwrap::Wrong => VaultError::WrongRecoveryKey,
                Unwrap::Other(e) => e,
            })?;
        let vault = Self::open_db(dir, &key, opts)?;
        let wrapped =
            key.wrap_with_passphrase(new_passphrase, vault.opts.kdf_log_n).map_err(|_| VaultError::Random)?;
        write_atomic(&dir.join(KEY_PASSPHRASE), &wrapped)?;
        Ok(vault)
    }

    /// Changes the passphrase: only the small key file is rewritten
    /// (atomically); the database and its key stay as they are.
    pub fn change_passphrase(
        dir: &Path,
        old: &SecretString,
        new: &SecretString,
        kdf_log_n: Option<u8>,
    ) -> Result<(), VaultError> {
        check_passphrase(new)?;
        let key = read_key(dir, KEY_PASSPHRASE, |w| DbKey::unwrap_with_passphrase(w, old)).map_err(|e| match e {
            Unwrap::Wrong => VaultError::WrongPassphrase,
            Unwrap::Other(e) => e,
        })?;
        let wrapped = key.wrap_with_passphrase(new, kdf_log_n).map_err(|_| VaultError::Random)?;
        write_atomic(&dir.join(KEY_PASSPHRASE), &wrapped)
    }

    /// Whether `dir` holds a vault (its marker file exists).
    pub fn exists(dir: &Path) -> bool {
        dir.join(MARKER).is_file()
    }

    /// Closes the database. SQLCipher wipes the key from memory.
    pub fn lock(self) {
        drop(self);
    }

    fn open_db(dir: &Path, key: &DbKey, opts: Options) -> Result<Vault, VaultError> {
        let db = dir.join(DB);
        if !db.is_file() {
            return Err(VaultError::Missing(db));
        }
        // Never create: a missing database is an error, not an empty vault.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&db, flags)
            .map_err(|_| VaultError::Damaged { file: db.clone(), why: "open failed" })?;
        prepare(&mut conn, Some(key), &db)?;
        let mut v = Vault::from_conn(dir, conn, opts)?;
        v.key = Some(Arc::new(key.duplicate()));
        Ok(v)
    }

    /// A second handle on this vault: its own SQLCipher connection, the
    /// same key (no passphrase, no KDF) and the same hybrid logical clock.
    ///
    /// Why: the desktop app syncs in the background on its own handle, so
    /// that a network round never holds the lock the window's commands
    /// wait on. The database is in WAL mode: readers never wait, writers
    /// take turns (`busy_timeout`), and every write is one short
    /// transaction. Locking drops every handle; the key is zeroized with
    /// the last one.
    pub fn reopen(&self) -> Result<Vault, VaultError> {
        let db = match self.key {
            Some(_) => self.dir.join(DB),
            None => self.dir.join("plain-benchmark.db"),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&db, flags).map_err(|_| VaultError::Damaged { file: db.clone(), why: "open failed" })?;
        prepare(&mut conn, self.key.as_deref(), &db)?;
        Ok(Vault {
            dir: self.dir.clone(),
            conn,
            device_id: self.device_id,
            hlc: self.hlc.clone(),
            opts: self.opts.clone(),
            key: self.key.clone(),
            kdf_time: std::time::Duration::ZERO,
        })
    }

    /// An UNENCRYPTED database with the same schema and settings, for the
    /// benchmarks' plain-SQLite baseline only. It writes no key file and no
    /// marker, so no other code path can ever open it as a vault.
    #[doc(hidden)]
    pub fn unencrypted_for_benchmarks(dir: &Path, opts: Options) -> Result<Vault, VaultError> {
        fs::create_dir_all(dir).map_err(VaultError::io(dir))?;
        let db = dir.join("plain-benchmark.db");
        let mut conn = Connection::open(&db)?;
        prepare(&mut conn, None, &db)?;
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('device_id', ?1)", [Id::new().to_string()])?;
        Vault::from_conn(dir, conn, opts)
    }

    fn from_conn(dir: &Path, conn: Connection, opts: Options) -> Result<Vault, VaultError> {
        let device: String = conn.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| r.get(0))?;
        let device_id = device
            .parse()
            .map_err(|_| VaultError::Damaged { file: dir.join(DB), why: "no device id" })?;
        let last: Option<String> = conn.query_row("SELECT max(hlc) FROM op", [], |r| r.get(0))?;
        let last: Hlc = last.and_then(|s| s.parse().ok()).unwrap_or_default();
        let hlc = Arc::new(HlcClock::new(opts.clock.clone(), last, opts.max_drift_ms));
        Ok(Vault { dir: dir.to_owned(), conn, device_id, hlc, opts, key: None, kdf_time: std::time::Duration::ZERO })
    }

    /// The vault's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This device's id, stamped on every op it writes.
    pub fn device_id(&self) -> Id {
        self.device_id
    }

    /// Today's date in France, from the injected clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.opts.clock.today()
    }

    /// Runs SQLite's full integrity check; returns the problems found (none: empty).
    pub fn integrity_check(&self) -> Result<Vec<String>, VaultError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// A value that changes whenever the vault's content may have changed:
    /// a write through this handle (SQLite's `total_changes`) or through
    /// another connection to the same file (`PRAGMA data_version`). What is
    /// computed from the vault may be kept while it stays the same.
    pub fn generation(&self) -> Result<Generation, VaultError> {
        let other: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(Generation { own: self.conn.total_changes(), other })
    }
}

/// See [`Vault::generation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    own: u64,
    other: i64,
}

impl Generation {
    /// True when nothing but this handle's own writes happened between
    /// `self` and `later` (no other connection committed in between).
    pub fn only_own_writes_until(self, later: Generation) -> bool {
        self.other == later.other
    }
}

impl ParseContext for Vault {
    fn today(&self) -> chrono::NaiveDate {
        Vault::today(self)
    }
    fn has_procedure(&self, id: &str) -> bool {
        self.opts.known.has_procedure(id)
    }
    fn has_document(&self, id: &str) -> bool {
        self.opts.known.has_document(id)
    }
}

fn check_passphrase(p: &SecretString) -> Result<(), VaultError> {
    if keys::expose(p).chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase(MIN_PASSPHRASE_CHARS));
    }
    Ok(())
}

enum Unwrap {
    Wrong,
    Other(VaultError),
}

fn read_key(
    dir: &Path,
    file: &str,
    unwrap: impl FnOnce(&[u8]) -> Result<DbKey, KeyError>,
) -> Result<DbKey, Unwrap> {
    let marker = dir.join(MARKER);
    let bytes = fs::read(&marker).map_err(|e| {
        Unwrap::Other(if e.kind() == std::io::ErrorKind::NotFound {
            VaultError::NotAVault(dir.to_owned())
        } else {
            VaultError::Io { file: marker.clone(), source: e }
        })
    })?;
    match serde_json::from_slice::<Marker>(&bytes) {
        Ok(m) if m.format == FORMAT && m.version == 1 => {}
        _ => return Err(Unwrap::Other(VaultError::Damaged { file: marker, why: "unknown format" })),
    }
    let path = dir.join(file);
    let wrapped = fs::read(&path).map_err(|e| {
        Unwrap::Other(if e.kind() == std::io::ErrorKind::NotFound {
            VaultError::Missing(path.clone())
        } else {
            VaultError::Io { file: path.clone(), source: e }
        })
    })?;
    unwrap(&wrapped).map_err(|e| match e {
        KeyError::WrongSecret => Unwrap::Wrong,
        KeyError::Damaged => Unwrap::Other(VaultError::Damaged { file: path, why: "not an age file" }),
        KeyError::ExcessiveWork(_) => {
            Unwrap::Other(VaultError::Damaged { file: path, why: "key derivation cost too high" })
        }
        KeyError::Random => Unwrap::Other(VaultError::Random),
    })
}

/// Keys the connection, checks it can read, then sets the pragmas and migrates.
fn prepare(conn: &mut Connection, key: Option<&DbKey>, db: &Path) -> Result<(), VaultError> {
    // SQLCipher logs decryption failures to stderr by default; the error we
    // return says it better, in the volunteer's words.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    if let Some(key) = key {
        conn.execute_batch(&key.pragma())?;
    }
    // The first read decrypts page 1: a wrong key, a truncated or a foreign
    // file fails here, before anything is written.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|_| VaultError::Damaged { file: db.to_owned(), why: "cannot be decrypted" })?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA busy_timeout = 5000;",
    )
    .map_err(|_| VaultError::Damaged { file: db.to_owned(), why: "cannot be opened" })?;
    schema::migrate(conn)
}

/// Writes a file so that a crash leaves either the old or the new content.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        VaultError::Io { file: path.to_owned(), source: e }
    })
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) {}
