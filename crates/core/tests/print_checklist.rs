//! Checklist PDFs in the 13 catalog languages: text present, fonts
//! embedded, no missing glyph, right to left where it should be.
//!
//! Needs poppler-utils (`pdftotext`, `pdffonts`), installed by
//! `scripts/setup-debian.sh`. Set `SESAME_PRINT_OUT=DIR` to keep the PDFs
//! and PNG renderings for a look.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use secrecy::SecretString;
use sesame_core::catalog::{Catalog, REQUIRED_LANGUAGES};
use sesame_core::clock::FixedClock;
use sesame_core::domain::{DocStatus, Entity, Id};
use sesame_core::print::{self, PrintContext};
use sesame_core::vault::{Options, Vault};

const PROCEDURE: &str = "etudiant_renewal";

fn ctx(lang: &str) -> PrintContext {
    PrintContext {
        association_name: "Permanence juridique de Saint-Denis".into(),
        association_contact: "12 rue de la République, 93200 Saint-Denis · 01 23 45 67 89 · mardi 14h–18h".into(),
        printed_on: "2026-11-28".parse().unwrap(),
        lang: lang.into(),
    }
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} missing ({e}): run scripts/setup-debian.sh"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where PDFs go: a kept folder when `SESAME_PRINT_OUT` is set, else a temp dir.
fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("SESAME_PRINT_OUT") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (None, PathBuf::from(d))
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_owned();
            (Some(t), p)
        }
    }
}

/// Text for comparison: whitespace and invisible marks removed, and the
/// Arabic vowel marks (harakat) too, with a letter repeated next to itself
/// counted once: pdftotext maps a letter carrying a shadda to the letter
/// twice (« محلَّف » comes out as « محَّلَّلف »), while the page shows it right.
fn squash(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_whitespace() || matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{64b}'..='\u{65f}' | '\u{670}') {
            continue;
        }
        if out.ends_with(c) && c.is_alphabetic() && !c.is_ascii() {
            continue;
        }
        out.push(c);
    }
    out
}

/// The words of `name` (brackets and punctuation dropped), each squashed.
/// Compared word by word, because pdftotext returns mixed right-to-left
/// and left-to-right lines in visual order.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || "()[]«»\"',.:;/".contains(c))
        .map(squash)
        .filter(|w| w.chars().count() >= 2)
        .collect()
}

fn assert_words(text: &str, name: &str, what: &str) {
    for w in words(name) {
        assert!(text.contains(&w), "{what}: word {w:?} of {name:?} not in the PDF text:\n{text}");
    }
}

/// Checks a PDF: every font embedded, no Type 3 (fallback) font, and
/// returns its text as pdftotext extracts it.
fn check_pdf(path: &Path) -> String {
    let fonts = tool("pdffonts", &[path.to_str().unwrap()]);
    let mut rows = 0;
    for line in fonts.lines().skip(2) {
        rows += 1;
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(!line.contains("Type 3"), "{}: a Type 3 font means a fallback glyph:\n{fonts}", path.display());
        // name type [encoding] emb sub uni object ID: emb is 5th from the end.
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "{}: font not embedded:\n{fonts}", path.display());
    }
    assert!(rows > 0, "no font at all in {}", path.display());
    tool("pdftotext", &["-enc", "UTF-8", "-nopgbrk", path.to_str().unwrap(), "-"])
}

#[test]
fn every_language_prints_a_blank_checklist_with_both_languages_and_no_tofu() {
    let catalog = Catalog::shipped().unwrap();
    let (_keep, dir) = out_dir();
    for lang in REQUIRED_LANGUAGES {
        let rendered = print::blank_checklist_pdf(&catalog, PROCEDURE, &BTreeMap::new(), None, &ctx(lang)).unwrap();
        assert!(rendered.missing_glyphs.is_empty(), "{lang}: missing glyphs {:?}", rendered.missing_glyphs);
        let path = dir.join(format!("blank-{lang}.pdf"));
        print::write_file(&path, &rendered.bytes).unwrap();
        if std::env::var_os("SESAME_PRINT_OUT").is_some() {
            tool("pdftoppm", &["-r", "80", "-png", path.to_str().unwrap(), dir.join(format!("blank-{lang}")).to_str().unwrap()]);
        }
        let text = squash(&check_pdf(&path));
        let checklist = catalog.checklist(PROCEDURE, lang, &BTreeMap::new(), "2026-11-28".parse().unwrap()).unwrap();
        assert!(!checklist.items.is_empty());
        for item in &checklist.items {
            assert!(text.contains(&squash(&item.name_fr)), "{lang}: French name {:?} not in the PDF text", item.name_fr);
            assert_words(&text, &item.name, lang);
        }
        assert!(text.contains("Documentsàréunir"), "{lang}: French title");
    }
}

fn vault() -> (tempfile::TempDir, Vault, Arc<Catalog>) {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let v = Vault::init(&tmp.path().join("v"), &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    (tmp, v, catalog)
}

fn case_with_history(v: &mut Vault, family: &str, given: &str) -> Id {
    let a = v
        .create(Entity::Applicant, &[("family_name", family), ("given_name", given), ("latin_family_name", "Haddad"), ("latin_given_name", "Amina")])
        .unwrap()
        .to_string();
    let facts = r#"{"current_permit":{"expires_on":"2027-03-31","on_anef":true}}"#;
    let c = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", PROCEDURE), ("department", "93"), ("facts", facts)]).unwrap();
    v.set_document(c, "passport", DocStatus::Verified, None).unwrap();
    v.set_document(c, "proof_of_address", DocStatus::Requested, None).unwrap();
    v.create(Entity::Deadline, &[("case_id", &c.to_string()), ("due", "2026-12-15"), ("title", "Rendez-vous à la permanence")]).unwrap();
    c
}

#[test]
fn a_case_checklist_has_the_name_statuses_and_dates_in_every_language() {
    let (_tmp, mut v, catalog) = vault();
    let c = case_with_history(&mut v, "حداد", "أمينة");
    let (_keep, dir) = out_dir();
    for lang in REQUIRED_LANGUAGES {
        let rendered = print::case_checklist_pdf(&v, &catalog, c, &ctx(lang)).unwrap();
        assert!(rendered.missing_glyphs.is_empty(), "{lang}: missing glyphs {:?}", rendered.missing_glyphs);
        assert!(!rendered.deadlines_unavailable);
        let path = dir.join(format!("case-{lang}.pdf"));
        print::write_file(&path, &rendered.bytes).unwrap();
        if std::env::var_os("SESAME_PRINT_OUT").is_some() {
            tool("pdftoppm", &["-r", "80", "-png", path.to_str().unwrap(), dir.join(format!("case-{lang}")).to_str().unwrap()]);
        }
        let text = squash(&check_pdf(&path));
        assert!(text.contains("HADDAD"), "{lang}: the Latin name");
        assert!(text.contains("28/11/2026"), "{lang}: the print date");
        assert!(text.contains("01/12/2026") && text.contains("30/01/2027"), "{lang}: the renewal window: {text}");
        assert!(text.contains("15/12/2026"), "{lang}: the manual deadline");
        assert!(text.contains("vérifié") && text.contains("demandé"), "{lang}: French statuses");
        assert!(text.contains("PermanencejuridiquedeSaint-Denis"), "{lang}: the association");
    }
}

#[test]
fn markup_in_a_name_is_printed_as_text_not_obeyed() {
    let (_tmp, mut v, catalog) = vault();
    // Typst markup and code: if it were evaluated, it would fail, hide the
    // name, or print "INJECTED".
    let c = case_with_history(&mut v, "#text(\"INJECTED\")] *gras* $x$", "Zoé \\ \" ] #set page(width: 1cm)");
    let rendered = print::case_checklist_pdf(&v, &catalog, c, &ctx("fr")).unwrap();
    let (_keep, dir) = out_dir();
    let path = dir.join("injection.pdf");
    print::write_file(&path, &rendered.bytes).unwrap();
    let text = check_pdf(&path);
    assert!(text.contains("#text(\"INJECTED\")]"), "{text}");
    assert!(text.contains("*gras* $x$"));
    assert!(text.contains("#set page(width: 1cm)"));
    // The page is still A4 (595 × 842 pt).
    let info = tool("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.contains("595.276 x 841.89"), "{info}");
}

#[test]
fn a_name_in_a_script_without_font_is_reported_not_hidden() {
    let (_tmp, mut v, catalog) = vault();
    let c = case_with_history(&mut v, "王", "小明");
    let rendered = print::case_checklist_pdf(&v, &catalog, c, &ctx("fr")).unwrap();
    assert!(rendered.missing_glyphs.contains(&'王'), "{:?}", rendered.missing_glyphs);
}

#[test]
fn a_blank_checklist_carries_no_personal_data_and_says_when_unreviewed() {
    let catalog = Catalog::shipped().unwrap();
    let rendered = print::blank_checklist_pdf(&catalog, PROCEDURE, &BTreeMap::new(), None, &ctx("ar")).unwrap();
    let (_keep, dir) = out_dir();
    let path = dir.join("blank-ar-check.pdf");
    print::write_file(&path, &rendered.bytes).unwrap();
    let text = check_pdf(&path);
    assert!(!text.contains("Nom"), "no name field on a blank checklist");
    assert!(text.contains("traduction non relue"), "{text}");
}

#[test]
fn an_unknown_procedure_or_language_is_a_clear_error() {
    let catalog = Catalog::shipped().unwrap();
    let e = print::blank_checklist_pdf(&catalog, "no_such_procedure", &BTreeMap::new(), None, &ctx("fr")).unwrap_err();
    assert_eq!(e.code(), "catalog");
    let e = print::blank_checklist_pdf(&catalog, PROCEDURE, &BTreeMap::new(), None, &ctx("xx")).unwrap_err();
    assert!(e.to_string().contains("xx"));
}
