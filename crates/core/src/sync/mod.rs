//! Sync: end-to-end encrypted, signed, offline-first, through the
//! association's server.
//!
//! A vault works alone; joined to a team (the association) it also sends
//! its operations to the team's server and receives everyone else's. The
//! server stores opaque blobs and never reads a name.
//!
//! - [`proto`]: what travels, and how it is signed (shared with the server).
//! - [`crypto`]: device keys, stream keys, sealing an op.
//! - [`team`]: create a team, invite, join, approve, remove, erase.
//! - [`engine`]: one sync round — pull, apply (last-writer-wins, conflicts
//!   kept), seal the outbox, push — and the checks that catch a server that
//!   loses, replays, reorders or forges.
//! - [`http`]: the [`Remote`] that talks HTTP to `sesame serve`.
//! - [`catalog`]: a newer catalog, signed by an admin, distributed to every device.
//! - [`attachments`]: scans and photos, as encrypted blobs that follow their case.
//!
//! **Streams.** One per applicant: the applicant, their cases and every
//! document, deadline, journal entry and incident in them. Why not one per
//! case? A case points at its applicant; in one stream the applicant's
//! creation always comes before their cases, so every device applies them in
//! an order the database accepts, whoever wrote what. And erasure (GDPR
//! art. 17) is asked for a person: destroying one key erases everything
//! about them. The cost: a single case cannot be crypto-shredded alone
//! (it is deleted with a tombstone instead).
//!
//! ## What the desktop app (and the CLI) calls
//!
//! Everything below takes the unlocked [`Vault`](crate::vault::Vault); the
//! network calls need a [`Remote`], normally [`HttpRemote::for_team`]. Errors
//! are [`SyncError`]: a sentence in French then English, and a stable
//! [`code`](SyncError::code) to match on ([`SyncError::is_transient`]: retry
//! later with [`Backoff`]).
//!
//! | The app needs | Call | Returns |
//! |---|---|---|
//! | The sync indicator: last sync, pending ops, open conflicts, alerts | [`status`] (no network) | [`SyncStatus`] |
//! | One round, now (button, or a timer with [`Backoff`]) | [`sync_once`] | [`SyncReport`]: what moved |
//! | The conflicts, each with every competing value | [`Vault::conflicts`](crate::vault::Vault::conflicts) | [`Conflict`](crate::vault::Conflict) with `candidates` |
//! | Settle one by choosing a value (a candidate's, or a new one) | [`Vault::resolve_conflict`](crate::vault::Vault::resolve_conflict) | — (sent at the next round) |
//! | Who can read which file | [`team::readers`] (applicant or case id) | [`team::Readers`] |
//! | The team: members, pending devices | [`team::list`] | [`team::TeamView`] |
//! | Create, invite, join, approve, remove, erase | [`team::create`], [`team::invite`], [`team::join`], [`team::approve`], [`team::remove`], [`team::erase_applicant`] | |
//! | The catalog to open the vault with (before unlocking) | [`catalog::load_for_vault`] | the newest verified `Catalog` |
//! | Publish a newer catalog (admins) | [`catalog::publish`] | [`catalog::DistributedCatalog`] |
//!
//! Attachments need no call of their own: [`sync_once`] uploads the new
//! ones and downloads the others' ([`attachments`]).
//!
//! **Invariants.** A local op is never lost because the server misbehaved:
//! it stays in the op log and in the sealed outbox until a pull shows it
//! stored where the server said. Anything an honest server would have
//! refused (a forged signature, a replayed, reordered or missing op, a
//! history rolled back) stops the round with nothing applied.

pub mod attachments;
pub mod catalog;
pub mod crypto;
pub mod engine;
pub mod http;
pub mod proto;
pub mod team;

pub use engine::{Backoff, SyncReport, SyncStatus, status, sync_once};
pub use http::HttpRemote;

use crate::vault::VaultError;
use proto::{CatalogInfo, CreateInvite, CreateTeam, Health, JoinRequest, Keys, MembershipDocs, PullPage, PublishCatalog, Push, PushResult, PutKeys, SignedDoc};
use std::future::Future;
use uuid::Uuid;

/// The server, as seen by a device. [`HttpRemote`] talks HTTP; tests use
/// an in-process one (`sesame_server::Direct`).
pub trait Remote: Send + Sync {
    fn health(&self) -> impl Future<Output = Result<Health, RemoteError>> + Send;
    fn create_team(&self, req: &CreateTeam) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn membership(&self, team: Uuid, since: u64) -> impl Future<Output = Result<MembershipDocs, RemoteError>> + Send;
    fn post_membership(&self, team: Uuid, doc: &SignedDoc) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn create_invite(&self, team: Uuid, req: &CreateInvite) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn join(&self, team: Uuid, req: &JoinRequest) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn keys(&self, team: Uuid) -> impl Future<Output = Result<Keys, RemoteError>> + Send;
    fn put_keys(&self, team: Uuid, req: &PutKeys) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn push(&self, team: Uuid, req: &Push) -> impl Future<Output = Result<PushResult, RemoteError>> + Send;
    fn pull(&self, team: Uuid, since: u64, limit: u32) -> impl Future<Output = Result<PullPage, RemoteError>> + Send;
    fn erase(&self, team: Uuid, stream: Uuid, doc: &SignedDoc) -> impl Future<Output = Result<(), RemoteError>> + Send;
    /// The latest catalog release (small: asked every round).
    fn catalog(&self, team: Uuid) -> impl Future<Output = Result<CatalogInfo, RemoteError>> + Send;
    /// The latest catalog bundle (large: fetched only for a release worth adopting).
    fn catalog_bundle(&self, team: Uuid) -> impl Future<Output = Result<Vec<u8>, RemoteError>> + Send;
    fn publish_catalog(&self, team: Uuid, req: &PublishCatalog) -> impl Future<Output = Result<(), RemoteError>> + Send;
    /// Stores an opaque blob (an encrypted attachment) of a stream.
    fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> impl Future<Output = Result<(), RemoteError>> + Send;
    fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> impl Future<Output = Result<Vec<u8>, RemoteError>> + Send;
    /// Purges a blob of a stream (an attachment deleted by a tombstone).
    fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> impl Future<Output = Result<(), RemoteError>> + Send;
}

/// A request to the server failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// No answer (network down, server stopped): retry later.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an error.
    #[error("{code} ({status}): {message}")]
    Refused { status: u16, code: String, message: String },
    /// The answer could not be read.
    #[error("unreadable answer: {0}")]
    Malformed(String),
}

/// Sync failed. Each message says, in French then English, what happened
/// and what to do; none contains applicant data.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "Ce coffre n'est lié à aucune équipe : créez-en une avec `sesame team create` ou rejoignez-en une avec `sesame team join CODE`. \
         / This vault is not part of a team: create one with `sesame team create` or join one with `sesame team join CODE`."
    )]
    NoTeam,
    #[error(
        "Ce coffre fait déjà partie d'une équipe : une seule équipe par coffre. \
         / This vault already belongs to a team: one team per vault."
    )]
    AlreadyInTeam,
    #[error(
        "Le serveur de synchronisation est injoignable ({0}) : vos modifications restent dans le coffre et partiront à la prochaine synchronisation ; vérifiez la connexion. \
         / The sync server cannot be reached ({0}): your changes stay in the vault and will be sent at the next sync; check the connection."
    )]
    Unreachable(String),
    #[error("Le serveur a refusé la demande : {message} / The server refused the request: {message} [{code}]")]
    Refused { code: String, message: String },
    #[error(
        "Cet appareil attend l'approbation d'un administrateur de l'équipe : donnez-lui l'empreinte {0} et demandez-lui de lancer `sesame team approve`. \
         / This device is waiting for a team administrator's approval: give them the fingerprint {0} and ask them to run `sesame team approve`."
    )]
    NotApproved(String),
    #[error(
        "Cet appareil a été retiré de l'équipe : il ne reçoit plus rien. Ses données locales restent dans le coffre ; voyez l'administrateur. \
         / This device was removed from the team: it receives nothing more. Its local data stays in the vault; see your administrator."
    )]
    Removed,
    #[error(
        "Seul un administrateur de l'équipe peut faire cela : demandez à l'un d'eux. \
         / Only a team administrator can do this: ask one of them."
    )]
    NotAdmin,
    #[error(
        "L'horloge de cet appareil est en avance de {minutes} minutes sur celle du serveur : corrigez la date et l'heure de l'ordinateur, puis relancez la synchronisation. Rien n'a été envoyé ni perdu. \
         / This device's clock is {minutes} minutes ahead of the server's: fix the computer's date and time, then sync again. Nothing was sent or lost."
    )]
    ClockAhead { minutes: i64 },
    #[error(
        "L'horloge de cet appareil est en retard de {minutes} minutes sur celle du serveur : corrigez la date et l'heure de l'ordinateur (les échéances affichées en dépendent), puis relancez la synchronisation. Rien n'a été envoyé ni perdu. \
         / This device's clock is {minutes} minutes behind the server's: fix the computer's date and time (the deadlines shown depend on it), then sync again. Nothing was sent or lost."
    )]
    ClockBehind { minutes: i64 },
    #[error(
        "Le serveur a renvoyé un historique incohérent ({0}) : rien n'a été appliqué et vos données locales sont intactes. Prévenez l'administrateur du serveur (sauvegarde ancienne restaurée ? serveur compromis ?). \
         / The server returned an inconsistent history ({0}): nothing was applied and your local data is intact. Tell the server's administrator (an old backup restored? a compromised server?)."
    )]
    ServerMisbehaved(String),
    #[error(
        "Ce code d'invitation est illisible ou incomplet : recopiez-le en entier, ou demandez-en un nouveau à l'administrateur. \
         / This invitation code is unreadable or incomplete: copy it whole, or ask the administrator for a new one."
    )]
    BadInvite,
    #[error(
        "Aucun appareil en attente ou membre ne correspond à « {0} » : vérifiez avec `sesame team list`. \
         / No pending or member device matches \"{0}\": check with `sesame team list`."
    )]
    UnknownDevice(String),
    #[error(
        "La demande de l'appareil {0} ne prouve pas qu'elle vient du code d'invitation : ne l'approuvez pas, et créez une nouvelle invitation. \
         / Device {0}'s request does not prove it comes from the invitation code: do not approve it, and make a new invitation."
    )]
    BadProof(String),
    #[error(
        "Impossible de générer une clé aléatoire : redémarrez l'ordinateur. \
         / Cannot generate a random key: restart the computer."
    )]
    Random,
    #[error(
        "Ce catalogue dépasse la taille qu'un serveur accepte (4 Mio) : retirez ce qui n'est pas un fichier du catalogue. \
         / This catalog is larger than a server accepts (4 MiB): remove what is not a catalog file."
    )]
    CatalogTooLarge,
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl SyncError {
    /// A stable code for the front end to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoTeam => "no_team",
            Self::AlreadyInTeam => "already_in_team",
            Self::Unreachable(_) => "unreachable",
            Self::Refused { .. } => "refused",
            Self::NotApproved(_) => "not_approved",
            Self::Removed => "removed",
            Self::NotAdmin => "not_admin",
            Self::ClockAhead { .. } | Self::ClockBehind { .. } => "clock_skew",
            Self::ServerMisbehaved(_) => "server_misbehaved",
            Self::BadInvite => "bad_invite",
            Self::UnknownDevice(_) => "unknown_device",
            Self::BadProof(_) => "bad_proof",
            Self::Random => "random",
            Self::CatalogTooLarge => "catalog_too_large",
            Self::Catalog(e) => e.code(),
            Self::Vault(e) => e.code(),
        }
    }

    /// Whether retrying later may help (the background loop backs off and retries).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_)) || matches!(self, Self::Refused { code, .. } if code == "rate_limited" || code == "unavailable")
    }
}

impl From<RemoteError> for SyncError {
    fn from(e: RemoteError) -> Self {
        match e {
            RemoteError::Unreachable(s) => SyncError::Unreachable(s),
            RemoteError::Refused { code, message, .. } => SyncError::Refused { code, message },
            RemoteError::Malformed(s) => SyncError::ServerMisbehaved(format!("unreadable answer: {s}")),
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Vault(e.into())
    }
}

impl From<crate::hlc::HlcError> for SyncError {
    fn from(e: crate::hlc::HlcError) -> Self {
        SyncError::Vault(e.into())
    }
}
