//! Previews: the pages of a printout as SVG, drawn from the same layout as
//! its PDF, in memory, self-contained (no font, file or network needed to
//! show them).

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::domain::Entity;
use sesame_core::print::{self, LetterKind, PrintContext, Rendered};
use sesame_core::vault::{Options, Vault};

fn ctx(lang: &str) -> PrintContext {
    PrintContext {
        association_name: "Permanence juridique de Saint-Denis".into(),
        association_contact: "12 rue de la République, 93200 Saint-Denis".into(),
        printed_on: "2026-11-28".parse().unwrap(),
        lang: lang.into(),
    }
}

/// Every page is one SVG document of an A4 page that refers to nothing
/// outside itself.
fn check_preview(rendered: &Rendered, what: &str) -> Vec<String> {
    let pages = rendered.preview();
    assert_eq!(pages.len(), rendered.pages, "{what}: one SVG per PDF page");
    for (n, svg) in pages.iter().enumerate() {
        assert!(svg.starts_with("<svg"), "{what} page {n}: {}", &svg[..svg.len().min(80)]);
        assert!(svg.contains(r#"viewBox="0 0 595.2"#) && svg.contains(" 841.8"), "{what} page {n}: not A4");
        assert!(svg.trim_end().ends_with("</svg>"), "{what} page {n}: truncated");
        // Glyphs are outlines: the page shows the same on a machine
        // without the Noto fonts.
        assert!(!svg.contains("<text"), "{what} page {n}: text left to the viewer's fonts");
        for outside in ["href=\"http", "href=\"file:", "href=\"/", "url(http", "@import"] {
            assert!(!svg.contains(outside), "{what} page {n}: refers to {outside}");
        }
    }
    pages
}

#[test]
fn a_blank_checklist_preview_has_one_self_contained_svg_per_pdf_page() {
    let catalog = Catalog::shipped().unwrap();
    for lang in ["fr", "ar", "fa-AF", "ti"] {
        let rendered = print::blank_checklist_pdf(&catalog, "etudiant_renewal", &BTreeMap::new(), None, &ctx(lang)).unwrap();
        let pages = check_preview(&rendered, lang);
        assert!(pages.iter().all(|p| p.contains("<path")), "{lang}: glyph outlines drawn");
        assert_eq!(rendered.preview(), pages, "{lang}: the same layout gives the same pages");
    }
}

#[test]
fn a_case_checklist_and_a_letter_with_its_screenshot_preview_as_they_print() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let mut v = Vault::init(&tmp.path().join("v"), &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    let a = v.create(Entity::Applicant, &[("family_name", "حداد"), ("given_name", "أمينة")]).unwrap().to_string();
    let facts = r#"{"current_permit":{"expires_on":"2027-03-31","on_anef":true}}"#;
    let case = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal"), ("department", "93"), ("facts", facts)]).unwrap();

    let rendered = print::case_checklist_pdf(&v, &catalog, case, &ctx("ar")).unwrap();
    check_preview(&rendered, "case checklist (ar)");

    let c = case.to_string();
    let incident = v.create(Entity::Incident, &[("case_id", c.as_str()), ("occurred_at", "2026-11-05T18:40:00+01:00"), ("step", "dépôt")]).unwrap();
    let shot = {
        let img = image::RgbImage::from_pixel(900, 600, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    };
    let p = tmp.path().join("capture.png");
    std::fs::write(&p, shot).unwrap();
    print::attach_files(&mut v, &catalog, case, &incident.to_string(), &[&p]).unwrap();
    let draft = print::draft_letter(&v, &catalog, LetterKind::InPersonAlternative, case, &ctx("fr")).unwrap();
    let rendered = print::letter_pdf(&v, &draft, &ctx("fr")).unwrap();
    let pages = check_preview(&rendered, "letter");
    assert!(pages.len() >= 3, "letter, annex and the evidence page: {}", pages.len());
    // The screenshot is inside the SVG of its page, not referred to.
    assert!(pages.iter().any(|p| p.contains("data:image/")), "the screenshot is embedded in the preview");
}
