//! What can go wrong with a vault, said so that a volunteer knows what to do.

use crate::domain::FieldError;
use std::path::PathBuf;

/// A vault operation failed. Each message is a sentence in French, then in
/// English, that says what happened and what to do next. None of them
/// contains applicant data: they may end up in a log or a bug report.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "Le dossier {0} n'est pas un coffre Sésame : créez-en un avec `sesame init` ou indiquez le bon dossier avec --vault. \
         / The folder {0} is not a Sésame vault: create one with `sesame init` or point --vault at the right folder."
    )]
    NotAVault(PathBuf),

    #[error(
        "Un coffre Sésame existe déjà dans {0} : ouvrez-le, ou choisissez un autre dossier. \
         / A Sésame vault already exists in {0}: open it, or choose another folder."
    )]
    AlreadyExists(PathBuf),

    #[error(
        "Le dossier {0} contient déjà d'autres fichiers : choisissez un dossier vide pour le nouveau coffre. \
         / The folder {0} already holds other files: choose an empty folder for the new vault."
    )]
    FolderNotEmpty(PathBuf),

    #[error(
        "Phrase de passe incorrecte : vérifiez la disposition du clavier et les majuscules, puis réessayez. Rien n'a été modifié. \
         / Wrong passphrase: check the keyboard layout and capital letters, then try again. Nothing was changed."
    )]
    WrongPassphrase,

    #[error(
        "Cette clé de secours ne correspond pas à ce coffre : demandez la bonne clé à l'administrateur de l'association. \
         / This recovery key does not match this vault: ask the association's administrator for the right one."
    )]
    WrongRecoveryKey,

    #[error(
        "Ce coffre n'a pas de clé de secours : seule la phrase de passe peut l'ouvrir. \
         / This vault has no recovery key: only its passphrase can open it."
    )]
    NoRecoveryKey,

    #[error(
        "La phrase de passe doit compter au moins {0} caractères : une courte phrase de plusieurs mots est plus sûre et plus facile à retenir. \
         / The passphrase must be at least {0} characters long: a short sentence of several words is safer and easier to remember."
    )]
    WeakPassphrase(usize),

    #[error(
        "Le fichier {file} est endommagé ou n'appartient pas à Sésame ({why}) : rien n'a été modifié ; restaurez ce fichier depuis une sauvegarde ou contactez l'administrateur. \
         / The file {file} is damaged or not a Sésame file ({why}): nothing was changed; restore it from a backup or contact your administrator."
    )]
    Damaged { file: PathBuf, why: &'static str },

    #[error(
        "Le fichier {0} manque dans le coffre : restaurez-le depuis une sauvegarde. Rien n'a été modifié. \
         / The file {0} is missing from the vault: restore it from a backup. Nothing was changed."
    )]
    Missing(PathBuf),

    #[error(
        "Ce coffre a été créé par une version plus récente de Sésame (schéma {found}, celle-ci connaît {supported}) : mettez Sésame à jour. \
         / This vault was made by a newer Sésame (schema {found}, this one knows {supported}): update Sésame."
    )]
    TooNew { found: i64, supported: i64 },

    #[error(
        "Impossible de lire ou d'écrire {file} ({source}) : vérifiez l'espace disque et les droits du dossier, puis réessayez. \
         / Cannot read or write {file} ({source}): check disk space and folder permissions, then try again."
    )]
    Io { file: PathBuf, source: std::io::Error },

    #[error(
        "Erreur de la base de données ({0}) : l'opération a été annulée et rien n'a été enregistré ; réessayez, et si cela se reproduit lancez `sesame check`. \
         / Database error ({0}): the operation was cancelled and nothing was saved; try again, and if it happens again run `sesame check`."
    )]
    Db(String),

    #[error("{}", join(.0))]
    Invalid(Vec<FieldError>),

    #[error(
        "Aucun {entity} ne porte l'identifiant {id} : vérifiez-le avec la commande `list`. \
         / No {entity} has the id {id}: check it with the `list` command."
    )]
    NotFound { entity: &'static str, id: String },

    #[error(transparent)]
    Clock(#[from] crate::hlc::HlcError),

    #[error(
        "Impossible de générer une clé aléatoire : le système ne fournit pas d'aléa. Redémarrez l'ordinateur. \
         / Cannot generate a random key: the system provides no randomness. Restart the computer."
    )]
    Random,
}

fn join(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

impl VaultError {
    /// A stable code for the front end to match on (never parse the message).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAVault(_) => "not_a_vault",
            Self::AlreadyExists(_) => "already_exists",
            Self::FolderNotEmpty(_) => "folder_not_empty",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::WrongRecoveryKey => "wrong_recovery_key",
            Self::NoRecoveryKey => "no_recovery_key",
            Self::WeakPassphrase(_) => "weak_passphrase",
            Self::Damaged { .. } => "damaged",
            Self::Missing(_) => "missing_file",
            Self::TooNew { .. } => "too_new",
            Self::Io { .. } => "io",
            Self::Db(_) => "database",
            Self::Invalid(_) => "invalid",
            Self::NotFound { .. } => "not_found",
            Self::Clock(_) => "clock",
            Self::Random => "random",
        }
    }

    /// The field errors, when the input was refused.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::Invalid(v) => v,
            _ => &[],
        }
    }

    pub(crate) fn io(file: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let file = file.into();
        move |source| Self::Io { file, source }
    }
}

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        // SQLite's messages name tables and constraints, never values.
        VaultError::Db(e.to_string())
    }
}

impl From<FieldError> for VaultError {
    fn from(e: FieldError) -> Self {
        VaultError::Invalid(vec![e])
    }
}
