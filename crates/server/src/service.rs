//! What the server does, independent of HTTP: checks and storage calls.
//!
//! The HTTP layer ([`crate::http`]) authenticates the calling device and
//! hands its id here; tests and the in-process [`crate::Direct`] remote
//! call these methods directly. The server verifies every signature it can
//! (membership versions, ops, wrapped keys, erase orders) so that a
//! misbehaving client is refused at the door — the clients verify all of
//! it again, since they do not trust the server.

use crate::store::{DeviceRow, NewOp, Store, StoreError};
use sesame_core::clock::Clock;
use sesame_core::sync::proto::{
    self, CatalogInfo, CatalogRelease, CreateInvite, CreateTeam, Envelope, EraseRecord, Health, JoinRequest, Keys, Membership, MembershipDocs, PullPage,
    PublishCatalog, Push, PushOutcome, PushResult, PutKeys, RejectReason, SignedDoc, MAX_CATALOG_BUNDLE, MAX_PUSH_OPS,
};
use std::sync::Arc;
use uuid::Uuid;

/// A refused request: an HTTP status, a stable code, and a message in
/// French then English. Never contains request data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

impl ApiError {
    pub const fn new(status: u16, code: &'static str, message: &'static str) -> Self {
        ApiError { status, code, message }
    }
}

pub const MALFORMED: ApiError = ApiError::new(400, "malformed", "requête mal formée, mettez Sésame à jour / malformed request, update Sésame");
pub const UNAUTHORIZED: ApiError = ApiError::new(
    401,
    "unauthorized",
    "signature de l'appareil absente, invalide ou trop ancienne : vérifiez l'horloge de l'appareil / device signature missing, invalid or stale: check the device's clock",
);
pub const NOT_MEMBER: ApiError = ApiError::new(
    403,
    "not_member",
    "cet appareil n'est pas membre de l'équipe : demandez à un administrateur de l'approuver / this device is not a team member: ask an administrator to approve it",
);
pub const NOT_ADMIN: ApiError =
    ApiError::new(403, "not_admin", "réservé aux administrateurs de l'équipe / reserved to team administrators");
pub const NOT_FOUND: ApiError = ApiError::new(404, "not_found", "introuvable / not found");
pub const INVITE_UNKNOWN: ApiError = ApiError::new(
    404,
    "invite_unknown",
    "invitation inconnue : vérifiez le code ou demandez-en un nouveau / unknown invitation: check the code or ask for a new one",
);
pub const INVITE_GONE: ApiError = ApiError::new(
    410,
    "invite_gone",
    "invitation déjà utilisée ou expirée : demandez-en une nouvelle à l'administrateur / invitation already used or expired: ask the administrator for a new one",
);
pub const ERASED: ApiError = ApiError::new(410, "erased", "ce dossier a été effacé / this file was erased");
pub const CATALOG_NOT_NEWER: ApiError = ApiError::new(
    409,
    "catalog_not_newer",
    "le serveur a déjà une édition du catalogue aussi récente : changez `version` et `published` dans catalog.toml / the server already has an edition of the catalog as recent: change `version` and `published` in catalog.toml",
);
pub const TOO_LARGE: ApiError =
    ApiError::new(413, "too_large", "requête trop volumineuse : synchronisez par lots plus petits / request too large: sync in smaller batches");
pub const RATE_LIMITED: ApiError =
    ApiError::new(429, "rate_limited", "trop de requêtes, réessayez dans un instant / too many requests, retry in a moment");
pub const UNAVAILABLE: ApiError = ApiError::new(
    503,
    "unavailable",
    "le serveur ne peut pas répondre pour l'instant, réessayez plus tard / the server cannot answer right now, retry later",
);

fn conflict(what: &'static str) -> ApiError {
    ApiError::new(409, "conflict", what)
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => NOT_FOUND,
            StoreError::Conflict(w) => conflict(w),
            StoreError::Gone => INVITE_GONE,
            StoreError::Db(msg) => {
                tracing::error!(error = %msg, "storage failure");
                UNAVAILABLE
            }
        }
    }
}

/// The largest attachment: 25 MiB.
pub const MAX_BLOB: usize = 25 * 1024 * 1024;

/// The server's logic over a [`Store`].
#[derive(Clone)]
pub struct Service {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

fn devices_of(m: &Membership) -> Result<Vec<DeviceRow>, ApiError> {
    m.members
        .iter()
        .map(|x| {
            Ok(DeviceRow {
                device: x.device,
                sign_pk: x.verifying_key().map_err(|_| MALFORMED)?.to_bytes(),
                admin: x.role == proto::Role::Admin,
                active: x.active(),
            })
        })
        .collect()
}

impl Service {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Service { store, clock }
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_millis()
    }

    pub fn health(&self) -> Health {
        Health {
            ok: true,
            version: env!("CARGO_PKG_VERSION").into(),
            time_ms: self.now_ms(),
            features: vec![proto::FEATURE_KEY_WRAPS_V2.into()],
        }
    }

    /// The calling device, if it is an active member of `team`.
    pub async fn member(&self, team: Uuid, device: Uuid) -> Result<DeviceRow, ApiError> {
        match self.store.device(team, device).await? {
            Some(d) if d.active => Ok(d),
            _ => Err(NOT_MEMBER),
        }
    }

    async fn admin(&self, team: Uuid, device: Uuid) -> Result<DeviceRow, ApiError> {
        let d = self.member(team, device).await?;
        if d.admin { Ok(d) } else { Err(NOT_ADMIN) }
    }

    /// A new team: version 1 must be signed by its creator, who is the caller.
    pub async fn create_team(&self, caller: Uuid, req: &CreateTeam) -> Result<(), ApiError> {
        let m = proto::verify_genesis_doc(&req.genesis).map_err(|_| MALFORMED)?;
        if m.team != req.team || m.signer != caller {
            return Err(MALFORMED);
        }
        self.store.create_team(req.team, &req.genesis, &devices_of(&m)?, self.now_ms()).await?;
        tracing::info!(team = %req.team, device = %caller, "team created");
        Ok(())
    }

    pub async fn membership(&self, team: Uuid, caller: Uuid, since: u64) -> Result<MembershipDocs, ApiError> {
        // A device waiting for approval may read the list (public keys and
        // ids only) to learn when it is admitted.
        let known = self.store.device(team, caller).await?;
        let pending_self = known.is_none() && self.store.join_requests(team).await?.iter().any(|r| r.device == caller);
        if known.is_none() && !pending_self {
            return Err(NOT_MEMBER);
        }
        let docs = self.store.membership_docs(team, since).await?;
        let pending = match known {
            Some(d) if d.admin && d.active => self.store.join_requests(team).await?,
            _ => Vec::new(),
        };
        Ok(MembershipDocs { docs, pending })
    }

    pub async fn post_membership(&self, team: Uuid, caller: Uuid, doc: &SignedDoc) -> Result<(), ApiError> {
        self.admin(team, caller).await?;
        let head = self.store.membership_head(team).await?;
        let m = proto::verify_successor_doc(&head, doc).map_err(|e| {
            tracing::warn!(team = %team, device = %caller, reason = %e, "membership refused");
            MALFORMED
        })?;
        if m.signer != caller {
            return Err(MALFORMED);
        }
        self.store.append_membership(team, m.version, doc, &devices_of(&m)?).await?;
        tracing::info!(team = %team, device = %caller, version = m.version, "membership updated");
        Ok(())
    }

    pub async fn create_invite(&self, team: Uuid, caller: Uuid, req: &CreateInvite) -> Result<(), ApiError> {
        self.admin(team, caller).await?;
        if req.token_hash.len() != 64 || !req.token_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MALFORMED);
        }
        self.store.add_invite(team, req.invite, &req.token_hash, req.expires_ms).await?;
        tracing::info!(team = %team, device = %caller, "invitation created");
        Ok(())
    }

    /// A join request; the HTTP layer checked it is signed with `req.sign_pk`.
    pub async fn join(&self, team: Uuid, req: &JoinRequest) -> Result<(), ApiError> {
        let token = proto::unb64(&req.token).ok_or(MALFORMED)?;
        if req.age.len() > 200 || req.proof.len() > 100 || !req.age.starts_with("age1") {
            return Err(MALFORMED);
        }
        if self.store.device(team, req.device).await?.is_some() {
            return Err(conflict("device already in the team"));
        }
        self.store.join(team, req, &proto::sha256_hex(&token), self.now_ms()).await.map_err(|e| match e {
            StoreError::NotFound => INVITE_UNKNOWN,
            StoreError::Gone => INVITE_GONE,
            e => e.into(),
        })?;
        tracing::info!(team = %team, device = %req.device, "join requested");
        Ok(())
    }

    pub async fn keys(&self, team: Uuid, caller: Uuid) -> Result<Keys, ApiError> {
        self.member(team, caller).await?;
        Ok(Keys { keys: self.store.keys_for(team, caller).await?, needed: self.store.keys_needed(team).await? })
    }

    pub async fn put_keys(&self, team: Uuid, caller: Uuid, req: &PutKeys) -> Result<(), ApiError> {
        let me = self.member(team, caller).await?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&me.sign_pk).map_err(|_| MALFORMED)?;
        // One lookup per recipient, not per wrap (a batch holds hundreds of
        // wraps for a handful of devices).
        let mut active: std::collections::HashMap<Uuid, bool> = std::collections::HashMap::new();
        for k in &req.keys {
            if k.signer != caller || k.verify(team, &vk).is_err() {
                return Err(MALFORMED);
            }
            let ok = match active.get(&k.recipient) {
                Some(ok) => *ok,
                None => {
                    let ok = self.store.device(team, k.recipient).await?.is_some_and(|d| d.active);
                    active.insert(k.recipient, ok);
                    ok
                }
            };
            if !ok {
                return Err(MALFORMED);
            }
        }
        self.store.put_keys(team, &req.keys).await.map_err(|e| if e == StoreError::Gone { ERASED } else { e.into() })?;
        Ok(())
    }

    pub async fn push(&self, team: Uuid, caller: Uuid, req: &Push) -> Result<PushResult, ApiError> {
        if req.ops.len() > MAX_PUSH_OPS {
            return Err(TOO_LARGE);
        }
        let me = self.member(team, caller).await?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&me.sign_pk).map_err(|_| MALFORMED)?;
        // Check every op first; store the valid ones in order, answer for all.
        let mut outcomes: Vec<Option<PushOutcome>> = Vec::with_capacity(req.ops.len());
        let mut valid: Vec<NewOp> = Vec::new();
        for b in &req.ops {
            let verdict = (|| {
                let bytes = proto::unb64(b).ok_or(RejectReason::Malformed)?;
                let env = Envelope::parse(&bytes).map_err(|_| RejectReason::Malformed)?;
                if env.header.team != team {
                    return Err(RejectReason::Malformed);
                }
                if env.header.device != caller {
                    return Err(RejectReason::NotAuthor);
                }
                env.verify(&vk).map_err(|_| RejectReason::BadSignature)?;
                Ok(NewOp {
                    op_id: env.header.op_id,
                    stream: env.header.stream,
                    device: caller,
                    dseq: env.header.dseq,
                    prev: env.header.prev,
                    blob: bytes,
                })
            })();
            match verdict {
                Ok(op) => {
                    valid.push(op);
                    outcomes.push(None);
                }
                Err(reason) => outcomes.push(Some(PushOutcome::Rejected { reason })),
            }
        }
        let stored = self.store.push(team, &valid).await?;
        let mut stored = stored.into_iter();
        let outcomes: Vec<PushOutcome> =
            outcomes.into_iter().map(|o| o.or_else(|| stored.next()).unwrap_or(PushOutcome::Rejected { reason: RejectReason::Malformed })).collect();
        let rejected = outcomes.iter().filter(|o| matches!(o, PushOutcome::Rejected { .. })).count();
        tracing::info!(team = %team, device = %caller, ops = outcomes.len(), rejected, "push");
        Ok(PushResult { outcomes })
    }

    pub async fn pull(&self, team: Uuid, caller: Uuid, since: u64, limit: u32) -> Result<PullPage, ApiError> {
        self.member(team, caller).await?;
        let page = self.store.pull(team, since, limit.clamp(1, 5000)).await?;
        tracing::debug!(team = %team, device = %caller, ops = page.ops.len(), "pull");
        Ok(page)
    }

    pub async fn erase(&self, team: Uuid, caller: Uuid, stream: Uuid, doc: &SignedDoc) -> Result<(), ApiError> {
        let me = self.admin(team, caller).await?;
        let rec: EraseRecord = doc.decode().map_err(|_| MALFORMED)?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&me.sign_pk).map_err(|_| MALFORMED)?;
        if rec.team != team || rec.stream != stream || rec.signer != caller || doc.verify(&vk, "erase").is_err() {
            return Err(MALFORMED);
        }
        self.store.erase_stream(team, stream, doc).await?;
        tracing::info!(team = %team, device = %caller, stream = %stream, "stream erased");
        Ok(())
    }

    pub async fn put_blob(&self, team: Uuid, caller: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), ApiError> {
        self.member(team, caller).await?;
        if bytes.len() > MAX_BLOB {
            return Err(TOO_LARGE);
        }
        self.store.put_blob(team, stream, id, bytes).await.map_err(|e| if e == StoreError::Gone { ERASED } else { e.into() })?;
        tracing::info!(team = %team, device = %caller, stream = %stream, bytes = bytes.len(), "blob stored");
        Ok(())
    }

    pub async fn get_blob(&self, team: Uuid, caller: Uuid, stream: Uuid, id: Uuid) -> Result<Vec<u8>, ApiError> {
        self.member(team, caller).await?;
        self.store.get_blob(team, stream, id).await?.ok_or(NOT_FOUND)
    }

    /// Purges one blob (a member deleted the attachment; the tombstone is an
    /// op the server cannot read). Idempotent: a blob already gone is fine.
    pub async fn delete_blob(&self, team: Uuid, caller: Uuid, stream: Uuid, id: Uuid) -> Result<(), ApiError> {
        self.member(team, caller).await?;
        self.store.delete_blob(team, stream, id).await?;
        tracing::info!(team = %team, device = %caller, stream = %stream, "blob purged");
        Ok(())
    }

    /// An admin publishes a newer catalog. The server checks what it can
    /// (an admin's signature, the bundle's hash and size, a newer edition
    /// than the stored one); devices check all of it again, and the
    /// catalog itself, before using it.
    pub async fn publish_catalog(&self, team: Uuid, caller: Uuid, req: &PublishCatalog) -> Result<(), ApiError> {
        let me = self.admin(team, caller).await?;
        let bundle = proto::unb64(&req.bundle).ok_or(MALFORMED)?;
        if bundle.len() > MAX_CATALOG_BUNDLE {
            return Err(TOO_LARGE);
        }
        let rel: CatalogRelease = req.release.decode().map_err(|_| MALFORMED)?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&me.sign_pk).map_err(|_| MALFORMED)?;
        if rel.kind != proto::CATALOG_RELEASE_KIND
            || rel.team != team
            || rel.signer != caller
            || rel.size != bundle.len() as u64
            || rel.sha256 != proto::sha256_hex(&bundle)
            || req.release.verify(&vk, "catalog").is_err()
        {
            tracing::warn!(team = %team, device = %caller, "catalog refused: release does not match");
            return Err(MALFORMED);
        }
        if let Some(old) = self.store.catalog_release(team).await? {
            let old: CatalogRelease = old.decode().map_err(|_| MALFORMED)?;
            if !rel.is_newer_than(&old.published, &old.version) {
                tracing::warn!(team = %team, device = %caller, "catalog refused: not newer");
                return Err(CATALOG_NOT_NEWER);
            }
        }
        self.store.put_catalog(team, &req.release, &bundle).await?;
        tracing::info!(team = %team, device = %caller, bytes = bundle.len(), "catalog published");
        Ok(())
    }

    pub async fn catalog(&self, team: Uuid, caller: Uuid) -> Result<CatalogInfo, ApiError> {
        self.member(team, caller).await?;
        Ok(CatalogInfo { release: self.store.catalog_release(team).await? })
    }

    pub async fn catalog_bundle(&self, team: Uuid, caller: Uuid) -> Result<Vec<u8>, ApiError> {
        self.member(team, caller).await?;
        self.store.catalog_bundle(team).await?.ok_or(NOT_FOUND)
    }
}
