//! Crash safety: a writer killed with SIGKILL at random moments loses
//! nothing it reported as committed, and the database stays intact.
//!
//! `SESAME_CRASH_KILLS` sets the number of kills (default 50).

use rand::Rng;
use secrecy::SecretString;
use sesame_core::clock::SystemClock;
use sesame_core::domain::Id;
use sesame_core::vault::{ListedIds, Options, Vault};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const WRITER: &str = env!("CARGO_BIN_EXE_crash-writer");

fn opts() -> Options {
    let known = ListedIds { procedures: vec!["etudiant_renewal".into()], documents: vec!["passport".into()] };
    Options { kdf_log_n: Some(10), ..Options::new(Arc::new(SystemClock), Arc::new(known)) }
}

/// Every file in the vault folder, searched for the applicant's name in
/// UTF-8 and UTF-16 (both byte orders).
fn files_containing_name(dir: &std::path::Path) -> Vec<String> {
    let needles: Vec<Vec<u8>> = ["Quatrebarbes", "Zéphyrine"]
        .iter()
        .flat_map(|n| {
            let le: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = n.encode_utf16().flat_map(u16::to_be_bytes).collect();
            [n.as_bytes().to_vec(), le, be]
        })
        .collect();
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        if needles.iter().any(|n| memchr::memmem::find(&bytes, n).is_some()) {
            hits.push(path.display().to_string());
        }
    }
    hits
}

#[test]
fn sigkill_loses_no_committed_write() {
    let kills: usize = std::env::var("SESAME_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let status = Command::new(WRITER).arg(&dir).arg("init").status().unwrap();
    assert!(status.success());

    let mut rng = rand::rng();
    let mut committed: Vec<(Id, Id)> = Vec::new();
    for round in 0..kills {
        let mut child = Command::new(WRITER)
            .arg(&dir)
            .arg("write")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(20..250)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(err.is_empty(), "round {round}: the writer failed: {err}");
        for line in out.lines() {
            // A line cut by the kill was never fully reported: skip it.
            let mut parts = line.split(' ');
            if let (Some(a), Some(c)) = (parts.next(), parts.next()) {
                if let (Ok(a), Ok(c)) = (a.parse(), c.parse()) {
                    committed.push((a, c));
                }
            }
        }
        assert!(files_containing_name(&dir).is_empty(), "round {round}: plaintext name on disk");
    }

    let pass = SecretString::from("phrase de passe du test de crash".to_owned());
    let v = Vault::unlock(&dir, &pass, opts()).unwrap();
    assert_eq!(v.integrity_check().unwrap(), Vec::<String>::new());
    for (a, c) in &committed {
        let applicant = v.applicant(*a).unwrap_or_else(|e| panic!("committed applicant {a} lost: {e}"));
        assert_eq!(applicant.notes.as_deref(), Some("suivi en cours"));
        let docs = v.documents(*c).unwrap();
        assert_eq!(docs.len(), 1, "committed case {c} lost its document");
    }
    assert!(v.replay_matches().unwrap(), "the op log no longer rebuilds the tables");
    assert!(committed.len() >= kills / 2, "the writer made too little progress to test anything: {}", committed.len());
    eprintln!("{kills} kills, {} committed applicants checked", committed.len());
}
