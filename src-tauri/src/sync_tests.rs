//! The shell's sync, against a real server on a loopback port: the
//! background worker on its own vault handle, "Sync now", the conflict
//! screen's calls, who can read a file, and the worker stopping at lock.

use crate::app;
use crate::dto::{CaseForm, FormFields};
use crate::state::AppState;
use crate::sync;
use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::SystemClock;
use sesame_core::domain::{Entity, Id};
use sesame_core::sync::HttpRemote;
use sesame_core::vault::{Options, Vault};
use std::sync::Arc;

const PASS: &str = "une phrase de passe de test";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::shipped().expect("shipped catalog"))
}

fn fields(pairs: &[(&str, &str)]) -> FormFields {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn unlocked(tmp: &tempfile::TempDir) -> AppState {
    let state = AppState::new(tmp.path().join("vault"), catalog(), Arc::new(SystemClock), Some(10));
    app::create_vault(&state, &secret(PASS), &secret(PASS), None).expect("create");
    state
}

/// A sync server on a random loopback port (SQLite in `dir`); stops when the runtime ends.
async fn server(dir: &std::path::Path) -> String {
    let store: Arc<dyn sesame_server::Store> = Arc::new(sesame_server::sqlite::SqliteStore::open(&dir.join("server.db")).expect("store"));
    let bound = sesame_server::bind_store("127.0.0.1:0", store, Arc::new(SystemClock), sesame_server::Limits::default()).await.expect("bind");
    let url = format!("http://{}", bound.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = bound.serve(std::future::pending()).await;
    });
    url
}

#[test]
fn a_vault_without_a_team_has_no_worker_no_conflicts_and_only_this_device_reads() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = unlocked(&tmp);
    let a = app::save_applicant(&state, None, &fields(&[("family_name", "Benali"), ("given_name", "Amina")])).expect("applicant");
    assert!(!sync::start(&state).expect("start"));
    let ind = sync::indicator(&state).expect("indicator");
    assert!(!ind.team && !ind.background && !ind.syncing);
    assert!(sync::conflicts(&state).expect("conflicts").is_empty());
    let r = sync::readers(&state, &a.id).expect("readers");
    assert!(!r.team && !r.shared);
    assert_eq!(r.devices.len(), 1);
    assert!(r.devices[0].this_device);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let e = rt.block_on(sync::sync_now(&state)).unwrap_err();
    assert_eq!(e.code, "no_team");
    assert!(!e.fr.is_empty() && !e.en.is_empty() && e.fr != e.en);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_sync_conflicts_readers_and_lock() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = server(tmp.path()).await;
    // The app's vault creates the team (through a handle of its own, as the worker does).
    let state = unlocked(&tmp);
    let mut admin = state.with_vault(|v| Ok(v.reopen()?)).expect("reopen");
    let remote = HttpRemote::connect(&admin, &url).expect("remote");
    sesame_core::sync::team::create(&mut admin, &remote, &url, "Association test").await.expect("team");
    // A second volunteer's laptop joins.
    let other_dir = tmp.path().join("other");
    let mut other = Vault::init(&other_dir, &secret(PASS), None, {
        let mut o = Options::new(Arc::new(SystemClock), catalog());
        o.kdf_log_n = Some(10);
        o
    })
    .expect("other vault");
    let other_remote = HttpRemote::connect(&other, &url).expect("remote");
    let code = sesame_core::sync::team::invite(&mut admin, &remote).await.expect("invite");
    sesame_core::sync::team::join(&mut other, &other_remote, &code).await.expect("join");
    let who = other.device_id().to_string();
    sesame_core::sync::team::approve(&mut admin, &remote, &who, sesame_core::sync::proto::Role::Member).await.expect("approve");
    drop(admin);

    // The worker starts (a first round at once); a file made in the app reaches the other laptop.
    let a = app::save_applicant(&state, None, &fields(&[("family_name", "Benali"), ("given_name", "Amina")])).expect("applicant");
    let form = CaseForm {
        procedure: "vpf_conjoint_francais_renewal".into(),
        department: "93".into(),
        permit_expires_on: (chrono::Utc::now().date_naive() + chrono::Days::new(100)).to_string(),
        permit_on_anef: true,
        ..Default::default()
    };
    let case = app::save_case(&state, None, &a.id, &form).expect("case");
    assert!(sync::start(&state).expect("start"));
    let ind = sync::sync_now(&state).await.expect("sync now");
    assert!(ind.team && ind.background);
    assert_eq!(ind.pending_ops, 0);
    assert!(ind.failure.is_none());
    sesame_core::sync::sync_once(&mut other, &other_remote).await.expect("other sync");
    let aid: Id = a.id.parse().expect("id");
    assert_eq!(other.applicant(aid).expect("on the other laptop").given_name, "Amina");

    // Who can read it: both devices, this one marked.
    let r = sync::readers(&state, &case.id).expect("readers");
    assert!(r.team && r.shared);
    assert_eq!(r.devices.len(), 2);
    assert_eq!(r.devices.iter().filter(|d| d.this_device).count(), 1);
    assert!(r.devices.iter().any(|d| d.role == "admin"));

    // The same field edited on both laptops: one conflict, both values, resolved here.
    app::save_applicant(&state, Some(&a.id), &fields(&[("family_name", "Benali"), ("given_name", "Amina"), ("phone", "01 23 45 67 89")]))
        .expect("edit here");
    other.update(Entity::Applicant, aid, &[("phone", "06 00 00 00 00")]).expect("edit there");
    sesame_core::sync::sync_once(&mut other, &other_remote).await.expect("other sync");
    let ind = sync::sync_now(&state).await.expect("sync now");
    assert_eq!(ind.conflicts, 1);
    let c = sync::conflicts(&state).expect("conflicts");
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].entity.as_str(), c[0].field.as_str(), c[0].applicant.as_str()), ("applicant", "phone", "Benali Amina"));
    let mut texts: Vec<&str> = c[0].candidates.iter().map(|x| x.text.as_str()).collect();
    texts.sort_unstable();
    assert_eq!(texts, ["01 23 45 67 89", "06 00 00 00 00"]);
    assert_eq!(c[0].candidates.iter().filter(|x| x.this_device).count(), 1);
    assert!(c[0].candidates.iter().all(|x| x.at.is_some() && x.device.len() == 4));
    // A value that is not one of the candidates is refused.
    let e = sync::resolve(&state, &a.id, "phone", Some(serde_json::json!("99")), None).unwrap_err();
    assert_eq!(e.code, "conflict_changed");
    let chosen = c[0].candidates.iter().find(|x| !x.this_device).expect("theirs").value.clone();
    sync::resolve(&state, &a.id, "phone", Some(chosen), None).expect("resolve");
    assert!(sync::conflicts(&state).expect("conflicts").is_empty());
    sync::sync_now(&state).await.expect("sync now");
    sesame_core::sync::sync_once(&mut other, &other_remote).await.expect("other sync");
    assert!(other.conflicts().expect("conflicts").is_empty(), "settled everywhere");
    assert_eq!(other.applicant(aid).expect("applicant").phone.as_deref(), Some("06 00 00 00 00"));

    // The window is never held by a round: while the worker syncs, commands answer.
    let sync_task = {
        let state = &state;
        async move { sync::sync_now(state).await }
    };
    let (synced, read) = tokio::join!(sync_task, async { app::applicant(&state, &a.id) });
    synced.expect("sync now");
    read.expect("read during a round");

    // Lock stops the worker; nothing runs, the indicator answers "locked".
    state.lock();
    assert!(!state.sync.is_running());
    assert_eq!(sync::indicator(&state).unwrap_err().code, "locked");
    assert_eq!(sync::sync_now(&state).await.unwrap_err().code, "locked");
}
