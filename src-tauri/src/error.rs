//! Errors as the front end receives them: a stable code to match on, a
//! sentence in French and one in English that say what to do next, and
//! the fields a form must mark. Never a stack trace, never applicant data
//! beyond what the volunteer typed in the field being refused.

use serde::Serialize;
use sesame_core::catalog::CatalogError;
use sesame_core::domain::FieldError;
use sesame_core::followup::FollowupError;
use sesame_core::print::PrintError;
use sesame_core::vault::VaultError;

/// One refused field, shown next to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldErrorDto {
    /// The field's name, as in the forms (`family_name`, `birth_date`…).
    pub field: String,
    /// What is wrong (`empty`, `bad_date`, `future_date`…): the UI has its
    /// own sentence for the common codes and falls back to `fr`/`en`.
    pub code: String,
    pub fr: String,
    pub en: String,
}

impl From<&FieldError> for FieldErrorDto {
    fn from(e: &FieldError) -> Self {
        Self { field: e.field.clone(), code: e.code().to_owned(), fr: e.fr(), en: e.en() }
    }
}

/// An error crossing the IPC boundary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppError {
    pub code: String,
    pub fr: String,
    pub en: String,
    /// Field-level problems, for forms (empty otherwise).
    pub fields: Vec<FieldErrorDto>,
}

impl AppError {
    pub fn new(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self { code: code.to_owned(), fr: fr.into(), en: en.into(), fields: Vec::new() }
    }

    /// Every command but unlock and create answers this while locked.
    pub fn locked() -> Self {
        Self::new(
            "locked",
            "Le coffre est verrouillé : saisissez votre phrase de passe pour continuer.",
            "The vault is locked: enter your passphrase to continue.",
        )
    }

    pub fn field(field: &str, code: &str, fr: &str, en: &str) -> Self {
        let mut e = Self::new(
            "invalid",
            "Certains champs sont à corriger : voyez les messages à côté de chacun.",
            "Some fields need correcting: see the message next to each one.",
        );
        e.fields.push(FieldErrorDto { field: field.into(), code: code.into(), fr: fr.into(), en: en.into() });
        e
    }

    /// A bad id sent by the page (never typed by a person).
    pub fn bad_id() -> Self {
        Self::new(
            "not_found",
            "Cette fiche n'existe plus (elle a peut-être été supprimée) : revenez à la liste et rouvrez-la.",
            "This record no longer exists (it may have been deleted): go back to the list and open it again.",
        )
    }
}

/// Splits core's "français / English" messages.
pub fn split_bilingual(text: &str) -> (String, String) {
    match text.split_once(" / ") {
        Some((fr, en)) => (fr.trim().to_owned(), en.trim().to_owned()),
        None => (text.to_owned(), text.to_owned()),
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> Self {
        let code = e.code();
        // Core's messages name command-line steps; the app says what to do in the app.
        match &e {
            VaultError::Invalid(fields) => {
                let mut out = AppError::field("", "", "", "");
                out.fields = fields.iter().map(FieldErrorDto::from).collect();
                out
            }
            VaultError::NotFound { .. } => AppError::bad_id(),
            VaultError::Db(_) => AppError::new(
                code,
                "La base du coffre a refusé l'opération : rien n'a été enregistré. Réessayez ; si cela se reproduit, fermez Sésame et rouvrez-le.",
                "The vault's database refused the operation: nothing was saved. Try again; if it happens again, close Sésame and open it again.",
            ),
            VaultError::NotAVault(_) => AppError::new(
                code,
                "Le dossier du coffre ne contient pas de coffre Sésame : créez-en un, ou relancez Sésame avec le bon dossier.",
                "The vault folder holds no Sésame vault: create one, or start Sésame with the right folder.",
            ),
            _ => {
                let (fr, en) = split_bilingual(&e.to_string());
                AppError::new(code, fr, en)
            }
        }
    }
}

impl From<FollowupError> for AppError {
    fn from(e: FollowupError) -> Self {
        match e {
            FollowupError::Vault(v) => v.into(),
            FollowupError::Catalog(c) => c.into(),
            FollowupError::Facts(_) => AppError::new(
                "facts",
                "La situation enregistrée pour ce dossier ne peut pas être lue : vérifiez les dates de la section « Situation » et enregistrez-la de nouveau.",
                "The situation recorded for this case cannot be read: check the dates in the \"Situation\" section and save it again.",
            ),
        }
    }
}

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        let (fr, en) = split_bilingual(&e.to_string());
        AppError::new("catalog", fr, en)
    }
}

impl From<PrintError> for AppError {
    fn from(e: PrintError) -> Self {
        let (fr, en) = split_bilingual(&e.to_string());
        AppError::new(e.code(), fr, en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passphrase_is_a_code_and_two_sentences() {
        let e = AppError::from(VaultError::WrongPassphrase);
        assert_eq!(e.code, "wrong_passphrase");
        assert!(e.fr.starts_with("Phrase de passe incorrecte"), "{}", e.fr);
        assert!(e.en.starts_with("Wrong passphrase"), "{}", e.en);
        assert!(!e.fr.contains(" / ") && !e.en.contains(" / "));
    }

    #[test]
    fn field_errors_name_their_field() {
        let e = AppError::from(VaultError::Invalid(vec![FieldError::new(
            "birth_date",
            sesame_core::domain::FieldProblem::FutureDate,
        )]));
        assert_eq!(e.code, "invalid");
        assert_eq!(e.fields.len(), 1);
        assert_eq!(e.fields[0].field, "birth_date");
        assert_eq!(e.fields[0].code, "future_date");
    }
}
