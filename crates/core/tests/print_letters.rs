//! Letters: drafted from the case and its incidents, edited, typeset.
//!
//! The drafts are compared with snapshots in `tests/snapshots/` (ids
//! sanitised; dates are fixed by the injected clock). After an intended
//! change of wording, regenerate them with `SESAME_UPDATE_SNAPSHOTS=1`
//! and review the diff.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::domain::{Entity, Id};
use sesame_core::print::{self, LetterKind, PrintContext};
use sesame_core::vault::{Options, Vault};

fn ctx() -> PrintContext {
    PrintContext {
        association_name: "Permanence juridique de Saint-Denis".into(),
        association_contact: "12 rue de la République, 93200 Saint-Denis".into(),
        printed_on: "2026-11-28".parse().unwrap(),
        lang: "fr".into(),
    }
}

struct Fixture {
    tmp: tempfile::TempDir,
    v: Vault,
    catalog: Arc<Catalog>,
    case: Id,
}

/// A student renewal blocked on ANEF, with incidents on `dates`.
fn fixture(dates: &[&str]) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let mut v = Vault::init(&tmp.path().join("vault"), &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    let a = v
        .create(
            Entity::Applicant,
            &[
                ("family_name", "Haddad"),
                ("given_name", "Amina"),
                ("birth_date", "2001-04-12"),
                ("nationality", "DZ"),
                ("agdref", "7501234567"),
                ("address", "4 allée des Tilleuls\n93200 Saint-Denis"),
            ],
        )
        .unwrap()
        .to_string();
    let facts = r#"{"current_permit":{"expires_on":"2026-12-20","on_anef":true},"filing":{"filed_on":"2026-10-01","complete":true},"api":[{"issued_on":"2026-09-01","valid_until":"2026-11-30"}]}"#;
    let case = v
        .create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal"), ("department", "93"), ("facts", facts)])
        .unwrap();
    let c = case.to_string();
    for (n, at) in dates.iter().enumerate() {
        let ticket = format!("CCC-{}", 1000 + n);
        let mut fields = vec![("case_id", c.as_str()), ("occurred_at", *at), ("step", "dépôt de la demande"), ("error_message", "Une erreur technique est survenue")];
        if n % 2 == 0 {
            fields.push(("ticket", &ticket));
        }
        v.create(Entity::Incident, &fields).unwrap();
    }
    v.create(Entity::JournalEntry, &[("case_id", &c), ("at", "2026-11-20T15:00:00+01:00"), ("text", "Appel au Centre de contact citoyens, sans solution")]).unwrap();
    Fixture { tmp, v, catalog, case }
}

const SPREAD: [&str; 3] = ["2026-10-28T10:15:00+01:00", "2026-11-05T18:40:00+01:00", "2026-11-19T08:05:00+01:00"];

/// UUIDs replaced by a placeholder.
fn sanitise(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let candidate: String = chars[i..chars.len().min(i + 36)].iter().collect();
        if candidate.len() == 36 && candidate.parse::<uuid::Uuid>().is_ok() {
            out.push_str("<id>");
            i += 36;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn check_snapshot(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(format!("{name}.txt"));
    let text = sanitise(text);
    if std::env::var_os("SESAME_UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, expected, "snapshot {name} changed; if intended, run with SESAME_UPDATE_SNAPSHOTS=1 and review the diff");
}

#[test]
fn every_letter_names_the_person_the_procedure_the_law_and_every_incident_date() {
    let f = fixture(&SPREAD);
    let refs: [(LetterKind, &[&str]); 4] = [
        (LetterKind::InPersonAlternative, &["R431-2", "2023-191", "452798", "3 juin 2022"]),
        (LetterKind::ApiRequest, &["R431-15-1", "30/11/2026", "01/10/2026"]),
        (LetterKind::DefenseurDesDroits, &["Défenseur des droits", "R431-2", "452798"]),
        (LetterKind::RefereBundle, &["L521-3", "435594", "453391"]),
    ];
    for (kind, laws) in refs {
        let draft = print::draft_letter(&f.v, &f.catalog, kind, f.case, &ctx()).unwrap();
        let t = &draft.text;
        assert!(t.contains("Amina Haddad"), "{kind:?}: name");
        assert!(t.contains("Renouvellement") || t.contains("renouvellement"), "{kind:?}: procedure");
        assert!(t.contains("L422-1"), "{kind:?}: the procedure's legal basis:\n{t}");
        for law in laws {
            assert!(t.contains(law), "{kind:?}: {law} missing:\n{t}");
        }
        if kind != LetterKind::ApiRequest || !t.is_empty() {
            for date in ["28/10/2026", "05/11/2026", "19/11/2026"] {
                assert!(t.contains(date), "{kind:?}: incident date {date} missing:\n{t}");
            }
        }
        assert!(t.contains("10h15") && t.contains("18h40") && t.contains("08h05"), "{kind:?}: times in Paris time");
        check_snapshot(kind.as_str(), t);
        let span = draft.span.as_ref().unwrap();
        assert_eq!((span.attempts, span.days, span.distinct_weeks, span.more_than_one_week), (3, 22, 3, true));
    }
}

#[test]
fn a_bundle_flags_attempts_all_in_one_week() {
    let f = fixture(&["2026-11-16T10:00:00+01:00", "2026-11-17T11:00:00+01:00", "2026-11-18T12:00:00+01:00"]);
    let draft = print::draft_letter(&f.v, &f.catalog, LetterKind::RefereBundle, f.case, &ctx()).unwrap();
    let span = draft.span.unwrap();
    assert!(!span.more_than_one_week);
    assert_eq!(span.distinct_weeks, 1);
    assert!(draft.text.contains("MOINS D'UNE SEMAINE"), "{}", draft.text);
    assert!(draft.to_check.iter().any(|c| c.contains("moins d'une semaine")));
}

#[test]
fn the_pdf_prints_the_edited_text_with_its_evidence() {
    let mut f = fixture(&SPREAD);
    let incident = f.v.incidents(f.case).unwrap()[0].id;
    let shot = {
        let img = image::RgbImage::from_pixel(900, 600, image::Rgb([250, 250, 250]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    };
    let p = f.tmp.path().join("capture.png");
    std::fs::write(&p, shot).unwrap();
    print::attach_files(&mut f.v, &f.catalog, f.case, &incident.to_string(), &[&p]).unwrap();

    let mut draft = print::draft_letter(&f.v, &f.catalog, LetterKind::InPersonAlternative, f.case, &ctx()).unwrap();
    assert_eq!(draft.appendices.len(), 1, "the screenshot is appended");
    draft.text = draft.text.replace("Madame la Préfète, Monsieur le Préfet,\n", "Madame la Préfète,\n");
    draft.text.push_str("\n\nPost-scriptum ajouté par la bénévole #[crochet] *étoile*");
    let rendered = print::letter_pdf(&f.v, &draft, &ctx()).unwrap();
    assert!(rendered.missing_glyphs.is_empty(), "{:?}", rendered.missing_glyphs);
    assert!(rendered.pages >= 3, "letter, annex and one evidence page: {}", rendered.pages);
    let path = f.tmp.path().join("lettre.pdf");
    print::write_file(&path, &rendered.bytes).unwrap();
    let text = String::from_utf8(Command::new("pdftotext").args(["-enc", "UTF-8", path.to_str().unwrap(), "-"]).output().unwrap().stdout).unwrap();
    assert!(text.contains("Post-scriptum ajouté par la bénévole #[crochet] *étoile*"), "{text}");
    assert!(text.contains("Pièce 2 — capture d'écran"), "{text}");
    assert!(text.contains("CHRONOLOGIE DES INCIDENTS ANEF"));
    if let Some(dir) = std::env::var_os("SESAME_PRINT_OUT") {
        std::fs::copy(&path, PathBuf::from(dir).join("letter-in_person_alternative.pdf")).unwrap();
    }
}

#[test]
fn letter_kinds_parse_from_their_cli_names() {
    for k in LetterKind::ALL {
        assert_eq!(k.as_str().parse::<LetterKind>().unwrap(), k);
    }
    assert_eq!("recours".parse::<LetterKind>().unwrap_err().code(), "unknown_letter");
}
