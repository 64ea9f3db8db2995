//! The procedure catalog: which documents, fees, channels and legal bases
//! each residence-permit procedure needs on a given date, in the applicant's
//! language.
//!
//! Rules and checklists are data (`assets/catalog/`), not code, so that an
//! association can ship a newer catalog without a new release of Sésame
//! ([`Catalog::load_dir`]) and correct what it knows of its own préfecture
//! without editing the shipped one ([`Catalog::load_with_overrides`]).
//! Every rule, fee, channel and list carries its `source`, its effective
//! dates and a `verified` flag: a rule not read in a primary text is shown
//! as "to be checked", never as law.
//!
//! Loading validates: a catalog with a dangling reference, overlapping
//! periods, an undeclared flag or a procedure without legal basis is
//! refused with a [`CatalogError`] naming the file and the id. Missing
//! translations do not refuse a catalog (the checklist falls back to
//! French, marked `fallback: true`) but [`Catalog::check`] reports them.
//!
//! Overview:
//! - [`model`]: the data types, mirroring the TOML files;
//! - [`sources`]: the raw files (embedded, from a directory, inline);
//! - [`check`](Catalog::check): every [`Problem`] of a catalog;
//! - [`checklist`](Catalog::checklist): what to bring, on a date, under
//!   the applicant's situation flags;
//! - [`overrides`]: per-préfecture changes kept by the association.

mod check;
mod checklist;
pub mod model;
pub mod overrides;
mod problem;
pub mod sources;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use checklist::{Checklist, ChecklistItem, FeeLine, ItemOrigin, ProcedureSummary};
pub use model::{
    Category, Channel, ChannelPeriod, Condition, Conditions, DocumentItem, DocumentList,
    DocumentText, DocumentType, FeePeriod, FeeRef, FeeSchedule, Flag, Freshness, FreshnessAt,
    Include, LanguageLevel, LegalBasis, Note, Payable, Procedure, ProcedureText, Rate, Regime,
    Request, Translation,
};
pub use overrides::{Contact, DepartementOverride, OVERRIDES_FILE, Overrides, ProcedureOverride};
pub use problem::{CatalogError, MAX_EXPLAIN_CHARS, Problem, ProblemKind, Severity};
pub use sources::Sources;

/// The language the catalog is written in, and falls back to.
pub const SOURCE_LANGUAGE: &str = "fr";

/// The languages every catalog must translate (BCP 47 tags, which are also
/// the file names under `i18n/`). `check` reports any gap in any of them.
pub const REQUIRED_LANGUAGES: [&str; 13] = [
    "fr", "en", "ar", "fa-AF", "ps", "ti", "ru", "uk", "es", "pt", "bn", "ta", "tr",
];

/// The edition of a catalog, from `catalog.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Edition {
    /// The version of the file format this code reads.
    pub format: u32,
    /// The catalog's own version, e.g. `2026.11.1`.
    pub version: String,
    #[serde(with = "model::date::required")]
    pub published: NaiveDate,
}

/// The file format version this code reads.
pub const FORMAT: u32 = 1;

/// A loaded, validated catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    edition: Edition,
    flags: BTreeMap<String, Flag>,
    documents: BTreeMap<String, DocumentType>,
    lists: BTreeMap<String, DocumentList>,
    fees: BTreeMap<String, FeeSchedule>,
    procedures: BTreeMap<String, Procedure>,
    translations: BTreeMap<String, Translation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overrides: Option<Overrides>,
    /// Problems found while reading the files that the maps above cannot
    /// show any more (the same procedure id in two files, a translation
    /// file named after another language).
    #[serde(skip)]
    load_problems: Vec<Problem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    format: u32,
    version: String,
    #[serde(with = "model::date::required")]
    published: NaiveDate,
    #[serde(default)]
    flags: BTreeMap<String, Flag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentsFile {
    #[serde(default)]
    documents: BTreeMap<String, DocumentType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListsFile {
    #[serde(default)]
    lists: BTreeMap<String, DocumentList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeesFile {
    #[serde(default)]
    fees: BTreeMap<String, FeeSchedule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProceduresFile {
    #[serde(default)]
    procedures: BTreeMap<String, Procedure>,
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

fn required<'a>(sources: &'a Sources, file: &str) -> Result<&'a str, CatalogError> {
    sources.get(file).ok_or_else(|| CatalogError::MissingFile {
        file: file.to_owned(),
    })
}

impl Catalog {
    /// The catalog embedded in this binary at compile time.
    pub fn shipped() -> Result<Catalog, CatalogError> {
        Catalog::from_sources(&Sources::shipped())
    }

    /// A catalog from a directory laid out like `assets/catalog/`, e.g. a
    /// newer edition an association received.
    pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        Catalog::from_sources(&Sources::read_dir(dir)?)
    }

    /// The association's catalog directory: the catalog in `dir` if it
    /// holds a `catalog.toml`, else the shipped one, with `dir/overrides.toml`
    /// applied if present. A directory with neither file is an error naming
    /// `overrides.toml`, the file an association usually keeps there.
    pub fn load_with_overrides(dir: &Path) -> Result<Catalog, CatalogError> {
        let has_catalog = dir.join("catalog.toml").is_file();
        let path = dir.join(OVERRIDES_FILE);
        let has_overrides = path.is_file();
        if !has_catalog && !has_overrides {
            return Err(CatalogError::MissingFile {
                file: path.display().to_string(),
            });
        }
        let base = if has_catalog {
            Catalog::load_dir(dir)?
        } else {
            Catalog::shipped()?
        };
        if !has_overrides {
            return Ok(base);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io {
            file: path.display().to_string(),
            source,
        })?;
        base.with_overrides(Overrides::from_toml(&text, OVERRIDES_FILE)?)
    }

    /// A catalog from file texts; see [`Sources`].
    pub fn from_sources(sources: &Sources) -> Result<Catalog, CatalogError> {
        let head: CatalogFile = parse("catalog.toml", required(sources, "catalog.toml")?)?;
        if head.format != FORMAT {
            return Err(CatalogError::Parse {
                file: "catalog.toml".to_owned(),
                message: format!(
                    "format {} inconnu de cette version de Sésame (format {FORMAT}) : mettez Sésame à jour. / \
                     format {} is unknown to this version of Sésame (format {FORMAT}): update Sésame.",
                    head.format, head.format
                ),
            });
        }
        let documents: DocumentsFile =
            parse("documents.toml", required(sources, "documents.toml")?)?;
        let lists: ListsFile = match sources.get("lists.toml") {
            Some(text) => parse("lists.toml", text)?,
            None => ListsFile {
                lists: BTreeMap::new(),
            },
        };
        let fees: FeesFile = parse("fees.toml", required(sources, "fees.toml")?)?;

        let mut load_problems = Vec::new();
        let mut procedures = BTreeMap::new();
        let mut translations = BTreeMap::new();
        for (path, text) in sources.files() {
            if let Some(name) = path.strip_prefix("procedures/") {
                if !name.ends_with(".toml") {
                    continue;
                }
                let file: ProceduresFile = parse(path, text)?;
                for (id, mut procedure) in file.procedures {
                    procedure.id.clone_from(&id);
                    procedure.file = path.to_owned();
                    if let Some(first) = procedures.get(&id) {
                        let first: &Procedure = first;
                        load_problems.push(Problem::new(
                            path,
                            &id,
                            ProblemKind::DuplicateId {
                                detail: format!("{} + {path}", first.file),
                            },
                        ));
                        continue;
                    }
                    procedures.insert(id, procedure);
                }
            } else if let Some(name) = path.strip_prefix("i18n/") {
                let Some(lang) = name.strip_suffix(".toml") else {
                    continue;
                };
                let mut translation: Translation = parse(path, text)?;
                translation.file = path.to_owned();
                if translation.lang != lang {
                    load_problems.push(Problem::new(
                        path,
                        lang,
                        ProblemKind::LanguageMismatch {
                            declared: translation.lang.clone(),
                        },
                    ));
                    continue;
                }
                translations.insert(lang.to_owned(), translation);
            }
        }
        if procedures.is_empty() && load_problems.is_empty() {
            return Err(CatalogError::MissingFile {
                file: "procedures/*.toml".to_owned(),
            });
        }

        let catalog = Catalog {
            edition: Edition {
                format: head.format,
                version: head.version,
                published: head.published,
            },
            flags: head.flags,
            documents: documents.documents,
            lists: lists.lists,
            fees: fees.fees,
            procedures,
            translations,
            overrides: None,
            load_problems,
        };
        catalog.refuse_errors()
    }

    /// The same catalog with an association's overrides applied; refused
    /// when the overrides name what the catalog does not have.
    pub fn with_overrides(mut self, overrides: Overrides) -> Result<Catalog, CatalogError> {
        self.overrides = Some(overrides);
        self.refuse_errors()
    }

    fn refuse_errors(self) -> Result<Catalog, CatalogError> {
        let errors: Vec<Problem> = self
            .check()
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(CatalogError::Invalid { problems: errors })
        }
    }

    /// Every problem of the catalog, errors first; empty when the catalog
    /// is complete in every required language.
    pub fn check(&self) -> Vec<Problem> {
        check::check(self)
    }

    pub fn edition(&self) -> &Edition {
        &self.edition
    }

    pub fn flags(&self) -> &BTreeMap<String, Flag> {
        &self.flags
    }

    pub fn documents(&self) -> &BTreeMap<String, DocumentType> {
        &self.documents
    }

    pub fn lists(&self) -> &BTreeMap<String, DocumentList> {
        &self.lists
    }

    pub fn fees(&self) -> &BTreeMap<String, FeeSchedule> {
        &self.fees
    }

    pub fn procedures(&self) -> &BTreeMap<String, Procedure> {
        &self.procedures
    }

    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.get(id)
    }

    pub fn translations(&self) -> &BTreeMap<String, Translation> {
        &self.translations
    }

    pub fn overrides(&self) -> Option<&Overrides> {
        self.overrides.as_ref()
    }

    /// The canonical tag of `lang` if the catalog knows it (a required
    /// language, or one it holds a translation for); case does not matter.
    pub fn language(&self, lang: &str) -> Result<String, CatalogError> {
        REQUIRED_LANGUAGES
            .iter()
            .map(|l| (*l).to_owned())
            .chain(self.translations.keys().cloned())
            .find(|known| known.eq_ignore_ascii_case(lang))
            .ok_or_else(|| CatalogError::UnknownLanguage {
                lang: lang.to_owned(),
                known: REQUIRED_LANGUAGES.join(", "),
            })
    }
}
