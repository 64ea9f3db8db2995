//! Faults: the server restored from an older backup (detected and
//! reported, on SQLite and PostgreSQL), and laptops whose clocks are three
//! days off. (Client and server processes killed mid-sync: see
//! `crates/cli/tests/sync_cli.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sesame_core::domain::Entity;
use sesame_core::sync::{self, HttpRemote, SyncError};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

const THREE_DAYS_MS: i64 = 3 * 24 * 3600 * 1000;

type Step = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Writes, backs the server up, writes more, restores the backup: every
/// device notices the rollback, keeps its data, and says so.
async fn restore_is_detected(store: Arc<dyn sesame_server::Store>, backup: Step, restore: Step) {
    let server = serve(store.clone(), "127.0.0.1:0").await;
    let mut d = team_of(2, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;
    let x = d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    sync_all(&mut d, 1).await;
    backup().await;
    d[0].vault.update(Entity::Applicant, x, &[("notes", "après la sauvegarde")]).unwrap();
    sync_all(&mut d, 1).await;
    restore().await;
    for dev in d.iter_mut() {
        let before = view(&dev.vault);
        match dev.try_sync().await {
            Err(SyncError::ServerMisbehaved(why)) => assert!(why.contains("rolled back"), "{why}"),
            other => panic!("a rollback must be detected, got {other:?}"),
        }
        assert_eq!(view(&dev.vault), before, "local data intact");
        assert_eq!(dev.vault.applicant(x).unwrap().notes.as_deref(), Some("après la sauvegarde"));
        let st = sync::status(&dev.vault).unwrap();
        assert_eq!(st.last_error.as_deref(), Some("server_misbehaved"));
        assert!(st.alerts.iter().any(|a| a.detail.contains("rolled back")));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_older_backup_is_detected_sqlite() {
    let tmp = tempdir();
    let path = tmp.path().join("server.db");
    let store: Arc<dyn sesame_server::Store> = Arc::new(sesame_server::sqlite::SqliteStore::open(&path).unwrap());
    let bak = tmp.path().join("backup.db");
    let (p1, b1) = (path.clone(), bak.clone());
    let backup: Step = Box::new(move || {
        let (p, b) = (p1.clone(), b1.clone());
        Box::pin(async move {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("VACUUM INTO ?1", [b.to_str().unwrap()]).unwrap();
        })
    });
    let (p2, b2) = (path.clone(), bak.clone());
    let restore: Step = Box::new(move || {
        let (p, b) = (p2.clone(), b2.clone());
        Box::pin(async move {
            // Restore in place, table by table, while the server runs.
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("ATTACH DATABASE ?1 AS b", [b.to_str().unwrap()]).unwrap();
            let mut sql = String::from("BEGIN;");
            for t in ["team", "membership", "device", "invite", "join_request", "stream", "op", "chain", "wrapped_key", "stream_blob", "catalog"] {
                sql.push_str(&format!("DELETE FROM main.{t}; INSERT INTO main.{t} SELECT * FROM b.{t};"));
            }
            sql.push_str("COMMIT;");
            c.execute_batch(&sql).unwrap();
        })
    });
    restore_is_detected(store, backup, restore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_older_backup_is_detected_postgres() {
    let Some((store, url, schema)) = pg_store().await else { return };
    let bak = format!("{schema}_bak");
    let tables = ["team", "membership", "device", "invite", "join_request", "stream", "op", "chain", "wrapped_key", "stream_blob", "catalog"];
    let sql = |f: &dyn Fn(&str) -> String| tables.iter().map(|t| f(t)).collect::<Vec<_>>().join(";\n");
    let backup_sql = format!(
        "CREATE SCHEMA {bak};\n{}",
        sql(&|t| format!("CREATE TABLE {bak}.{t} AS SELECT * FROM {schema}.{t}"))
    );
    let restore_sql = sql(&|t| format!("DELETE FROM {schema}.{t}; INSERT INTO {schema}.{t} SELECT * FROM {bak}.{t}"));
    let exec = |url: String, sql: String| -> Step {
        Box::new(move || {
            let (url, sql) = (url.clone(), sql.clone());
            Box::pin(async move {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                let t = tokio::spawn(conn);
                client.batch_execute(&sql).await.unwrap();
                drop(client);
                let _ = t.await;
            })
        })
    };
    restore_is_detected(store, exec(url.clone(), backup_sql), exec(url.clone(), restore_sql)).await;
    drop_schema(&url, &schema).await;
    drop_schema(&url, &bak).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_three_days_behind_is_told_then_converges() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    let server = serve(store, "127.0.0.1:0").await;
    let mut d = team_of(3, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;
    let x = d[0].vault.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap();
    sync_all(&mut d, 1).await;
    // The late laptop edits offline; its clock says three days ago.
    d[1].clock.set_offset_ms(-THREE_DAYS_MS);
    d[1].vault.update(Entity::Applicant, x, &[("notes", "écrit par l'appareil en retard")]).unwrap();
    d[2].vault.update(Entity::Applicant, x, &[("notes", "écrit à l'heure")]).unwrap();
    let before = view(&d[1].vault);
    match d[1].try_sync().await {
        Err(e @ SyncError::ClockBehind { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("en retard") && msg.contains("behind"), "{msg}");
            assert_eq!(e.code(), "clock_skew");
        }
        other => panic!("expected a clock error, got {other:?}"),
    }
    assert_eq!(view(&d[1].vault), before, "nothing applied");
    assert!(sync::status(&d[1].vault).unwrap().pending_ops >= 1, "nothing lost");
    // Clock fixed: it syncs; the two edits were concurrent, both are kept.
    d[1].clock.set_offset_ms(0);
    sync_all(&mut d, 2).await;
    let first = view(&d[0].vault);
    for dev in &d {
        assert_eq!(view(&dev.vault), first);
        let c = dev.vault.conflicts().unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].candidates.len(), 2);
        // By clock, the on-time edit is the last writer.
        assert_eq!(dev.vault.applicant(x).unwrap().notes.as_deref(), Some("écrit à l'heure"));
    }
    // Edits made after seeing the others win, whatever the wall clock said.
    d[1].vault.update(Entity::Applicant, x, &[("notes", "synthèse")]).unwrap();
    sync_all(&mut d, 2).await;
    for dev in &d {
        assert_eq!(dev.vault.applicant(x).unwrap().notes.as_deref(), Some("synthèse"));
        assert!(dev.vault.conflicts().unwrap().is_empty());
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_three_days_ahead_sends_nothing_and_loses_nothing() {
    let tmp = tempdir();
    let (store, _) = sqlite_store(tmp.path());
    let server = serve(store, "127.0.0.1:0").await;
    let mut d = team_of(2, &server.url, |v| HttpRemote::connect(v, &server.url).unwrap()).await;
    d[1].clock.set_offset_ms(THREE_DAYS_MS);
    let y = d[1].vault.create(Entity::Applicant, &[("family_name", "Okonkwo-Diallo"), ("given_name", "Amadou")]).unwrap();
    match d[1].try_sync().await {
        Err(e @ SyncError::ClockAhead { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("en avance") && msg.contains("ahead"), "{msg}");
        }
        other => panic!("expected a clock error, got {other:?}"),
    }
    assert!(sync::status(&d[1].vault).unwrap().pending_ops >= 2, "kept for later");
    d[0].sync().await;
    assert!(d[0].vault.applicant(y).is_err(), "nothing was sent");
    // The clock is fixed; the ops written while it was wrong carry future
    // timestamps: the others hold them (not lost, not applied) and say why,
    // rather than let them win every conflict for three days.
    d[1].clock.set_offset_ms(0);
    d[1].sync().await;
    let rep = d[0].sync().await;
    assert!(rep.held >= 2, "{rep:?}");
    assert!(d[0].vault.applicant(y).is_err());
    let st = sync::status(&d[0].vault).unwrap();
    assert!(st.held_ops >= 2);
    assert!(st.alerts.iter().any(|a| a.code == "clock_ahead"), "{:?}", st.alerts);
    server.stop().await;
}
