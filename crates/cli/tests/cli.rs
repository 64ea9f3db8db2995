//! The `sesame` command line, driven as scripts and associations drive it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SESAME: &str = env!("CARGO_BIN_EXE_sesame");
const PASS: &str = "une phrase de passe de test";

struct Vault {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Vault {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vault");
        let v = Vault { _tmp: tmp, dir };
        v.ok(&["init"]);
        v
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SESAME);
        c.args(args)
            .env("SESAME_VAULT", &self.dir)
            .env("SESAME_PASSPHRASE", PASS)
            .env("SESAME_KDF_LOG_N", "10")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| (p.clone(), std::fs::read(p).unwrap())).collect()
}

/// The applicant's name in UTF-8 and UTF-16 (both byte orders).
fn name_needles() -> Vec<Vec<u8>> {
    ["Quatrebarbes", "Zéphyrine"]
        .iter()
        .flat_map(|n| {
            let le: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = n.encode_utf16().flat_map(u16::to_be_bytes).collect();
            [n.as_bytes().to_vec(), le, be]
        })
        .collect()
}

fn files_with_name(dir: &Path) -> Vec<PathBuf> {
    let needles = name_needles();
    let mut hits = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if needles.iter().any(|n| memchr::memmem::find(&bytes, n).is_some()) {
            hits.push(entry);
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn the_name_never_reaches_the_disk_in_clear() {
    let v = Vault::new();
    let id = v.ok(&["applicant", "add", "--family-name", "Quatrebarbes", "--given-name", "Zéphyrine"]);
    assert!(files_with_name(&v.dir).is_empty(), "after one applicant");
    v.ok(&["demo", "--applicants", "1000"]);
    assert!(files_with_name(&v.dir).is_empty(), "after 1,000 more applicants");

    // Kill a big write in the middle, twice.
    for wait in [700, 1500] {
        let mut child = v.cmd(&["demo", "--applicants", "20000"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(files_with_name(&v.dir).is_empty(), "after kill -9 during writes");
    }
    // And the applicant is still there, readable with the passphrase.
    let shown = v.json(&["applicant", "show", id.trim(), "--json"]);
    assert_eq!(shown["applicant"]["family_name"], "Quatrebarbes");
    assert_eq!(v.json(&["check", "--json"])["replay_matches"], true);
}

#[test]
fn a_wrong_passphrase_exits_non_zero_and_changes_no_byte() {
    let v = Vault::new();
    v.ok(&["applicant", "add", "--family-name", "Martin", "--given-name", "Hélène"]);
    let before = files(&v.dir);
    let out = v.cmd(&["applicant", "list"]).env("SESAME_PASSPHRASE", "pas la bonne phrase").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Phrase de passe incorrecte") && err.contains("Wrong passphrase"), "{err}");
    assert_eq!(files(&v.dir), before);
}

#[test]
fn applicants_round_trip_as_json() {
    let v = Vault::new();
    let id = v.ok(&[
        "applicant", "add", "--family-name", "حداد", "--given-name", "محمد", "--latin-family-name", "Haddad",
        "--birth-date", "1988-02-29", "--nationality", "dz", "--lang", "ar", "--lang", "fr",
    ]);
    let id = id.trim();
    let list = v.json(&["applicant", "list", "--json"]);
    let a = &list[0];
    assert_eq!((a["id"].as_str(), a["family_name"].as_str(), a["given_name"].as_str()), (Some(id), Some("حداد"), Some("محمد")));
    assert_eq!((a["birth_date"].as_str(), a["nationality"].as_str()), (Some("1988-02-29"), Some("DZ")));
    assert_eq!(v.json(&["applicant", "search", "hadd", "--json"])[0]["id"], id);
    v.ok(&["applicant", "edit", id, "--given-name", "Mohamed", "--set", "notes=rendez-vous le 3"]);
    let shown = v.json(&["applicant", "show", id, "--json"]);
    assert_eq!(shown["applicant"]["given_name"], "Mohamed");
    assert_eq!(shown["applicant"]["notes"], "rendez-vous le 3");
    let history = v.json(&["history", id, "--json"]);
    assert!(history.as_array().unwrap().len() >= 7);
}

#[test]
fn bad_input_names_the_field_and_writes_nothing() {
    let v = Vault::new();
    let long = "x".repeat(100 * 1024);
    for (args, field) in [
        (vec!["applicant", "add", "--family-name", "", "--given-name", "A"], "family_name"),
        (vec!["applicant", "add", "--given-name", "A"], "family_name"),
        (vec!["applicant", "add", "--family-name", "A", "--given-name", "B", "--birth-date", "2026-02-30"], "birth_date"),
        (vec!["applicant", "add", "--family-name", "A\u{1b}[2J", "--given-name", "B"], "family_name"),
        (vec!["applicant", "add", "--family-name", &long, "--given-name", "B"], "family_name"),
        (vec!["applicant", "add", "--family-name", "A", "--given-name", "B", "--lang", "klingon!"], "languages"),
    ] {
        let err = v.fails(&args);
        assert!(err.contains(&format!("« {field} »")) && err.contains(&format!("\"{field}\"")), "{field}: {err}");
    }
    assert_eq!(v.json(&["applicant", "list", "--json"]), serde_json::json!([]));
    let a = v.ok(&["applicant", "add", "--family-name", "A", "--given-name", "B"]);
    let err = v.fails(&["case", "add", a.trim(), "--procedure", "no_such_procedure"]);
    assert!(err.contains("procedure"), "{err}");
    let err = v.fails(&["case", "add", "not-an-id", "--procedure", "duplicata"]);
    assert!(err.contains("id"), "{err}");
}

#[test]
fn cases_documents_and_incidents() {
    let v = Vault::new();
    let a = v.ok(&["applicant", "add", "--family-name", "Koné", "--given-name", "Aïcha"]);
    let c = v.ok(&["case", "add", a.trim(), "--procedure", "duplicata", "--department", "93"]);
    let c = c.trim();
    v.ok(&["doc", "set", c, "passport", "verified", "--issued-on", "2024-05-01"]);
    v.ok(&["doc", "set", c, "police_report", "requested"]);
    assert!(v.fails(&["doc", "set", c, "passport", "lost"]).contains("missing, requested"));
    v.ok(&["incident", "add", c, "--step", "dépôt", "--at", "2026-11-20T09:30:00+01:00", "--error", "Erreur 500", "--ticket", "CCC-42"]);
    v.ok(&["journal", "add", c, "Appel au Centre de contact citoyens"]);
    v.ok(&["deadline", "add", c, "--due", "2026-12-15", "--title", "Rendez-vous"]);
    v.ok(&["case", "status", c, "filed"]);
    let shown = v.json(&["case", "show", c, "--json"]);
    assert_eq!(shown["case"]["status"], "filed");
    assert_eq!(shown["case"]["department"], "93");
    assert_eq!(shown["documents"].as_array().unwrap().len(), 2);
    assert_eq!(shown["incidents"][0]["ticket"], "CCC-42");
    assert_eq!(shown["deadlines"][0]["due"], "2026-12-15");
    assert_eq!(shown["journal"].as_array().unwrap().len(), 1);
}

#[test]
fn export_refuses_without_the_plaintext_flag() {
    let v = Vault::new();
    v.ok(&["applicant", "add", "--family-name", "Martin", "--given-name", "Hélène"]);
    let err = v.fails(&["export", "--json"]);
    assert!(err.contains("--yes-plaintext"), "{err}");
    let all = v.json(&["export", "--json", "--yes-plaintext"]);
    assert_eq!(all["applicants"][0]["given_name"], "Hélène");
}

#[test]
fn passphrase_change_and_recovery_key() {
    let v = Vault::new();
    let out = v.json(&["recovery", "generate", "--json"]);
    let (recipient, secret) = (out["recipient"].as_str().unwrap(), out["secret"].as_str().unwrap());
    // A second vault protected by the recovery key.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v2");
    let run = |args: &[&str], pass: &str, new: Option<&str>| {
        let mut c = Command::new(SESAME);
        c.args(args).env("SESAME_VAULT", &dir).env("SESAME_PASSPHRASE", pass).env("SESAME_KDF_LOG_N", "10");
        if let Some(n) = new {
            c.env("SESAME_NEW_PASSPHRASE", n);
        }
        c.stdin(Stdio::null()).output().unwrap()
    };
    assert!(run(&["init", "--recovery-recipient", recipient], PASS, None).status.success());
    assert!(run(&["applicant", "add", "--family-name", "A", "--given-name", "B"], PASS, None).status.success());
    assert!(run(&["passphrase", "change"], PASS, Some("une autre phrase de passe")).status.success());
    assert!(!run(&["applicant", "list"], PASS, None).status.success());
    let key_file = tmp.path().join("recovery.txt");
    std::fs::write(&key_file, secret).unwrap();
    let kf = key_file.to_str().unwrap();
    assert!(run(&["recovery", "unlock", "--identity-file", kf], "", Some("phrase choisie après oubli")).status.success());
    let out = run(&["applicant", "list", "--json"], "phrase choisie après oubli", None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"family_name\": \"A\""));
}

#[test]
fn not_a_vault_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(SESAME)
        .args(["applicant", "list"])
        .env("SESAME_VAULT", tmp.path())
        .env("SESAME_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("n'est pas un coffre Sésame") && err.contains("sesame init"), "{err}");
}

fn run_plain(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(SESAME)
        .args(args)
        .env_remove("SESAME_VAULT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[test]
fn deadlines_need_no_vault_and_refuse_bad_facts() {
    let facts = r#"{ "today": "2026-11-28", "department": "75",
        "current_permit": { "expires_on": "2027-03-31", "on_anef": true } }"#;
    let out = run_plain(&["deadlines", "--facts", "-"], Some(facts));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let opens = v.as_array().unwrap().iter().find(|d| d["id"] == "renewal_window_opens").unwrap();
    assert_eq!(opens["due"], "2026-12-01");
    assert_eq!(opens["verified"], true);
    for key in ["rule", "legal_basis", "counting"] {
        assert!(opens[key].is_string(), "{key}");
    }
    for (bad, field) in [
        (r#"{"today":"2026-02-30"}"#, "today"),
        (r#"{"today":"2026-11-28","colour":"blue"}"#, "colour"),
        (r#"{"today":"2026-11-28","regime":"martian"}"#, "regime"),
        (r#"{"today":"2026-11-28","decisions":[{"kind":"oqtf","notified_at":"2026-03-10","restriction":"retention"}]}"#, "decisions[0].notified_at"),
    ] {
        let out = run_plain(&["deadlines", "--facts", "-"], Some(bad));
        assert!(!out.status.success(), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(field) && !err.contains("panicked"), "{bad}: {err}");
    }
}

#[test]
fn checklists_print_in_every_catalog_language() {
    let out = run_plain(&["catalog", "list", "--json"], None);
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let procedures = list["procedures"].as_array().unwrap();
    assert!(procedures.len() >= 15);
    for lang in ["fr", "en", "ar", "fa-AF", "ps", "ti", "ru", "uk", "es", "pt", "bn", "ta", "tr"] {
        let out = run_plain(&["checklist", "--procedure", "etudiant_renewal", "--lang", lang, "--json"], None);
        assert!(out.status.success(), "{lang}: {}", String::from_utf8_lossy(&out.stderr));
        let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = c["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| i["name_fr"].is_string() && i["name"].is_string()));
        if lang != "fr" {
            assert!(items.iter().any(|i| i["name"] != i["name_fr"]), "{lang} is not translated");
        }
    }
    let out = run_plain(&["checklist", "--procedure", "nope", "--lang", "fr"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    let out = run_plain(&["catalog", "check"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn case_deadlines_come_from_stored_facts() {
    let v = Vault::new();
    let a = v.ok(&["applicant", "add", "--family-name", "Tesfay", "--given-name", "Selam"]);
    let c = v.ok(&["case", "add", a.trim(), "--procedure", "etudiant_renewal", "--department", "75"]);
    let c = c.trim();
    let mut child = v.cmd(&["case", "facts", c, "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(br#"{"current_permit":{"expires_on":"2099-03-31","on_anef":true}}"#).unwrap();
    }
    assert!(child.wait().unwrap().success());
    let list = v.json(&["case", "deadlines", c, "--json"]);
    let ids: Vec<&str> = list.as_array().unwrap().iter().filter_map(|d| d["id"].as_str()).collect();
    assert!(ids.contains(&"renewal_window_opens") && ids.contains(&"renewal_window_closes"), "{ids:?}");
    // A typo in the facts is refused when they are stored, not later.
    let mut child = v.cmd(&["case", "facts", c, "-"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(br#"{"curent_permit":{}}"#).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("curent_permit"));
    let checklist = v.json(&["case", "checklist", c, "--lang", "ti", "--json"]);
    assert!(checklist["lines"].as_array().unwrap().iter().all(|l| l["status"] == "missing"));
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    let v = Vault::new();
    v.ok(&["demo", "--applicants", "30"]);
    let mut child = v.cmd(&["applicant", "list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
