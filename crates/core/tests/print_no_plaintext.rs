//! No plaintext temporary file: after printing a checklist, typesetting a
//! letter and exporting an ANEF file, the only new files are the ones the
//! volunteer chose, and nothing outside them holds the applicant's name.
//!
//! The test re-runs itself as a child process with `TMPDIR` pointed at a
//! fresh folder (the environment cannot be changed safely in-process),
//! then checks that folder stayed empty and where the name went.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::domain::Entity;
use sesame_core::print::{self, AnefFormat, AnefLimit, LetterKind, PrintContext};
use sesame_core::vault::{Options, Vault};

const FAMILY: &str = "Quatrebarbes";
const GIVEN: &str = "Zéphyrine";

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn needles() -> Vec<Vec<u8>> {
    let mut n = Vec::new();
    for s in [FAMILY, GIVEN] {
        n.push(s.as_bytes().to_vec());
        n.push(s.encode_utf16().flat_map(u16::to_le_bytes).collect());
        n.push(s.encode_utf16().flat_map(u16::to_be_bytes).collect());
    }
    n
}

fn holds_name(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    needles().iter().any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
}

const CHILD: &str = "SESAME_NO_PLAINTEXT_CHILD";

#[test]
fn printing_and_exporting_leave_nothing_but_the_chosen_files() {
    if let Some(root) = std::env::var_os(CHILD) {
        return print_everything(Path::new(&root));
    }
    let root = tempfile::tempdir().unwrap();
    let tmpdir = root.path().join("tmp");
    std::fs::create_dir(&tmpdir).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "printing_and_exporting_leave_nothing_but_the_chosen_files", "--nocapture", "--test-threads", "1"])
        .env(CHILD, root.path())
        .env("TMPDIR", &tmpdir)
        .status()
        .unwrap();
    assert!(status.success(), "the printing child failed");
    check_leftovers(root.path());
}

/// The child: prints, drafts, attaches and exports, with `TMPDIR` set.
fn print_everything(root: &Path) {
    assert_eq!(std::env::temp_dir(), root.join("tmp"));
    let vault_dir = root.join("vault");
    let chosen = root.join("chosen");
    std::fs::create_dir(&chosen).unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let mut v = Vault::init(&vault_dir, &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    let a = v.create(Entity::Applicant, &[("family_name", FAMILY), ("given_name", GIVEN)]).unwrap().to_string();
    let c = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal")]).unwrap();
    v.create(Entity::Incident, &[("case_id", &c.to_string()), ("occurred_at", "2026-11-02T10:15:00+01:00"), ("step", "dépôt")]).unwrap();

    // A scan whose file name carries the name, as volunteers often do.
    let scans = root.join("scans");
    std::fs::create_dir(&scans).unwrap();
    let scan = scans.join(format!("passeport_{FAMILY}.png"));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(1000, 1400, image::Rgb([240, 240, 240])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(&scan, &png).unwrap();

    let ctx = PrintContext {
        association_name: "Permanence".into(),
        association_contact: String::new(),
        printed_on: "2026-11-28".parse().unwrap(),
        lang: "ar".into(),
    };
    let checklist = print::case_checklist_pdf(&v, &catalog, c, &ctx).unwrap();
    print::write_file(&chosen.join("liste.pdf"), &checklist.bytes).unwrap();
    let draft = print::draft_letter(&v, &catalog, LetterKind::InPersonAlternative, c, &ctx).unwrap();
    assert!(draft.text.contains(FAMILY));
    let letter = print::letter_pdf(&v, &draft, &ctx).unwrap();
    print::write_file(&chosen.join("lettre.pdf"), &letter.bytes).unwrap();
    print::attach_files(&mut v, &catalog, c, "passport", &[&scan]).unwrap();
    let anef = print::prepare_for_anef(&v, &catalog, c, "passport", &AnefLimit::default(), AnefFormat::Pdf).unwrap();
    print::write_file(&chosen.join(&anef.file_name), &anef.bytes).unwrap();
    // Writing over an existing file works the same way.
    print::write_file(&chosen.join("liste.pdf"), &checklist.bytes).unwrap();
    drop(v);
}

/// The parent: what the child left behind.
fn check_leftovers(root: &Path) {
    let (tmpdir, chosen, scans, vault_dir) = (root.join("tmp"), root.join("chosen"), root.join("scans"), root.join("vault"));
    let mut tmp_files = Vec::new();
    all_files(&tmpdir, &mut tmp_files);
    assert!(tmp_files.is_empty(), "files left in TMPDIR: {tmp_files:?}");

    let mut written = Vec::new();
    all_files(&chosen, &mut written);
    written.sort();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["Passeport.pdf", "lettre.pdf", "liste.pdf"], "only the chosen files, no .part left");

    let mut vault_files = Vec::new();
    all_files(&vault_dir, &mut vault_files);
    for f in &vault_files {
        assert!(!holds_name(f), "{} holds the name in clear", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            ["vault.json", "key.passphrase.age", "vault.db", "vault.db-wal", "vault.db-shm"].contains(&name.as_ref()),
            "unexpected file in the vault: {name}"
        );
    }
    // Outside the chosen folder and the volunteer's own scans, nothing
    // anywhere under the test root holds the name.
    let mut everything = Vec::new();
    all_files(root, &mut everything);
    for f in everything.iter().filter(|f| !f.starts_with(&chosen) && !f.starts_with(&scans)) {
        assert!(!holds_name(f), "{} holds the name", f.display());
    }
}
