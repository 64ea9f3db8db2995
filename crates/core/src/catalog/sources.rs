//! The text of a catalog's files, before parsing: embedded in the binary for
//! the shipped catalog, read from a directory for a newer one, or written
//! inline by tests.

use std::path::Path;

use super::CatalogError;

/// The files of a catalog, by path relative to the catalog directory
/// (`catalog.toml`, `procedures/students.toml`, `i18n/fr.toml`…), with `/`
/// as separator whatever the platform.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(String, String)>,
}

/// Embeds a catalog file at compile time, by its path under
/// `assets/catalog/`.
macro_rules! shipped {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../../assets/catalog/", $path)))),*]
    };
}

/// The shipped catalog, embedded so that the binary works anywhere.
///
/// Every file of `assets/catalog/` except the overrides example must be
/// listed here; the test `shipped_sources_match_the_asset_directory` fails
/// when one is forgotten.
const SHIPPED: &[(&str, &str)] = shipped![
    "catalog.toml",
    "documents.toml",
    "lists.toml",
    "fees.toml",
    "procedures/students.toml",
    "procedures/work.toml",
    "procedures/family.toml",
    "procedures/residence.toml",
    "procedures/naturalisation.toml",
    "procedures/algeria.toml",
    "i18n/fr.toml",
    "i18n/en.toml",
    "i18n/ar.toml",
    "i18n/fa-AF.toml",
    "i18n/ps.toml",
    "i18n/ti.toml",
    "i18n/ru.toml",
    "i18n/uk.toml",
    "i18n/es.toml",
    "i18n/pt.toml",
    "i18n/bn.toml",
    "i18n/ta.toml",
    "i18n/tr.toml",
];

impl Sources {
    /// No file yet; add them with [`Sources::with`].
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds (or replaces) the file at `path`.
    pub fn with(mut self, path: impl Into<String>, text: impl Into<String>) -> Sources {
        self.insert(path.into(), text.into());
        self
    }

    /// Removes the file at `path`, if present.
    pub fn without(mut self, path: &str) -> Sources {
        self.files.retain(|(p, _)| p != path);
        self
    }

    /// The catalog embedded in this binary.
    pub fn shipped() -> Sources {
        Sources {
            files: SHIPPED
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                .collect(),
        }
    }

    /// Reads the catalog files of `dir`: the four top-level files and every
    /// `*.toml` of `procedures/` and `i18n/`. Other files are ignored.
    pub fn read_dir(dir: &Path) -> Result<Sources, CatalogError> {
        let mut sources = Sources::new();
        for name in ["catalog.toml", "documents.toml", "lists.toml", "fees.toml"] {
            let path = dir.join(name);
            if path.exists() {
                sources.insert(name.to_owned(), read(&path, name)?);
            }
        }
        for sub in ["procedures", "i18n"] {
            let sub_dir = dir.join(sub);
            if !sub_dir.is_dir() {
                continue;
            }
            let entries = std::fs::read_dir(&sub_dir).map_err(|source| CatalogError::Io {
                file: sub_dir.display().to_string(),
                source,
            })?;
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|source| CatalogError::Io {
                    file: sub_dir.display().to_string(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".toml") && !name.starts_with('.') {
                    names.push(name);
                }
            }
            names.sort();
            for name in names {
                let relative = format!("{sub}/{name}");
                let text = read(&sub_dir.join(&name), &relative)?;
                sources.insert(relative, text);
            }
        }
        Ok(sources)
    }

    /// The files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }

    /// The text of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    fn insert(&mut self, path: String, text: String) {
        match self.files.iter_mut().find(|(p, _)| *p == path) {
            Some(slot) => slot.1 = text,
            None => self.files.push((path, text)),
        }
    }
}

fn read(path: &Path, name: &str) -> Result<String, CatalogError> {
    std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
        file: name.to_owned(),
        source,
    })
}
