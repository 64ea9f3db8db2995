//! `sesame serve`, `sesame team …` and `sesame sync …` as a user runs them,
//! and the faults: a client killed (SIGKILL) mid-push and mid-apply, the
//! server killed and restarted mid-sync. Each resumes without a duplicate
//! and without losing an op.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "le chat dort au soleil";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sesame")
}

fn cmd(vault: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--vault").arg(vault).env("SESAME_PASSPHRASE", PASS).env("SESAME_KDF_LOG_N", "10").env_remove("SESAME_TEST_PAUSE_AT");
    c
}

fn run(vault: &Path, args: &[&str]) -> Output {
    let out = cmd(vault).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sesame {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(vault: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_slice(&run(vault, &a).stdout).unwrap()
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path, listen: &str) -> Server {
    let mut child = Command::new(bin())
        .args(["serve", "--listen", listen, "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Server { child, url }
}

/// Starts `sesame sync` paused at `point`, waits until it is there, and kills it (SIGKILL).
fn kill_at(vault: &Path, point: &str) {
    let mut child = cmd(vault).arg("sync").env("SESAME_TEST_PAUSE_AT", point).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        line.clear();
        if err.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            panic!("sync never reached {point}");
        }
        if line.contains(&format!("SESAME_TEST_PAUSED_AT {point}")) {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn init(root: &Path, name: &str) -> PathBuf {
    let v = root.join(name);
    run(&v, &["init"]);
    v
}

fn ops(vault: &Path) -> usize {
    let hist = json(vault, &["export", "--yes-plaintext"]);
    hist["applicants"].as_array().unwrap().len()
}

fn export(vault: &Path) -> serde_json::Value {
    json(vault, &["export", "--yes-plaintext"])
}

/// A team of two: `a` admin, `b` member, both synced.
fn team(root: &Path, url: &str) -> (PathBuf, PathBuf) {
    let a = init(root, "a");
    let b = init(root, "b");
    run(&a, &["team", "create", "--server", url, "--name", "Cimade test"]);
    let code = json(&a, &["team", "invite"])["code"].as_str().unwrap().to_owned();
    let joined = json(&b, &["team", "join", &code]);
    let device = joined["device"].as_str().unwrap().to_owned();
    let list = json(&a, &["team", "list"]);
    assert_eq!(list["pending"][0]["device"], device);
    assert_eq!(list["pending"][0]["proof_ok"], true);
    assert_eq!(list["pending"][0]["fingerprint"], joined["fingerprint"]);
    run(&a, &["team", "approve", &device[..8]]);
    run(&b, &["sync"]);
    let list = json(&b, &["team", "list"]);
    assert_eq!(list["name"], "Cimade test");
    assert_eq!(list["members"].as_array().unwrap().len(), 2);
    (a, b)
}

#[test]
fn team_commands_and_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(&tmp.path().join("server.db"), "127.0.0.1:0");
    let (a, b) = team(tmp.path(), &server.url);
    let id = String::from_utf8(run(&a, &["applicant", "add", "--family-name", "Quatrebarbes", "--given-name", "Zéphyrine"]).stdout).unwrap();
    let id = id.trim();
    let st = json(&a, &["sync", "status"]);
    assert!(st["pending_ops"].as_u64().unwrap() >= 2);
    let rep = json(&a, &["sync"]);
    assert!(rep["pushed"].as_u64().unwrap() >= 2);
    let rep = json(&b, &["sync"]);
    assert!(rep["pulled"].as_u64().unwrap() >= 2);
    assert_eq!(export(&a), export(&b));
    // A conflict, seen and settled from the command line.
    run(&a, &["applicant", "edit", id, "--notes", "vu lundi"]);
    run(&b, &["applicant", "edit", id, "--notes", "vu mardi"]);
    run(&a, &["sync"]);
    run(&b, &["sync"]);
    run(&a, &["sync"]);
    for v in [&a, &b] {
        let c = json(v, &["sync", "conflicts"]);
        assert_eq!(c.as_array().unwrap().len(), 1);
        assert_eq!(json(v, &["sync", "status"])["conflicts"], 1);
    }
    let c = json(&b, &["sync", "conflicts"]);
    let pick = c[0]["candidates"][0]["op_id"].as_str().unwrap().to_owned();
    run(&b, &["sync", "resolve", id, "notes", "--pick", &pick[..13]]);
    run(&b, &["sync"]);
    run(&a, &["sync"]);
    assert_eq!(json(&a, &["sync", "status"])["conflicts"], 0);
    assert_eq!(export(&a), export(&b));
    // A newer catalog, published by the admin, adopted by the member's next sync.
    let cat = tmp.path().join("catalog-2099");
    copy_catalog(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog"), &cat);
    let head = std::fs::read_to_string(cat.join("catalog.toml")).unwrap();
    let head: String = head
        .lines()
        .map(|l| if l.starts_with("version = ") { "version = \"2099.1.1\"".to_owned() } else if l.starts_with("published = ") { "published = 2099-01-01".to_owned() } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(cat.join("catalog.toml"), head).unwrap();
    let out = run(&a, &["team", "publish-catalog", cat.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2099.1.1"));
    let out = cmd(&b).args(["team", "publish-catalog", cat.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success(), "a member cannot publish");
    let rep = json(&b, &["sync"]);
    assert_eq!(rep["catalog_adopted"], "2099.1.1");
    assert_eq!(json(&b, &["sync", "status"])["catalog"]["version"], "2099.1.1");
    // Removal, then erasure.
    let fp = json(&b, &["sync", "status"])["fingerprint"].as_str().unwrap().to_owned();
    run(&a, &["team", "remove", &fp]);
    let out = cmd(&b).arg("sync").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("retiré"));
    run(&a, &["team", "erase", id, "--yes"]);
    assert_eq!(ops(&a), 0);
    run(&a, &["check"]);
}

#[test]
fn client_killed_mid_push_and_mid_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(&tmp.path().join("server.db"), "127.0.0.1:0");
    let (a, b) = team(tmp.path(), &server.url);
    run(&a, &["demo", "--applicants", "30"]);

    // Killed after the server stored the batch, before the client recorded it.
    kill_at(&a, "pushed");
    run(&a, &["sync"]);
    let st = json(&a, &["sync", "status"]);
    assert_eq!(st["pending_ops"], 0);
    run(&a, &["check"]);

    // Killed while applying a pulled page (inside its transaction).
    kill_at(&b, "apply");
    assert_eq!(ops(&b), 0, "nothing half-applied");
    run(&b, &["sync"]);
    run(&b, &["check"]);
    assert_eq!(export(&a), export(&b));
    assert_eq!(ops(&b), 30);
    // Each op exactly once in both logs.
    let count = |v: &Path| {
        let h = json(v, &["export", "--yes-plaintext"]);
        h.to_string().len()
    };
    assert_eq!(count(&a), count(&b));
}

#[test]
fn server_killed_and_restarted_mid_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("server.db");
    let mut server = serve(&db, "127.0.0.1:0");
    let addr = server.url.trim_start_matches("http://").to_owned();
    let (a, b) = team(tmp.path(), &server.url);
    run(&a, &["demo", "--applicants", "150"]);
    // The client pauses after its first batch is stored; the server dies then.
    let mut child = cmd(&a).arg("sync").env("SESAME_TEST_PAUSE_AT", "pushed").stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("SESAME_TEST_PAUSED_AT pushed") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0);
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    // A sync while the server is down fails cleanly and keeps everything.
    let out = cmd(&a).arg("sync").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("injoignable"));
    assert!(json(&a, &["sync", "status"])["pending_ops"].as_u64().unwrap() > 0);
    // Back on the same port and database: resumes, no duplicate.
    server = serve(&db, &addr);
    run(&a, &["sync"]);
    run(&b, &["sync"]);
    assert_eq!(json(&a, &["sync", "status"])["pending_ops"], 0);
    assert_eq!(export(&a), export(&b));
    assert_eq!(ops(&b), 150);
    run(&b, &["check"]);
    drop(server);
}

fn copy_catalog(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_catalog(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
