//! Wrapped keys, both formats: format 2 (one age file per recipient and
//! round, each stream key sealed under it) written to a server that says it
//! accepts it; format 1 (one age file per stream key) written to a server of
//! the first protocol, and still read by every device.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sesame_core::domain::Entity;
use sesame_core::sync::proto::WrappedKey;
use sesame_server::{Direct, Service};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Every wrap the server holds for `device`.
async fn wraps_for(store: &Arc<dyn sesame_server::Store>, team: uuid::Uuid, device: uuid::Uuid) -> Vec<WrappedKey> {
    store.keys_for(team, device).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_wrap_formats_are_read_and_format_2_shares_one_age_file_per_recipient() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    let svc = Service::new(store.clone(), Arc::new(sesame_core::clock::SystemClock));
    // Device 0 talks to the server as if it were of the first protocol:
    // it writes format-1 wraps. Devices 1 and 2 write format 2.
    let mut n = 0;
    let mut d = team_of(3, "http://direct", |v| {
        n += 1;
        if n == 1 { Direct::first_protocol(svc.clone(), v.device_id().0) } else { Direct::new(svc.clone(), v.device_id().0) }
    })
    .await;
    let team = sesame_core::sync::status(&d[0].vault).unwrap().team.unwrap();

    let mut by = Vec::new();
    for (i, name) in [(0, "Quatrebarbes"), (0, "Brzęczyszczykiewicz"), (1, "Okonkwo-Diallo"), (1, "Nguyen"), (1, "Haddad"), (2, "Sørensen")] {
        let a = d[i].vault.create(Entity::Applicant, &[("family_name", name), ("given_name", "Test")]).unwrap();
        by.push((i, a));
    }
    sync_all(&mut d, 2).await;
    for dev in &d {
        for (_, a) in &by {
            assert_eq!(dev.vault.applicant(*a).unwrap().given_name, "Test", "every file readable on every device");
        }
        assert!(sesame_core::sync::status(&dev.vault).unwrap().alerts.iter().all(|a| a.code != "key_refused"));
    }

    // What the server holds: device 1's wraps for device 0 are format 2 and
    // share one age file (one round); device 0's wraps are format 1.
    let me0 = d[0].vault.device_id().0;
    let me1 = d[1].vault.device_id().0;
    let me2 = d[2].vault.device_id().0;
    let for0 = wraps_for(&store, team, me0).await;
    let from1: Vec<&WrappedKey> = for0.iter().filter(|w| w.signer == me1).collect();
    assert_eq!(from1.len(), 3, "device 1 made three files");
    assert!(from1.iter().all(|w| w.sealed.is_some()));
    let files: BTreeSet<&str> = from1.iter().map(|w| w.wrapped.as_str()).collect();
    assert_eq!(files.len(), 1, "one age file per recipient per round");
    let for2 = wraps_for(&store, team, me2).await;
    let from0: Vec<&WrappedKey> = for2.iter().filter(|w| w.signer == me0).collect();
    assert!(!from0.is_empty());
    assert!(from0.iter().all(|w| w.sealed.is_none()), "a first-protocol server gets format 1");
    let files: BTreeSet<&str> = from0.iter().map(|w| w.wrapped.as_str()).collect();
    assert_eq!(files.len(), from0.len(), "format 1: one age file per key");

    // A format-2 wrap moved to another stream or recipient does not verify;
    // with its sealed key swapped for another wrap's, the signature fails.
    let mut moved = from1[0].clone();
    moved.stream = from1[1].stream;
    let row = store.device(team, me1).await.unwrap().unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&row.sign_pk).unwrap();
    from1[0].verify(team, &vk).unwrap();
    assert!(moved.verify(team, &vk).is_err());
    let mut swapped = from1[0].clone();
    swapped.sealed = from1[1].sealed.clone();
    assert!(swapped.verify(team, &vk).is_err());
    // Stripped of `sealed`, it would be read as format 1: the signature
    // (under format 2's domain) refuses it.
    let mut stripped = from1[0].clone();
    stripped.sealed = None;
    assert!(stripped.verify(team, &vk).is_err());
}
