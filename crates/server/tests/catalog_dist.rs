//! Catalog distribution: an admin publishes a newer catalog; devices adopt
//! it only when it is signed by an admin, intact, valid and newer, and keep
//! the previous one otherwise, with an alert saying why.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sesame_core::catalog::{Catalog, Sources};
use sesame_core::sync::catalog::{self, load_for_vault};
use sesame_core::sync::proto;
use sesame_server::{Direct, Service};
use std::path::Path;
use std::sync::Arc;

fn shipped_version() -> String {
    Catalog::shipped().unwrap().edition().version.clone()
}

/// The shipped catalog with another edition in catalog.toml.
fn edition(version: &str, published: &str) -> Sources {
    let shipped = Sources::shipped();
    let head = shipped.get("catalog.toml").unwrap();
    let cur = Catalog::shipped().unwrap();
    let head = head
        .replace(&format!("version = \"{}\"", cur.edition().version), &format!("version = \"{version}\""))
        .replace(&format!("published = {}", cur.edition().published), &format!("published = {published}"));
    assert!(head.contains(version), "the edition line was rewritten");
    shipped.with("catalog.toml", head)
}

fn write_dir(sources: &Sources, dir: &Path) {
    for (path, text) in sources.files() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn in_use(d: &Device<Direct>) -> String {
    load_for_vault(&d.path(), None).unwrap().edition().version.clone()
}

fn last_alert(d: &Device<Direct>) -> String {
    let s = sesame_core::sync::status(&d.vault).unwrap();
    s.alerts.first().map(|a| a.code.clone()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_newer_catalog_is_adopted_and_every_bad_one_is_refused() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    let svc = Service::new(store.clone(), Arc::new(sesame_core::clock::SystemClock));
    let mut d = team_of(2, "http://direct", |v| Direct::new(svc.clone(), v.device_id().0)).await;
    let team: uuid::Uuid = sesame_core::sync::status(&d[0].vault).unwrap().team.unwrap();
    let shipped = shipped_version();
    assert_eq!(in_use(&d[1]), shipped);

    // A member's device signs a catalog and a compromised server serves it.
    let (by_member, _) = catalog::sign_release(&d[1].vault, &edition("2099.1.1", "2099-01-01")).unwrap();
    store.put_catalog(team, &by_member.release, &proto::unb64(&by_member.bundle).unwrap()).await.unwrap();
    let r = d[1].sync().await;
    assert_eq!(r.catalog_adopted, None);
    assert_eq!(last_alert(&d[1]), "catalog_not_admin");
    assert_eq!(in_use(&d[1]), shipped, "the previous catalog stays");

    // The admin's release, with its bundle altered on the server.
    let (good, _) = catalog::sign_release(&d[0].vault, &edition("2099.1.2", "2099-01-02")).unwrap();
    let mut bytes = proto::unb64(&good.bundle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    store.put_catalog(team, &good.release, &bytes).await.unwrap();
    d[1].sync().await;
    assert_eq!(last_alert(&d[1]), "catalog_tampered");
    assert_eq!(in_use(&d[1]), shipped);

    // Signed by the admin, but not a valid catalog (a procedure file cut short).
    let broken = edition("2099.1.3", "2099-01-03").with("procedures/work.toml", "[procedures.x]\nkind = ");
    let (bad, _) = catalog::sign_release(&d[0].vault, &broken).unwrap();
    store.put_catalog(team, &bad.release, &proto::unb64(&bad.bundle).unwrap()).await.unwrap();
    d[1].sync().await;
    assert_eq!(last_alert(&d[1]), "catalog_invalid");
    assert_eq!(in_use(&d[1]), shipped);
    // Refused once: not downloaded again nor alerted again every round.
    let before = sesame_core::sync::status(&d[1].vault).unwrap().alerts.len();
    d[1].sync().await;
    assert_eq!(sesame_core::sync::status(&d[1].vault).unwrap().alerts.len(), before);

    // An older edition than the shipped one, signed by the admin.
    let (old, _) = catalog::sign_release(&d[0].vault, &edition("2020.1.1", "2020-01-01")).unwrap();
    store.put_catalog(team, &old.release, &proto::unb64(&old.bundle).unwrap()).await.unwrap();
    d[1].sync().await;
    assert_eq!(last_alert(&d[1]), "catalog_not_newer");

    // The real thing: `publish` from a folder, through the server's checks.
    let dir = tmp.path().join("newer");
    write_dir(&edition("2099.2.1", "2099-02-01"), &dir);
    let published = { let a = &mut d[0]; catalog::publish(&mut a.vault, &a.remote, &dir).await }.unwrap();
    assert_eq!(published.version, "2099.2.1");
    let r = d[1].sync().await;
    assert_eq!(r.catalog_adopted.as_deref(), Some("2099.2.1"));
    assert_eq!(in_use(&d[1]), "2099.2.1");
    assert_eq!(catalog::distributed(&d[1].path()).unwrap().version, "2099.2.1");
    // The vault reopens with it.
    let reopened = sesame_core::vault::Vault::unlock(
        &d[1].path(),
        &secrecy::SecretString::from(PASS.to_owned()),
        opts(d[1].clock.clone()),
    );
    assert!(reopened.is_ok());

    // Now an older edition than the adopted one (still newer than shipped): refused, the adopted one kept.
    let (older, _) = catalog::sign_release(&d[0].vault, &edition("2099.1.9", "2099-01-09")).unwrap();
    store.put_catalog(team, &older.release, &proto::unb64(&older.bundle).unwrap()).await.unwrap();
    let r = d[1].sync().await;
    assert_eq!(r.catalog_adopted, None);
    assert_eq!(last_alert(&d[1]), "catalog_not_newer");
    assert_eq!(in_use(&d[1]), "2099.2.1");

    // The file next to the vault damaged by hand: the shipped catalog is used, never a broken one.
    let f = d[1].path().join(catalog::DISTRIBUTED_FILE);
    let mut raw = std::fs::read(&f).unwrap();
    let n = raw.len() - 200;
    raw[n] ^= 1;
    std::fs::write(&f, raw).unwrap();
    assert_eq!(in_use(&d[1]), shipped);

    // A newer one still publishes and is adopted; the admin adopts it too.
    let dir3 = tmp.path().join("newest");
    write_dir(&edition("2099.3.1", "2099-03-01"), &dir3);
    let a = &mut d[0];
    catalog::publish(&mut a.vault, &a.remote, &dir3).await.unwrap();
    for dev in d.iter_mut() {
        dev.sync().await;
        assert_eq!(in_use(dev), "2099.3.1");
    }
    // A member cannot publish.
    let b = &mut d[1];
    let e = catalog::publish(&mut b.vault, &b.remote, &dir3).await.unwrap_err();
    assert_eq!(e.code(), "not_admin");
}
