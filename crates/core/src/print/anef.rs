//! Attachments, from the volunteer's files to an ANEF-ready upload.
//!
//! 1. **Attach** ([`attach_files`]): each file is read (at most
//!    [`MAX_INPUT_BYTES`]), recognised by its content, not its name (JPEG,
//!    PNG, or a PDF that opens without a password), decoded once to be sure
//!    it is whole, then all files of the call are stored together, encrypted
//!    in the vault ([`crate::vault::attachments`]). A HEIC photo, a
//!    password-protected PDF, a 200 MB file or a text file renamed `.jpg`
//!    is refused with a message naming the file, and nothing is stored.
//! 2. **Prepare** ([`prepare_for_anef`]): the attachments of one document
//!    item become one file under the size limit ([`AnefLimit`]): images are
//!    turned upright from their EXIF orientation, downscaled and
//!    recompressed as JPEG (which also drops EXIF, GPS position included);
//!    several pages become one PDF, one page per A4 sheet. The file is
//!    named after the item ("Passeport.pdf"), in memory; the caller writes
//!    it where the volunteer chose ([`super::output::write_file`]).

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::LazyLock;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::engine::{Job, PAGES_TEMPLATE};
use super::{PrintError, output};
use crate::catalog::Catalog;
use crate::domain::Id;
use crate::vault::Vault;
use crate::vault::attachments::{NewAttachment, incident_target};

/// The largest file accepted as an attachment: 40 MB. A phone photo is
/// 2–8 MB and a multi-page scan rarely 20 MB; beyond this it is a video or
/// a mistake, and it would bloat the vault.
pub const MAX_INPUT_BYTES: u64 = 40 * 1024 * 1024;

/// Largest side, in pixels, of a page sent to ANEF: A4 at 250 dpi, enough
/// to read the smallest print of a payslip.
const MAX_SIDE: u32 = 2900;
/// Below this, text stops being readable: preparation fails rather than
/// send an unreadable page.
const MIN_SIDE: u32 = 1100;

/// What a stored attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Jpeg,
    Png,
    Pdf,
}

impl MediaKind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    fn from_media_type(s: &str) -> Option<MediaKind> {
        [Self::Jpeg, Self::Png, Self::Pdf].into_iter().find(|k| k.media_type() == s)
    }
}

/// ANEF's size limit for one uploaded file, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnefLimit {
    pub max_bytes: u64,
    pub source: String,
    /// False: shown as "to be checked", never as a rule.
    pub verified: bool,
}

#[derive(Deserialize)]
struct AnefFileToml {
    max_bytes: u64,
    source: String,
    verified: bool,
}

static DEFAULT_LIMIT: LazyLock<AnefLimit> = LazyLock::new(|| {
    let parsed: Option<AnefFileToml> = toml::from_str(include_str!("../../../../assets/templates/anef.toml")).ok();
    match parsed {
        Some(f) => AnefLimit { max_bytes: f.max_bytes, source: f.source, verified: f.verified },
        None => AnefLimit { max_bytes: 2_000_000, source: "défaut / default".into(), verified: false },
    }
});

impl Default for AnefLimit {
    /// The shipped default (`assets/templates/anef.toml`): 2 MB, unverified.
    fn default() -> Self {
        DEFAULT_LIMIT.clone()
    }
}

impl AnefLimit {
    /// The default's source and status with another size, for an
    /// association that knows its préfecture's limit.
    pub fn with_max_bytes(max_bytes: u64) -> AnefLimit {
        AnefLimit {
            max_bytes,
            source: "Limite choisie par l'association / limit set by the association".into(),
            verified: false,
        }
    }
}

/// The output format of an ANEF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnefFormat {
    /// A PDF, whatever was attached: what ANEF accepts for every document.
    #[default]
    Pdf,
    /// A JPEG, when the document is a single image; a PDF otherwise.
    Jpeg,
}

/// An ANEF-ready file, in memory.
#[derive(Debug, Clone)]
pub struct AnefFile {
    /// Named after the document item: `Passeport.pdf`.
    pub file_name: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    pub pages: usize,
    pub limit: AnefLimit,
}

/// A checked file, ready to store.
pub type PreparedUpload = NewAttachment;

fn display_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Reads a file the volunteer chose, refusing it before reading when it is
/// over [`MAX_INPUT_BYTES`].
pub fn read_input(path: &Path) -> Result<Vec<u8>, PrintError> {
    let file = display_name(path);
    let read_err = |source| PrintError::Read { file: file.clone(), source };
    let too_large = |size: u64| PrintError::TooLarge {
        file: file.clone(),
        size_mb: size.div_ceil(1024 * 1024),
        max_mb: MAX_INPUT_BYTES / (1024 * 1024),
    };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let len = f.metadata().map_err(read_err)?.len();
    if len > MAX_INPUT_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).map_err(read_err)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif")
}

/// PDF readers accept the header anywhere in the first kilobyte.
fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

/// Whether a JPEG ends: an end-of-image marker after its last scan. The
/// decoder would fill a truncated photo with grey and say nothing. (In the
/// compressed data every 0xFF byte is escaped, so neither marker can
/// appear there by chance; an EXIF thumbnail's own markers come before
/// the main scan.)
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let last_end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(scan), Some(end)) if end > scan)
}

fn image_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(1024 * 1024 * 1024);
    limits
}

/// Decodes an image and turns it upright from its EXIF orientation.
fn decode_upright(bytes: &[u8]) -> image::ImageResult<DynamicImage> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    reader.limits(image_limits());
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Checks one file's content and says what it is. `file` names it in
/// errors (the file name only, not its folder).
pub fn check_upload(file: &str, bytes: Vec<u8>) -> Result<PreparedUpload, PrintError> {
    let unsupported = |why: &str| PrintError::Unsupported { file: file.to_owned(), why: why.to_owned() };
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(PrintError::TooLarge {
            file: file.to_owned(),
            size_mb: (bytes.len() as u64).div_ceil(1024 * 1024),
            max_mb: MAX_INPUT_BYTES / (1024 * 1024),
        });
    }
    if is_heic(&bytes) {
        return Err(PrintError::Heic { file: file.to_owned() });
    }
    if is_pdf(&bytes) {
        let pages = match hayro_syntax::Pdf::new(bytes.clone()) {
            Ok(pdf) => pdf.pages().len(),
            Err(hayro_syntax::LoadPdfError::Decryption(_)) => {
                return Err(PrintError::PasswordProtected { file: file.to_owned() });
            }
            Err(_) => return Err(unsupported("PDF endommagé / damaged PDF")),
        };
        if pages == 0 {
            return Err(unsupported("PDF sans page / PDF without pages"));
        }
        return Ok(NewAttachment {
            file_name: file.to_owned(),
            media_type: MediaKind::Pdf.media_type().into(),
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
            data: bytes,
        });
    }
    let kind = match image::guess_format(&bytes) {
        Ok(ImageFormat::Jpeg) => MediaKind::Jpeg,
        Ok(ImageFormat::Png) => MediaKind::Png,
        Ok(other) => {
            let name = format!("{other:?}").to_uppercase();
            return Err(unsupported(&format!("format {name}")));
        }
        Err(_) => return Err(unsupported("format inconnu / unknown format")),
    };
    // Decode once now, so that a truncated or fake image is refused at
    // attach time, not weeks later at the préfecture's deadline.
    if kind == MediaKind::Jpeg && !jpeg_is_complete(&bytes) {
        return Err(unsupported("photo incomplète, fichier tronqué / incomplete photo, truncated file"));
    }
    decode_upright(&bytes).map_err(|_| unsupported("image illisible / unreadable image"))?;
    Ok(NewAttachment { file_name: file.to_owned(), media_type: kind.media_type().into(), pages: 1, data: bytes })
}

/// The stored target for `doc`: a catalog document id as is, or
/// `incident:<id>` when `doc` is the id of one of the case's incidents;
/// with the name files are given (the document's French name).
pub fn resolve_target(vault: &Vault, catalog: &Catalog, case_id: Id, doc: &str) -> Result<(String, String), PrintError> {
    if catalog.documents().contains_key(doc) {
        let name = catalog
            .translations()
            .get("fr")
            .and_then(|t| t.documents.get(doc))
            .and_then(|d| d.name.clone())
            .unwrap_or_else(|| doc.to_owned());
        return Ok((doc.to_owned(), name));
    }
    let target = doc.strip_prefix("incident:").unwrap_or(doc);
    if let Ok(id) = target.parse::<Id>()
        && let Some(incident) = vault.incidents(case_id)?.into_iter().find(|i| i.id == id)
    {
        let name = format!("Incident ANEF du {}", incident.occurred_at.format("%Y-%m-%d %Hh%M"));
        return Ok((incident_target(id), name));
    }
    Err(PrintError::UnknownDocument(doc.to_owned()))
}

/// Reads, checks and stores `paths` as the pages of `doc` (a catalog
/// document id, or an incident's id) of a case, in the order given. Every
/// file is checked before anything is stored; then all are stored in one
/// transaction.
pub fn attach_files(
    vault: &mut Vault,
    catalog: &Catalog,
    case_id: Id,
    doc: &str,
    paths: &[impl AsRef<Path>],
) -> Result<Vec<Id>, PrintError> {
    vault.case(case_id)?;
    let (target, _) = resolve_target(vault, catalog, case_id, doc)?;
    let mut checked = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref();
        let bytes = read_input(path)?;
        checked.push(check_upload(&display_name(path), bytes)?);
    }
    Ok(vault.add_attachments(case_id, &target, checked)?)
}

/// One image made to fit `budget` bytes as an upright JPEG, as large and
/// sharp as the budget allows, never smaller than [`MIN_SIDE`].
fn jpeg_within(img: &DynamicImage, budget: u64) -> Result<Vec<u8>, u64> {
    let rgb = DynamicImage::ImageRgb8(flatten_on_white(img));
    let longest = rgb.width().max(rgb.height());
    let mut side = longest.min(MAX_SIDE);
    let mut best = u64::MAX;
    for _ in 0..10 {
        let scaled = if side < longest { rgb.resize(side, side, image::imageops::FilterType::Triangle) } else { rgb.clone() };
        for quality in [82u8, 70, 60] {
            let mut out = Vec::new();
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
            if scaled.write_with_encoder(encoder).is_err() {
                return Err(best);
            }
            let size = out.len() as u64;
            best = best.min(size);
            if size <= budget {
                return Ok(out);
            }
            // Far over budget: lowering the quality will not be enough.
            if size > budget * 2 {
                break;
            }
        }
        if side <= MIN_SIDE {
            break;
        }
        // Size goes roughly with the area: shrink the side by the square
        // root of the excess, a little more to converge in few rounds.
        let ratio = (budget as f64 / best as f64).sqrt() * 0.92;
        side = ((f64::from(side) * ratio.clamp(0.5, 0.9)) as u32).max(MIN_SIDE);
    }
    Err(best)
}

/// An attached image as an upright JPEG page within `budget` bytes (for
/// the pages appended to letters).
pub(crate) fn page_jpeg(file: &str, bytes: &[u8], budget: u64) -> Result<Vec<u8>, PrintError> {
    let img = decode_upright(bytes)
        .map_err(|_| PrintError::Unsupported { file: file.to_owned(), why: "image illisible / unreadable image".into() })?;
    jpeg_within(&img, budget).map_err(|best| PrintError::CannotFit {
        doc: file.to_owned(),
        limit_kb: budget / 1000,
        best_kb: best.div_ceil(1000),
    })
}

/// Transparent PNG screenshots on a white page, not a black one.
fn flatten_on_white(img: &DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
    })
}

/// Fixed cost of a PDF around its images (fonts: none; structure, tags).
const PDF_OVERHEAD: u64 = 24 * 1024;
const PDF_PAGE_OVERHEAD: u64 = 2 * 1024;

/// The attachments of `doc` (a catalog document id or an incident id) of a
/// case as one ANEF-ready file under `limit`: a single JPEG when asked for
/// and there is one image, else one PDF with every page in order.
pub fn prepare_for_anef(
    vault: &Vault,
    catalog: &Catalog,
    case_id: Id,
    doc: &str,
    limit: &AnefLimit,
    format: AnefFormat,
) -> Result<AnefFile, PrintError> {
    let (target, name) = resolve_target(vault, catalog, case_id, doc)?;
    let stored = vault.attachments(case_id, Some(&target))?;
    if stored.is_empty() {
        return Err(PrintError::NothingAttached { doc: doc.to_owned() });
    }
    let mut files = Vec::with_capacity(stored.len());
    for a in &stored {
        let kind = MediaKind::from_media_type(&a.media_type)
            .ok_or_else(|| PrintError::Unsupported { file: a.file_name.clone(), why: a.media_type.clone() })?;
        files.push((kind, a.file_name.clone(), vault.attachment_data(a.id)?));
    }
    prepare_files(&name, files, limit, format)
}

/// The preparation itself, on files in memory (the benchmarks call it).
pub fn prepare_files(
    name: &str,
    files: Vec<(MediaKind, String, Vec<u8>)>,
    limit: &AnefLimit,
    format: AnefFormat,
) -> Result<AnefFile, PrintError> {
    let cannot_fit = |best: u64| PrintError::CannotFit {
        doc: name.to_owned(),
        limit_kb: limit.max_bytes / 1000,
        best_kb: best.div_ceil(1000),
    };
    let decode = |file: &str, bytes: &[u8]| {
        decode_upright(bytes).map_err(|_| PrintError::Unsupported { file: file.to_owned(), why: "image illisible / unreadable image".into() })
    };

    // One image, JPEG asked: a JPEG.
    if format == AnefFormat::Jpeg && files.len() == 1 && files[0].0 != MediaKind::Pdf {
        let (_, file, bytes) = &files[0];
        let img = decode(file, bytes)?;
        let jpeg = jpeg_within(&img, limit.max_bytes).map_err(cannot_fit)?;
        return Ok(AnefFile {
            file_name: output::safe_file_name(name, "jpg"),
            media_type: "image/jpeg",
            bytes: jpeg,
            pages: 1,
            limit: limit.clone(),
        });
    }

    // One PDF already under the limit: sent as it is (text stays text).
    if files.len() == 1 && files[0].0 == MediaKind::Pdf && files[0].2.len() as u64 <= limit.max_bytes {
        let (_, _, bytes) = files.into_iter().next().ok_or_else(|| cannot_fit(0))?;
        let pages = hayro_syntax::Pdf::new(bytes.clone()).map(|p| p.pages().len()).unwrap_or(1);
        let encrypted = bytes.windows(8).any(|w| w == b"/Encrypt");
        if !encrypted {
            return Ok(AnefFile {
                file_name: output::safe_file_name(name, "pdf"),
                media_type: "application/pdf",
                bytes,
                pages,
                limit: limit.clone(),
            });
        }
        return merge_pdf(name, vec![(MediaKind::Pdf, String::new(), bytes)], limit);
    }
    merge_pdf(name, files, limit)
}

/// Every page in one PDF: images recompressed to share what the limit
/// leaves after the PDFs, which are embedded as they are.
fn merge_pdf(name: &str, files: Vec<(MediaKind, String, Vec<u8>)>, limit: &AnefLimit) -> Result<AnefFile, PrintError> {
    let cannot_fit = |best: u64| PrintError::CannotFit {
        doc: name.to_owned(),
        limit_kb: limit.max_bytes / 1000,
        best_kb: best.div_ceil(1000),
    };
    let mut images = Vec::new();
    let mut pdf_bytes = 0u64;
    let mut page_count = 0u64;
    for (kind, file, bytes) in &files {
        match kind {
            MediaKind::Pdf => {
                pdf_bytes += bytes.len() as u64;
                page_count += hayro_syntax::Pdf::new(bytes.clone()).map(|p| p.pages().len() as u64).unwrap_or(1);
            }
            _ => {
                let img = decode_upright(bytes)
                    .map_err(|_| PrintError::Unsupported { file: file.clone(), why: "image illisible / unreadable image".into() })?;
                images.push(img);
                page_count += 1;
            }
        }
    }
    let overhead = PDF_OVERHEAD + PDF_PAGE_OVERHEAD * page_count + pdf_bytes;
    let mut share = if images.is_empty() { 0 } else { limit.max_bytes.saturating_sub(overhead) / images.len() as u64 };
    let mut best_total = u64::MAX;
    for _ in 0..4 {
        let mut encoded = Vec::with_capacity(images.len());
        let mut best_images = 0u64;
        for img in &images {
            match jpeg_within(img, share) {
                Ok(j) => encoded.push(j),
                Err(best) => {
                    return Err(cannot_fit(overhead + best.saturating_mul(images.len() as u64).max(best_images)));
                }
            }
            best_images += encoded.last().map_or(0, |j| j.len() as u64);
        }
        let rendered = typeset_pages(name, &files, encoded)?;
        let size = rendered.bytes.len() as u64;
        best_total = best_total.min(size);
        if size <= limit.max_bytes {
            return Ok(AnefFile {
                file_name: output::safe_file_name(name, "pdf"),
                media_type: "application/pdf",
                bytes: rendered.bytes,
                pages: rendered.pages,
                limit: limit.clone(),
            });
        }
        if images.is_empty() {
            break;
        }
        let excess = size - limit.max_bytes;
        share = share.saturating_sub(excess / images.len() as u64 + 4096);
    }
    Err(cannot_fit(best_total))
}

fn typeset_pages(
    name: &str,
    files: &[(MediaKind, String, Vec<u8>)],
    mut jpegs: Vec<Vec<u8>>,
) -> Result<super::Rendered, PrintError> {
    jpegs.reverse();
    let mut pages = Vec::new();
    let mut bins = Vec::new();
    for (i, (kind, _, bytes)) in files.iter().enumerate() {
        match kind {
            MediaKind::Pdf => {
                let path = format!("/files/{i}.pdf");
                let n = hayro_syntax::Pdf::new(bytes.clone()).map(|p| p.pages().len()).unwrap_or(1);
                for page in 1..=n {
                    pages.push(json!({ "path": path, "page": page }));
                }
                bins.push((path, bytes.clone()));
            }
            _ => {
                let path = format!("/files/{i}.jpg");
                pages.push(json!({ "path": path, "page": null }));
                bins.push((path, jpegs.pop().unwrap_or_default()));
            }
        }
    }
    let mut job = Job::new(PAGES_TEMPLATE, &json!({ "title": name, "pages": pages }))?;
    for (path, bytes) in bins {
        job = job.with_file(&path, bytes);
    }
    job.pdf()
}
