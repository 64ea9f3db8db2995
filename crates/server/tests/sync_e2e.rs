//! Three volunteers, one real server on a loopback port: offline edits on
//! every laptop, reconnect, converge; a field edited on two laptops at once
//! shows as one conflict everywhere, and nothing is lost.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sesame_core::domain::Entity;
use sesame_core::sync::{self, HttpRemote};
use std::collections::BTreeSet;

fn op_ids(v: &sesame_core::vault::Vault) -> BTreeSet<String> {
    v.ops(None).unwrap().into_iter().map(|o| o.id.to_string()).collect()
}

async fn three_clients_converge(store: std::sync::Arc<dyn sesame_server::Store>) {
    let server = serve(store, "127.0.0.1:0").await;
    let mut d = team_of(3, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;

    // The admin opens a file and shares it.
    let x = d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    let case = d[0].vault.create(Entity::Case, &[("applicant_id", &x.to_string()), ("procedure", "etudiant_renewal")]).unwrap();
    let z = d[0].vault.create(Entity::Applicant, &[("family_name", "Brzęczyszczykiewicz"), ("given_name", "Grzegorz")]).unwrap();
    sync_all(&mut d, 1).await;
    assert_eq!(d[2].vault.applicant(x).unwrap().given_name, "Zéphyrine");
    assert!(d[1].vault.applicant(z).is_ok());

    // Offline on all three: different fields, plus the same field on two laptops.
    d[0].vault.update(Entity::Applicant, x, &[("phone", "+33 6 12 34 56 78")]).unwrap();
    d[1].vault.update(Entity::Applicant, x, &[("notes", "rendez-vous pris")]).unwrap();
    d[2].vault.update(Entity::Applicant, x, &[("notes", "attend le passeport")]).unwrap();
    let y = d[1].vault.create(Entity::Applicant, &[("family_name", "Okonkwo-Diallo"), ("given_name", "Amadou")]).unwrap();
    d[2].vault
        .create(Entity::JournalEntry, &[("case_id", &case.to_string()), ("at", "2026-11-28T10:00:00+01:00"), ("text", "appel préfecture")])
        .unwrap();
    d[2].vault.set_document(case, "passport", sesame_core::domain::DocStatus::Received, None).unwrap();
    d[0].vault.delete(Entity::Applicant, z).unwrap(); // a tombstone travels too
    let before: BTreeSet<String> = d.iter().flat_map(|x| op_ids(&x.vault)).collect();

    sync_all(&mut d, 2).await;

    let views: Vec<String> = d.iter().map(|x| view(&x.vault)).collect();
    assert_eq!(views[0], views[1]);
    assert_eq!(views[1], views[2]);
    for dev in &d {
        assert_eq!(op_ids(&dev.vault), before, "every op everywhere, none lost");
        assert!(dev.vault.replay_matches().unwrap(), "the log still rebuilds the tables");
        let c = dev.vault.conflicts().unwrap();
        assert_eq!(c.len(), 1, "one conflict on every device");
        assert_eq!(c[0].field, "notes");
        let values: BTreeSet<String> = c[0].candidates.iter().map(|v| v.value.to_string()).collect();
        assert_eq!(values, ["\"attend le passeport\"".to_owned(), "\"rendez-vous pris\"".to_owned()].into());
        assert_eq!(dev.vault.applicant(y).unwrap().given_name, "Amadou");
        assert!(dev.vault.applicant(z).is_err(), "deleted everywhere");
        assert_eq!(dev.vault.journal(case).unwrap().len(), 1);
    }

    // A person settles it on one laptop; every laptop sees it settled.
    d[1].vault.resolve_conflict(x, "notes", serde_json::json!("rendez-vous pris, attend le passeport")).unwrap();
    sync_all(&mut d, 2).await;
    for dev in &d {
        assert!(dev.vault.conflicts().unwrap().is_empty());
    }
    let status = sync::status(&d[2].vault).unwrap();
    assert_eq!(status.pending_ops, 0);
    assert_eq!(status.conflicts, 0);
    assert!(status.last_sync_ms.is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_converge_sqlite() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    three_clients_converge(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_converge_postgres() {
    let Some((store, url, schema)) = pg_store().await else { return };
    three_clients_converge(store).await;
    drop_schema(&url, &schema).await;
}

/// Scans follow their case: encrypted with the applicant's stream key,
/// uploaded as opaque blobs, referenced by a signed op, downloaded and
/// checked on the other laptop; erasing the applicant purges them everywhere.
async fn attachments_follow_their_case(store: std::sync::Arc<dyn sesame_server::Store>) {
    use sesame_core::vault::attachments::NewAttachment;
    let server = serve(store.clone(), "127.0.0.1:0").await;
    let mut d = team_of(2, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;
    let x = d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    let case = d[0].vault.create(Entity::Case, &[("applicant_id", &x.to_string()), ("procedure", "etudiant_renewal")]).unwrap();
    let page = |n: u8| -> Vec<u8> { (0..200_000u32).map(|i| (i as u8).wrapping_mul(n)).collect() };
    let files = vec![
        NewAttachment { file_name: "passeport-1.jpg".into(), media_type: "image/jpeg".into(), pages: 1, data: page(3) },
        NewAttachment { file_name: "passeport-2.jpg".into(), media_type: "image/jpeg".into(), pages: 1, data: page(7) },
    ];
    d[0].vault.add_attachments(case, "passport", files).unwrap();
    let r = d[0].sync().await;
    assert_eq!(r.attachments_sent, 2);
    let r = d[1].sync().await;
    assert_eq!(r.attachments_received, 2);
    let got = d[1].vault.attachments(case, Some("passport")).unwrap();
    assert_eq!(got.iter().map(|a| (a.file_name.as_str(), a.position)).collect::<Vec<_>>(), [("passeport-1.jpg", 1), ("passeport-2.jpg", 2)]);
    assert_eq!(d[1].vault.attachment_data(got[0].id).unwrap(), page(3));
    assert_eq!(d[1].vault.attachment_data(got[1].id).unwrap(), page(7));
    // Nothing moves twice.
    sync_all(&mut d, 2).await;
    assert_eq!(d[1].vault.attachments(case, None).unwrap().len(), 2);
    assert_eq!(d[0].vault.attachments(case, None).unwrap().len(), 2);
    // One added on the other laptop comes back.
    let more = vec![NewAttachment { file_name: "titre.pdf".into(), media_type: "application/pdf".into(), pages: 2, data: page(11) }];
    d[1].vault.add_attachments(case, "residence_permit", more).unwrap();
    sync_all(&mut d, 2).await;
    assert_eq!(d[0].vault.attachments(case, Some("residence_permit")).unwrap()[0].pages, 2);
    assert_eq!(sync::status(&d[1].vault).unwrap().pending_ops, 0);

    // Erasure: gone from both laptops and from the server.
    let team = sync::status(&d[0].vault).unwrap().team.unwrap();
    let ids: Vec<_> = d[1].vault.attachments(case, None).unwrap().into_iter().map(|a| a.id.0).collect();
    let on_server = |store: std::sync::Arc<dyn sesame_server::Store>, ids: Vec<uuid::Uuid>| async move {
        // The blob id is the attachment id; look in every stream the server knows of.
        let heads = store.pull(team, 0, 10_000).await.unwrap().heads.unwrap_or_default();
        let mut found = 0;
        for id in &ids {
            for h in &heads {
                found += usize::from(store.get_blob(team, h.stream, *id).await.unwrap().is_some());
            }
        }
        found
    };
    assert_eq!(on_server(store.clone(), ids.clone()).await, 3);
    let remote = HttpRemote::connect(&d[0].vault, &server.url).unwrap();
    sync::team::erase_applicant(&mut d[0].vault, Some(&remote), x).await.unwrap();
    sync_all(&mut d, 1).await;
    for dev in &d {
        assert!(dev.vault.attachments(case, None).unwrap().is_empty());
    }
    assert_eq!(on_server(store.clone(), ids).await, 0, "the server purged the blobs with their stream");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_follow_their_case_sqlite() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    attachments_follow_their_case(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_follow_their_case_postgres() {
    let Some((store, url, schema)) = pg_store().await else { return };
    attachments_follow_their_case(store).await;
    drop_schema(&url, &schema).await;
}

/// Deleting one attachment is a synced tombstone: the other laptop drops
/// its copy, the server purges the blob, and a laptop that joins later
/// never downloads it.
async fn deleting_one_attachment_is_synced(store: std::sync::Arc<dyn sesame_server::Store>) {
    use sesame_core::vault::attachments::NewAttachment;
    let server = serve(store.clone(), "127.0.0.1:0").await;
    let mut d = team_of(2, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;
    let x = d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    let case = d[0].vault.create(Entity::Case, &[("applicant_id", &x.to_string()), ("procedure", "etudiant_renewal")]).unwrap();
    let file = |name: &str, n: u8| NewAttachment { file_name: name.into(), media_type: "image/jpeg".into(), pages: 1, data: vec![n; 5_000] };
    d[0].vault.add_attachments(case, "passport", vec![file("p1.jpg", 1), file("p2.jpg", 2), file("p3.jpg", 3)]).unwrap();
    sync_all(&mut d, 2).await;
    let got = d[1].vault.attachments(case, None).unwrap();
    assert_eq!(got.len(), 3);
    let (p1, p2) = (got[0].id, got[1].id);
    let team = sync::status(&d[0].vault).unwrap().team.unwrap();
    let heads = store.pull(team, 0, 10_000).await.unwrap().heads.unwrap();
    let mut stream = None;
    for h in &heads {
        if store.get_blob(team, h.stream, p1.0).await.unwrap().is_some() {
            stream = Some(h.stream);
        }
    }
    let stream = stream.unwrap();

    // Deleted on the laptop that received it: gone from the sender too.
    d[1].vault.delete_attachment(p1).unwrap();
    let r = d[1].sync().await;
    assert_eq!(r.attachments_deleted, 1);
    assert!(store.get_blob(team, stream, p1.0).await.unwrap().is_none(), "the server purged the blob");
    d[0].sync().await;
    let names = |v: &sesame_core::vault::Vault| v.attachments(case, None).unwrap().into_iter().map(|a| a.file_name).collect::<Vec<_>>();
    assert_eq!(names(&d[0].vault), ["p2.jpg", "p3.jpg"]);
    // Deleted on the laptop that sent it: gone from the other.
    d[0].vault.delete_attachment(p2).unwrap();
    sync_all(&mut d, 2).await;
    assert_eq!(names(&d[0].vault), ["p3.jpg"]);
    assert_eq!(names(&d[1].vault), ["p3.jpg"]);
    assert!(store.get_blob(team, stream, p2.0).await.unwrap().is_none());
    // Nothing pending, nothing sent twice.
    assert_eq!(d[0].sync().await.attachments_deleted, 0);
    assert_eq!(sync::status(&d[0].vault).unwrap().pending_ops, 0);

    // A laptop that joins now gets the one attachment left, not the deleted ones.
    let dir = tempdir();
    let clock = std::sync::Arc::new(TestClock::default());
    let vault = new_vault(&dir.path().join("v"), clock.clone());
    let remote = HttpRemote::connect(&vault, &server.url).unwrap();
    let mut late = Device { dir, vault, remote, clock };
    let admin = &mut d[0];
    let code = sync::team::invite(&mut admin.vault, &admin.remote).await.unwrap();
    sync::team::join(&mut late.vault, &late.remote, &code).await.unwrap();
    let who = late.vault.device_id().to_string();
    sync::team::approve(&mut admin.vault, &admin.remote, &who, sesame_core::sync::proto::Role::Member).await.unwrap();
    d[0].sync().await;
    let r = late.sync().await;
    assert_eq!(r.attachments_received, 1);
    assert_eq!(names(&late.vault), ["p3.jpg"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_one_attachment_is_synced_sqlite() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    deleting_one_attachment_is_synced(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_one_attachment_is_synced_postgres() {
    let Some((store, url, schema)) = pg_store().await else { return };
    deleting_one_attachment_is_synced(store).await;
    drop_schema(&url, &schema).await;
}
