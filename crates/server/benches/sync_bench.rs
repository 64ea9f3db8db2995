//! Sync benchmarks, printed as a table (no harness):
//!
//! 1. catch-up: a new device pulls and applies 10,000 ops from a loopback server;
//! 2. bytes on the wire for one field edit (counted by a loopback TCP proxy);
//! 3. server throughput and latency with 100 concurrent clients (push one
//!    op, pull), SQLite and PostgreSQL side by side.
//!
//! ```text
//! cargo bench -p sesame-server --bench sync_bench
//! SESAME_PG_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p sesame-server --bench sync_bench
//! ```
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use ed25519_dalek::SigningKey;
use secrecy::SecretString;
use sesame_core::clock::SystemClock;
use sesame_core::domain::Entity;
use sesame_core::sync::proto::{self, CreateTeam, Envelope, Member, Membership, OpHeader, Push, PushResult, Role, SignedDoc};
use sesame_core::sync::{self, HttpRemote, proto::Role as R2};
use sesame_core::vault::{ListedIds, Options, Vault};
use sesame_server::{Limits, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

fn opts() -> Options {
    let known = ListedIds { procedures: vec!["etudiant_renewal".into()], documents: vec![] };
    Options { kdf_log_n: Some(1), ..Options::new(Arc::new(SystemClock), Arc::new(known)) }
}

fn vault(dir: &std::path::Path) -> Vault {
    Vault::init(dir, &SecretString::from("le chat dort au soleil".to_owned()), None, opts()).unwrap()
}

/// On disk (not tmpfs): SQLite's fsyncs are part of the cost.
fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

async fn serve(store: Arc<dyn Store>) -> (String, tokio::sync::oneshot::Sender<()>) {
    let b = sesame_server::bind_store("127.0.0.1:0", store, Arc::new(SystemClock), Limits { rate: 1e9, burst: 1e9 }).await.unwrap();
    let addr = b.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(b.serve(async move {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx)
}

async fn pg_store() -> Option<Arc<dyn Store>> {
    let url = std::env::var("SESAME_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("sesame_bench_{}", Uuid::new_v4().simple());
    match sesame_server::pg::PgStore::connect(&url, Some(&schema)).await {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            eprintln!("NOTICE: PostgreSQL unavailable ({e}): PostgreSQL figures skipped");
            None
        }
    }
}

/// Two devices in one team, each with its vault and connection.
async fn pair(url: &str, dirs: &[tempfile::TempDir; 2]) -> (Vault, HttpRemote, Vault, HttpRemote) {
    let mut a = vault(&dirs[0].path().join("v"));
    let ra = HttpRemote::connect(&a, url).unwrap();
    sync::team::create(&mut a, &ra, url, "bench").await.unwrap();
    let mut b = vault(&dirs[1].path().join("v"));
    let rb = HttpRemote::connect(&b, url).unwrap();
    let code = sync::team::invite(&mut a, &ra).await.unwrap();
    sync::team::join(&mut b, &rb, &code).await.unwrap();
    sync::team::approve(&mut a, &ra, &b.device_id().to_string(), R2::Member).await.unwrap();
    sync::sync_once(&mut b, &rb).await.unwrap();
    (a, ra, b, rb)
}

async fn catch_up(label: &str, store: Arc<dyn Store>, files: usize) {
    let (url, stop) = serve(store).await;
    let dirs = [tmp(), tmp()];
    let (mut a, ra, mut b, rb) = pair(&url, &dirs).await;
    // 10,000 ops: `files` applicants (one stream and one key each, as in
    // real use), created with 5 fields, then edited until 10,000 ops.
    // Writing them locally (validation, rows, op log, search index, one
    // transaction) is the same-run baseline of the catch-up.
    let t = Instant::now();
    a.batch(|v| {
        let mut ids = Vec::new();
        for i in 0..files {
            let given = format!("Prénom{i}");
            ids.push(v.create(Entity::Applicant, &[("family_name", "Testeur"), ("given_name", &given), ("phone", "0612345678"), ("notes", "suivi"), ("nationality", "DZ")])?);
        }
        for e in 0..(10_000 - 5 * files) {
            let note = format!("note {e}");
            v.update(Entity::Applicant, ids[e % files], &[("notes", &note)])?;
        }
        Ok(())
    })
    .unwrap();
    let local = t.elapsed();
    let n = a.ops(None).unwrap().len();
    let t = Instant::now();
    sync::sync_once(&mut a, &ra).await.unwrap();
    let push = t.elapsed();
    let t = Instant::now();
    let rep = sync::sync_once(&mut b, &rb).await.unwrap();
    let pull = t.elapsed();
    assert_eq!(rep.pulled, n);
    println!(
        "| catch-up, {label}, {files} files | {n} ops | first push {:.2} s | catch-up (pull + verify + decrypt + apply) **{:.2} s** | baseline: the same ops written locally {:.2} s, ratio {:.2} |",
        push.as_secs_f64(),
        pull.as_secs_f64(),
        local.as_secs_f64(),
        pull.as_secs_f64() / local.as_secs_f64()
    );
    let _ = stop.send(());
}

/// A loopback TCP proxy that counts bytes per request (requests on one
/// keep-alive connection are sequential: a client chunk after a server
/// chunk starts a new request).
async fn counting_proxy(upstream: String) -> (String, Arc<std::sync::Mutex<Vec<(String, u64, u64)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Arc<std::sync::Mutex<Vec<(String, u64, u64)>>> = Arc::default();
    let log2 = log.clone();
    let up = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            let mut server = tokio::net::TcpStream::connect(&up).await.unwrap();
            let log = log2.clone();
            tokio::spawn(async move {
                let mut cbuf = vec![0u8; 1 << 16];
                let mut sbuf = vec![0u8; 1 << 16];
                loop {
                    tokio::select! {
                        n = client.read(&mut cbuf) => {
                            let Ok(n) = n else { return };
                            if n == 0 { return; }
                            {
                                let mut l = log.lock().unwrap();
                                let starts = cbuf[..n].starts_with(b"GET ") || cbuf[..n].starts_with(b"POST ") || cbuf[..n].starts_with(b"PUT ");
                                if starts && l.last().is_none_or(|x| x.2 > 0) {
                                    let line = String::from_utf8_lossy(&cbuf[..n.min(80)]).lines().next().unwrap_or("").to_owned();
                                    l.push((line, 0, 0));
                                }
                                if let Some(last) = l.last_mut() { last.1 += n as u64; }
                            }
                            if server.write_all(&cbuf[..n]).await.is_err() { return; }
                        }
                        n = server.read(&mut sbuf) => {
                            let Ok(n) = n else { return };
                            if n == 0 { return; }
                            {
                                if let Some(last) = log.lock().unwrap().last_mut() { last.2 += n as u64; }
                            }
                            if client.write_all(&sbuf[..n]).await.is_err() { return; }
                        }
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), log)
}

async fn wire_bytes(store: Arc<dyn Store>) {
    let (url, stop) = serve(store).await;
    let (purl, log) = counting_proxy(url.clone()).await;
    let dirs = [tmp(), tmp()];
    let (mut a, _, _, _) = pair(&url, &dirs).await;
    let x = a.create(Entity::Applicant, &[("family_name", "Testeur"), ("given_name", "Prénom")]).unwrap();
    let ra = HttpRemote::connect(&a, &purl).unwrap();
    sync::sync_once(&mut a, &ra).await.unwrap();
    sync::sync_once(&mut a, &ra).await.unwrap();
    log.lock().unwrap().clear();
    sync::sync_once(&mut a, &ra).await.unwrap();
    let idle: u64 = log.lock().unwrap().iter().map(|x| x.1 + x.2).sum();
    log.lock().unwrap().clear();
    a.update(Entity::Applicant, x, &[("phone", "0612345678")]).unwrap();
    sync::sync_once(&mut a, &ra).await.unwrap();
    let l = log.lock().unwrap().clone();
    let round: u64 = l.iter().map(|x| x.1 + x.2).sum();
    let push = l.iter().find(|x| x.0.starts_with("POST") && x.0.contains("/ops")).cloned().unwrap();
    println!(
        "| one field edit (`phone`) | push request **{} B** (response {} B) | whole sync round {} B ({} requests) | idle round {} B |",
        push.1,
        push.2,
        round,
        l.len(),
        idle
    );
    let _ = stop.send(());
}

/// A synthetic member device: keys, and a client signing requests.
struct Bot {
    id: Uuid,
    key: SigningKey,
}

async fn throughput(label: &str, store: Arc<dyn Store>, clients: usize, teams: usize, secs: u64) {
    let (url, stop) = serve(store).await;
    let http = reqwest::Client::new();
    // Teams of clients/teams devices each, every device an admin in version 1…n.
    let mut bots: Vec<(Uuid, Bot)> = Vec::new();
    for t in 0..teams {
        let team = Uuid::new_v4();
        let members: Vec<Bot> = (0..clients / teams)
            .map(|i| Bot { id: Uuid::new_v4(), key: SigningKey::from_bytes(&[(t * 31 + i + 1) as u8; 32]) })
            .collect();
        let m = Membership {
            team,
            version: 1,
            prev_hash: None,
            signer: members[0].id,
            members: vec![Member {
                device: members[0].id,
                sign_pk: proto::b64(members[0].key.verifying_key().as_bytes()),
                age: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
                role: Role::Admin,
                added_in: 1,
                removed_in: None,
                cutoff_dseq: None,
            }],
        };
        let genesis = SignedDoc::sign(&m, &members[0].key);
        let _: serde_json::Value = post(&http, &url, &members[0], "/v1/teams", &CreateTeam { team, genesis: genesis.clone() }).await;
        let mut last = genesis;
        let mut cur = m;
        for b in &members[1..] {
            let mut next = cur.clone();
            next.version += 1;
            next.prev_hash = Some(last.hash().unwrap());
            next.members.push(Member {
                device: b.id,
                sign_pk: proto::b64(b.key.verifying_key().as_bytes()),
                age: "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
                role: Role::Member,
                added_in: next.version,
                removed_in: None,
                cutoff_dseq: None,
            });
            let doc = SignedDoc::sign(&next, &members[0].key);
            let _: serde_json::Value = post(&http, &url, &members[0], &format!("/v1/teams/{team}/membership"), &doc).await;
            last = doc;
            cur = next;
        }
        bots.extend(members.into_iter().map(|b| (team, b)));
    }
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (team, bot) in bots {
        let (http, url, done) = (http.clone(), url.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let stream = Uuid::new_v4();
            let mut lat = Vec::new();
            let mut dseq = 0u64;
            let mut cursor = 0u64;
            while Instant::now() < deadline {
                dseq += 1;
                let h = OpHeader { team, stream, op_id: Uuid::new_v4(), device: bot.id, dseq, prev: dseq - 1, key_version: 1 };
                let env = Envelope::sign(h, [1; 24], vec![0; 200], &bot.key);
                let t = Instant::now();
                let r: PushResult = post(&http, &url, &bot, &format!("/v1/teams/{team}/ops"), &Push { ops: vec![proto::b64(&env.to_bytes())] }).await;
                lat.push(t.elapsed());
                assert!(matches!(r.outcomes[0], proto::PushOutcome::Stored { .. }));
                let t = Instant::now();
                let page: proto::PullPage = get(&http, &url, &bot, &format!("/v1/teams/{team}/ops?since={cursor}&limit=100")).await;
                lat.push(t.elapsed());
                cursor = page.ops.last().map_or(cursor, |o| o.gseq);
                done.fetch_add(2, Ordering::Relaxed);
            }
            lat
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let q = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "| {label}, {clients} clients ({teams} teams) | **{:.0} req/s** | p50 {:.1} ms | p99 **{:.1} ms** | {} requests in {secs} s |",
        done.load(Ordering::Relaxed) as f64 / secs as f64,
        q(0.5),
        q(0.99),
        all.len()
    );
    let _ = stop.send(());
}

async fn post<T: serde::Serialize, U: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str, b: &Bot, path: &str, body: &T) -> U {
    let body = serde_json::to_vec(body).unwrap();
    let now = SystemClockMs::now();
    let auth = proto::authorization(b.id, &b.key, "POST", path, now, &body);
    let r = http.post(format!("{url}{path}")).header("authorization", auth).header("content-type", "application/json").body(body).send().await.unwrap();
    let status = r.status();
    let bytes = r.bytes().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap()
}

async fn get<U: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str, b: &Bot, path: &str) -> U {
    let auth = proto::authorization(b.id, &b.key, "GET", path, SystemClockMs::now(), b"");
    let r = http.get(format!("{url}{path}")).header("authorization", auth).send().await.unwrap();
    assert!(r.status().is_success());
    r.json().await.unwrap()
}

struct SystemClockMs;
impl SystemClockMs {
    fn now() -> u64 {
        use sesame_core::clock::Clock;
        SystemClock.now_millis()
    }
}

fn main() {
    if std::env::var("RUST_LOG").is_ok() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        println!("| benchmark | figure | | | |");
        println!("|---|---|---|---|---|");
        let only = std::env::var("SESAME_BENCH_ONLY").unwrap_or_default();
        if only == "micro" {
            let id = age::x25519::Identity::generate();
            let r = id.to_public();
            let t = Instant::now();
            let w: Vec<Vec<u8>> = (0..200).map(|_| age::encrypt(&r, &[7u8; 32]).unwrap()).collect();
            println!("age wrap {:?} each", t.elapsed() / 200);
            let t = Instant::now();
            for x in &w {
                age::decrypt(&id, x).unwrap();
            }
            println!("age unwrap {:?} each", t.elapsed() / 200);
            let k = SigningKey::from_bytes(&[1; 32]);
            let vk = k.verifying_key();
            let t = Instant::now();
            for _ in 0..200 {
                use ed25519_dalek::Verifier;
                vk.verify_strict(b"hello", &ed25519_dalek::Signer::sign(&k, b"hello")).unwrap();
                let _ = vk.verify(b"hello", &ed25519_dalek::Signer::sign(&k, b"hello"));
            }
            println!("ed25519 sign+verify_strict+sign+verify {:?} each", t.elapsed() / 200);
            return;
        }
        let t = tmp();
        for files in [2000, 200] {
            catch_up("SQLite", Arc::new(sesame_server::sqlite::SqliteStore::open(&t.path().join(format!("s{files}.db"))).unwrap()), files).await;
            if let Some(pg) = pg_store().await {
                catch_up("PostgreSQL", pg, files).await;
            }
        }
        if only == "catchup" {
            return;
        }
        let t = tmp();
        wire_bytes(Arc::new(sesame_server::sqlite::SqliteStore::open(&t.path().join("w.db")).unwrap())).await;
        let secs = std::env::var("SESAME_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
        let t = tmp();
        throughput("SQLite", Arc::new(sesame_server::sqlite::SqliteStore::open(&t.path().join("t.db")).unwrap()), 100, 10, secs).await;
        if let Some(pg) = pg_store().await {
            throughput("PostgreSQL", pg, 100, 10, secs).await;
        }
        // Drop the schemas made by this run.
        let url = std::env::var("SESAME_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        if let Ok((c, conn)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            tokio::spawn(conn);
            if let Ok(rows) = c.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sesame_bench_%'", &[]).await {
                for r in rows {
                    let n: &str = r.get(0);
                    let _ = c.batch_execute(&format!("DROP SCHEMA {n} CASCADE")).await;
                }
            }
        }
    });
}
