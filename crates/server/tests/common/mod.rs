//! Helpers shared by the server's integration tests: vaults in temporary
//! folders, a real server on a random loopback port, PostgreSQL schemas.
#![allow(dead_code, clippy::unwrap_used)]

use secrecy::SecretString;
use sesame_core::clock::Clock;
use sesame_core::vault::{ListedIds, Options, Vault};
use sesame_server::{Limits, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system clock plus an offset that a test can move (a laptop's clock
/// that is days off).
#[derive(Debug, Default)]
pub struct TestClock(pub AtomicI64);

impl TestClock {
    pub fn set_offset_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::milliseconds(self.0.load(Ordering::SeqCst))
    }
}

pub const PASS: &str = "le chat dort au soleil";

pub fn opts(clock: Arc<dyn Clock>) -> Options {
    let known = ListedIds {
        procedures: vec!["etudiant_renewal".into(), "dcem_first".into()],
        documents: vec!["passport".into(), "proof_of_address".into()],
    };
    Options { kdf_log_n: Some(1), ..Options::new(clock, Arc::new(known)) }
}

/// A temporary folder, on tmpfs when there is one (vaults fsync a lot).
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(t) = tempfile::tempdir_in(shm) {
            return t;
        }
    }
    tempfile::tempdir().unwrap()
}

pub fn new_vault(dir: &Path, clock: Arc<dyn Clock>) -> Vault {
    Vault::init(dir, &SecretString::from(PASS.to_owned()), None, opts(clock)).unwrap()
}

pub fn reopen(dir: &Path, clock: Arc<dyn Clock>) -> Vault {
    Vault::unlock(dir, &SecretString::from(PASS.to_owned()), opts(clock)).unwrap()
}

/// The PostgreSQL URL to test against: `SESAME_PG_URL` (then PostgreSQL
/// tests are mandatory), else the local server if it answers, else none
/// (the caller skips, with a visible notice).
pub async fn pg_url() -> Option<String> {
    if let Ok(u) = std::env::var("SESAME_PG_URL") {
        return Some(u);
    }
    let u = "postgres://postgres@127.0.0.1:5432/test".to_owned();
    match tokio_postgres::connect(&u, tokio_postgres::NoTls).await {
        Ok((client, conn)) => {
            let t = tokio::spawn(conn);
            drop(client);
            let _ = t.await;
            Some(u)
        }
        Err(_) => {
            eprintln!("NOTICE: PostgreSQL not reachable at 127.0.0.1:5432 and SESAME_PG_URL unset: PostgreSQL tests SKIPPED");
            None
        }
    }
}

/// A fresh schema name for one test.
pub fn schema_name() -> String {
    format!("sesame_test_{}", uuid::Uuid::new_v4().simple())
}

/// A PostgreSQL store in its own new schema, or none (skipped).
pub async fn pg_store() -> Option<(Arc<dyn Store>, String, String)> {
    let url = pg_url().await?;
    let schema = schema_name();
    let store = sesame_server::pg::PgStore::connect(&url, Some(&schema)).await.unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
    Some((Arc::new(store), url, schema))
}

pub async fn drop_schema(url: &str, schema: &str) {
    if let Ok((client, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        let t = tokio::spawn(conn);
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
        drop(client);
        let _ = t.await;
    }
}

pub fn sqlite_store(dir: &Path) -> (Arc<dyn Store>, PathBuf) {
    let path = dir.join("server.db");
    (Arc::new(sesame_server::sqlite::SqliteStore::open(&path).unwrap()), path)
}

/// A real server on a random loopback port; returns its URL and a handle
/// that stops it when dropped.
pub struct Running {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub async fn serve(store: Arc<dyn Store>, listen: &str) -> Running {
    serve_with(store, listen, Limits { rate: 10_000.0, burst: 10_000.0 }).await
}

pub async fn serve_with(store: Arc<dyn Store>, listen: &str, limits: Limits) -> Running {
    let bound = sesame_server::bind_store(listen, store, Arc::new(sesame_core::clock::SystemClock), limits).await.unwrap();
    let addr = bound.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = bound.serve(async move {
            let _ = rx.await;
        })
        .await;
    });
    Running { url: format!("http://{addr}"), stop: Some(tx), task: Some(task) }
}

use sesame_core::sync::{self, Remote, proto::Role};

/// One volunteer's laptop: a vault and its connection to the server.
pub struct Device<R> {
    pub dir: tempfile::TempDir,
    pub vault: Vault,
    pub remote: R,
    pub clock: Arc<TestClock>,
}

impl<R: Remote> Device<R> {
    pub async fn sync(&mut self) -> sync::SyncReport {
        sync::sync_once(&mut self.vault, &self.remote).await.unwrap_or_else(|e| panic!("sync failed: {e}"))
    }

    pub async fn try_sync(&mut self) -> Result<sync::SyncReport, sync::SyncError> {
        sync::sync_once(&mut self.vault, &self.remote).await
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("v")
    }
}

/// A team of `n` devices (the first is the admin), every one approved and synced.
pub async fn team_of<R: Remote>(n: usize, url: &str, mut make: impl FnMut(&Vault) -> R) -> Vec<Device<R>> {
    let mut out: Vec<Device<R>> = Vec::new();
    for i in 0..n {
        let dir = tempdir();
        let clock = Arc::new(TestClock::default());
        let vault = new_vault(&dir.path().join("v"), clock.clone());
        let remote = make(&vault);
        let mut d = Device { dir, vault, remote, clock };
        if i == 0 {
            sync::team::create(&mut d.vault, &d.remote, url, "Association test").await.unwrap();
        } else {
            let admin = &mut out[0];
            let code = sync::team::invite(&mut admin.vault, &admin.remote).await.unwrap();
            sync::team::join(&mut d.vault, &d.remote, &code).await.unwrap();
            let who = d.vault.device_id().to_string();
            let admin = &mut out[0];
            sync::team::approve(&mut admin.vault, &admin.remote, &who, Role::Member).await.unwrap();
        }
        out.push(d);
    }
    for d in &mut out {
        d.sync().await;
    }
    out
}

/// Syncs every device, `rounds` times over.
pub async fn sync_all<R: Remote>(devices: &mut [Device<R>], rounds: usize) {
    for _ in 0..rounds {
        for d in devices.iter_mut() {
            d.sync().await;
        }
    }
}

/// What a person sees: every record, as JSON.
pub fn view(v: &Vault) -> String {
    serde_json::to_string_pretty(&v.export().unwrap()).unwrap()
}
