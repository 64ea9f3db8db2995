//! Property test: whatever the network does to the requests — drop them,
//! lose their answers, deliver them twice, hold them back and deliver them
//! late and out of order — every replica converges once the network heals,
//! and no op is lost.
//!
//! Runs 1,000 random schedules by default against the real service over an
//! in-memory SQLite store (in-process, no HTTP, for speed), and a smaller
//! number over HTTP. For a long run:
//!
//! ```text
//! SESAME_SCHEDULES=100000 cargo test --release -p sesame-server --test convergence -- --nocapture
//! ```
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use sesame_core::domain::{Entity, Id};
use sesame_core::sync::proto::{CreateInvite, CreateTeam, Health, JoinRequest, Keys, MembershipDocs, PullPage, Push, PushResult, PutKeys, SignedDoc};
use sesame_core::sync::{self, Remote, RemoteError, SyncError};
use sesame_server::{Direct, Service};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// A tiny deterministic generator (SplitMix64), seeded by the schedule.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The network between one device and the server.
struct Flaky<R> {
    inner: R,
    rng: Mutex<Rng>,
    /// Pushes held back, delivered later in any order.
    late: Mutex<Vec<(Uuid, Push)>>,
    healthy: std::sync::atomic::AtomicBool,
}

fn down() -> RemoteError {
    RemoteError::Unreachable("network fault (test)".into())
}

impl<R: Remote> Flaky<R> {
    fn new(inner: R, seed: u64) -> Self {
        Flaky { inner, rng: Mutex::new(Rng(seed)), late: Mutex::new(Vec::new()), healthy: true.into() }
    }

    fn roll(&self, percent: u64) -> bool {
        !self.healthy.load(std::sync::atomic::Ordering::SeqCst) && self.rng.lock().unwrap().chance(percent)
    }

    /// Delivers some (or, healed, all) held-back pushes, in a shuffled order.
    async fn deliver_late(&self, all: bool) {
        let batch: Vec<(Uuid, Push)> = {
            let mut late = self.late.lock().unwrap();
            let mut rng = self.rng.lock().unwrap();
            let mut out = Vec::new();
            let mut i = 0;
            while i < late.len() {
                if all || rng.chance(40) {
                    let j = (rng.next() % (late.len() as u64)) as usize;
                    out.push(late.swap_remove(j));
                } else {
                    i += 1;
                }
            }
            out
        };
        for (team, p) in batch {
            let _ = self.inner.push(team, &p).await;
        }
    }

    /// Before a request: maybe fail it outright.
    async fn before(&self) -> Result<(), RemoteError> {
        self.deliver_late(false).await;
        if self.roll(12) { Err(down()) } else { Ok(()) }
    }

    /// After a request that reached the server: maybe lose the answer.
    fn after<T>(&self, r: Result<T, RemoteError>) -> Result<T, RemoteError> {
        if r.is_ok() && self.roll(12) { Err(down()) } else { r }
    }
}

impl<R: Remote> Remote for Flaky<R> {
    async fn health(&self) -> Result<Health, RemoteError> {
        self.before().await?;
        self.inner.health().await
    }
    async fn create_team(&self, req: &CreateTeam) -> Result<(), RemoteError> {
        self.inner.create_team(req).await
    }
    async fn membership(&self, team: Uuid, since: u64) -> Result<MembershipDocs, RemoteError> {
        self.before().await?;
        let r = self.inner.membership(team, since).await;
        self.after(r)
    }
    async fn post_membership(&self, team: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.inner.post_membership(team, doc).await
    }
    async fn create_invite(&self, team: Uuid, req: &CreateInvite) -> Result<(), RemoteError> {
        self.inner.create_invite(team, req).await
    }
    async fn join(&self, team: Uuid, req: &JoinRequest) -> Result<(), RemoteError> {
        self.inner.join(team, req).await
    }
    async fn keys(&self, team: Uuid) -> Result<Keys, RemoteError> {
        self.before().await?;
        let r = self.inner.keys(team).await;
        self.after(r)
    }
    async fn put_keys(&self, team: Uuid, req: &PutKeys) -> Result<(), RemoteError> {
        self.before().await?;
        let r = self.inner.put_keys(team, req).await;
        self.after(r)
    }
    async fn push(&self, team: Uuid, req: &Push) -> Result<PushResult, RemoteError> {
        self.before().await?;
        if self.roll(15) {
            // Held back: delivered later, after the device has retried.
            self.late.lock().unwrap().push((team, req.clone()));
            return Err(down());
        }
        let r = self.inner.push(team, req).await;
        if self.roll(10) {
            // Delivered twice.
            let _ = self.inner.push(team, req).await;
        }
        if self.roll(10) {
            // And once more, later.
            self.late.lock().unwrap().push((team, req.clone()));
        }
        self.after(r)
    }
    async fn pull(&self, team: Uuid, since: u64, limit: u32) -> Result<PullPage, RemoteError> {
        self.before().await?;
        let r = self.inner.pull(team, since, limit).await;
        self.after(r)
    }
    async fn erase(&self, team: Uuid, stream: Uuid, doc: &SignedDoc) -> Result<(), RemoteError> {
        self.inner.erase(team, stream, doc).await
    }
    async fn catalog(&self, team: Uuid) -> Result<sesame_core::sync::proto::CatalogInfo, RemoteError> {
        self.before().await?;
        let r = self.inner.catalog(team).await;
        self.after(r)
    }
    async fn catalog_bundle(&self, team: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.before().await?;
        let r = self.inner.catalog_bundle(team).await;
        self.after(r)
    }
    async fn publish_catalog(&self, team: Uuid, req: &sesame_core::sync::proto::PublishCatalog) -> Result<(), RemoteError> {
        self.inner.publish_catalog(team, req).await
    }
    async fn put_blob(&self, team: Uuid, stream: Uuid, id: Uuid, bytes: &[u8]) -> Result<(), RemoteError> {
        self.before().await?;
        let r = self.inner.put_blob(team, stream, id, bytes).await;
        self.after(r)
    }
    async fn get_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<Vec<u8>, RemoteError> {
        self.before().await?;
        let r = self.inner.get_blob(team, stream, id).await;
        self.after(r)
    }
    async fn delete_blob(&self, team: Uuid, stream: Uuid, id: Uuid) -> Result<(), RemoteError> {
        self.before().await?;
        let r = self.inner.delete_blob(team, stream, id).await;
        self.after(r)
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// A device creates an applicant.
    Create(usize, u8),
    /// A device edits a field of the n-th applicant it knows.
    Edit(usize, usize, u8, u8),
    /// A device opens a case for the n-th applicant it knows, with a journal entry.
    OpenCase(usize, usize),
    /// A device deletes the n-th applicant it knows.
    Delete(usize, usize),
    /// A device syncs (through the flaky network).
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..3usize, any::<u8>()).prop_map(|(d, n)| Step::Create(d, n)),
        5 => (0..3usize, any::<usize>(), 0..3u8, 0..3u8).prop_map(|(d, i, f, v)| Step::Edit(d, i, f, v)),
        1 => (0..3usize, any::<usize>()).prop_map(|(d, i)| Step::OpenCase(d, i)),
        1 => (0..3usize, any::<usize>()).prop_map(|(d, i)| Step::Delete(d, i)),
        6 => (0..3usize).prop_map(Step::Sync),
    ]
}

const FIELDS: [&str; 3] = ["notes", "phone", "given_name"];
const VALUES: [&str; 3] = ["0611111111", "0622222222", "0633333333"];

fn nth_applicant(v: &sesame_core::vault::Vault, i: usize) -> Option<Id> {
    let all = v.applicants().unwrap();
    (!all.is_empty()).then(|| all[i % all.len()].id)
}

async fn run_schedule<R: Remote>(devices: &mut [Device<Flaky<R>>], steps: &[Step]) -> Result<(), TestCaseError> {
    for s in steps {
        match *s {
            Step::Create(d, n) => {
                let given = format!("Prénom{n}");
                devices[d].vault.create(Entity::Applicant, &[("family_name", "Testeur"), ("given_name", &given)]).unwrap();
            }
            Step::Edit(d, i, f, v) => {
                if let Some(id) = nth_applicant(&devices[d].vault, i) {
                    devices[d].vault.update(Entity::Applicant, id, &[(FIELDS[f as usize], VALUES[v as usize])]).unwrap();
                }
            }
            Step::OpenCase(d, i) => {
                if let Some(id) = nth_applicant(&devices[d].vault, i) {
                    let c = devices[d].vault.create(Entity::Case, &[("applicant_id", &id.to_string()), ("procedure", "dcem_first")]).unwrap();
                    devices[d]
                        .vault
                        .create(Entity::JournalEntry, &[("case_id", &c.to_string()), ("at", "2026-11-28T10:00:00+01:00"), ("text", "note")])
                        .unwrap();
                }
            }
            Step::Delete(d, i) => {
                if let Some(id) = nth_applicant(&devices[d].vault, i) {
                    devices[d].vault.delete(Entity::Applicant, id).unwrap();
                }
            }
            Step::Sync(d) => match sync::sync_once(&mut devices[d].vault, &devices[d].remote).await {
                Ok(_) | Err(SyncError::Unreachable(_)) => {}
                Err(e) => return Err(TestCaseError::fail(format!("sync refused on an honest server: {e}"))),
            },
        }
    }
    // The network heals: late pushes land, everyone syncs until quiet.
    for d in devices.iter() {
        d.remote.healthy.store(true, std::sync::atomic::Ordering::SeqCst);
        d.remote.deliver_late(true).await;
    }
    let authored: BTreeSet<String> = devices.iter().flat_map(|d| d.vault.ops(None).unwrap()).map(|o| o.id.to_string()).collect();
    for _ in 0..3 {
        for d in devices.iter_mut() {
            sync::sync_once(&mut d.vault, &d.remote).await.map_err(|e| TestCaseError::fail(format!("healed sync: {e}")))?;
        }
    }
    let first = view(&devices[0].vault);
    let conflicts = |d: &Device<Flaky<R>>| -> Vec<(Id, String)> {
        d.vault.conflicts().unwrap().into_iter().map(|c| (c.entity_id, c.field)).collect()
    };
    for d in devices.iter() {
        prop_assert_eq!(&view(&d.vault), &first, "replicas differ");
        let ids: BTreeSet<String> = d.vault.ops(None).unwrap().into_iter().map(|o| o.id.to_string()).collect();
        prop_assert_eq!(&ids, &authored, "an op was lost");
        prop_assert_eq!(conflicts(d), conflicts(&devices[0]));
        prop_assert!(d.vault.replay_matches().unwrap());
        let st = sync::status(&d.vault).unwrap();
        prop_assert_eq!(st.pending_ops, 0);
        prop_assert_eq!(st.held_ops, 0);
    }
    Ok(())
}

fn schedules(default: u32) -> u32 {
    std::env::var("SESAME_SCHEDULES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[test]
fn random_schedules_converge_in_process() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cases = schedules(1000);
    let started = std::time::Instant::now();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&(proptest::collection::vec(step(), 5..40), any::<u64>()), |(steps, seed)| {
            rt.block_on(async {
                let store = sesame_server::open("sqlite::memory:").await.unwrap();
                let service = Service::new(store, Arc::new(sesame_core::clock::SystemClock));
                let mut n = 0u64;
                let t0 = std::time::Instant::now();
                let mut devices = team_of(3, "inproc://", |v| {
                    n += 1;
                    Flaky::new(Direct::new(service.clone(), v.device_id().0), seed.wrapping_add(n))
                })
                .await;
                for d in &devices {
                    d.remote.healthy.store(false, std::sync::atomic::Ordering::SeqCst);
                }
                let t1 = std::time::Instant::now();
                let r = run_schedule(&mut devices, &steps).await;
                if std::env::var("SESAME_TIMING").is_ok() {
                    eprintln!("setup {:?} run {:?} steps {}", t1 - t0, t1.elapsed(), steps.len());
                }
                r
            })
        })
        .unwrap();
    eprintln!("{cases} schedules converged in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn random_schedules_converge_over_http() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cases = schedules(1000) / 20;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: cases.max(10), failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&(proptest::collection::vec(step(), 5..30), any::<u64>()), |(steps, seed)| {
            rt.block_on(async {
                let tmp = tempdir();
                let (store, _) = sqlite_store(tmp.path());
                let server = serve(store, "127.0.0.1:0").await;
                let url = server.url.clone();
                let mut n = 0u64;
                let mut devices = team_of(3, &url, |v| {
                    n += 1;
                    Flaky::new(sync::HttpRemote::connect(v, &url).unwrap(), seed.wrapping_add(n))
                })
                .await;
                for d in &devices {
                    d.remote.healthy.store(false, std::sync::atomic::Ordering::SeqCst);
                }
                let r = run_schedule(&mut devices, &steps).await;
                server.stop().await;
                r
            })
        })
        .unwrap();
}
