//! Field validation: every value a person types is checked here before it
//! reaches the database, and a refusal names the field.

use chrono::NaiveDate;
use std::fmt;

/// A value was refused. `field` is the name used on the command line and in
/// the forms (`family_name`, `birth_date`…), so the UI can show the message
/// next to the right field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    pub field: String,
    pub problem: FieldProblem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    Empty,
    TooLong { max_chars: usize },
    ControlCharacter,
    BadDate,
    FutureDate,
    BadDateTime,
    BadId,
    BadCountry,
    BadLanguage,
    BadEmail,
    /// One of the listed values was expected.
    OneOf(String),
    /// The referenced record does not exist.
    NotFound,
    /// Free explanation in both languages, for the rare case the others don't fit.
    Other { fr: String, en: String },
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: FieldProblem) -> Self {
        Self { field: field.into(), problem }
    }

    /// A stable, machine-readable code for the problem (the UI matches on it).
    pub fn code(&self) -> &'static str {
        match self.problem {
            FieldProblem::Empty => "empty",
            FieldProblem::TooLong { .. } => "too_long",
            FieldProblem::ControlCharacter => "control_character",
            FieldProblem::BadDate => "bad_date",
            FieldProblem::FutureDate => "future_date",
            FieldProblem::BadDateTime => "bad_date_time",
            FieldProblem::BadId => "bad_id",
            FieldProblem::BadCountry => "bad_country",
            FieldProblem::BadLanguage => "bad_language",
            FieldProblem::BadEmail => "bad_email",
            FieldProblem::OneOf(_) => "one_of",
            FieldProblem::NotFound => "not_found",
            FieldProblem::Other { .. } => "other",
        }
    }

    /// The message in French.
    pub fn fr(&self) -> String {
        let f = &self.field;
        match &self.problem {
            FieldProblem::Empty => format!("Le champ « {f} » est vide : remplissez-le."),
            FieldProblem::TooLong { max_chars } => {
                format!("Le champ « {f} » est trop long : {max_chars} caractères au plus.")
            }
            FieldProblem::ControlCharacter => format!(
                "Le champ « {f} » contient un caractère invisible (caractère de contrôle) : retapez-le."
            ),
            FieldProblem::BadDate => {
                format!("Le champ « {f} » doit être une date réelle au format AAAA-MM-JJ (par exemple 2026-03-31).")
            }
            FieldProblem::FutureDate => format!("Le champ « {f} » est dans le futur : vérifiez l'année."),
            FieldProblem::BadDateTime => format!(
                "Le champ « {f} » doit être une date et une heure avec fuseau, par exemple 2026-03-10T10:00:00+01:00."
            ),
            FieldProblem::BadId => format!(
                "Le champ « {f} » n'est pas un identifiant Sésame valide : copiez-le depuis la liste."
            ),
            FieldProblem::BadCountry => format!(
                "Le champ « {f} » doit être un code pays ISO 3166 de 2 ou 3 lettres (DZ, AFG, UKR…)."
            ),
            FieldProblem::BadLanguage => {
                format!("Le champ « {f} » doit être un code de langue comme fr, ar, fa-AF, ti.")
            }
            FieldProblem::BadEmail => format!("Le champ « {f} » n'est pas une adresse e-mail valide."),
            FieldProblem::OneOf(list) => format!("Le champ « {f} » doit valoir l'une de ces valeurs : {list}."),
            FieldProblem::NotFound => {
                format!("Aucun enregistrement ne correspond au champ « {f} » : vérifiez l'identifiant.")
            }
            FieldProblem::Other { fr, .. } => format!("Champ « {f} » : {fr}"),
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        let f = &self.field;
        match &self.problem {
            FieldProblem::Empty => format!("The field \"{f}\" is empty: fill it in."),
            FieldProblem::TooLong { max_chars } => {
                format!("The field \"{f}\" is too long: {max_chars} characters at most.")
            }
            FieldProblem::ControlCharacter => {
                format!("The field \"{f}\" contains an invisible control character: type it again.")
            }
            FieldProblem::BadDate => {
                format!("The field \"{f}\" must be a real date in the form YYYY-MM-DD (for example 2026-03-31).")
            }
            FieldProblem::FutureDate => format!("The field \"{f}\" is in the future: check the year."),
            FieldProblem::BadDateTime => format!(
                "The field \"{f}\" must be a date and time with an offset, for example 2026-03-10T10:00:00+01:00."
            ),
            FieldProblem::BadId => {
                format!("The field \"{f}\" is not a valid Sésame id: copy it from the list.")
            }
            FieldProblem::BadCountry => {
                format!("The field \"{f}\" must be an ISO 3166 country code of 2 or 3 letters (DZ, AFG, UKR…).")
            }
            FieldProblem::BadLanguage => {
                format!("The field \"{f}\" must be a language code such as fr, ar, fa-AF, ti.")
            }
            FieldProblem::BadEmail => format!("The field \"{f}\" is not a valid e-mail address."),
            FieldProblem::OneOf(list) => format!("The field \"{f}\" must be one of: {list}."),
            FieldProblem::NotFound => format!("No record matches the field \"{f}\": check the id."),
            FieldProblem::Other { en, .. } => format!("Field \"{f}\": {en}"),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.fr(), self.en())
    }
}

/// Names are short; 200 characters hold any real name with its particles.
pub const MAX_NAME_CHARS: usize = 200;
/// Free text (notes, journal): long enough for a letter's worth, short
/// enough that a pasted file is refused rather than stored.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Short single-line values (numbers, phone, step names).
pub const MAX_SHORT_CHARS: usize = 300;

/// A required single-line value: trimmed, non-empty, no control characters.
pub fn required_line(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let v = optional_line(field, value, max_chars)?;
    v.ok_or_else(|| FieldError::new(field, FieldProblem::Empty))
}

/// An optional single-line value: empty means absent.
pub fn optional_line(field: &str, value: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
    checked(field, value, max_chars, false)
}

/// Optional free text, where line breaks and tabs are allowed.
pub fn optional_text(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    checked(field, value, MAX_TEXT_CHARS, true)
}

/// Required free text, where line breaks and tabs are allowed.
pub fn required_text(field: &str, value: &str) -> Result<String, FieldError> {
    optional_text(field, value)?.ok_or_else(|| FieldError::new(field, FieldProblem::Empty))
}

fn checked(field: &str, value: &str, max_chars: usize, multiline: bool) -> Result<Option<String>, FieldError> {
    // Count before trimming too: a 100 KB paste of spaces is still refused as too long.
    if value.len() > max_chars * 4 || value.chars().count() > max_chars + 64 {
        return Err(FieldError::new(field, FieldProblem::TooLong { max_chars }));
    }
    let v = value.trim();
    if v.chars().count() > max_chars {
        return Err(FieldError::new(field, FieldProblem::TooLong { max_chars }));
    }
    let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r'));
    if v.chars().any(bad) || v.chars().any(is_bidi_override) {
        return Err(FieldError::new(field, FieldProblem::ControlCharacter));
    }
    Ok(if v.is_empty() { None } else { Some(v.to_owned()) })
}

/// Bidirectional overrides can make a name display as something else
/// ("Trojan Source"); they have no place in a name or a note. Ordinary
/// right-to-left text (Arabic, Dari, Pashto) needs none of them.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A calendar date `YYYY-MM-DD` that exists (no 30 February).
pub fn date(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    let v = value.trim();
    if v.len() != 10 {
        return Err(FieldError::new(field, FieldProblem::BadDate));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| FieldError::new(field, FieldProblem::BadDate))
}

/// An optional date: empty means absent.
pub fn optional_date(field: &str, value: &str) -> Result<Option<NaiveDate>, FieldError> {
    if value.trim().is_empty() { Ok(None) } else { date(field, value).map(Some) }
}

/// A birth date: a real date, not in the future, not before 1900.
pub fn birth_date(field: &str, value: &str, today: NaiveDate) -> Result<Option<NaiveDate>, FieldError> {
    let Some(d) = optional_date(field, value)? else { return Ok(None) };
    if d > today {
        return Err(FieldError::new(field, FieldProblem::FutureDate));
    }
    if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) {
        return Err(FieldError::new(field, FieldProblem::BadDate));
    }
    Ok(Some(d))
}

/// A date and time with an explicit offset (RFC 3339).
pub fn date_time(field: &str, value: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, FieldError> {
    chrono::DateTime::parse_from_rfc3339(value.trim())
        .map_err(|_| FieldError::new(field, FieldProblem::BadDateTime))
}

/// An ISO 3166-1 alpha-2 or alpha-3 code, returned upper case.
pub fn country(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if (v.len() == 2 || v.len() == 3) && v.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(Some(v.to_ascii_uppercase()))
    } else {
        Err(FieldError::new(field, FieldProblem::BadCountry))
    }
}

/// A BCP 47-like language tag: a 2–3 letter language, optional subtags.
pub fn language(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let mut parts = v.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if lang_ok && rest_ok {
        // Canonical case: language lower, region upper (fa-AF).
        Ok(v.split('-')
            .enumerate()
            .map(|(i, p)| match (i, p.len()) {
                (0, _) => p.to_ascii_lowercase(),
                (_, 2) => p.to_ascii_uppercase(),
                _ => p.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("-"))
    } else {
        Err(FieldError::new(field, FieldProblem::BadLanguage))
    }
}

/// A loose e-mail check: something@something.something, one line.
pub fn email(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    let Some(v) = optional_line(field, value, MAX_SHORT_CHARS)? else { return Ok(None) };
    let ok = v
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !v.contains(char::is_whitespace);
    if ok { Ok(Some(v)) } else { Err(FieldError::new(field, FieldProblem::BadEmail)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_every_script_and_refuse_control_characters() {
        for ok in ["Zéphyrine", "محمد", "Тарас", "ትግርኛ", "বাংলা", "O'Brien-Łukasz"] {
            assert_eq!(required_line("family_name", ok, MAX_NAME_CHARS).unwrap(), ok);
        }
        let e = required_line("family_name", "   ", MAX_NAME_CHARS).unwrap_err();
        assert_eq!((e.field.as_str(), e.code()), ("family_name", "empty"));
        let e = required_line("given_name", "Ana\u{7}", MAX_NAME_CHARS).unwrap_err();
        assert_eq!(e.code(), "control_character");
        let e = required_line("given_name", "Ana\u{202E}lla", MAX_NAME_CHARS).unwrap_err();
        assert_eq!(e.code(), "control_character");
        let e = optional_text("notes", &"x".repeat(100_000)).unwrap_err();
        assert_eq!((e.field.as_str(), e.code()), ("notes", "too_long"));
        assert!(optional_text("notes", "line one\nline two").is_ok());
    }

    #[test]
    fn dates_must_exist() {
        assert!(date("birth_date", "2024-02-29").is_ok());
        for bad in ["2026-02-30", "2026-13-01", "31/12/2020", "2026-1-1", ""] {
            let e = date("birth_date", bad).unwrap_err();
            assert_eq!(e.field, "birth_date", "{bad}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(birth_date("birth_date", "2027-01-01", today).unwrap_err().code(), "future_date");
    }

    #[test]
    fn languages_are_canonicalised() {
        assert_eq!(language("lang", "FA-af").unwrap(), "fa-AF");
        assert_eq!(language("lang", "ti").unwrap(), "ti");
        assert!(language("lang", "arabic!").is_err());
    }

    #[test]
    fn messages_are_bilingual_and_name_the_field() {
        let e = FieldError::new("birth_date", FieldProblem::BadDate);
        let s = e.to_string();
        assert!(s.contains("« birth_date »") && s.contains("\"birth_date\"") && s.contains(" / "), "{s}");
    }
}
