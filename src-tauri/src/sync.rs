//! Sync in the desktop app: a background worker, the conflict screen's
//! calls, and who can read a file.
//!
//! **Why a second vault handle.** A sync round waits on the network for
//! seconds. Run on the window's vault it would hold the mutex every
//! command waits on, and the window would freeze. The worker runs rounds on
//! its own handle instead ([`Vault::reopen`]: a second SQLCipher connection
//! with the same key and the same clock, WAL mode), on its own thread with
//! its own small runtime. The window's commands keep the first handle; the
//! two only meet in SQLite, where every write is one short transaction.
//!
//! **When it runs.** Started at unlock when the vault belongs to a team:
//! one round at once, then every [`INTERVAL`]; after a failure it retries
//! with exponential backoff ([`Backoff`], [`RETRY_MIN`] to [`RETRY_MAX`]).
//! "Sync now" asks the worker for a round and waits for its outcome; rounds
//! never overlap. **Lock stops it**: the worker drops its handle (and with
//! the window's, the last copy of the key) before `lock` returns; a round
//! cut short is safe (sealing, acknowledging and applying are each one
//! transaction, and none is held across a network wait).

use crate::error::AppError;
use crate::state::AppState;
use crate::dto::{ConflictDto, ConflictValueDto, ReaderDto, ReadersDto, SyncIndicator};
use sesame_core::domain::{Entity, Id};
use sesame_core::sync::{Backoff, HttpRemote, SyncError};
use sesame_core::vault::Vault;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Between two rounds when all is well.
pub const INTERVAL: Duration = Duration::from_secs(5 * 60);
/// After a failure: the first retry, doubling up to the last.
pub const RETRY_MIN: Duration = Duration::from_secs(15);
pub const RETRY_MAX: Duration = Duration::from_secs(15 * 60);
/// How long `lock` waits for the worker to drop its handle.
const STOP_WAIT: Duration = Duration::from_secs(3);

type Reply = oneshot::Sender<Result<(), AppError>>;

/// What the worker shares with the window.
#[derive(Debug, Default, Clone)]
struct Progress {
    /// A round is under way.
    running: bool,
    /// The last round's failure, as the page shows it (cleared by a success).
    failure: Option<AppError>,
}

/// The running worker, as the shell holds it.
#[derive(Debug)]
struct Handle {
    stop: watch::Sender<bool>,
    now: mpsc::Sender<Reply>,
    /// Told when the worker has dropped its vault handle.
    done: std::sync::mpsc::Receiver<()>,
    progress: Arc<Mutex<Progress>>,
}

/// The background sync worker of the unlocked vault (none while locked,
/// or when the vault belongs to no team).
#[derive(Debug, Default)]
pub struct SyncWorker {
    handle: Mutex<Option<Handle>>,
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn sync_error(e: &SyncError) -> AppError {
    let (fr, en) = crate::error::split_bilingual(&e.to_string());
    AppError::new(e.code(), fr, en)
}

fn stopped() -> AppError {
    AppError::new(
        "sync",
        "La synchronisation s'est arrêtée (coffre verrouillé ?) : déverrouillez le coffre et réessayez.",
        "Sync stopped (vault locked?): unlock the vault and try again.",
    )
}

fn no_team() -> AppError {
    AppError::new(
        "no_team",
        "Ce coffre ne fait partie d'aucune équipe : rien à synchroniser. Un administrateur peut vous inviter (`sesame team invite`).",
        "This vault belongs to no team: nothing to sync. An administrator can invite you (`sesame team invite`).",
    )
}

impl SyncWorker {
    pub fn is_running(&self) -> bool {
        guard(&self.handle).as_ref().is_some_and(|h| !h.stop.is_closed())
    }

    /// Whether a round is under way, and the last failure.
    fn progress(&self) -> Progress {
        guard(&self.handle).as_ref().map(|h| guard(&h.progress).clone()).unwrap_or_default()
    }

    /// Stops the worker and waits (a few seconds at most) until it has
    /// dropped its vault handle. Called by [`AppState::lock`].
    pub fn stop(&self) {
        let Some(h) = guard(&self.handle).take() else { return };
        let _ = h.stop.send(true);
        let _ = h.done.recv_timeout(STOP_WAIT);
    }
}

/// Starts the worker for the unlocked vault if it belongs to a team and no
/// worker runs yet. Returns whether one runs now.
pub fn start(state: &AppState) -> Result<bool, AppError> {
    if state.sync.is_running() {
        return Ok(true);
    }
    let opened: Option<(Vault, String)> = state.with_vault(|v| {
        let s = sesame_core::sync::status(v).map_err(|e| sync_error(&e))?;
        match s.server {
            Some(url) => Ok(Some((v.reopen()?, url))),
            None => Ok(None),
        }
    })?;
    let Some((vault, url)) = opened else { return Ok(false) };
    let remote = HttpRemote::connect(&vault, &url).map_err(|e| sync_error(&e))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (now_tx, now_rx) = mpsc::channel::<Reply>(8);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let shared = progress.clone();
    let spawned = std::thread::Builder::new().name("sesame-sync".into()).spawn(move || {
        // The vault handle lives on this thread only, and is dropped
        // before `done` is sent.
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            rt.block_on(run(vault, remote, stop_rx, now_rx, shared));
        }
        let _ = done_tx.send(());
    });
    if spawned.is_err() {
        return Err(AppError::new(
            "sync",
            "La synchronisation en arrière-plan n'a pas pu démarrer : utilisez « Synchroniser », ou redémarrez Sésame.",
            "Background sync could not start: use \"Sync now\", or restart Sésame.",
        ));
    }
    *guard(&state.sync.handle) = Some(Handle { stop: stop_tx, now: now_tx, done: done_rx, progress });
    Ok(true)
}

/// The worker: a round at once, then on its timer, on request, until stopped.
async fn run(mut vault: Vault, remote: HttpRemote, mut stop: watch::Receiver<bool>, mut now: mpsc::Receiver<Reply>, progress: Arc<Mutex<Progress>>) {
    let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX);
    let mut wait = Duration::ZERO;
    loop {
        let reply: Option<Reply> = tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(wait) => None,
            r = now.recv() => match r {
                Some(r) => Some(r),
                None => break,
            },
        };
        guard(&progress).running = true;
        let result = tokio::select! {
            _ = stop.changed() => break,
            r = sesame_core::sync::sync_once(&mut vault, &remote) => r,
        };
        let outcome = result.as_ref().map(|_| ()).map_err(sync_error);
        {
            let mut p = guard(&progress);
            p.running = false;
            p.failure = outcome.as_ref().err().cloned();
        }
        wait = match &result {
            Ok(_) => {
                backoff.succeeded();
                INTERVAL
            }
            // Waiting for approval, removed, a clock to fix: a person must
            // act; try again at the normal pace.
            Err(e) if !e.is_transient() && !matches!(e, SyncError::Vault(_)) => INTERVAL,
            Err(_) => backoff.failed(),
        };
        if let Some(r) = reply {
            let _ = r.send(outcome);
        }
        if matches!(result, Err(SyncError::NoTeam)) {
            break;
        }
    }
    drop(vault);
}

/// "Sync now": one round by the worker (started if need be), without
/// holding the window's vault; answers the indicator after it.
pub async fn sync_now(state: &AppState) -> Result<SyncIndicator, AppError> {
    if !start(state)? {
        return Err(no_team());
    }
    let sender = guard(&state.sync.handle).as_ref().map(|h| h.now.clone()).ok_or_else(stopped)?;
    let (tx, rx) = oneshot::channel();
    sender.send(tx).await.map_err(|_| stopped())?;
    rx.await.map_err(|_| stopped())??;
    indicator(state)
}

// ---- what the page asks -----------------------------------------------

pub fn indicator(state: &AppState) -> Result<SyncIndicator, AppError> {
    let p = state.sync.progress();
    state.with_vault(|v| {
        let s = sesame_core::sync::status(v).map_err(|e| sync_error(&e))?;
        Ok(SyncIndicator {
            team: s.team.is_some(),
            last_sync_ms: s.last_sync_ms,
            pending_ops: s.pending_ops,
            conflicts: s.conflicts,
            last_error: s.last_error,
            syncing: p.running,
            background: state.sync.is_running(),
            failure: p.failure,
        })
    })
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn applicant_of(v: &Vault, entity: Entity, id: Id) -> Option<(String, Id)> {
    let applicant_id = match entity {
        Entity::Applicant => id,
        Entity::Case => v.case(id).ok()?.applicant_id,
        _ => return None,
    };
    let a = v.applicant(applicant_id).ok()?;
    Some((format!("{} {}", a.family_name, a.given_name).trim().to_owned(), applicant_id))
}

pub fn conflicts(state: &AppState) -> Result<Vec<ConflictDto>, AppError> {
    state.with_vault(|v| {
        let me = v.device_id();
        let list = v.conflicts()?;
        Ok(list
            .into_iter()
            .map(|c| {
                let who = applicant_of(v, c.entity, c.entity_id);
                ConflictDto {
                    entity: c.entity.as_str().to_owned(),
                    entity_id: c.entity_id.to_string(),
                    field: c.field.clone(),
                    applicant: who.as_ref().map(|w| w.0.clone()).unwrap_or_default(),
                    applicant_id: who.map(|w| w.1.to_string()),
                    current: text_of(&c.current),
                    candidates: c
                        .candidates
                        .iter()
                        .map(|x| ConflictValueDto {
                            text: text_of(&x.value),
                            value: x.value.clone(),
                            at: chrono::DateTime::from_timestamp_millis(x.hlc.millis as i64).map(|d| d.to_rfc3339()),
                            this_device: x.device_id == me,
                            device: x.device_id.to_string().chars().take(4).collect(),
                        })
                        .collect(),
                }
            })
            .collect())
    })
}

/// Settles a conflict: with one candidate's stored value, or with text
/// the volunteer typed (checked like the same field in a form).
pub fn resolve(state: &AppState, entity_id: &str, field: &str, value: Option<serde_json::Value>, text: Option<&str>) -> Result<(), AppError> {
    let id = crate::app::parse_id(entity_id)?;
    state.with_vault(|v| {
        match (value, text) {
            (Some(value), _) => {
                // Only a value that is one of the candidates may be sent as is.
                let ok = v.conflicts()?.iter().any(|c| c.entity_id == id && c.field == field && c.candidates.iter().any(|x| x.value == value));
                if !ok {
                    return Err(AppError::new(
                        "conflict_changed",
                        "Ce conflit a changé entre-temps (une synchronisation a eu lieu) : relisez les valeurs et choisissez de nouveau.",
                        "This conflict changed meanwhile (a sync happened): read the values again and choose again.",
                    ));
                }
                v.resolve_conflict(id, field, value)?;
            }
            (None, Some(text)) => v.resolve_conflict_text(id, field, text)?,
            (None, None) => return Err(AppError::bad_id()),
        }
        Ok(())
    })
}

pub fn readers(state: &AppState, id: &str) -> Result<ReadersDto, AppError> {
    let id = crate::app::parse_id(id)?;
    state.with_vault(|v| {
        let team = sesame_core::sync::status(v).map_err(|e| sync_error(&e))?.team.is_some();
        let r = sesame_core::sync::team::readers(v, id).map_err(|e| match e {
            SyncError::Vault(e) => AppError::from(e),
            e => sync_error(&e),
        })?;
        Ok(ReadersDto {
            team,
            shared: r.stream.is_some(),
            devices: r
                .devices
                .into_iter()
                .map(|d| ReaderDto {
                    fingerprint: d.fingerprint,
                    role: crate::app::tag(&d.role),
                    this_device: d.this_device,
                    removed: d.removed,
                })
                .collect(),
        })
    })
}
