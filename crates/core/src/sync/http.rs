//! The [`Remote`] that talks HTTP(S) to `sesame serve`.
//!
//! Every request is signed with the device's ed25519 key over the method,
//! path, a timestamp and the body's hash. The timestamp is in the server's
//! time (learnt from `/v1/health`), so a laptop whose clock is off still
//! authenticates — and is told its clock is off before it sends anything.

use super::engine::device_keys;
use super::proto::{self, CatalogInfo, CreateInvite, CreateTeam, ErrorBody, Health, JoinRequest, Keys, MembershipDocs, PublishCatalog, PullPage, Push, PushResult, PutKeys, SignedDoc};
use super::{Remote, RemoteError, SyncError};
use crate::vault::Vault;
use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// A connection to the team's server for one device.
pub struct HttpRemote {
    base: String,
    device: Uuid,
    key: SigningKey,
    client: reqwest::Client,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    /// Server time minus local time, from the last health check.
    offset_ms: AtomicI64,
    /// Bytes sent and received (bodies and headers as counted by us), for benchmarks.
    pub bytes_sent: std::sync::atomic::AtomicU64,
    pub bytes_received: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for HttpRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRemote").field("base", &self.base).field("device", &self.device).finish_non_exhaustive()
    }
}

impl HttpRemote {
    /// A remote for this vault's device at `url` (`https://…` or `http://127.0.0.1:…`).
    pub fn connect(vault: &Vault, url: &str) -> Result<Self, SyncError> {
        let keys = device_keys(vault.conn_ref())?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(HttpRemote {
            base: url.trim_end_matches('/').to_owned(),
            device: vault.device_id().0,
            key: SigningKey::from_bytes(&keys.signing().to_bytes()),
            client,
            clock: vault.clock(),
            offset_ms: AtomicI64::new(0),
            bytes_sent: Default::default(),
            bytes_received: Default::default(),
        })
    }

    /// A remote for the server of this vault's team.
    pub fn for_team(vault: &Vault) -> Result<Self, SyncError> {
        let team = super::engine::team_row(vault.conn_ref())?.ok_or(SyncError::NoTeam)?;
        Self::connect(vault, &team.url)
    }

    fn now_ms(&self) -> u64 {
        let local = self.clock.now_millis() as i64;
        u64::try_from(local + self.offset_ms.load(Ordering::Relaxed)).unwrap_or(0)
    }

    async fn send<T: DeserializeOwned>(&self, method: reqwest::Method, path: &str, body: Option<Vec<u8>>) -> Result<T, RemoteError> {
        let bytes = self.send_raw(method, path, body.unwrap_or_default(), "application/json").await?;
        serde_json::from_slice(&bytes).map_err(|e| RemoteError::Malformed(e.to_string()))
    }

    /// Sends a signed request; returns the answer's body if it is a success.
    async fn send_raw(&self, method: reqwest::Method, path: &str, body: Vec<u8>, content_type: &str) -> Result<Vec<u8>, RemoteError> {
        let auth = proto::authorization(self.device, &self.key, method.as_str(), path, self.now_ms(), &body);
        let mut req = self.client.request(method, format!("{}{path}", self.base)).header("authorization", &auth);
        if !body.is_empty() {
            req = req.header("content-type", content_type);
        }
        self.bytes_sent.fetch_add((body.len() + auth.len() + path.len() + 120) as u64, Ordering::Relaxed);
        let resp = req.body(body).send().await.map_err(|e| RemoteError::Unreachable(without_url(e)))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| RemoteError::Unreachable(without_url(e)))?;
        self.bytes_received.fetch_add(bytes.len() as u64 + 100, Ordering::Relaxed);
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let err: ErrorBody = serde_json::from_slice(&bytes)
            .unwrap_or(ErrorBody { code: "http".into(), message: format!("HTTP {}", status.as_u16()) });
        if status.is_server_error() && status.as_u16() != 500 {
            return Err(RemoteError::Unreachable(format!("HTTP {}", status.as_u16())));
        }
        Err(RemoteError::Refused { status: status.as_u16(), code: err.code, message: err.message })
    }

    fn json<T: Serialize>(v: &T) -> Option<Vec<u8>> {
        serde_json::to_vec(v).ok()
    }
}

/// reqwest's errors name the URL; keep them short and free of query strings.
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[derive(serde::Deserialize)]
struct Empty {}

impl Remote for HttpRemote {
    async fn health(&self) -> Result<Health, RemoteError> {
        let before = self.clock.now_millis() as i64;
        let h: Health = self.send(reqwest::Method::GET, "/v1/health", None).await?;
        let after = self.clock.now_millis() as i64;
        self.offset_ms.store(h.time_ms as i64 - (before + after) / 2, Ordering::Relaxed);
        Ok(h)
    }

    async fn create_team(&self, req: &CreateTeam) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, "/v1/teams", Self::json(req)).await.map(|_| ())
    }

    async fn membership(&self, team: Uuid, since: u64) -> Result<MembershipDocs, RemoteError> {
        self.send(reqwest::Method::GET, &format!("/v1/teams/{team}/membership?since={since}"), None).await
    }

    async fn post_membership(&self, team: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, &format!("/v1/teams/{team}/membership"), Self::json(doc)).await.map(|_| ())
    }

    async fn create_invite(&self, team: Uuid, req: &CreateInvite) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, &format!("/v1/teams/{team}/invites"), Self::json(req)).await.map(|_| ())
    }

    async fn join(&self, team: Uuid, req: &JoinRequest) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, &format!("/v1/teams/{team}/join"), Self::json(req)).await.map(|_| ())
    }

    async fn keys(&self, team: Uuid) -> Result<Keys, RemoteError> {
        self.send(reqwest::Method::GET, &format!("/v1/teams/{team}/keys"), None).await
    }

    async fn put_keys(&self, team: Uuid, req: &PutKeys) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, &format!("/v1/teams/{team}/keys"), Self::json(req)).await.map(|_| ())
    }

    async fn push(&self, team: Uuid, req: &Push) -> Result<PushResult, RemoteError> {
        self.send(reqwest::Method::POST, &format!("/v1/teams/{team}/ops"), Self::json(req)).await
    }

    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, RemoteError> {
        self.send(reqwest::Method::GET, &format!("/v1/teams/{team}/ops?since={since}&limit={limit}"), None).await
    }

    async fn erase(&self, team: Uuid, stream: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::POST, &format!("/v1/teams/{team}/streams/{stream}/erase"), Self::json(doc))
            .await
            .map(|_| ())
    }

    async fn catalog(&self, team: Uuid) -> Result<CatalogInfo, RemoteError> {
        self.send(reqwest::Method::GET, &format!("/v1/teams/{team}/catalog"), None).await
    }

    async fn catalog_bundle(&self, team: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.send_raw(reqwest::Method::GET, &format!("/v1/teams/{team}/catalog/bundle"), Vec::new(), "").await
    }

    async fn publish_catalog(&self, team: Uuid, req: &PublishCatalog) -> Result<(), RemoteError> {
        self.send::<Empty>(reqwest::Method::PUT, &format!("/v1/teams/{team}/catalog"), Self::json(req)).await.map(|_| ())
    }

    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), RemoteError> {
        let path = format!("/v1/teams/{team}/streams/{stream}/blobs/{id}");
        self.send_raw(reqwest::Method::PUT, &path, bytes.to_vec(), "application/octet-stream").await.map(|_| ())
    }

    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.send_raw(reqwest::Method::GET, &format!("/v1/teams/{team}/streams/{stream}/blobs/{id}"), Vec::new(), "").await
    }

    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), RemoteError> {
        self.send_raw(reqwest::Method::DELETE, &format!("/v1/teams/{team}/streams/{stream}/blobs/{id}"), Vec::new(), "").await.map(|_| ())
    }
}
