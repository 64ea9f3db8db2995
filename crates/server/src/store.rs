//! The storage trait and what it stores.
//!
//! Two backends implement [`Store`]: [`crate::sqlite::SqliteStore`] (one
//! file, the default) and [`crate::pg::PgStore`] (PostgreSQL). The same
//! test suite (`tests/store.rs`) runs against both.
//!
//! Nothing stored here can be read without the team's keys: operations and
//! attachments are ciphertext, membership lists hold ids and public keys.
//! The only clear metadata: which device wrote how many ops to which
//! random stream id, and when.

use async_trait::async_trait;
use sesame_core::sync::proto::{JoinRequest, KeyNeed, PullPage, PushOutcome, SignedDoc, WrappedKey};
use uuid::Uuid;

/// A device as the server knows it (from the latest membership version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub device: Uuid,
    /// ed25519 public key.
    pub sign_pk: [u8; 32],
    pub admin: bool,
    pub active: bool,
}

/// One op to store: its clear header fields and the whole envelope.
#[derive(Debug, Clone)]
pub struct NewOp {
    pub op_id: Uuid,
    pub stream: Uuid,
    pub device: Uuid,
    pub dseq: u64,
    pub prev: u64,
    pub blob: Vec<u8>,
}

/// A storage failure. The messages name no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// An invitation already used or expired.
    #[error("gone")]
    Gone,
    #[error("database: {0}")]
    Db(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a team with its first membership version. Conflict if it exists.
    async fn create_team(&self, team: Uuid, genesis: &SignedDoc, devices: &[DeviceRow], now_ms: u64) -> Result<(), StoreError>;
    /// Membership versions after `since`, oldest first.
    async fn membership_docs(&self, team: Uuid, since: u64) -> Result<Vec<SignedDoc>, StoreError>;
    /// The latest membership version. NotFound if no such team.
    async fn membership_head(&self, team: Uuid) -> Result<SignedDoc, StoreError>;
    /// Appends version `version` (which must be the next one: Conflict
    /// otherwise) and replaces the device table with `devices`.
    async fn append_membership(&self, team: Uuid, version: u64, doc: &SignedDoc, devices: &[DeviceRow]) -> Result<(), StoreError>;
    async fn device(&self, team: Uuid, device: Uuid) -> Result<Option<DeviceRow>, StoreError>;

    async fn add_invite(&self, team: Uuid, invite: Uuid, token_hash: &str, expires_ms: u64) -> Result<(), StoreError>;
    /// Uses an invitation (once) to file a join request. Gone if used or
    /// expired, NotFound if unknown or the token does not match.
    async fn join(&self, team: Uuid, req: &JoinRequest, token_hash: &str, now_ms: u64) -> Result<(), StoreError>;
    async fn join_requests(&self, team: Uuid) -> Result<Vec<JoinRequest>, StoreError>;

    /// Stores ops in order, each checked: duplicate id (same bytes: its
    /// old position; other bytes: refused), erased stream, and the author's
    /// chain (`prev` must be the author's last counter in the stream).
    /// Pushes to one team are serialised, so positions are handed out in
    /// commit order and a pull never skips one.
    async fn push(&self, team: Uuid, ops: &[NewOp]) -> Result<Vec<PushOutcome>, StoreError>;
    /// Ops after team position `since`; stream heads on the last page, from the same snapshot.
    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, StoreError>;

    /// Stores wrapped keys; one that exists already is kept (first wins, never replaced).
    async fn put_keys(&self, team: Uuid, keys: &[WrappedKey]) -> Result<(), StoreError>;
    async fn keys_for(&self, team: Uuid, device: Uuid) -> Result<Vec<WrappedKey>, StoreError>;
    /// (stream, key version, active member) triples with no wrap yet.
    async fn keys_needed(&self, team: Uuid) -> Result<Vec<KeyNeed>, StoreError>;

    /// Purges a stream's ops, keys and attachment blobs; keeps its head and the signed order.
    async fn erase_stream(&self, team: Uuid, stream: Uuid, order: &SignedDoc) -> Result<(), StoreError>;

    /// Stores an attachment blob of a stream (idempotent: the same bytes
    /// again are fine, other bytes under the same id are a Conflict). Gone
    /// if the stream was erased.
    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), StoreError>;
    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes one blob of a stream (none: nothing to do).
    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), StoreError>;

    /// Replaces the team's catalog release and bundle (the service checked
    /// that it is signed by an admin and newer than the stored one).
    async fn put_catalog(&self, team: Uuid, release: &SignedDoc, bundle: &[u8]) -> Result<(), StoreError>;
    /// The latest catalog release, without its bundle.
    async fn catalog_release(&self, team: Uuid) -> Result<Option<SignedDoc>, StoreError>;
    async fn catalog_bundle(&self, team: Uuid) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Opens the store named by a URL: `sqlite://PATH`, `sqlite::memory:`,
/// or `postgres://…` / `postgresql://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(std::sync::Arc::new(crate::sqlite::SqliteStore::open(std::path::Path::new(path))?))
    } else if url == "sqlite::memory:" {
        Ok(std::sync::Arc::new(crate::sqlite::SqliteStore::memory()?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(crate::pg::PgStore::connect(url, None).await?))
    } else {
        Err(StoreError::Db("unknown database URL: use sqlite://PATH or postgres://…".into()))
    }
}
