//! Preview and attachments, without a window: a real vault in a temp dir,
//! files on disk standing for what the open dialog would yield, and the
//! same functions the Tauri commands call.

use crate::app;
use crate::attach;
use crate::dto::{CaseForm, FormFields};
use crate::print;
use crate::state::AppState;
use base64::Engine;
use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::{Clock, SystemClock};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const PASS: &str = "une phrase de passe de test";

fn catalog() -> Arc<Catalog> {
    static C: OnceLock<Arc<Catalog>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Catalog::shipped().expect("shipped catalog"))).clone()
}

fn unlocked() -> (AppState, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = AppState::new(tmp.path().join("vault"), catalog(), Arc::new(SystemClock), Some(10));
    let pass = SecretString::from(PASS.to_owned());
    app::create_vault(&state, &pass, &pass, None).expect("create");
    (state, tmp)
}

/// A renewal case of Amina Benali; answers the case id and its first two
/// document items.
fn case(state: &AppState) -> (String, String, String) {
    let fields: FormFields = [("family_name", "Benali"), ("given_name", "Amina"), ("languages", "ar, fr")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let a = app::save_applicant(state, None, &fields).expect("applicant");
    let form = CaseForm {
        procedure: "vpf_conjoint_francais_renewal".into(),
        department: "93".into(),
        permit_expires_on: (state.clock.today() + chrono::Days::new(100)).to_string(),
        permit_on_anef: true,
        ..Default::default()
    };
    let c = app::save_case(state, None, &a.id, &form).expect("case").id;
    let docs: Vec<String> = app::case_view(state, &c, "fr").expect("view").checklist.into_iter().map(|l| l.doc_type).collect();
    (c, docs[0].clone(), docs[1].clone())
}

/// A photo as a phone would give it (PNG here), written where a volunteer
/// would pick it.
fn photo(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let path = dir.join(name);
    image::DynamicImage::ImageRgb8(img).save_with_format(&path, image::ImageFormat::Png).expect("png");
    path
}

fn svg_of(url: &str) -> String {
    let b64 = url.strip_prefix("data:image/svg+xml;base64,").expect("an SVG data URL");
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).expect("base64")).expect("utf-8")
}

#[test]
fn previews_have_one_svg_page_per_pdf_page_for_checklists_and_letters() {
    let (state, _tmp) = unlocked();
    let (case_id, _, _) = case(&state);
    let (pdf, _) = print::case_checklist(&state, &case_id, "ar").expect("checklist");
    let preview = print::preview(&pdf);
    assert_eq!(preview.pages.len(), pdf.pages);
    for page in &preview.pages {
        let svg = svg_of(page);
        assert!(svg.starts_with("<svg") && svg.contains("<path"), "{}", &svg[..svg.len().min(100)]);
    }
    assert!(preview.missing_glyphs.is_empty() && !preview.deadlines_unavailable);

    let (blank, _) = print::blank_checklist(&state, "vpf_conjoint_francais_renewal", "fa-AF").expect("blank");
    assert_eq!(print::preview(&blank).pages.len(), blank.pages);

    let (letter, _) = print::letter(&state, &case_id, "in_person_alternative", "Texte revu par le bénévole.").expect("letter");
    let preview = print::preview(&letter);
    assert_eq!(preview.pages.len(), letter.pages);
    assert!(!preview.pages.is_empty());

    // A letter the volunteer has not drafted yet: the page shows the error.
    let e = print::letter(&state, &case_id, "nope", "x").unwrap_err();
    assert!(!e.fr.is_empty() && !e.en.is_empty());
}

#[test]
fn attached_photos_are_listed_in_order_exported_for_anef_and_deleted_one_by_one() {
    let (state, tmp) = unlocked();
    let (case_id, doc, other) = case(&state);
    assert!(attach::list(&state, &case_id).expect("list").is_empty());

    let recto = photo(tmp.path(), "IMG_0001.PNG", 1600, 1100);
    let verso = photo(tmp.path(), "IMG_0002.PNG", 1600, 1100);
    let list = attach::add(&state, &case_id, &doc, &[recto, verso]).expect("attach");
    let names: Vec<(&str, &str, i64, i64)> =
        list.iter().map(|a| (a.doc_type.as_str(), a.file_name.as_str(), a.position, a.pages)).collect();
    assert_eq!(names, [(doc.as_str(), "IMG_0001.PNG", 1, 1), (doc.as_str(), "IMG_0002.PNG", 2, 1)]);
    assert!(list.iter().all(|a| a.byte_len > 1000 && a.media_type == "image/png"));

    // Another item's pages are its own; a PDF counts its pages.
    let (pdf, _) = print::blank_checklist(&state, "vpf_conjoint_francais_renewal", "fr").expect("a PDF");
    let scan = tmp.path().join("scan.pdf");
    std::fs::write(&scan, &pdf.bytes).expect("write");
    let list = attach::add(&state, &case_id, &other, &[scan]).expect("attach pdf");
    let pdf_line = list.iter().find(|a| a.doc_type == other).expect("pdf listed");
    assert_eq!((pdf_line.media_type.as_str(), pdf_line.pages), ("application/pdf", pdf.pages as i64));

    // The ANEF file: one PDF, both photos, under the limit, named after the
    // document, not the person.
    let file = attach::prepare(&state, &case_id, &doc).expect("prepare");
    assert!(file.bytes.starts_with(b"%PDF"));
    assert_eq!(file.pages, 2);
    assert!(file.bytes.len() as u64 <= file.limit.max_bytes, "{} bytes", file.bytes.len());
    assert!(file.file_name.ends_with(".pdf") && !file.file_name.contains("Benali"), "{}", file.file_name);

    // Delete asks for an attachment of this case.
    let first = list.iter().find(|a| a.doc_type == doc && a.position == 1).expect("first").id.clone();
    let (other_case, _, _) = case(&state);
    assert_eq!(attach::delete(&state, &other_case, &first).unwrap_err().code, "not_found");
    let list = attach::delete(&state, &case_id, &first).expect("delete");
    assert_eq!(list.iter().filter(|a| a.doc_type == doc).map(|a| a.file_name.as_str()).collect::<Vec<_>>(), ["IMG_0002.PNG"]);
    assert_eq!(attach::prepare(&state, &case_id, &doc).expect("prepare").pages, 1);
    assert_eq!(attach::delete(&state, &case_id, &first).unwrap_err().code, "not_found", "already deleted");
}

#[test]
fn a_refused_file_is_named_in_both_languages_and_nothing_of_the_batch_is_stored() {
    let (state, tmp) = unlocked();
    let (case_id, doc, _) = case(&state);
    let good = photo(tmp.path(), "passeport.png", 1400, 1000);
    let fake = tmp.path().join("notes.jpg");
    std::fs::write(&fake, "ceci est du texte, pas une photo").expect("write");
    let e = attach::add(&state, &case_id, &doc, &[good.clone(), fake]).unwrap_err();
    assert_eq!(e.code, "unsupported");
    assert!(e.fr.contains("« notes.jpg »") && e.en.contains("\"notes.jpg\""), "{e:?}");
    assert!(e.fr.contains("Rien n'a été enregistré") && e.en.contains("Nothing was stored"), "{e:?}");
    assert!(!e.fr.contains("unknown") && !e.en.contains("inconnu"), "one language per sentence: {e:?}");
    assert!(!e.fr.contains(tmp.path().to_string_lossy().as_ref()), "file name only: {}", e.fr);
    assert!(attach::list(&state, &case_id).expect("list").is_empty(), "the good file was not stored either");

    let heic = tmp.path().join("IMG_1234.HEIC");
    let mut bytes = vec![0, 0, 0, 24];
    bytes.extend_from_slice(b"ftypheic");
    bytes.resize(64, 0);
    std::fs::write(&heic, bytes).expect("write");
    let e = attach::add(&state, &case_id, &doc, &[heic]).unwrap_err();
    assert_eq!(e.code, "heic");
    assert!(e.fr.contains("IMG_1234.HEIC") && e.en.contains("Most Compatible"), "{e:?}");

    let gone = tmp.path().join("parti.jpg");
    assert_eq!(attach::add(&state, &case_id, &doc, &[gone]).unwrap_err().code, "read");

    // Nothing to export: the app's sentence, not the command line's.
    let e = attach::prepare(&state, &case_id, &doc).unwrap_err();
    assert_eq!(e.code, "nothing_attached");
    assert!(!e.fr.contains("sesame") && !e.en.contains("sesame"), "{e:?}");

    // Not a catalog document, not a case: refused before any dialog.
    assert_eq!(attach::check_target(&state, &case_id, "pas_un_document").unwrap_err().code, "unknown_document");
    assert_eq!(attach::check_target(&state, "pas-un-id", &doc).unwrap_err().code, "not_found");
    assert_eq!(attach::add(&state, &case_id, "pas_un_document", &[good]).unwrap_err().code, "unknown_document");

    state.lock();
    assert_eq!(attach::list(&state, &case_id).unwrap_err().code, "locked");
}
