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
