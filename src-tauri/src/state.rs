//! The shell's state: at most one unlocked vault, the catalog, and when
//! the volunteer last did something.
//!
//! Locking is dropping the [`Vault`]: its SQLCipher connection closes and
//! SQLCipher wipes its copy of the key. Nothing decrypted is cached here,
//! so after a lock the shell holds no applicant data (the page clears its
//! own stores at the same moment).

use crate::app::Digest;
use crate::error::AppError;
use sesame_core::catalog::Catalog;
use chrono::NaiveDate;
use sesame_core::clock::Clock;
use sesame_core::followup;
use sesame_core::vault::{Generation, Options, Vault};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct AppState {
    /// The vault folder (`SESAME_VAULT_DIR`, else the command line's default).
    pub dir: PathBuf,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    /// scrypt work factor for new passphrase wraps (`SESAME_KDF_LOG_N`, tests only).
    pub kdf_log_n: Option<u8>,
    vault: Mutex<Option<Vault>>,
    last_activity: Mutex<Instant>,
    /// The auto-lock delay in seconds, copied from the settings.
    auto_lock_secs: AtomicU32,
    /// Files saved during this session: the only ones "open to print" may open.
    saved: Mutex<Vec<PathBuf>>,
    /// What Today and the reminders show, kept while the day and the
    /// vault's generation stay the same; dropped at lock (it holds initials).
    digest: Mutex<Option<CachedDigest>>,
    /// The background sync worker (its own vault handle; stopped at lock).
    pub sync: crate::sync::SyncWorker,
}

#[derive(Debug)]
struct CachedDigest {
    key: (NaiveDate, Generation),
    digest: Arc<Digest>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked cannot leave a half-written record (every
    // write is one SQLite transaction), so the value is still sound.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    pub fn new(dir: PathBuf, catalog: Arc<Catalog>, clock: Arc<dyn Clock>, kdf_log_n: Option<u8>) -> Self {
        Self {
            dir,
            catalog,
            clock,
            kdf_log_n,
            vault: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            auto_lock_secs: AtomicU32::new(10 * 60),
            saved: Mutex::new(Vec::new()),
            digest: Mutex::new(None),
            sync: crate::sync::SyncWorker::default(),
        }
    }

    pub fn options(&self) -> Options {
        let mut o = Options::new(self.clock.clone(), self.catalog.clone());
        o.kdf_log_n = self.kdf_log_n;
        o
    }

    pub fn is_unlocked(&self) -> bool {
        guard(&self.vault).is_some()
    }

    /// Runs `f` on the unlocked vault, or answers "locked".
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> Result<T, AppError>) -> Result<T, AppError> {
        self.touch();
        let mut g = guard(&self.vault);
        match g.as_mut() {
            Some(v) => f(v),
            None => Err(AppError::locked()),
        }
    }

    pub fn set_vault(&self, vault: Vault) {
        if let Ok(s) = vault.settings() {
            self.set_auto_lock_minutes(s.auto_lock_minutes);
        }
        *guard(&self.vault) = Some(vault);
        self.touch();
    }

    /// Drops the vault (SQLCipher wipes the key) and forgets saved paths.
    /// The sync worker is stopped first and drops its own handle.
    pub fn lock(&self) {
        self.sync.stop();
        let taken = guard(&self.vault).take();
        if let Some(v) = taken {
            v.lock();
        }
        guard(&self.saved).clear();
        *guard(&self.digest) = None;
    }

    /// Today's screen and the deadlines the reminders may name, from one
    /// [`followup::agenda`], computed once per day and vault generation:
    /// the shell computes it right after unlocking, while the page loads.
    /// Only this digest is kept (the first lines of Today, and the due
    /// deadlines in a few words each), not the whole agenda: on a large
    /// vault that is tens of thousands of lines the shell need not hold.
    pub fn digest(&self) -> Result<Arc<Digest>, AppError> {
        let today = self.clock.today();
        let (digest, fresh) = self.with_vault(|v| {
            let key = (today, v.generation()?);
            let mut cached = guard(&self.digest);
            if let Some(c) = cached.as_ref().filter(|c| c.key == key) {
                return Ok((c.digest.clone(), false));
            }
            let agenda = followup::agenda(v, &self.catalog, today, crate::app::TODAY_HORIZON_DAYS)?;
            let digest = Arc::new(crate::app::digest(self, today, agenda));
            *cached = Some(CachedDigest { key, digest: digest.clone() });
            Ok((digest, true))
        })?;
        if fresh {
            // The agenda's many small allocations are freed now: give the
            // pages back to the system (after the vault is released, so that
            // the page's calls need not wait for it).
            crate::memory::trim();
        }
        Ok(digest)
    }

    /// Runs `f` on the vault, for a write that cannot change the agenda
    /// (settings, reminder marks): the digest computed before stays valid.
    pub fn with_vault_agenda_unchanged<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.with_vault(|v| {
            let before = v.generation()?;
            let out = f(v)?;
            let after = v.generation()?;
            // Re-keyed only if no other connection (the sync worker) wrote
            // meanwhile: its changes may well change Today.
            if before.only_own_writes_until(after)
                && let Some(c) = guard(&self.digest).as_mut().filter(|c| c.key.1 == before)
            {
                c.key.1 = after;
            }
            Ok(out)
        })
    }

    pub fn touch(&self) {
        *guard(&self.last_activity) = Instant::now();
    }

    pub fn set_auto_lock_minutes(&self, minutes: u32) {
        self.auto_lock_secs.store(minutes.saturating_mul(60), Ordering::Relaxed);
    }

    /// Locks if nothing happened for the auto-lock delay; true if it did.
    /// The page has its own timer; this one also holds if the page froze.
    pub fn lock_if_idle(&self) -> bool {
        let delay = Duration::from_secs(u64::from(self.auto_lock_secs.load(Ordering::Relaxed)));
        let idle = guard(&self.last_activity).elapsed();
        if idle >= delay && self.is_unlocked() {
            self.lock();
            return true;
        }
        false
    }

    pub fn remember_saved(&self, path: PathBuf) {
        guard(&self.saved).push(path);
    }

    pub fn was_saved(&self, path: &std::path::Path) -> bool {
        guard(&self.saved).iter().any(|p| p == path)
    }
}
