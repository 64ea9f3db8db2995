//! Printing through `sesame`, as a volunteer or a script does it: blank
//! and personal checklists, letters edited before export, attachments
//! refused or made ANEF-ready, settings printed on paper, and no plaintext
//! left anywhere but where the volunteer chose.
//!
//! Needs poppler-utils (`pdftotext`, `pdffonts`, `pdfimages`): installed by
//! `scripts/setup-debian.sh`. Without them these tests stop with a notice,
//! except when `CI` or `SESAME_PG_URL` is set: then they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use image::{DynamicImage, GenericImageView, Rgb, RgbImage};

const SESAME: &str = env!("CARGO_BIN_EXE_sesame");
const PASS: &str = "une phrase de passe de test";
const FAMILY: &str = "Quatrebarbes";
const GIVEN: &str = "Zéphyrine";
const LANGS: [&str; 13] = ["fr", "en", "ar", "fa-AF", "ps", "ti", "ru", "uk", "es", "pt", "bn", "ta", "tr"];

/// A vault in its own temp folder, driven through the binary. `TMPDIR`
/// points at `tmp/` inside it, so the tests can check it stays empty.
struct Sesame {
    root: tempfile::TempDir,
}

impl Sesame {
    fn new() -> Self {
        let s = Self::without_vault();
        s.ok(&["init"]);
        s
    }

    fn without_vault() -> Self {
        let root = tempfile::tempdir().unwrap();
        for d in ["tmp", "out", "scans"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
        }
        Sesame { root }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SESAME);
        c.args(args)
            .env("SESAME_VAULT", self.path("vault"))
            .env("SESAME_PASSPHRASE", PASS)
            .env("SESAME_KDF_LOG_N", "10")
            .env("TMPDIR", self.path("tmp"))
            .env_remove("SESAME_ASSOCIATION")
            .env_remove("SESAME_ASSOCIATION_CONTACT")
            .env_remove("SESAME_CATALOG")
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

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// An applicant (with the name the privacy checks look for) and a
    /// student-card renewal with two dated ANEF incidents. Returns the case id.
    fn case(&self, langs: &[&str]) -> String {
        let mut args = vec!["applicant", "add", "--family-name", FAMILY, "--given-name", GIVEN, "--birth-date", "2001-04-02"];
        for l in langs {
            args.extend(["--lang", l]);
        }
        let a = self.ok(&args).trim().to_owned();
        let c = self.ok(&["case", "add", &a, "--procedure", "etudiant_renewal", "--department", "93"]).trim().to_owned();
        let facts = self.path("facts.json");
        std::fs::write(&facts, r#"{"current_permit":{"expires_on":"2027-03-31","on_anef":true}}"#).unwrap();
        self.ok(&["case", "facts", &c, facts.to_str().unwrap()]);
        std::fs::remove_file(&facts).unwrap();
        self.ok(&["doc", "set", &c, "passport", "verified"]);
        for (at, ticket) in [("2026-11-02T10:15:00+01:00", "CCC-1001"), ("2026-11-16T09:40:00+01:00", "CCC-1002")] {
            self.ok(&["incident", "add", &c, "--step", "dépôt de la demande", "--at", at, "--error", "Erreur technique", "--ticket", ticket]);
        }
        c
    }

    fn attachment_count(&self, case: &str) -> usize {
        self.json(&["--json", "attachment", "list", case]).as_array().unwrap().len()
    }
}

/// Whether a command-line tool is here. Missing: a notice, or a failure
/// when `CI` or `SESAME_PG_URL` says this run must be complete.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        let mandatory = std::env::var_os("CI").is_some() || std::env::var_os("SESAME_PG_URL").is_some();
        assert!(!mandatory, "{tool} is missing: install poppler-utils (scripts/setup-debian.sh)");
        eprintln!("NOTICE: {tool} is missing (poppler-utils): PDF checks skipped. Run scripts/setup-debian.sh.");
    }
    found
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every font of the PDF embedded (and none a Type 3 fallback); its text.
fn pdf_text(path: &Path) -> String {
    let fonts = tool("pdffonts", &[path.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no font in {}", path.display());
    for line in rows {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(!line.contains("Type 3"), "{}: Type 3 font:\n{fonts}", path.display());
        assert_eq!(cols[cols.len() - 5], "yes", "{}: font not embedded:\n{fonts}", path.display());
    }
    tool("pdftotext", &["-enc", "UTF-8", "-nopgbrk", path.to_str().unwrap(), "-"])
}

/// Whitespace, bidi marks and Arabic vowel marks dropped, doubled letters
/// once (pdftotext repeats a letter carrying a shadda).
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

/// The words of a name, squashed: pdftotext gives mixed-direction lines in
/// visual order, so names are compared word by word.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || "()[]«»\"',.:;/".contains(c))
        .map(squash)
        .filter(|w| w.chars().count() >= 2)
        .collect()
}

fn warning_codes(v: &serde_json::Value) -> Vec<String> {
    v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_blank_checklist_pdf_in_each_of_the_13_languages_has_both_languages_embedded_fonts_and_no_tofu() {
    let s = Sesame::without_vault();
    let tools = have("pdftotext") && have("pdffonts");
    for lang in LANGS {
        let pdf = s.path(&format!("out/blank-{lang}.pdf"));
        let v = s.json(&[
            "--json", "checklist", "--procedure", "etudiant_renewal", "--lang", lang, "--pdf", pdf.to_str().unwrap(),
            "--association", "Permanence de Belleville", "--contact", "01 23 45 67 89",
        ]);
        assert!(!warning_codes(&v).contains(&"missing_glyphs".to_owned()), "{lang}: tofu: {v}");
        assert!(v["pages"].as_u64().unwrap() >= 1);
        if !tools {
            continue;
        }
        let text = squash(&pdf_text(&pdf));
        let items = s.json(&["--json", "checklist", "--procedure", "etudiant_renewal", "--lang", lang]);
        for item in items["items"].as_array().unwrap() {
            let fr = item["name_fr"].as_str().unwrap();
            assert!(text.contains(&squash(fr)), "{lang}: French {fr:?} not in the PDF");
            for w in words(item["name"].as_str().unwrap()) {
                assert!(text.contains(&w), "{lang}: word {w:?} of {:?} not in the PDF", item["name"]);
            }
        }
        assert!(text.contains("PermanencedeBelleville"), "{lang}: the association");
    }
    // Nothing but the PDFs was written, and no vault was created or needed.
    assert!(!s.path("vault").exists());
    assert_eq!(std::fs::read_dir(s.path("tmp")).unwrap().count(), 0);
}

#[test]
fn printouts_use_the_vault_settings_and_flags_override_them() {
    let s = Sesame::new();
    s.ok(&["settings", "set", "--association-name", "Cimade Nanterre", "--association-contact", "Mardi 14h-17h"]);
    let shown = s.json(&["--json", "settings", "show"]);
    assert_eq!(shown["association_name"], "Cimade Nanterre");
    let c = s.case(&["ti", "fr"]);

    // The applicant's language by default (Tigrinya here), the settings' association.
    let pdf = s.path("out/case.pdf");
    let v = s.json(&["--json", "case", "print", &c, "--pdf", pdf.to_str().unwrap()]);
    assert!(warning_codes(&v).is_empty(), "{v}");
    // The blank checklist reads the vault's settings too.
    let blank = s.path("out/blank.pdf");
    s.ok(&["checklist", "--procedure", "etudiant_renewal", "--lang", "ar", "--pdf", blank.to_str().unwrap()]);
    // A flag overrides the setting for one printout.
    let other = s.path("out/other.pdf");
    s.ok(&["case", "print", &c, "--lang", "bn", "--pdf", other.to_str().unwrap(), "--association", "Antenne de Saint-Denis"]);

    // Bad settings are refused with the field named, and nothing changes.
    let out = s.run(&["settings", "set", "--auto-lock-minutes", "0", "--association-name", "X"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auto_lock_minutes") && !err.contains("panicked"), "{err}");
    assert_eq!(s.json(&["--json", "settings", "show"])["association_name"], "Cimade Nanterre");

    if !(have("pdftotext") && have("pdffonts")) {
        return;
    }
    let text = squash(&pdf_text(&pdf));
    assert!(text.contains("CimadeNanterre") && text.contains("Mardi14h-17h"), "{text}");
    assert!(text.contains(&squash(&format!("{GIVEN} {FAMILY}"))), "the applicant's name on their own checklist");
    assert!(text.contains("ፓስፖርት") || text.chars().any(|c| ('\u{1200}'..='\u{137f}').contains(&c)), "Tigrinya in Ethiopic script");
    assert!(squash(&pdf_text(&blank)).contains("CimadeNanterre"));
    let text = squash(&pdf_text(&other));
    assert!(text.contains("AntennedeSaint-Denis") && !text.contains("CimadeNanterre"), "{text}");
    assert!(text.contains("Mardi14h-17h"), "the contact not overridden stays");
}

#[test]
fn a_name_without_a_font_prints_with_a_warning_in_both_languages() {
    let s = Sesame::new();
    let a = s.ok(&["applicant", "add", "--family-name", "王", "--given-name", "小明"]).trim().to_owned();
    let c = s.ok(&["case", "add", &a, "--procedure", "etudiant_renewal"]).trim().to_owned();
    let out = s.run(&["case", "print", &c, "--lang", "fr", "--pdf", s.path("out/x.pdf").to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("U+738B") && err.contains("Attention") && err.contains("Warning"), "{err}");
    assert!(!err.contains('王'), "the warning does not repeat the name");
}

#[test]
fn letters_are_drafted_edited_and_typeset_with_the_name_procedure_law_and_every_incident_date() {
    let s = Sesame::new();
    let c = s.case(&["ar"]);
    s.ok(&["settings", "set", "--association-name", "Permanence Belleville"]);
    let tools = have("pdftotext") && have("pdffonts");
    for kind in ["in_person_alternative", "api_request", "defenseur_des_droits", "refere_bundle"] {
        // The draft on standard output.
        let draft = s.ok(&["letter", kind, &c]);
        assert!(draft.contains(FAMILY) && draft.contains(GIVEN), "{kind}: the name:\n{draft}");
        for date in ["02/11/2026", "16/11/2026"] {
            assert!(draft.contains(date), "{kind}: incident date {date}:\n{draft}");
        }
        // Written for editing, edited, typeset from the edited text.
        let txt = s.path(&format!("out/{kind}.txt"));
        s.ok(&["letter", kind, &c, "--draft-out", txt.to_str().unwrap()]);
        let mut text = std::fs::read_to_string(&txt).unwrap();
        assert_eq!(text.trim_end(), draft.split("\n# À vérifier").next().unwrap().trim_end());
        text.push_str("\n\nPhrase ajoutée par la bénévole.\n");
        std::fs::write(&txt, text).unwrap();
        let pdf = s.path(&format!("out/{kind}.pdf"));
        let v = s.json(&["--json", "letter", kind, &c, "--from-text", txt.to_str().unwrap(), "--pdf", pdf.to_str().unwrap()]);
        assert!(warning_codes(&v).is_empty(), "{kind}: {v}");
        if !tools {
            continue;
        }
        let pdf_text = pdf_text(&pdf);
        let flat = squash(&pdf_text);
        assert!(flat.contains(FAMILY) && flat.contains(&squash(GIVEN)), "{kind}: name in the PDF");
        assert!(flat.contains("Phraseajoutéeparlabénévole."), "{kind}: the edit is printed");
        assert!(flat.contains("02/11/2026") && flat.contains("16/11/2026"), "{kind}: every incident date");
        assert!(flat.contains("PermanenceBelleville"), "{kind}: the association from the settings");
    }
    if tools {
        let flat = squash(&pdf_text(&s.path("out/in_person_alternative.pdf")));
        for law in ["R431-2", "452798", "2023-191"] {
            assert!(flat.contains(law), "legal reference {law}");
        }
        assert!(flat.contains("R431-15-1") || squash(&pdf_text(&s.path("out/api_request.pdf"))).contains("R431-15-1"));
        assert!(squash(&pdf_text(&s.path("out/refere_bundle.pdf"))).contains("L521-3"));
    }
    // An unknown kind and an empty edited text are refused in both languages.
    let out = s.run(&["letter", "love_letter", &c]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("love_letter") && err.contains("in_person_alternative") && err.contains(" / "), "{err}");
    let empty = s.path("out/empty.txt");
    std::fs::write(&empty, "  \n").unwrap();
    let out = s.run(&["letter", "api_request", &c, "--from-text", empty.to_str().unwrap(), "--pdf", s.path("out/e.pdf").to_str().unwrap()]);
    assert!(!out.status.success() && !s.path("out/e.pdf").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vide"));
}

/// A PDF whose content is encrypted with a user password.
fn password_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_owned(),
        format!("<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <{}> /U <{}> >>", "7a".repeat(32), "3c".repeat(32)),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Encrypt 4 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1,
            id = "0123456789abcdef0123456789abcdef"
        )
        .as_bytes(),
    );
    out
}

fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::from_pixel(1200, 1600, Rgb([240, 240, 240])))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn bad_files_are_refused_by_name_with_nothing_half_stored_and_a_non_zero_exit() {
    let s = Sesame::new();
    let c = s.case(&[]);
    let good = s.path("scans/bon.png");
    std::fs::write(&good, small_png()).unwrap();
    s.ok(&["attach", &c, "passport", good.to_str().unwrap()]);
    assert_eq!(s.attachment_count(&c), 1);

    let write = |name: &str, bytes: &[u8]| {
        let p = s.path(&format!("scans/{name}"));
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let huge = s.path("scans/video-200Mo.jpg");
    std::fs::File::create(&huge).unwrap().set_len(200 * 1024 * 1024).unwrap(); // sparse: no disk used
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("lettre.jpg", b"Ceci n'est pas une image.\n"), "ni une photo"),
        (huge, "200 Mo"),
        (write("releve-protege.pdf", &password_pdf()), "mot de passe"),
        (write("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x00"), "HEIC"),
        (s.path("scans/absent.jpg"), "Impossible de lire"),
    ];
    for (bad, what) in cases {
        // A good file first: nothing is stored when the one after it is refused.
        let out = s.run(&["attach", &c, "proof_of_address", good.to_str().unwrap(), bad.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: accepted", bad.display());
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name), "the message names the file {name}: {err}");
        assert!(err.contains(what), "{name}: {err}");
        assert!(err.contains("Rien n'a été enregistré") && err.contains("Nothing was stored"), "{name}: both languages: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(s.attachment_count(&c), 1, "{name}: nothing half-stored");
    }
    // An unknown document and an export with nothing attached say what to do.
    let out = s.run(&["attach", &c, "no_such_doc", good.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no_such_doc"));
    let out = s.run(&["attachment", "export", &c, "proof_of_address", "--anef", s.path("out").to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("sesame attach"));
    assert_eq!(std::fs::read_dir(s.path("out")).unwrap().count(), 0);
}

/// Embedded in the test photo as a JPEG comment: found in a vault file, it
/// would mean a plaintext copy.
const MARKER: &[u8] = b"SESAME-CLI-PLAINTEXT-MARKER-41d2";

/// A 12-megapixel phone photo stored sideways (4000 × 3000) with EXIF
/// orientation 6 (rotate 90° clockwise to view); its red corner, top left
/// as stored, is top right once upright. Noisy like a sensor, so it weighs
/// what a real photo weighs.
fn phone_photo() -> Vec<u8> {
    let mut seed = 0x2545F4914F6CDD1Du64;
    let img = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if x < 600 && y < 450 {
            return Rgb([220, 30, 30]);
        }
        let noise = (seed % 25) as i32 - 12;
        let ink = (y / 40) % 3 == 0 && (x / 25) % 5 != 4 && y > 500;
        let v = ((if ink { 40 } else { 235 - (x / 80) as i32 }) + noise).clamp(0, 255) as u8;
        Rgb([v, v, v])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92).encode_image(&DynamicImage::ImageRgb8(img)).unwrap();
    // APP1 EXIF (orientation 6, big endian) and a comment, after SOI.
    let mut tiff = b"MM\x00\x2A\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00".to_vec();
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((MARKER.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(MARKER);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn red(img: &DynamicImage, right: bool, top: bool) -> bool {
    let (w, h) = img.dimensions();
    let p = img.get_pixel(if right { w - w / 40 - 1 } else { w / 40 }, if top { h / 40 } else { h - h / 40 - 1 }).0;
    p[0] > 150 && p[1] < 100 && p[2] < 100
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(all_files(&p)) } else { out.push(p) }
    }
    out
}

fn holds(path: &Path, needle: &[u8]) -> bool {
    memchr::memmem::find(&std::fs::read(path).unwrap_or_default(), needle).is_some()
}

#[test]
fn a_rotated_12_megapixel_photo_becomes_an_upright_anef_file_under_the_limit() {
    let s = Sesame::new();
    let c = s.case(&[]);
    let photo = phone_photo();
    assert!(photo.len() > 3_000_000, "a realistic phone photo: {} bytes", photo.len());
    let src = s.path("scans/IMG_20261128_101500.jpg");
    std::fs::write(&src, &photo).unwrap();
    let attached = s.json(&["--json", "attach", &c, "passport", src.to_str().unwrap()]);
    assert_eq!(attached["attached"].as_array().unwrap().len(), 1);
    let list = s.json(&["--json", "attachment", "list", &c]);
    assert_eq!(list[0]["file_name"], "IMG_20261128_101500.jpg");
    assert_eq!(list[0]["byte_len"].as_u64().unwrap(), photo.len() as u64);

    // JPEG into a folder: named after the document, upright, under the default 2 MB.
    let v = s.json(&["--json", "attachment", "export", &c, "passport", "--anef", s.path("out").to_str().unwrap(), "--format", "jpeg"]);
    assert_eq!(warning_codes(&v), ["limit_unverified"], "the 2 MB limit is marked as to be checked");
    let jpeg_path = s.path("out/Passeport.jpg");
    assert_eq!(Path::new(v["file"].as_str().unwrap()), jpeg_path);
    let jpeg = std::fs::read(&jpeg_path).unwrap();
    assert!(jpeg.len() <= 2_000_000, "{} bytes", jpeg.len());
    assert!(memchr::memmem::find(&jpeg, MARKER).is_none() && memchr::memmem::find(&jpeg, b"Exif\0\0").is_none(), "metadata dropped");
    let img = image::load_from_memory(&jpeg).unwrap();
    let (w, h) = img.dimensions();
    assert!(h > w && h >= 2000, "upright and readable: {w}×{h}");
    assert!(red(&img, true, true) && !red(&img, false, true), "the stored top-left corner is now top right");

    // PDF with a smaller limit given in KB.
    let pdf_path = s.path("out/passeport-anef.pdf");
    let v = s.json(&["--json", "attachment", "export", &c, "passport", "--anef", pdf_path.to_str().unwrap(), "--max-kb", "900"]);
    assert_eq!(v["media_type"], "application/pdf");
    let size = std::fs::metadata(&pdf_path).unwrap().len();
    assert!(size <= 900_000, "{size} bytes over 900 KB");
    if have("pdfimages") {
        let list = tool("pdfimages", &["-list", pdf_path.to_str().unwrap()]);
        let row: Vec<&str> = list.lines().nth(2).expect("one image").split_whitespace().collect();
        let (iw, ih): (u32, u32) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        assert!(ih > iw && ih >= 1500, "the page image is upright and readable: {iw}×{ih}");
    }
    // A limit too small to stay readable is refused, and nothing is written.
    let out = s.run(&["attachment", "export", &c, "passport", "--anef", s.path("out/tiny.pdf").to_str().unwrap(), "--max-kb", "20"]);
    assert!(!out.status.success() && !s.path("out/tiny.pdf").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("20 Ko"));

    // The vault never holds the photo in clear.
    for f in all_files(&s.path("vault")) {
        assert!(!holds(&f, MARKER), "{} holds the photo in clear", f.display());
        assert!(!holds(&f, &photo[5000..5064]), "{} holds the photo in clear", f.display());
    }
    // Deleting the attachment.
    let id = list[0]["id"].as_str().unwrap();
    s.ok(&["attachment", "delete", id]);
    assert_eq!(s.attachment_count(&c), 0);
}

/// The name in UTF-8 and UTF-16 (both byte orders).
fn name_needles() -> Vec<Vec<u8>> {
    [FAMILY, GIVEN]
        .iter()
        .flat_map(|n| {
            let le: Vec<u8> = n.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = n.encode_utf16().flat_map(u16::to_be_bytes).collect();
            [n.as_bytes().to_vec(), le, be]
        })
        .collect()
}

#[test]
fn after_printing_and_exporting_no_file_outside_the_chosen_folder_holds_the_name() {
    let s = Sesame::new();
    let c = s.case(&["fa-AF"]);
    s.ok(&["settings", "set", "--association-name", "Permanence"]);
    // A scan named after the person, as volunteers often do.
    let scan = s.path(&format!("scans/passeport_{FAMILY}.png"));
    std::fs::write(&scan, small_png()).unwrap();
    let out = |f: &str| s.path(&format!("out/{f}"));
    s.ok(&["case", "print", &c, "--pdf", out("liste.pdf").to_str().unwrap()]);
    s.ok(&["checklist", "--procedure", "etudiant_renewal", "--lang", "ps", "--pdf", out("vierge.pdf").to_str().unwrap()]);
    s.ok(&["letter", "refere_bundle", &c, "--draft-out", out("brouillon.txt").to_str().unwrap()]);
    s.ok(&["letter", "refere_bundle", &c, "--from-text", out("brouillon.txt").to_str().unwrap(), "--pdf", out("lettre.pdf").to_str().unwrap()]);
    s.ok(&["attach", &c, "passport", scan.to_str().unwrap()]);
    s.ok(&["attachment", "export", &c, "passport", "--anef", s.path("out").to_str().unwrap()]);
    // Printing over an existing file goes the same way.
    s.ok(&["case", "print", &c, "--lang", "ar", "--pdf", out("liste.pdf").to_str().unwrap()]);

    let tmp = all_files(&s.path("tmp"));
    assert!(tmp.is_empty(), "files left in TMPDIR: {tmp:?}");
    let mut written: Vec<String> = all_files(&s.path("out")).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["Passeport.pdf", "brouillon.txt", "lettre.pdf", "liste.pdf", "vierge.pdf"], "only the chosen files, no .part");
    let needles = name_needles();
    for f in all_files(s.root.path()) {
        if f.starts_with(s.path("out")) || f.starts_with(s.path("scans")) {
            continue;
        }
        for n in &needles {
            assert!(!holds(&f, n), "{} holds the applicant's name", f.display());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() { copy_dir(&p, &dest) } else { std::fs::copy(&p, &dest).map(|_| ()).unwrap() }
    }
}

#[test]
fn an_item_without_translation_is_printed_in_french_and_said_so_on_the_page_and_to_the_volunteer() {
    let s = Sesame::without_vault();
    // The association's catalog, with the Russian name of the passport missing.
    let catalog = s.path("catalog");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog"), &catalog);
    let ru = catalog.join("i18n/ru.toml");
    let text = std::fs::read_to_string(&ru).unwrap();
    let start = text.find("[documents.passport]").unwrap();
    let end = start + 1 + text[start + 1..].find("\n[").unwrap();
    std::fs::write(&ru, format!("{}{}", &text[..start], &text[end + 1..])).unwrap();

    let pdf = s.path("out/ru.pdf");
    let out = s.run(&[
        "--json", "--catalog", catalog.to_str().unwrap(), "checklist", "--procedure", "etudiant_renewal", "--lang", "ru",
        "--pdf", pdf.to_str().unwrap(), "--association", "A", "--contact", "B",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(warning_codes(&v), ["untranslated"], "{v}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Passeport") && err.contains("imprimés en français") && err.contains("printed in French"), "{err}");
    if have("pdftotext") && have("pdffonts") {
        let text = pdf_text(&pdf);
        assert!(text.contains("ещё не переведено: по-французски") && text.contains("pas encore traduit : en français"), "{text}");
    }
}
