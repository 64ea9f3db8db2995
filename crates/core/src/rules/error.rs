//! Errors of the deadline engine: malformed case facts.
//!
//! Every message is a sentence in French, then in English, that names the
//! field (as a path such as `decisions[1].notified_at`) and says what it
//! should contain, so that a volunteer or a script author can fix the input
//! without reading the code.

use thiserror::Error;

/// What a field of the facts must contain. It renders the expected format in
/// French ([`Expected::fr`]) and English ([`Expected::en`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A calendar date that exists, `YYYY-MM-DD`.
    Date,
    /// A date, or a date-time with an explicit UTC offset (RFC 3339).
    DateOrDateTime,
    /// A date-time with an explicit UTC offset, because the rule counts hours.
    DateTimeForHours,
    /// `true` or `false`.
    Bool,
    /// Any string.
    Text,
    /// A département code.
    Department,
    /// A whole number of months.
    Months,
    /// One of a fixed list of snake_case values.
    OneOf(&'static [&'static str]),
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
}

impl Expected {
    /// The expected format, in French.
    pub fn fr(&self) -> String {
        match self {
            Self::Date => "une date existante au format AAAA-MM-JJ (par ex. 2026-11-28)".into(),
            Self::DateOrDateTime => "une date AAAA-MM-JJ, ou une date-heure RFC 3339 avec décalage horaire \
                 (par ex. 2026-03-10T10:00:00+01:00)"
                .into(),
            Self::DateTimeForHours => "une date-heure RFC 3339 avec décalage horaire \
                 (par ex. 2026-03-10T10:00:00+01:00), car ce délai se compte en heures \
                 à partir de l'heure de notification"
                .into(),
            Self::Bool => "true ou false".into(),
            Self::Text => "une chaîne de caractères".into(),
            Self::Department => "un numéro de département entre guillemets \
                 (01 à 95, 2A, 2B, 971 à 976)"
                .into(),
            Self::Months => "un nombre entier de mois, de 1 à 120".into(),
            Self::OneOf(values) => format!("l'une des valeurs {}", quoted(values)),
            Self::Object => "un objet JSON { … }".into(),
            Self::Array => "une liste JSON [ … ]".into(),
        }
    }

    /// The expected format, in English.
    pub fn en(&self) -> String {
        match self {
            Self::Date => "an existing date in the format YYYY-MM-DD (e.g. 2026-11-28)".into(),
            Self::DateOrDateTime => "a date YYYY-MM-DD, or an RFC 3339 date-time with a UTC offset \
                 (e.g. 2026-03-10T10:00:00+01:00)"
                .into(),
            Self::DateTimeForHours => "an RFC 3339 date-time with a UTC offset \
                 (e.g. 2026-03-10T10:00:00+01:00), because this deadline is counted in hours \
                 from the time of notification"
                .into(),
            Self::Bool => "true or false".into(),
            Self::Text => "a string".into(),
            Self::Department => "a département code in quotes (01 to 95, 2A, 2B, 971 to 976)".into(),
            Self::Months => "a whole number of months, from 1 to 120".into(),
            Self::OneOf(values) => format!("one of {}", quoted(values)),
            Self::Object => "a JSON object { … }".into(),
            Self::Array => "a JSON array [ … ]".into(),
        }
    }
}

fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why case facts could not be read. Nothing is computed from facts that
/// fail to parse: a half-read case could hide a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesError {
    /// The input is not JSON at all.
    #[error(
        "Les faits ne sont pas un JSON valide (ligne {line}, colonne {column}) : {detail}. \
         Vérifiez les virgules, guillemets et accolades. / \
         The facts are not valid JSON (line {line}, column {column}): {detail}. \
         Check commas, quotes and braces."
    )]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's description (English).
        detail: String,
    },
    /// The document is JSON but not an object.
    #[error(
        "Les faits doivent être un objet JSON {{ \"today\": \"AAAA-MM-JJ\", … }}, reçu : {found}. / \
         The facts must be a JSON object {{ \"today\": \"YYYY-MM-DD\", … }}, got: {found}."
    )]
    NotAnObject {
        /// A short rendering of what was found.
        found: String,
    },
    /// A field that the contract does not define (a typo, most often).
    #[error(
        "Le champ `{field}` n'est pas reconnu ; champs acceptés ici : {accepted}. / \
         The field `{field}` is not recognised; fields accepted here: {accepted}."
    )]
    UnknownField {
        /// Path of the unknown field.
        field: String,
        /// The fields accepted at that level, comma-separated.
        accepted: String,
    },
    /// A required field is absent (only `today` is required).
    #[error(
        "Le champ `{field}` est obligatoire : il doit contenir {fr}. / \
         The field `{field}` is required: it must hold {en}.",
        fr = .expected.fr(),
        en = .expected.en()
    )]
    MissingField {
        /// Path of the missing field.
        field: String,
        /// What it must contain.
        expected: Expected,
    },
    /// A field is present but does not hold what it should.
    #[error(
        "Le champ `{field}` doit être {fr} ; reçu : {found}. / \
         The field `{field}` must be {en}; got: {found}.",
        fr = .expected.fr(),
        en = .expected.en()
    )]
    InvalidField {
        /// Path of the field.
        field: String,
        /// What it must contain.
        expected: Expected,
        /// A short rendering of what was found.
        found: String,
    },
}

impl RulesError {
    /// The path of the field at fault, when the error concerns one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::UnknownField { field, .. }
            | Self::MissingField { field, .. }
            | Self::InvalidField { field, .. } => Some(field),
            Self::Json { .. } | Self::NotAnObject { .. } => None,
        }
    }
}
