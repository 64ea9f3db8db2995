//! A malicious (or broken) server: tampered ciphertext, an op signed by a
//! non-member, a replayed op, a reordered stream, a withheld op, a forged
//! membership version, a forged key, and an op from a removed member after
//! its removal. Each is refused; nothing is applied; and once the server
//! behaves again, the device catches up without losing anything.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use sesame_core::domain::Entity;
use sesame_core::sync::proto::{
    self, CreateInvite, CreateTeam, Envelope, Health, JoinRequest, Keys, Membership, MembershipDocs, OpHeader, PullPage,
    PulledOp, Push, PushResult, PutKeys, SignedDoc, WrappedKey,
};
use sesame_core::sync::{self, Remote, RemoteError, SyncError};
use sesame_server::store::NewOp;
use sesame_server::{Direct, Service, Store};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

type Tamper = Box<dyn FnMut(&mut PullPage) + Send>;

/// A server that may lie. `bypass` talks to the storage directly, skipping
/// every check the honest service makes (a compromised server colluding
/// with a removed device).
struct Evil {
    direct: Direct,
    store: Arc<dyn Store>,
    bypass: bool,
    tamper_pull: Mutex<Option<Tamper>>,
    tamper_membership: Mutex<Option<Box<dyn FnMut(&mut MembershipDocs) + Send>>>,
    tamper_keys: Mutex<Option<Box<dyn FnMut(&mut Keys) + Send>>>,
}

impl Evil {
    fn new(service: &Service, device: Uuid) -> Self {
        Evil {
            direct: Direct::new(service.clone(), device),
            store: service.store.clone(),
            bypass: false,
            tamper_pull: Mutex::new(None),
            tamper_membership: Mutex::new(None),
            tamper_keys: Mutex::new(None),
        }
    }
    fn on_pull(&self, f: impl FnMut(&mut PullPage) + Send + 'static) {
        *self.tamper_pull.lock().unwrap() = Some(Box::new(f));
    }
    fn honest(&self) {
        *self.tamper_pull.lock().unwrap() = None;
        *self.tamper_membership.lock().unwrap() = None;
        *self.tamper_keys.lock().unwrap() = None;
    }
}

impl Remote for Evil {
    async fn health(&self) -> Result<Health, RemoteError> {
        self.direct.health().await
    }
    async fn create_team(&self, req: &CreateTeam) -> Result<(), RemoteError> {
        self.direct.create_team(req).await
    }
    async fn membership(&self, team: Uuid, since: u64) -> Result<MembershipDocs, RemoteError> {
        let mut m = if self.bypass {
            MembershipDocs { docs: self.store.membership_docs(team, since).await.unwrap(), pending: vec![] }
        } else {
            self.direct.membership(team, since).await?
        };
        if let Some(f) = self.tamper_membership.lock().unwrap().as_mut() {
            f(&mut m);
        }
        Ok(m)
    }
    async fn post_membership(&self, team: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.direct.post_membership(team, doc).await
    }
    async fn create_invite(&self, team: Uuid, req: &CreateInvite) -> Result<(), RemoteError> {
        self.direct.create_invite(team, req).await
    }
    async fn join(&self, team: Uuid, req: &JoinRequest) -> Result<(), RemoteError> {
        self.direct.join(team, req).await
    }
    async fn keys(&self, team: Uuid) -> Result<Keys, RemoteError> {
        let mut k = if self.bypass {
            Keys { keys: self.store.keys_for(team, self.direct.device).await.unwrap(), needed: vec![] }
        } else {
            self.direct.keys(team).await?
        };
        if let Some(f) = self.tamper_keys.lock().unwrap().as_mut() {
            f(&mut k);
        }
        Ok(k)
    }
    async fn put_keys(&self, team: Uuid, req: &PutKeys) -> Result<(), RemoteError> {
        if self.bypass {
            return Ok(());
        }
        self.direct.put_keys(team, req).await
    }
    async fn push(&self, team: Uuid, req: &Push) -> Result<PushResult, RemoteError> {
        if self.bypass {
            let ops: Vec<NewOp> = req
                .ops
                .iter()
                .map(|b| {
                    let bytes = proto::unb64(b).unwrap();
                    let h = Envelope::parse(&bytes).unwrap().header;
                    NewOp { op_id: h.op_id, stream: h.stream, device: h.device, dseq: h.dseq, prev: h.prev, blob: bytes }
                })
                .collect();
            return Ok(PushResult { outcomes: self.store.push(team, &ops).await.unwrap() });
        }
        self.direct.push(team, req).await
    }
    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, RemoteError> {
        let mut page = if self.bypass { self.store.pull(team, since, limit).await.unwrap() } else { self.direct.pull(team, since, limit).await? };
        if let Some(f) = self.tamper_pull.lock().unwrap().as_mut() {
            f(&mut page);
        }
        Ok(page)
    }
    async fn erase(&self, team: Uuid, stream: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.direct.erase(team, stream, doc).await
    }
    async fn catalog(&self, team: Uuid) -> Result<sesame_core::sync::proto::CatalogInfo, RemoteError> {
        self.direct.catalog(team).await
    }
    async fn catalog_bundle(&self, team: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.direct.catalog_bundle(team).await
    }
    async fn publish_catalog(&self, team: Uuid, req: &sesame_core::sync::proto::PublishCatalog) -> Result<(), RemoteError> {
        self.direct.publish_catalog(team, req).await
    }
    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), RemoteError> {
        self.direct.put_blob(team, stream, id, bytes).await
    }
    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.direct.get_blob(team, stream, id).await
    }
    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), RemoteError> {
        self.direct.delete_blob(team, stream, id).await
    }
}

struct World {
    service: Service,
    d: Vec<Device<Evil>>,
}

async fn world(n: usize) -> World {
    let store = sesame_server::open("sqlite::memory:").await.unwrap();
    let service = Service::new(store, Arc::new(sesame_core::clock::SystemClock));
    let d = team_of(n, "inproc://", |v| Evil::new(&service, v.device_id().0)).await;
    World { service, d }
}

/// The admin writes a file with several ops and sends it.
async fn admin_writes(w: &mut World) -> sesame_core::domain::Id {
    let a = w.d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    w.d[0].vault.update(Entity::Applicant, a, &[("notes", "première note")]).unwrap();
    w.d[0].sync().await;
    a
}

fn misbehaved(r: Result<sync::SyncReport, SyncError>, what: &str) {
    match r {
        Err(SyncError::ServerMisbehaved(why)) => assert!(why.contains(what), "{why:?} should mention {what:?}"),
        other => panic!("expected the server to be caught ({what}), got {other:?}"),
    }
}

/// Runs a lying pull on device 1: refused, nothing changes; then honest again: caught up.
async fn refused_then_recovers(w: &mut World, what: &str, tamper: impl FnMut(&mut PullPage) + Send + 'static) {
    let before = view(&w.d[1].vault);
    let cursor_before = sync::status(&w.d[1].vault).unwrap();
    w.d[1].remote.on_pull(tamper);
    let r = w.d[1].try_sync().await;
    misbehaved(r, what);
    assert_eq!(view(&w.d[1].vault), before, "nothing applied");
    let st = sync::status(&w.d[1].vault).unwrap();
    assert_eq!(st.last_error.as_deref(), Some("server_misbehaved"));
    assert!(st.alerts.iter().any(|a| a.code == "server_misbehaved"));
    assert_eq!(st.held_ops, cursor_before.held_ops);
    w.d[1].remote.honest();
    w.d[1].sync().await;
    assert_eq!(view(&w.d[1].vault), view(&w.d[0].vault), "caught up once the server behaves");
}

#[tokio::test]
async fn tampered_ciphertext_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    refused_then_recovers(&mut w, "bad signature", |p| {
        if let Some(op) = p.ops.first_mut() {
            let mut b = proto::unb64(&op.blob).unwrap();
            b[proto::HEADER_LEN + 30] ^= 0x01;
            op.blob = proto::b64(&b);
        }
    })
    .await;
}

#[tokio::test]
async fn op_moved_to_another_stream_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    // Rewrite the header (another stream): the signature covers it.
    refused_then_recovers(&mut w, "another team or stream", |p| {
        if let Some(op) = p.ops.last_mut() {
            op.stream = Uuid::new_v4();
        }
    })
    .await;
}

#[tokio::test]
async fn op_signed_by_a_non_member_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    let team = sync::status(&w.d[0].vault).unwrap().team.unwrap();
    refused_then_recovers(&mut w, "not a member", move |p| {
        let Some(last) = p.ops.last().cloned() else { return };
        let intruder = SigningKey::from_bytes(&[42; 32]);
        let h = OpHeader { team, stream: last.stream, op_id: Uuid::new_v4(), device: Uuid::new_v4(), dseq: 1, prev: 0, key_version: 1 };
        let env = Envelope::sign(h, [1; 24], vec![0; 64], &intruder);
        p.ops.push(PulledOp { stream: last.stream, seq: last.seq + 1, gseq: last.gseq + 1, blob: proto::b64(&env.to_bytes()) });
        if let Some(heads) = p.heads.as_mut() {
            for hd in heads.iter_mut().filter(|hd| hd.stream == last.stream) {
                hd.seq += 1;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn replayed_op_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    refused_then_recovers(&mut w, "replayed", |p| {
        let Some(first) = p.ops.first().cloned() else { return };
        let last = p.ops.iter().filter(|o| o.stream == first.stream).map(|o| o.seq).max().unwrap_or(0);
        let g = p.ops.last().map_or(0, |o| o.gseq);
        p.ops.push(PulledOp { seq: last + 1, gseq: g + 1, ..first.clone() });
        if let Some(heads) = p.heads.as_mut() {
            for hd in heads.iter_mut().filter(|hd| hd.stream == first.stream) {
                hd.seq += 1;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn reordered_stream_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    refused_then_recovers(&mut w, "reordered", |p| {
        // Swap the contents of two positions, keep the positions.
        if p.ops.len() >= 2 {
            let (a, b) = (p.ops[0].blob.clone(), p.ops[1].blob.clone());
            p.ops[0].blob = b;
            p.ops[1].blob = a;
        }
    })
    .await;
}

#[tokio::test]
async fn withheld_op_is_detected() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    refused_then_recovers(&mut w, "skips", |p| {
        if p.ops.len() >= 2 {
            p.ops.remove(0);
        }
    })
    .await;
    // Withholding the last op of a stream shows in the heads instead.
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    refused_then_recovers(&mut w, "withheld", |p| {
        p.ops.pop();
    })
    .await;
}

#[tokio::test]
async fn forged_membership_version_is_refused() {
    let mut w = world(2).await;
    admin_writes(&mut w).await;
    let team = sync::status(&w.d[0].vault).unwrap().team.unwrap();
    let head = w.service.store.membership_head(team).await.unwrap();
    let intruder = SigningKey::from_bytes(&[7; 32]);
    let intruder_id = Uuid::new_v4();
    // The next version, well formed, but signed by an outsider who adds itself as admin.
    let mut next: Membership = head.decode().unwrap();
    next.version += 1;
    next.prev_hash = Some(head.hash().unwrap());
    next.signer = intruder_id;
    next.members.push(proto::Member {
        device: intruder_id,
        sign_pk: proto::b64(intruder.verifying_key().as_bytes()),
        age: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        role: proto::Role::Admin,
        added_in: next.version,
        removed_in: None,
        cutoff_dseq: None,
    });
    let forged = SignedDoc::sign(&next, &intruder);
    *w.d[1].remote.tamper_membership.lock().unwrap() = Some(Box::new(move |m: &mut MembershipDocs| m.docs.push(forged.clone())));
    let r = w.d[1].try_sync().await;
    misbehaved(r, "membership");
    w.d[1].remote.honest();
    w.d[1].sync().await;
    assert_eq!(sync::status(&w.d[1].vault).unwrap().membership_version, 2);
}

#[tokio::test]
async fn forged_key_is_not_used() {
    let mut w = world(2).await;
    let team = sync::status(&w.d[0].vault).unwrap().team.unwrap();
    let me = w.d[1].vault.device_id().0;
    let intruder = SigningKey::from_bytes(&[9; 32]);
    let stream = Uuid::new_v4();
    *w.d[1].remote.tamper_keys.lock().unwrap() = Some(Box::new(move |k: &mut Keys| {
        k.keys.push(WrappedKey::sign(team, stream, 1, me, 1, 1, Uuid::new_v4(), b"not an age file", &intruder));
    }));
    w.d[1].sync().await;
    let st = sync::status(&w.d[1].vault).unwrap();
    assert!(st.alerts.iter().any(|a| a.code == "key_refused"), "{:?}", st.alerts);
}

#[tokio::test]
async fn op_from_a_removed_member_after_removal_is_refused() {
    let mut w = world(3).await;
    let a = admin_writes(&mut w).await;
    w.d[1].sync().await;
    w.d[2].sync().await;
    // Device 2 is removed; the admin's cutoff covers what it had sent.
    let removed = w.d[2].vault.device_id().0;
    let admin = &mut w.d[0];
    sync::team::remove(&mut admin.vault, &admin.remote, &removed.to_string()).await.unwrap();
    w.d[1].sync().await;
    // The removed device (a modified client, say) conspires with a
    // compromised server that hides its removal from it and stores
    // whatever it sends.
    let r = &mut w.d[2];
    r.remote.bypass = true;
    *r.remote.tamper_membership.lock().unwrap() = Some(Box::new(|m: &mut MembershipDocs| m.docs.clear()));
    r.vault.update(Entity::Applicant, a, &[("notes", "écrit après le retrait")]).unwrap();
    r.try_sync().await.unwrap();
    // The admin then writes under the new key: the removed device cannot read it.
    w.d[0].vault.update(Entity::Applicant, a, &[("phone", "0600000000")]).unwrap();
    w.d[0].sync().await;
    let _ = w.d[2].try_sync().await;
    assert_eq!(w.d[2].vault.applicant(a).unwrap().phone, None, "the removed device cannot read new ops");
    // The members refuse the removed device's op, and say so.
    for i in 0..2 {
        let d = &mut w.d[i];
        let rep = d.sync().await;
        assert_eq!(d.vault.applicant(a).unwrap().notes.as_deref(), Some("première note"), "device {i}");
        assert_eq!(d.vault.applicant(a).unwrap().phone.as_deref(), Some("0600000000"));
        let st = sync::status(&d.vault).unwrap();
        assert!(st.alerts.iter().any(|al| al.code == "removed_device_op") || rep.refused > 0, "device {i}: {:?}", st.alerts);
    }
    // An honest server refuses the removed device at the door, and an
    // honest client stops when it learns of its removal.
    w.d[2].remote.honest();
    w.d[2].remote.bypass = false;
    match w.d[2].try_sync().await {
        Err(SyncError::Removed) => {}
        other => panic!("expected Removed, got {other:?}"),
    }
    let _ = (&w.service, proto::MAX_PUSH_OPS);
}
