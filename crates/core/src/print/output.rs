//! Writing a printout or an ANEF file where the volunteer chose, and
//! nowhere else.
//!
//! PDFs and images are built in memory. The only file written is the
//! destination: through a hidden temporary file **in the destination's
//! own directory** (never the system's temp folder, which may be on
//! another disk, shared, or kept after a crash), flushed to disk, then
//! renamed over the destination. A crash leaves either the old file, the
//! new one, or a hidden `.sesame-*.part` next to it, on the disk the
//! volunteer chose; a failure removes the temporary file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::PrintError;

/// Writes `bytes` to `path`, replacing any file there, atomically.
/// The file is readable by its owner only on Unix: a checklist or a letter
/// carries a person's name and situation.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "sesame".into());
    let suffix: u64 = rand::random();
    let tmp = dir.join(format!(".sesame-{name}.{suffix:016x}.part"));
    let fail = |source: std::io::Error| PrintError::Write { path: path.to_path_buf(), source };
    let result = (|| -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })
}

/// A file name made from a document's French name: accents folded, letters
/// and digits kept, the rest turned into `_`, at most 80 characters, so it
/// is safe on Windows, macOS and Linux and on ANEF's upload form.
pub fn safe_file_name(stem: &str, extension: &str) -> String {
    let mut out = String::new();
    let mut last_sep = true;
    for c in stem.chars().flat_map(fold) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            last_sep = false;
        } else if !last_sep {
            out.push('_');
            last_sep = true;
        }
        if out.len() >= 80 {
            break;
        }
    }
    let trimmed = out.trim_end_matches('_');
    let stem = if trimmed.is_empty() { "document" } else { trimmed };
    format!("{stem}.{extension}")
}

/// French letters without their accents (ANEF and some file systems
/// mangle them); other scripts become separators.
fn fold(c: char) -> Vec<char> {
    let base = match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'À' | 'Â' | 'Ä' | 'Á' => 'A',
        'ç' => 'c',
        'Ç' => 'C',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'î' | 'ï' | 'í' => 'i',
        'Î' | 'Ï' | 'Í' => 'I',
        'ô' | 'ö' | 'ó' => 'o',
        'Ô' | 'Ö' | 'Ó' => 'O',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'Ù' | 'Û' | 'Ü' | 'Ú' => 'U',
        'ÿ' => 'y',
        'œ' => return vec!['o', 'e'],
        'Œ' => return vec!['O', 'E'],
        'æ' => return vec!['a', 'e'],
        'Æ' => return vec!['A', 'E'],
        other => other,
    };
    vec![base]
}
