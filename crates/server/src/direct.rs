//! An in-process [`Remote`]: a device talking to a [`Service`] without
//! HTTP. For fast tests (the convergence property test runs thousands of
//! schedules) and for tools that embed the server.

use crate::service::{ApiError, Service};
use sesame_core::sync::proto::{CatalogInfo, CreateInvite, CreateTeam, Health, JoinRequest, Keys, MembershipDocs, PublishCatalog, PullPage, Push, PushResult, PutKeys, SignedDoc};
use sesame_core::sync::{Remote, RemoteError};
use uuid::Uuid;

/// One device's in-process connection.
#[derive(Debug, Clone)]
pub struct Direct {
    pub service: Service,
    pub device: Uuid,
    /// Answer health like a server of the first protocol (no features):
    /// the device then writes format-1 wrapped keys (tests of the old format).
    pub first_protocol: bool,
}

impl Direct {
    pub fn new(service: Service, device: Uuid) -> Self {
        Direct { service, device, first_protocol: false }
    }

    /// A connection that looks like a server of the first protocol.
    pub fn first_protocol(service: Service, device: Uuid) -> Self {
        Direct { service, device, first_protocol: true }
    }
}

fn refused(e: ApiError) -> RemoteError {
    if e.status == 503 {
        return RemoteError::Unreachable(e.code.into());
    }
    RemoteError::Refused { status: e.status, code: e.code.into(), message: e.message.into() }
}

impl Remote for Direct {
    async fn health(&self) -> Result<Health, RemoteError> {
        let mut h = self.service.health();
        if self.first_protocol {
            h.features.clear();
        }
        Ok(h)
    }
    async fn create_team(&self, req: &CreateTeam) -> Result<(), RemoteError> {
        self.service.create_team(self.device, req).await.map_err(refused)
    }
    async fn membership(&self, team: Uuid, since: u64) -> Result<MembershipDocs, RemoteError> {
        self.service.membership(team, self.device, since).await.map_err(refused)
    }
    async fn post_membership(&self, team: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.service.post_membership(team, self.device, doc).await.map_err(refused)
    }
    async fn create_invite(&self, team: Uuid, req: &CreateInvite) -> Result<(), RemoteError> {
        self.service.create_invite(team, self.device, req).await.map_err(refused)
    }
    async fn join(&self, team: Uuid, req: &JoinRequest) -> Result<(), RemoteError> {
        self.service.join(team, req).await.map_err(refused)
    }
    async fn keys(&self, team: Uuid) -> Result<Keys, RemoteError> {
        self.service.keys(team, self.device).await.map_err(refused)
    }
    async fn put_keys(&self, team: Uuid, req: &PutKeys) -> Result<(), RemoteError> {
        self.service.put_keys(team, self.device, req).await.map_err(refused)
    }
    async fn push(&self, team: Uuid, req: &Push) -> Result<PushResult, RemoteError> {
        self.service.push(team, self.device, req).await.map_err(refused)
    }
    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, RemoteError> {
        self.service.pull(team, self.device, since, limit).await.map_err(refused)
    }
    async fn erase(&self, team: Uuid, stream: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.service.erase(team, self.device, stream, doc).await.map_err(refused)
    }
    async fn catalog(&self, team: Uuid) -> Result<CatalogInfo, RemoteError> {
        self.service.catalog(team, self.device).await.map_err(refused)
    }
    async fn catalog_bundle(&self, team: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.service.catalog_bundle(team, self.device).await.map_err(refused)
    }
    async fn publish_catalog(&self, team: Uuid, req: &PublishCatalog) -> Result<(), RemoteError> {
        self.service.publish_catalog(team, self.device, req).await.map_err(refused)
    }
    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), RemoteError> {
        self.service.put_blob(team, self.device, stream, id, bytes).await.map_err(refused)
    }
    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.service.get_blob(team, self.device, stream, id).await.map_err(refused)
    }
    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), RemoteError> {
        self.service.delete_blob(team, self.device, stream, id).await.map_err(refused)
    }
}
