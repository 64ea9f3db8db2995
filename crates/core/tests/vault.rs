//! The vault, through its public API: keys, records, validation, search,
//! and the operation log.

use proptest::prelude::*;
use secrecy::SecretString;
use sesame_core::clock::FixedClock;
use sesame_core::domain::{DocStatus, Entity, Id};
use sesame_core::vault::{ListedIds, Options, RecoveryKey, Vault, VaultError};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

fn opts() -> Options {
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let known = ListedIds {
        procedures: vec!["etudiant_renewal".into(), "dcem_first".into()],
        documents: vec!["passport".into(), "proof_of_address".into(), "photos".into()],
    };
    Options { kdf_log_n: Some(10), ..Options::new(clock, Arc::new(known)) }
}

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

const PASS: &str = "le chat dort au soleil";

fn new_vault(dir: &Path) -> Vault {
    Vault::init(dir, &pass(PASS), None, opts()).unwrap()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

fn add(v: &mut Vault, family: &str, given: &str) -> Id {
    v.create(Entity::Applicant, &[("family_name", family), ("given_name", given)]).unwrap()
}

#[test]
fn init_unlock_and_records_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let id = {
        let mut v = new_vault(&dir);
        let id = add(&mut v, "Quatrebarbes", "Zéphyrine");
        v.update(Entity::Applicant, id, &[("birth_date", "1990-02-28"), ("languages", "ar, FA-af, ar")]).unwrap();
        v.lock();
        id
    };
    let v = Vault::unlock(&dir, &pass(PASS), opts()).unwrap();
    let a = v.applicant(id).unwrap();
    assert_eq!(a.given_name, "Zéphyrine");
    assert_eq!(a.birth_date.unwrap().to_string(), "1990-02-28");
    assert_eq!(a.languages, vec!["ar", "fa-AF"]);
    assert!(v.integrity_check().unwrap().is_empty());
}

#[test]
fn wrong_passphrase_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    add(&mut v, "Martin", "Hélène");
    v.lock();
    let before = files(&dir);
    let err = Vault::unlock(&dir, &pass("le chat dort à l'ombre"), opts()).unwrap_err();
    assert_eq!(err.code(), "wrong_passphrase");
    assert!(err.to_string().contains("Phrase de passe incorrecte") && err.to_string().contains("Wrong passphrase"));
    assert_eq!(files(&dir), before, "a wrong passphrase must not change one byte");
}

#[test]
fn damaged_files_are_named_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    add(&mut v, "Martin", "Hélène");
    v.lock();

    // A truncated database.
    let db = dir.join("vault.db");
    let orig = std::fs::read(&db).unwrap();
    std::fs::write(&db, &orig[..100]).unwrap();
    let before = files(&dir);
    let err = Vault::unlock(&dir, &pass(PASS), opts()).unwrap_err();
    assert!(matches!(&err, VaultError::Damaged { file, .. } if file.ends_with("vault.db")), "{err}");
    assert!(err.to_string().contains("vault.db"));
    assert_eq!(files(&dir), before);

    // A foreign file in place of the database.
    std::fs::write(&db, b"SQLite format 3\0 not really").unwrap();
    let err = Vault::unlock(&dir, &pass(PASS), opts()).unwrap_err();
    assert!(err.to_string().contains("vault.db"), "{err}");
    std::fs::write(&db, &orig).unwrap();

    // A corrupted key file.
    let key = dir.join("key.passphrase.age");
    let k = std::fs::read(&key).unwrap();
    std::fs::write(&key, b"age-encryption.org/v1\n-> garbage\n").unwrap();
    let err = Vault::unlock(&dir, &pass(PASS), opts()).unwrap_err();
    assert!(err.to_string().contains("key.passphrase.age"), "{err}");
    std::fs::write(&key, &k).unwrap();

    // A missing key file.
    std::fs::remove_file(&key).unwrap();
    let err = Vault::unlock(&dir, &pass(PASS), opts()).unwrap_err();
    assert_eq!(err.code(), "missing_file");
    std::fs::write(&key, &k).unwrap();

    // A folder that is not a vault.
    let err = Vault::unlock(tmp.path(), &pass(PASS), opts()).unwrap_err();
    assert_eq!(err.code(), "not_a_vault");

    // And the intact vault still opens.
    Vault::unlock(&dir, &pass(PASS), opts()).unwrap();
}

#[test]
fn init_refuses_existing_vaults_and_busy_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    new_vault(&dir).lock();
    let err = Vault::init(&dir, &pass(PASS), None, opts()).unwrap_err();
    assert_eq!(err.code(), "already_exists");
    std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
    let err = Vault::init(tmp.path(), &pass(PASS), None, opts()).unwrap_err();
    assert_eq!(err.code(), "folder_not_empty");
    let err = Vault::init(&tmp.path().join("w"), &pass("short"), None, opts()).unwrap_err();
    assert_eq!(err.code(), "weak_passphrase");
    assert!(!tmp.path().join("w").join("vault.json").exists());
}

#[test]
fn passphrase_change_and_recovery() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let rk = RecoveryKey::generate();
    let mut v = Vault::init(&dir, &pass(PASS), Some(&rk.recipient()), opts()).unwrap();
    let id = add(&mut v, "Koné", "Aïcha");
    v.lock();

    Vault::change_passphrase(&dir, &pass(PASS), &pass("une nouvelle phrase"), Some(10)).unwrap();
    assert_eq!(Vault::unlock(&dir, &pass(PASS), opts()).unwrap_err().code(), "wrong_passphrase");
    Vault::unlock(&dir, &pass("une nouvelle phrase"), opts()).unwrap().lock();

    // The volunteer forgets it; the association's recovery key opens the vault.
    let other = RecoveryKey::generate();
    let err = Vault::recover(&dir, &other.secret(), &pass("encore une autre phrase"), opts()).unwrap_err();
    assert_eq!(err.code(), "wrong_recovery_key");
    let v = Vault::recover(&dir, &rk.secret(), &pass("encore une autre phrase"), opts()).unwrap();
    assert_eq!(v.applicant(id).unwrap().given_name, "Aïcha");
    v.lock();
    Vault::unlock(&dir, &pass("encore une autre phrase"), opts()).unwrap();
}

#[test]
fn invalid_input_is_refused_with_the_field_named_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let long = "x".repeat(100 * 1024);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("family_name", ""), ("given_name", "A")], "family_name"),
        (&[("family_name", "A")], "given_name"),
        (&[("family_name", "A"), ("given_name", "B"), ("birth_date", "2026-02-30")], "birth_date"),
        (&[("family_name", "A\u{0}"), ("given_name", "B")], "family_name"),
        (&[("family_name", long.as_str()), ("given_name", "B")], "family_name"),
        (&[("family_name", "A"), ("given_name", "B"), ("notes", long.as_str())], "notes"),
        (&[("family_name", "A"), ("given_name", "B"), ("nationality", "France")], "nationality"),
        (&[("family_name", "A"), ("given_name", "B"), ("shoe_size", "42")], "shoe_size"),
    ];
    for (fields, bad) in cases {
        let err = v.create(Entity::Applicant, fields).unwrap_err();
        assert!(err.fields().iter().any(|f| f.field == *bad), "{bad}: {err}");
    }
    let a = add(&mut v, "Martin", "Hélène");
    let a_s = a.to_string();
    let err = v.create(Entity::Case, &[("applicant_id", &a_s), ("procedure", "no_such_procedure")]).unwrap_err();
    assert!(err.fields().iter().any(|f| f.field == "procedure"), "{err}");
    let ghost = Id::new().to_string();
    let err = v.create(Entity::Case, &[("applicant_id", &ghost), ("procedure", "dcem_first")]).unwrap_err();
    assert!(err.fields().iter().any(|f| f.field == "applicant_id"), "{err}");
    assert_eq!(v.applicants().unwrap().len(), 1);
    assert_eq!(v.ops(None).unwrap().len(), 2, "only the valid applicant's two fields were logged");
}

#[test]
fn cases_documents_journal_incidents() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let a = add(&mut v, "Gebremedhin", "Selam").to_string();
    let c = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal")]).unwrap();
    let case = v.case(c).unwrap();
    assert_eq!(case.status.as_str(), "preparing");
    assert_eq!(case.opened_on.to_string(), "2026-11-28");
    v.update(Entity::Case, c, &[("status", "filed")]).unwrap();
    assert!(v.update(Entity::Case, c, &[("status", "lost")]).is_err());
    let d = v.set_document(c, "passport", DocStatus::Received, Some("2024-01-15")).unwrap();
    assert_eq!(v.set_document(c, "passport", DocStatus::Verified, None).unwrap(), d, "one item per document type");
    assert!(v.set_document(c, "unknown_doc", DocStatus::Received, None).is_err());
    let docs = v.documents(c).unwrap();
    assert_eq!((docs.len(), docs[0].status), (1, DocStatus::Verified));
    let cs = c.to_string();
    v.create(Entity::JournalEntry, &[("case_id", &cs), ("at", "2026-11-28T10:00:00+01:00"), ("text", "Appel à la préfecture")]).unwrap();
    let err = v.create(Entity::Incident, &[("case_id", &cs), ("occurred_at", "2026-11-28 10:00"), ("step", "dépôt")]).unwrap_err();
    assert!(err.fields().iter().any(|f| f.field == "occurred_at"));
    v.create(Entity::Incident, &[("case_id", &cs), ("occurred_at", "2026-11-28T10:00:00+01:00"), ("step", "dépôt"), ("ticket", "CCC-1")]).unwrap();
    assert_eq!(v.journal(c).unwrap().len(), 1);
    assert_eq!(v.incidents(c).unwrap()[0].ticket.as_deref(), Some("CCC-1"));
    assert!(v.update(Entity::Case, c, &[("applicant_id", &a)]).is_err(), "parent links are immutable");
    v.delete(Entity::Case, c).unwrap();
    assert!(v.case(c).is_err());
    assert!(v.replay_matches().unwrap());
}

#[test]
fn search_ignores_case_and_accents_and_matches_prefixes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let benoit = add(&mut v, "Kouassi", "Benoît");
    let arabic = add(&mut v, "حداد", "محمد");
    v.update(Entity::Applicant, arabic, &[("latin_family_name", "Haddad"), ("agdref", "7501234567")]).unwrap();
    add(&mut v, "Martin", "Hélène");
    fn ids_in(v: &Vault, q: &str) -> Vec<Id> {
        v.search(q, 10).unwrap().into_iter().map(|a| a.id).collect()
    }
    let ids = |q: &str| ids_in(&v, q);
    assert_eq!(ids("benoit"), vec![benoit]);
    assert_eq!(ids("BENO"), vec![benoit]);
    assert_eq!(ids("kou ben"), vec![benoit]);
    assert_eq!(ids("hadd"), vec![arabic]);
    assert_eq!(ids("حدا"), vec![arabic]);
    assert_eq!(ids("750123"), vec![arabic]);
    assert_eq!(ids("helene"), ids("Hélène"));
    assert!(ids("zzz").is_empty());
    assert!(ids("\"*(").is_empty());
    // Renaming updates the index; deleting removes the entry.
    v.update(Entity::Applicant, benoit, &[("given_name", "Noël")]).unwrap();
    assert!(ids_in(&v, "benoit").is_empty());
    assert_eq!(ids_in(&v, "noel"), vec![benoit]);
    v.delete(Entity::Applicant, benoit).unwrap();
    assert!(ids_in(&v, "noel").is_empty());
}

#[test]
fn every_change_is_logged_with_its_predecessor() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let a = add(&mut v, "Martin", "Hélène");
    assert_eq!(v.update(Entity::Applicant, a, &[("given_name", "Hélène")]).unwrap(), 0, "no change, no op");
    v.update(Entity::Applicant, a, &[("given_name", "Chloé")]).unwrap();
    let ops = v.ops(Some(a)).unwrap();
    assert_eq!(ops.len(), 3);
    let first = ops.iter().find(|o| o.field == "given_name").unwrap();
    let last = ops.last().unwrap();
    assert_eq!(last.based_on, Some(first.hlc));
    assert!(ops.windows(2).all(|w| w[0].hlc < w[1].hlc));
    assert!(ops.iter().all(|o| o.device_id == v.device_id()));
}

#[derive(Debug, Clone)]
enum Action {
    Add(String, String),
    Edit(usize, &'static str, String),
    Delete(usize),
    Case(usize),
    Doc(usize, DocStatus),
}

fn action() -> impl Strategy<Value = Action> {
    let name = "[A-Za-zéèàçÀ-ÿ ]{0,12}|[\\u0600-\\u06FF]{1,6}|[\\u0400-\\u04FF]{1,6}";
    prop_oneof![
        (name, name).prop_map(|(f, g)| Action::Add(f, g)),
        (any::<usize>(), prop_oneof![Just("family_name"), Just("notes"), Just("birth_date"), Just("languages")], name)
            .prop_map(|(i, f, v)| Action::Edit(i, f, v)),
        any::<usize>().prop_map(Action::Delete),
        any::<usize>().prop_map(Action::Case),
        (any::<usize>(), prop::sample::select(DocStatus::ALL.to_vec())).prop_map(|(i, s)| Action::Doc(i, s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever sequence of changes (valid or refused) is made, replaying
    /// the op log from empty rebuilds exactly the tables and search index.
    #[test]
    fn replaying_the_log_rebuilds_the_tables(actions in prop::collection::vec(action(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = new_vault(&tmp.path().join("v"));
        let mut applicants: Vec<Id> = Vec::new();
        let mut cases: Vec<Id> = Vec::new();
        for a in actions {
            match a {
                Action::Add(f, g) => {
                    if let Ok(id) = v.create(Entity::Applicant, &[("family_name", &f), ("given_name", &g)]) {
                        applicants.push(id);
                    }
                }
                Action::Edit(i, field, value) if !applicants.is_empty() => {
                    let _ = v.update(Entity::Applicant, applicants[i % applicants.len()], &[(field, &value)]);
                }
                Action::Delete(i) if !applicants.is_empty() => {
                    let _ = v.delete(Entity::Applicant, applicants[i % applicants.len()]);
                }
                Action::Case(i) if !applicants.is_empty() => {
                    let a = applicants[i % applicants.len()].to_string();
                    if let Ok(c) = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "dcem_first")]) {
                        cases.push(c);
                    }
                }
                Action::Doc(i, s) if !cases.is_empty() => {
                    let _ = v.set_document(cases[i % cases.len()], "passport", s, None);
                }
                _ => {}
            }
        }
        prop_assert!(v.replay_matches().unwrap());
    }
}

#[test]
fn the_generation_moves_with_every_write_and_only_then() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let g0 = v.generation().unwrap();
    let _ = v.cases(None).unwrap();
    let _ = v.search("a", 10).unwrap();
    assert_eq!(v.generation().unwrap(), g0, "reading must not change the generation");
    let id = add(&mut v, "Quatrebarbes", "Zéphyrine");
    let g1 = v.generation().unwrap();
    assert_ne!(g1, g0);
    v.update(Entity::Applicant, id, &[("birth_date", "1990-02-28")]).unwrap();
    assert_ne!(v.generation().unwrap(), g1);
    // A write through another connection to the same file is seen too.
    let g2 = v.generation().unwrap();
    let mut other = Vault::unlock(&dir, &pass(PASS), opts()).unwrap();
    add(&mut other, "Ngoma", "Aïcha");
    let g3 = v.generation().unwrap();
    assert_ne!(g3, g2, "another connection's write must change the generation");
    assert!(!g2.only_own_writes_until(g3), "that write was not this handle's");
    v.update(Entity::Applicant, id, &[("birth_date", "1990-03-01")]).unwrap();
    assert!(g3.only_own_writes_until(v.generation().unwrap()), "this one was");
}

/// A second handle (the desktop app's background sync) sees the first's
/// writes and writes its own, with the same key and the same clock: an op
/// written on either handle is stamped after every op both have written.
#[test]
fn reopen_gives_a_second_handle_on_the_same_vault() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut a = new_vault(&dir);
    let x = add(&mut a, "Quatrebarbes", "Zéphyrine");
    let mut b = a.reopen().unwrap();
    assert_eq!(b.applicant(x).unwrap().given_name, "Zéphyrine");
    assert_eq!(b.device_id(), a.device_id());
    b.update(Entity::Applicant, x, &[("notes", "from the second handle")]).unwrap();
    a.update(Entity::Applicant, x, &[("phone", "+33 6 00 00 00 00")]).unwrap();
    assert_eq!(a.applicant(x).unwrap().notes.as_deref(), Some("from the second handle"));
    let ops = a.ops(Some(x)).unwrap();
    let mut hlcs: Vec<_> = ops.iter().map(|o| o.hlc).collect();
    let n = hlcs.len();
    hlcs.sort();
    hlcs.dedup();
    assert_eq!(hlcs.len(), n, "one clock for both handles: no two ops share a stamp");
    assert_eq!(ops.iter().find(|o| o.field == "phone").unwrap().hlc, *hlcs.last().unwrap());
    // Locking drops both; the vault opens again with the passphrase only.
    drop(b);
    a.lock();
    let c = Vault::unlock(&dir, &pass(PASS), opts()).unwrap();
    assert_eq!(c.applicant(x).unwrap().notes.as_deref(), Some("from the second handle"));
}
