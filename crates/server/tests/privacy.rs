//! The server's storage never holds an applicant's name: seed names and
//! notes through real clients, then search the SQLite files byte by byte
//! and a `pg_dump` of the PostgreSQL schema (plus every row as text).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sesame_core::domain::Entity;
use sesame_core::sync::HttpRemote;

const SECRETS: &[&str] =
    &["Quatrebarbes", "Zéphyrine", "Okonkwo-Diallo", "Bénédicte", "diabète", "0612345678", "1234567890", ATTACHMENT_TEXT];

/// Bytes inside an attachment (a scan) that syncs through the server.
const ATTACHMENT_TEXT: &str = "Passeport-scan-en-clair-P<FRAQUATREBARBES";

/// A plaintext canary stored as an (unencrypted) attachment: the scans
/// must find it, which shows they do read the binary columns.
const CANARY: &str = "CANARY-Plaintext-Marker";

async fn seed(url: &str, store: &std::sync::Arc<dyn sesame_server::Store>) {
    let mut d = team_of(2, url, |v| HttpRemote::connect(v, url).unwrap()).await;
    let a = d[0]
        .vault
        .create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine"), ("phone", "0612345678"), ("agdref", "1234567890")])
        .unwrap();
    let c = d[0].vault.create(Entity::Case, &[("applicant_id", &a.to_string()), ("procedure", "etudiant_renewal")]).unwrap();
    d[0].vault
        .create(Entity::JournalEntry, &[("case_id", &c.to_string()), ("at", "2026-11-28T10:00:00+01:00"), ("text", "suivi diabète")])
        .unwrap();
    d[1].vault.create(Entity::Applicant, &[("family_name", "Okonkwo-Diallo"), ("given_name", "Bénédicte")]).unwrap();
    let scan = [b"\xff\xd8\xff\xe0".as_slice(), ATTACHMENT_TEXT.as_bytes(), &[0u8; 64]].concat();
    let file = sesame_core::vault::attachments::NewAttachment { file_name: "passeport-Quatrebarbes.jpg".into(), media_type: "image/jpeg".into(), pages: 1, data: scan.clone() };
    d[0].vault.add_attachments(c, "passport", vec![file]).unwrap();
    sync_all(&mut d, 2).await;
    // The scan reached the other laptop, through the server.
    let got = d[1].vault.attachments(c, None).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(d[1].vault.attachment_data(got[0].id).unwrap(), scan);
    // Both laptops hold both files: the data did go through the server.
    assert_eq!(d[1].vault.applicants().unwrap().len(), 2);
    assert_eq!(d[0].vault.applicants().unwrap().len(), 2);
    let team = sesame_core::sync::status(&d[0].vault).unwrap().team.unwrap();
    store.put_blob(team, uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), CANARY.as_bytes()).await.unwrap();
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_absent(what: &str, haystack: &[u8]) {
    for s in SECRETS {
        for needle in [s.as_bytes().to_vec(), s.to_lowercase().into_bytes()] {
            assert!(!haystack.windows(needle.len()).any(|w| w == needle.as_slice()), "{s:?} found in {what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_hold_no_name() {
    let tmp = tempdir();
    let (store, path) = sqlite_store(tmp.path());
    let server = serve(store.clone(), "127.0.0.1:0").await;
    seed(&server.url, &store).await;
    server.stop().await;
    drop(store);
    let mut checked = 0;
    let mut canary = false;
    for entry in std::fs::read_dir(tmp.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("server.db") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(!bytes.is_empty() || p != path);
            assert_absent(&p.display().to_string(), &bytes);
            canary |= contains(&bytes, CANARY);
            checked += 1;
        }
    }
    assert!(checked >= 1);
    assert!(canary, "the scan reads the stored bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dump_holds_no_name() {
    let Some((store, url, schema)) = pg_store().await else { return };
    let server = serve(store.clone(), "127.0.0.1:0").await;
    seed(&server.url, &store).await;
    server.stop().await;

    // Every row of every table, as text.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let t = tokio::spawn(conn);
    let tables = client
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", &[&schema])
        .await
        .unwrap();
    assert!(tables.len() >= 8);
    let mut all = Vec::new();
    let mut rows_seen = 0;
    for t in &tables {
        let name: &str = t.get(0);
        let rows = client.query(&format!("SELECT t::text FROM {schema}.{name} t"), &[]).await.unwrap();
        for r in rows {
            all.extend_from_slice(r.get::<_, &str>(0).as_bytes());
            rows_seen += 1;
        }
    }
    assert!(rows_seen > 20, "the server did store the ops");
    // Binary columns, as bytes (their text form is hex).
    for (table, col) in [("op", "blob"), ("stream_blob", "bytes"), ("catalog", "bundle"), ("device", "sign_pk")] {
        for r in client.query(&format!("SELECT {col} FROM {schema}.{table}"), &[]).await.unwrap() {
            all.extend_from_slice(r.get::<_, &[u8]>(0));
        }
    }
    assert_absent("PostgreSQL rows", &all);
    assert!(contains(&all, CANARY), "the scan reads the stored bytes");

    // And pg_dump, when the tool is installed.
    match std::process::Command::new("pg_dump").arg("--dbname").arg(&url).arg("--schema").arg(&schema).output() {
        Ok(out) if out.status.success() => {
            assert!(out.stdout.len() > 1000);
            assert_absent("pg_dump", &out.stdout);
            // pg_dump writes bytea as hex: search the hex of each name too.
            let hex: Vec<u8> = String::from_utf8_lossy(&out.stdout).to_lowercase().into_bytes();
            for s in SECRETS {
                let h = sesame_core::sync::proto::hex(s.as_bytes());
                assert!(!contains(&hex, &h), "{s:?} (hex) found in pg_dump");
            }
            assert!(contains(&hex, &sesame_core::sync::proto::hex(CANARY.as_bytes())));
        }
        Ok(out) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("NOTICE: pg_dump not installed: checked the rows only"),
    }
    drop(client);
    let _ = t.await;
    drop_schema(&url, &schema).await;
}
