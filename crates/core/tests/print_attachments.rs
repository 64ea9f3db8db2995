//! Attachments: stored encrypted, refused clearly, made ANEF-ready.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use image::{DynamicImage, GenericImageView, Rgb, RgbImage};
use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::domain::{Entity, Id};
use sesame_core::print::{self, AnefFormat, AnefLimit, PrintContext};
use sesame_core::vault::{Options, Vault};

/// Embedded in the test photo as a JPEG comment: if it shows up in a file
/// of the vault, a plaintext copy leaked.
const MARKER: &[u8] = b"SESAME-PLAINTEXT-MARKER-7f3a9c";

fn setup() -> (tempfile::TempDir, Vault, Arc<Catalog>, Id) {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let mut v = Vault::init(&tmp.path().join("vault"), &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    let a = v.create(Entity::Applicant, &[("family_name", "Tesfay"), ("given_name", "Selam")]).unwrap().to_string();
    let c = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal")]).unwrap();
    (tmp, v, catalog, c)
}

/// A 12-megapixel phone photo of a document, stored sideways (landscape
/// 4000 × 3000) with EXIF orientation 6: "rotate 90° clockwise to view".
/// Upright, the page is portrait and the red corner of the stored image is
/// at the top right. Smooth paper, dark lines of "text" and sensor noise,
/// so it weighs what a real photo weighs.
fn phone_photo() -> Vec<u8> {
    let (w, h) = (4000u32, 3000u32);
    let mut seed = 0x2545F4914F6CDD1Du64;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 25) as i32 - 12;
        if x < 600 && y < 450 {
            return Rgb([220, 30, 30]);
        }
        // Lines of text run along x in the stored image (down the upright page).
        let ink = (y / 40) % 3 == 0 && (x / 25) % 5 != 4 && y > 500;
        let base = if ink { 40 } else { 235 - (x / 80) as i32 };
        let v = (base + noise).clamp(0, 255) as u8;
        Rgb([v, v, v.saturating_sub(5)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&DynamicImage::ImageRgb8(img))
        .unwrap();
    with_exif_orientation(&jpeg, 6)
}

/// Inserts an APP1 EXIF segment (orientation only) and a comment holding
/// [`MARKER`] right after the JPEG's SOI marker, as a phone would.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2A\x00\x00\x00\x08"); // big endian, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
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

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn vault_files_contain(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && contains(&std::fs::read(p).unwrap(), needle))
        .collect()
}

/// Red-ish in the given corner (a 5 % square) of an upright image.
fn red_at(img: &DynamicImage, right: bool, top: bool) -> bool {
    let (w, h) = img.dimensions();
    let x = if right { w - w / 40 - 1 } else { w / 40 };
    let y = if top { h / 40 } else { h - h / 40 - 1 };
    let p = img.get_pixel(x, y).0;
    p[0] > 150 && p[1] < 100 && p[2] < 100
}

#[test]
fn a_rotated_12_megapixel_photo_becomes_an_upright_anef_file_under_the_limit() {
    let (tmp, mut v, catalog, c) = setup();
    let photo = phone_photo();
    assert!(photo.len() > 3_000_000, "a realistic phone photo ({} bytes)", photo.len());
    let path = write(tmp.path(), "IMG_20261128_101500.jpg", &photo);

    let ids = print::attach_files(&mut v, &catalog, c, "passport", &[&path]).unwrap();
    assert_eq!(ids.len(), 1);
    // Stored encrypted: no file of the vault holds the photo's marker.
    assert!(vault_files_contain(&tmp.path().join("vault"), MARKER).is_empty());
    assert!(vault_files_contain(&tmp.path().join("vault"), &photo[4000..4064]).is_empty());

    let limit = AnefLimit::default();
    assert_eq!(limit.max_bytes, 2_000_000);
    assert!(!limit.verified, "the 2 MB limit comes from secondary sources");

    // JPEG: upright (portrait, red corner top right), under the limit, no EXIF left.
    let jpeg = print::prepare_for_anef(&v, &catalog, c, "passport", &limit, AnefFormat::Jpeg).unwrap();
    assert_eq!(jpeg.media_type, "image/jpeg");
    assert_eq!(jpeg.file_name, "Passeport.jpg");
    assert!(jpeg.bytes.len() as u64 <= limit.max_bytes, "{} bytes", jpeg.bytes.len());
    assert!(!contains(&jpeg.bytes, MARKER) && !contains(&jpeg.bytes, b"Exif\0\0"), "metadata is dropped");
    let img = image::load_from_memory(&jpeg.bytes).unwrap();
    let (w, h) = img.dimensions();
    assert!(h > w, "upright: portrait, got {w}×{h}");
    assert!(h >= 2000, "readable: {h} px high");
    assert!(red_at(&img, true, true) && !red_at(&img, false, true), "the stored top-left corner is now top right");

    // PDF (the default): one A4 page with the upright image, under the limit.
    let pdf = print::prepare_for_anef(&v, &catalog, c, "passport", &limit, AnefFormat::Pdf).unwrap();
    assert_eq!(pdf.file_name, "Passeport.pdf");
    assert_eq!(pdf.pages, 1);
    assert!(pdf.bytes.len() as u64 <= limit.max_bytes);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let pdf_path = out.join(&pdf.file_name);
    print::write_file(&pdf_path, &pdf.bytes).unwrap();
    let list = String::from_utf8(Command::new("pdfimages").args(["-list", pdf_path.to_str().unwrap()]).output().unwrap().stdout).unwrap();
    let row: Vec<&str> = list.lines().nth(2).expect("one image").split_whitespace().collect();
    let (iw, ih): (u32, u32) = (row[3].parse().unwrap(), row[4].parse().unwrap());
    assert!(ih > iw, "the embedded image is upright: {iw}×{ih}");
    assert_eq!(row[8], "jpeg", "embedded as JPEG, not re-encoded losslessly: {list}");

    // Still nothing in clear in the vault after preparing.
    assert!(vault_files_contain(&tmp.path().join("vault"), MARKER).is_empty());
}

#[test]
fn several_pages_become_one_pdf_in_order() {
    let (tmp, mut v, catalog, c) = setup();
    let photo = phone_photo();
    let p1 = write(tmp.path(), "page1.jpg", &photo);
    let png = {
        let img = RgbImage::from_fn(1200, 1600, |x, _| Rgb([(x % 256) as u8, 200, 200]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    };
    let p2 = write(tmp.path(), "page2.png", &png);
    // A real PDF of two pages: a blank checklist.
    let ctx = PrintContext { association_name: "A".into(), association_contact: String::new(), printed_on: "2026-11-28".parse().unwrap(), lang: "fr".into() };
    let checklist = print::blank_checklist_pdf(&catalog, "etudiant_renewal", &BTreeMap::new(), None, &ctx).unwrap();
    let p3 = write(tmp.path(), "scan.pdf", &checklist.bytes);
    print::attach_files(&mut v, &catalog, c, "proof_of_address", &[&p1, &p2]).unwrap();
    print::attach_files(&mut v, &catalog, c, "proof_of_address", &[&p3]).unwrap();
    let stored = v.attachments(c, Some("proof_of_address")).unwrap();
    assert_eq!(stored.iter().map(|a| a.position).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(stored[2].pages as usize, checklist.pages);

    let file = print::prepare_for_anef(&v, &catalog, c, "proof_of_address", &AnefLimit::default(), AnefFormat::Jpeg).unwrap();
    assert_eq!(file.media_type, "application/pdf", "several pages: a PDF even when JPEG was asked");
    assert_eq!(file.pages, 2 + checklist.pages);
    assert!(file.bytes.len() <= 2_000_000);
    assert!(file.file_name.starts_with("Justificatif_de_domicile"), "{}", file.file_name);
}

#[test]
fn a_limit_too_small_for_readable_pages_is_refused_not_blurred() {
    let (tmp, mut v, catalog, c) = setup();
    let p = write(tmp.path(), "photo.jpg", &phone_photo());
    print::attach_files(&mut v, &catalog, c, "passport", &[&p]).unwrap();
    let e = print::prepare_for_anef(&v, &catalog, c, "passport", &AnefLimit::with_max_bytes(20_000), AnefFormat::Jpeg).unwrap_err();
    assert_eq!(e.code(), "cannot_fit", "{e}");
    let e = print::prepare_for_anef(&v, &catalog, c, "photos", &AnefLimit::default(), AnefFormat::Pdf).unwrap_err();
    assert_eq!(e.code(), "nothing_attached");
}

/// A PDF whose content is encrypted with a user password (the /U and /O
/// values do not match the empty password).
fn password_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_owned(),
        format!(
            "<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <{}> /U <{}> >>",
            "7a".repeat(32),
            "3c".repeat(32)
        ),
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

#[test]
fn bad_files_are_refused_by_name_and_nothing_is_stored() {
    let (tmp, mut v, catalog, c) = setup();
    let good = write(tmp.path(), "good.jpg", &phone_photo());
    let cases: Vec<(&str, PathBuf)> = vec![
        ("unsupported", write(tmp.path(), "lettre.jpg", b"Ceci n'est pas une image, juste du texte.\n")),
        ("heic", write(tmp.path(), "IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x00")),
        ("password_protected", write(tmp.path(), "releve-protege.pdf", &password_pdf())),
        ("unsupported", write(tmp.path(), "tronque.jpg", &phone_photo()[..5000])),
        ("unsupported", write(tmp.path(), "casse.pdf", b"%PDF-1.4\n garbage garbage\n%%EOF")),
        ("too_large", {
            let p = tmp.path().join("video.mov.jpg");
            let f = std::fs::File::create(&p).unwrap();
            f.set_len(200 * 1024 * 1024).unwrap(); // sparse: instant, no disk used
            p
        }),
        ("read", tmp.path().join("absent.jpg")),
    ];
    for (code, bad) in cases {
        // The good file first: nothing half-stored when the second is refused.
        let e = print::attach_files(&mut v, &catalog, c, "passport", &[&good, &bad]).expect_err(&bad.display().to_string());
        assert_eq!(e.code(), code, "{}: {e}", bad.display());
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(e.to_string().contains(name), "the message names the file: {e}");
        assert!(!e.to_string().contains(tmp.path().to_str().unwrap()), "but not its folder: {e}");
        assert!(v.attachments(c, None).unwrap().is_empty(), "nothing stored after {code}");
    }
    let e = print::attach_files(&mut v, &catalog, c, "not_a_document", &[&good]).unwrap_err();
    assert_eq!(e.code(), "unknown_document");
}

#[test]
fn screenshots_attach_to_an_incident_by_its_id() {
    let (tmp, mut v, catalog, c) = setup();
    let i = v
        .create(Entity::Incident, &[("case_id", &c.to_string()), ("occurred_at", "2026-11-02T10:15:00+01:00"), ("step", "dépôt")])
        .unwrap();
    let png = {
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(800, 600, image::Rgba([0, 0, 0, 0])))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let p = write(tmp.path(), "capture.png", &png);
    print::attach_files(&mut v, &catalog, c, &i.to_string(), &[&p]).unwrap();
    let stored = v.attachments(c, None).unwrap();
    assert_eq!(stored[0].target, format!("incident:{i}"));
    let file = print::prepare_for_anef(&v, &catalog, c, &i.to_string(), &AnefLimit::default(), AnefFormat::Jpeg).unwrap();
    let img = image::load_from_memory(&file.bytes).unwrap();
    assert!(img.get_pixel(10, 10).0[0] > 240, "a transparent screenshot is printed on white");
    v.delete_attachment(stored[0].id).unwrap();
    assert!(v.attachments(c, None).unwrap().is_empty());
}
