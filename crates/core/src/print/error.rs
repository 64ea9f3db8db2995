//! What can go wrong when printing or preparing attachments, said so that a
//! volunteer knows what to do next.
//!
//! Messages never contain applicant data, with one deliberate exception:
//! a refused attachment is named by its **file name** (not its folder),
//! because the volunteer must know which of the files they chose is at
//! fault. Each variant has a stable [`PrintError::code`] the desktop
//! matches on.

use crate::catalog::CatalogError;
use crate::followup::FollowupError;
use crate::vault::VaultError;
use std::path::PathBuf;

/// Printing, drafting a letter, attaching or preparing a file failed.
/// Nothing was written or stored when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Vault(#[from] VaultError),

    #[error(transparent)]
    Catalog(#[from] CatalogError),

    #[error(transparent)]
    Followup(#[from] FollowupError),

    #[error(
        "La mise en page du document a échoué ({0}) : rien n'a été écrit ; réessayez, et si cela se reproduit signalez-le avec ce message. \
         / Typesetting the document failed ({0}): nothing was written; try again, and if it happens again report it with this message."
    )]
    Typesetting(String),

    #[error(
        "Impossible d'écrire {path} ({source}) : choisissez un dossier où vous pouvez écrire et qui a de la place, puis réessayez. \
         / Cannot write {path} ({source}): choose a folder you can write to, with free space, and try again."
    )]
    Write { path: PathBuf, source: std::io::Error },

    #[error(
        "Impossible de lire le fichier « {file} » ({source}) : vérifiez qu'il existe et qu'il n'est pas ouvert ailleurs, puis réessayez. Rien n'a été enregistré. \
         / Cannot read the file \"{file}\" ({source}): check that it exists and is not open elsewhere, then try again. Nothing was stored."
    )]
    Read { file: String, source: std::io::Error },

    #[error(
        "Le fichier « {file} » pèse {size_mb} Mo, plus que les {max_mb} Mo acceptés : photographiez ou scannez de nouveau le document en qualité normale. Rien n'a été enregistré. \
         / The file \"{file}\" is {size_mb} MB, more than the {max_mb} MB accepted: photograph or scan the document again at normal quality. Nothing was stored."
    )]
    TooLarge { file: String, size_mb: u64, max_mb: u64 },

    #[error(
        "Le fichier « {file} » est une photo HEIC (format des iPhone), que Sésame ne sait pas lire : sur le téléphone, choisissez Réglages > Appareil photo > Formats > « Le plus compatible », ou envoyez la photo en JPEG. Rien n'a été enregistré. \
         / The file \"{file}\" is a HEIC photo (iPhone format), which Sésame cannot read: on the phone choose Settings > Camera > Formats > \"Most Compatible\", or send the photo as JPEG. Nothing was stored."
    )]
    Heic { file: String },

    #[error(
        "Le PDF « {file} » est protégé par un mot de passe : ANEF le refusera et Sésame ne peut pas l'ouvrir. Demandez une version sans mot de passe, ou imprimez-le et scannez-le. Rien n'a été enregistré. \
         / The PDF \"{file}\" is password-protected: ANEF will refuse it and Sésame cannot open it. Ask for a copy without a password, or print and scan it. Nothing was stored."
    )]
    PasswordProtected { file: String },

    #[error(
        "Le fichier « {file} » n'est ni une photo JPEG ou PNG ni un PDF lisible ({}) : choisissez une photo ou un scan du document. Rien n'a été enregistré. \
         / The file \"{file}\" is neither a JPEG or PNG photo nor a readable PDF ({}): choose a photo or a scan of the document. Nothing was stored.",
        half(.why, false),
        half(.why, true)
    )]
    Unsupported {
        file: String,
        /// Why, as "français / English": each sentence takes its half, so
        /// the message splits into two sentences at its one " / ".
        why: String,
    },

    #[error(
        "Aucun fichier n'est joint à ce document ({doc}) : joignez d'abord un scan ou une photo avec `sesame attach`. \
         / No file is attached to this document ({doc}): attach a scan or a photo first with `sesame attach`."
    )]
    NothingAttached { doc: String },

    #[error(
        "Le document {doc} ne tient pas sous la limite de {limit_kb} Ko même compressé ({best_kb} Ko au mieux) : joignez moins de pages, ou des scans moins lourds, ou réglez une autre limite si celle de la préfecture est plus haute. \
         / The document {doc} does not fit under the {limit_kb} KB limit even compressed ({best_kb} KB at best): attach fewer pages or lighter scans, or set another limit if the préfecture's is higher."
    )]
    CannotFit { doc: String, limit_kb: u64, best_kb: u64 },

    #[error(
        "« {0} » n'est pas un type de lettre connu : choisissez in_person_alternative, api_request, defenseur_des_droits ou refere_bundle. \
         / \"{0}\" is not a known letter kind: choose in_person_alternative, api_request, defenseur_des_droits or refere_bundle."
    )]
    UnknownLetter(String),

    #[error(
        "« {0} » n'est pas un document du catalogue : utilisez un identifiant de `sesame checklist` (passport, proof_of_address…) ou celui d'un incident du dossier. \
         / \"{0}\" is not a catalog document: use an id from `sesame checklist` (passport, proof_of_address…) or the id of one of the case's incidents."
    )]
    UnknownDocument(String),
}

/// One language's half of a "français / English" phrase (the whole
/// phrase when it has no second half).
fn half(phrase: &str, english: bool) -> &str {
    match phrase.split_once(" / ") {
        Some((fr, en)) => if english { en } else { fr },
        None => phrase,
    }
}

impl PrintError {
    /// A stable code for the desktop to match on (never parse the message).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Vault(_) => "vault",
            Self::Catalog(_) => "catalog",
            Self::Followup(_) => "followup",
            Self::Typesetting(_) => "typesetting",
            Self::Write { .. } => "write",
            Self::Read { .. } => "read",
            Self::TooLarge { .. } => "too_large",
            Self::Heic { .. } => "heic",
            Self::PasswordProtected { .. } => "password_protected",
            Self::Unsupported { .. } => "unsupported",
            Self::NothingAttached { .. } => "nothing_attached",
            Self::CannotFit { .. } => "cannot_fit",
            Self::UnknownLetter(_) => "unknown_letter",
            Self::UnknownDocument(_) => "unknown_document",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the reason was printed whole in both sentences, so the
    /// message had two " / " and the desktop split it inside the French one.
    #[test]
    fn an_unsupported_file_message_splits_into_one_french_and_one_english_sentence() {
        let e = PrintError::Unsupported { file: "notes.jpg".into(), why: "format inconnu / unknown format".into() };
        let text = e.to_string();
        assert_eq!(text.matches(" / ").count(), 1, "{text}");
        let (fr, en) = text.split_once(" / ").unwrap_or_default();
        assert!(fr.contains("« notes.jpg »") && fr.contains("(format inconnu)"), "{fr}");
        assert!(en.contains("\"notes.jpg\"") && en.contains("(unknown format)"), "{en}");
        let plain = PrintError::Unsupported { file: "x.gif".into(), why: "format GIF".into() }.to_string();
        assert_eq!(plain.matches("(format GIF)").count(), 2, "{plain}");
    }
}
