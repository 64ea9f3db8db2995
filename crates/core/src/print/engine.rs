//! Typesetting with Typst as a library: a minimal [`World`] that serves one
//! template and its data from memory and the embedded Noto fonts from the
//! binary. It never reads the disk, the network, the system fonts or the
//! clock: the same data gives the same PDF on every machine.
//!
//! Why Typst: it shapes Arabic, Dari and Pashto (joined letters, right to
//! left, bidi with Latin digits), Bengali and Tamil (conjuncts, reordered
//! vowel signs) and Ethiopic through rustybuzz, and lays out grids that
//! mirror in right-to-left text. Writing that by hand over a bare PDF
//! library is where peers get Farsi PDFs wrong.
//!
//! Data enters the template only as JSON, in the virtual file
//! `/data.json`: a name containing `#`, `]` or `"` is a string in a
//! dictionary, never markup, so it cannot change the template.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::layout::FrameItem;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use super::PrintError;

/// The embedded fonts (`assets/fonts/`, SIL OFL 1.1, see `OFL.txt`).
/// Noto Sans first: Latin and Cyrillic, and the digits of every page.
/// The others are reached by Typst's per-character fallback.
const FONT_FILES: &[&[u8]] = &[
    include_bytes!("../../../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/NotoNaskhArabic-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/NotoNaskhArabic-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansEthiopic-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansEthiopic-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansBengali-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansBengali-Bold.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansTamil-Regular.ttf"),
    include_bytes!("../../../../assets/fonts/NotoSansTamil-Bold.ttf"),
];

/// The typst templates (`assets/templates/`).
pub(crate) const CHECKLIST_TEMPLATE: &str = include_str!("../../../../assets/templates/checklist.typ");
pub(crate) const LETTER_TEMPLATE: &str = include_str!("../../../../assets/templates/letter.typ");
pub(crate) const PAGES_TEMPLATE: &str = include_str!("../../../../assets/templates/pages.typ");

/// Fonts and the standard library are built once per process: this is most
/// of the difference between a cold and a warm PDF.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
    Shared {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// Loads the fonts and the standard library now, so that the first PDF is
/// as fast as the next ones (the desktop calls it at start-up, off the UI
/// thread).
pub fn warm_up() {
    LazyLock::force(&SHARED);
}

/// The font families the templates may name.
pub(crate) const FAMILIES: [&str; 5] =
    ["Noto Sans", "Noto Naskh Arabic", "Noto Sans Ethiopic", "Noto Sans Bengali", "Noto Sans Tamil"];

fn file_id(path: &str) -> FileId {
    // The paths are ours and well formed; a failure would be a bug caught by every test.
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| VirtualPath::new("/invalid").expect("static path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// One document to typeset: a template, its JSON data and any binary
/// files it embeds (attachment pages), all in memory.
pub(crate) struct Job {
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl Job {
    pub(crate) fn new(template: &str, data: &serde_json::Value) -> Result<Job, PrintError> {
        let json = serde_json::to_vec(data).map_err(|e| PrintError::Typesetting(e.to_string()))?;
        let mut files = HashMap::new();
        files.insert(file_id("/data.json"), Bytes::new(json));
        Ok(Job { main: Source::new(file_id("/main.typ"), template.to_owned()), files })
    }

    /// Adds a binary file the template reads (`/files/0.jpg`…).
    pub(crate) fn with_file(mut self, path: &str, bytes: Vec<u8>) -> Job {
        self.files.insert(file_id(path), Bytes::new(bytes));
        self
    }

    /// Lays out and exports the PDF, and lists the characters no embedded
    /// font could draw (empty when every glyph exists).
    pub(crate) fn pdf(&self) -> Result<Rendered, PrintError> {
        let warned = typst::compile::<PagedDocument>(self);
        let document = warned.output.map_err(|errors| PrintError::Typesetting(describe(&errors)))?;
        let missing = missing_glyphs(&document);
        let options = typst_pdf::PdfOptions::default();
        let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| PrintError::Typesetting(describe(&errors)))?;
        Ok(Rendered {
            bytes,
            pages: document.pages().len(),
            missing_glyphs: missing,
            deadlines_unavailable: false,
            untranslated: Vec::new(),
            layout: Layout(Arc::new(document)),
        })
    }
}

/// The laid-out pages a PDF was exported from, kept so that its preview is
/// drawn from the very same layout (never a second typesetting that could
/// differ). Its `Debug` says only how many pages: the frames hold the
/// applicant's text.
#[derive(Clone)]
struct Layout(Arc<PagedDocument>);

impl std::fmt::Debug for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Layout({} pages)", self.0.pages().len())
    }
}

impl Rendered {
    /// The pages as the PDF prints them, one SVG document per page, made
    /// in memory from the layout the PDF bytes were exported from. Glyphs
    /// are drawn as outlines and attachment pages are embedded, so an SVG
    /// needs no font, file or network to display. Nothing is written.
    pub fn preview(&self) -> Vec<String> {
        let options = typst_svg::SvgOptions::default();
        self.layout.0.pages().iter().map(|page| typst_svg::svg(page, &options)).collect()
    }
}

/// A typeset PDF.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters drawn as an empty box (`.notdef`) because no embedded font
    /// has them: a name in a script Sésame does not ship (Chinese…). The PDF
    /// is still produced; the caller warns the volunteer.
    pub missing_glyphs: Vec<char>,
    /// A case checklist printed without computed dates because the case's
    /// facts could not be read (`sesame case facts` fixes them).
    pub deadlines_unavailable: bool,
    /// Checklist items (and the procedure's name) that have no translation
    /// in the chosen language, by their French name: they are printed in
    /// French and the page says so; the caller tells the volunteer too.
    pub untranslated: Vec<String>,
    layout: Layout,
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")
}

/// Every character shaped to glyph 0 (`.notdef`, the "tofu" box) anywhere
/// in the document.
fn missing_glyphs(document: &PagedDocument) -> Vec<char> {
    fn walk(frame: &typst::layout::Frame, out: &mut Vec<char>) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) => {
                    for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                        let range = glyph.range();
                        for c in text.text.get(range).unwrap_or("").chars() {
                            if !c.is_whitespace() && !out.contains(&c) {
                                out.push(c);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for page in document.pages() {
        walk(&page.frame, &mut out);
    }
    out
}

impl World for Job {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    /// No clock: the print date comes in the data, from the caller's clock.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
