//! The editable fields of every record, in one table per entity.
//!
//! Creation, edits from the command line (`--field value`), edits from the
//! desktop forms and the operation log all go through these specs: a field
//! is parsed and validated once, here, and the same name is used in the
//! database column, the operation log and the error messages.

use super::validate::{self as v, FieldError, FieldProblem};
use super::{CaseStatus, Consent, ConsentMethod, DocStatus};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// The kinds of record the operation log knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Applicant,
    Case,
    DocumentItem,
    Deadline,
    JournalEntry,
    Incident,
}

impl Entity {
    pub const ALL: [Entity; 6] = [
        Self::Applicant,
        Self::Case,
        Self::DocumentItem,
        Self::Deadline,
        Self::JournalEntry,
        Self::Incident,
    ];

    /// The name used in the operation log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Case => "case",
            Self::DocumentItem => "document_item",
            Self::Deadline => "deadline",
            Self::JournalEntry => "journal_entry",
            Self::Incident => "incident",
        }
    }

    /// The table that holds the rows.
    pub fn table(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Case => "case_file",
            Self::DocumentItem => "document_item",
            Self::Deadline => "deadline",
            Self::JournalEntry => "journal_entry",
            Self::Incident => "incident",
        }
    }

    /// The editable fields, in form order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Applicant => APPLICANT,
            Self::Case => CASE,
            Self::DocumentItem => DOCUMENT_ITEM,
            Self::Deadline => DEADLINE,
            Self::JournalEntry => JOURNAL_ENTRY,
            Self::Incident => INCIDENT,
        }
    }

    /// The spec of one field, if the entity has it.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl FromStr for Entity {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            FieldError::new(
                "entity",
                FieldProblem::OneOf(Self::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")),
            )
        })
    }
}

/// What a parser may need to know besides the text typed.
pub trait ParseContext {
    /// Today's date in France (birth dates cannot be in the future).
    fn today(&self) -> NaiveDate;
    /// Whether the catalog knows this procedure id.
    fn has_procedure(&self, id: &str) -> bool;
    /// Whether the catalog knows this document type id.
    fn has_document(&self, id: &str) -> bool;
}

/// How one field is typed, validated and stored.
#[derive(Debug)]
pub struct FieldSpec {
    /// Column, operation-log and command-line name.
    pub name: &'static str,
    /// Must be present at creation.
    pub required: bool,
    /// Set once at creation (parent references): an edit is refused.
    pub immutable: bool,
    /// Parses the text a person typed into the stored JSON value
    /// (`Value::Null` for an emptied optional field).
    pub parse: fn(&str, &dyn ParseContext) -> Result<Value, FieldError>,
}

const fn spec(
    name: &'static str,
    required: bool,
    parse: fn(&str, &dyn ParseContext) -> Result<Value, FieldError>,
) -> FieldSpec {
    FieldSpec { name, required, immutable: false, parse }
}

const fn parent(name: &'static str, parse: fn(&str, &dyn ParseContext) -> Result<Value, FieldError>) -> FieldSpec {
    FieldSpec { name, required: true, immutable: true, parse }
}

const APPLICANT_ID: FieldSpec = parent("applicant_id", |s, _| id_value("applicant_id", s));
const CASE_ID: FieldSpec = parent("case_id", |s, _| id_value("case_id", s));

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

fn id_value(field: &str, s: &str) -> Result<Value, FieldError> {
    let id: super::Id = s.parse().map_err(|_| FieldError::new(field, FieldProblem::BadId))?;
    Ok(Value::String(id.to_string()))
}

static APPLICANT: &[FieldSpec] = &[
    spec("family_name", true, |s, _| v::required_line("family_name", s, v::MAX_NAME_CHARS).map(Value::String)),
    spec("given_name", true, |s, _| v::required_line("given_name", s, v::MAX_NAME_CHARS).map(Value::String)),
    spec("latin_family_name", false, |s, _| {
        v::optional_line("latin_family_name", s, v::MAX_NAME_CHARS).map(opt)
    }),
    spec("latin_given_name", false, |s, _| v::optional_line("latin_given_name", s, v::MAX_NAME_CHARS).map(opt)),
    spec("birth_date", false, |s, c| {
        v::birth_date("birth_date", s, c.today()).map(|d| opt(d.map(|d| d.to_string())))
    }),
    spec("nationality", false, |s, _| v::country("nationality", s).map(opt)),
    spec("languages", false, |s, _| {
        // A comma-separated list on the command line and in forms: "ar, fr".
        let mut out: Vec<Value> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let tag = Value::String(v::language("languages", part)?);
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        Ok(Value::Array(out))
    }),
    spec("phone", false, |s, _| {
        let p = v::optional_line("phone", s, 40)?;
        if p.as_deref().is_some_and(|p| !p.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c))) {
            return Err(FieldError::new(
                "phone",
                FieldProblem::Other {
                    fr: "un numéro de téléphone ne contient que des chiffres, espaces, +, -, . et parenthèses."
                        .into(),
                    en: "a phone number holds only digits, spaces, +, -, . and brackets.".into(),
                },
            ));
        }
        Ok(opt(p))
    }),
    spec("email", false, |s, _| v::email("email", s).map(opt)),
    spec("address", false, |s, _| v::optional_text("address", s).map(opt)),
    spec("agdref", false, |s, _| v::optional_line("agdref", s, 40).map(opt)),
    spec("anef_number", false, |s, _| v::optional_line("anef_number", s, 60).map(opt)),
    spec("consent", false, |s, _| consent(s)),
    spec("notes", false, |s, _| v::optional_text("notes", s).map(opt)),
];

/// Consent is typed as `DATE;METHOD;SCOPE` on the command line
/// (`2026-11-28;oral;suivi du renouvellement`) or sent as that JSON object.
fn consent(s: &str) -> Result<Value, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Value::Null);
    }
    let err = || {
        FieldError::new(
            "consent",
            FieldProblem::Other {
                fr: "écrivez DATE;MOYEN;OBJET, par exemple 2026-11-28;oral;suivi du dossier (moyen : written, oral ou electronic).".into(),
                en: "write DATE;METHOD;SCOPE, for example 2026-11-28;oral;follow-up of the file (method: written, oral or electronic).".into(),
            },
        )
    };
    let c: Consent = if s.starts_with('{') {
        serde_json::from_str(s).map_err(|_| err())?
    } else {
        let mut parts = s.splitn(3, ';');
        let (Some(d), Some(m), Some(scope)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err());
        };
        let method = match m.trim() {
            "written" => ConsentMethod::Written,
            "oral" => ConsentMethod::Oral,
            "electronic" => ConsentMethod::Electronic,
            _ => return Err(err()),
        };
        Consent { given_on: v::date("consent", d)?, scope: scope.to_owned(), method }
    };
    let scope = v::required_line("consent", &c.scope, v::MAX_SHORT_CHARS)?;
    serde_json::to_value(Consent { scope, ..c }).map_err(|_| err())
}

static CASE: &[FieldSpec] = &[
    APPLICANT_ID,
    spec("procedure", true, |s, c| {
        let p = v::required_line("procedure", s, 100)?;
        if c.has_procedure(&p) {
            Ok(Value::String(p))
        } else {
            Err(FieldError::new(
                "procedure",
                FieldProblem::Other {
                    fr: format!("la procédure « {p} » n'existe pas dans le catalogue : `sesame catalog list` donne la liste."),
                    en: format!("the procedure \"{p}\" is not in the catalog: `sesame catalog list` shows the list."),
                },
            ))
        }
    }),
    spec("status", false, |s, _| CaseStatus::from_str(s).map(|st| Value::String(st.as_str().into()))),
    spec("department", false, |s, _| {
        let d = v::optional_line("department", s, 3)?;
        let ok = d.as_deref().is_none_or(|d| {
            matches!(d.len(), 2 | 3) && (d.chars().all(|c| c.is_ascii_digit()) || matches!(d, "2A" | "2B"))
        });
        if ok {
            Ok(opt(d))
        } else {
            Err(FieldError::new(
                "department",
                FieldProblem::Other {
                    fr: "indiquez le numéro du département : 75, 93, 2A, 974…".into(),
                    en: "give the département number: 75, 93, 2A, 974…".into(),
                },
            ))
        }
    }),
    spec("opened_on", false, |s, _| v::optional_date("opened_on", s).map(|d| opt(d.map(|d| d.to_string())))),
    spec("facts", false, |s, _| {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        if s.len() > 64 * 1024 {
            return Err(FieldError::new("facts", FieldProblem::TooLong { max_chars: 64 * 1024 }));
        }
        match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(mut m)) => {
                // Checked with the rules engine's own reader, so that a typo
                // is refused now, not discovered when deadlines are computed.
                // `today` is supplied at computation time, never stored.
                m.remove("today");
                let mut probe = m.clone();
                probe.insert("today".into(), Value::String("2000-01-01".into()));
                if let Err(e) = crate::rules::facts_from_value(&Value::Object(probe)) {
                    let text = e.to_string();
                    let (fr, en) = text.split_once(" / ").unwrap_or((&text, &text));
                    return Err(FieldError::new("facts", FieldProblem::Other { fr: fr.into(), en: en.into() }));
                }
                Ok(Value::Object(m))
            }
            _ => Err(FieldError::new(
                "facts",
                FieldProblem::Other {
                    fr: "les faits du dossier doivent être un objet JSON { … }.".into(),
                    en: "the case facts must be a JSON object { … }.".into(),
                },
            )),
        }
    }),
];

static DOCUMENT_ITEM: &[FieldSpec] = &[
    CASE_ID,
    spec("doc_type", true, |s, c| {
        let d = v::required_line("doc_type", s, 100)?;
        if c.has_document(&d) {
            Ok(Value::String(d))
        } else {
            Err(FieldError::new(
                "doc_type",
                FieldProblem::Other {
                    fr: format!("le document « {d} » n'existe pas dans le catalogue."),
                    en: format!("the document \"{d}\" is not in the catalog."),
                },
            ))
        }
    }),
    spec("status", false, |s, _| DocStatus::from_str(s).map(|st| Value::String(st.as_str().into()))),
    spec("issued_on", false, |s, _| v::optional_date("issued_on", s).map(|d| opt(d.map(|d| d.to_string())))),
    spec("note", false, |s, _| v::optional_text("note", s).map(opt)),
];

static DEADLINE: &[FieldSpec] = &[
    CASE_ID,
    spec("due", true, |s, _| v::date("due", s).map(|d| Value::String(d.to_string()))),
    spec("title", true, |s, _| v::required_line("title", s, v::MAX_SHORT_CHARS).map(Value::String)),
    spec("done", false, |s, _| match s.trim() {
        "true" | "yes" | "1" | "oui" => Ok(Value::Bool(true)),
        "false" | "no" | "0" | "non" | "" => Ok(Value::Bool(false)),
        _ => Err(FieldError::new("done", FieldProblem::OneOf("true, false".into()))),
    }),
];

static JOURNAL_ENTRY: &[FieldSpec] = &[
    CASE_ID,
    spec("at", true, |s, _| v::date_time("at", s).map(|d| Value::String(d.to_rfc3339()))),
    spec("text", true, |s, _| v::required_text("text", s).map(Value::String)),
];

static INCIDENT: &[FieldSpec] = &[
    CASE_ID,
    spec("occurred_at", true, |s, _| v::date_time("occurred_at", s).map(|d| Value::String(d.to_rfc3339()))),
    spec("step", true, |s, _| v::required_line("step", s, v::MAX_SHORT_CHARS).map(Value::String)),
    spec("error_message", false, |s, _| v::optional_text("error_message", s).map(opt)),
    spec("ticket", false, |s, _| v::optional_line("ticket", s, 100).map(opt)),
    spec("note", false, |s, _| v::optional_text("note", s).map(opt)),
];
