//! What can be wrong with a catalog, said so that the person who maintains
//! it knows which file and which id to fix, in French then in English.
//!
//! A [`Problem`] is one finding of [`super::Catalog::check`]; a
//! [`CatalogError`] is why a catalog could not be loaded or a checklist not
//! built.

use serde::Serialize;

use super::SOURCE_LANGUAGE;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The catalog is wrong: it is refused at load time.
    Error,
    /// A translation is missing: the catalog loads and the checklist falls
    /// back to French for the missing text, marked `fallback: true`.
    Incomplete,
    /// Worth a look, harmless to use.
    Warning,
}

/// What is wrong. The `id` of the enclosing [`Problem`] names the entity
/// (procedure, list, document, fee, flag, language or département).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// A document id that `documents.toml` does not define.
    DanglingDocument { document: String },
    /// A list name that `lists.toml` does not define.
    DanglingList { list: String },
    /// A fee schedule that `fees.toml` does not define.
    DanglingFee { fee: String },
    /// A procedure id that no `procedures/*.toml` file defines.
    DanglingProcedure { procedure: String },
    /// A required language without a translation file.
    MissingLanguage { lang: String },
    /// A document or procedure without its name or explanation in a
    /// required language.
    MissingTranslation { lang: String, field: String },
    /// A procedure without any legal basis.
    MissingLegalBasis,
    /// A procedure without any filing channel.
    MissingChannel,
    /// A fee schedule without any period.
    MissingPeriod,
    /// A procedure owes the reduced rate of a schedule whose period has none.
    MissingReducedRate { fee: String, from: String },
    /// Two periods that cover the same day.
    OverlappingDates {
        what: String,
        first: String,
        second: String,
    },
    /// A period that ends before it starts.
    InvalidDateRange { what: String },
    /// A condition on a flag that `catalog.toml` does not declare.
    UnknownFlag { flag: String },
    /// The same id or the same line twice; `detail` says where (file names,
    /// ids), language-neutral.
    DuplicateId { detail: String },
    /// A required text left empty.
    EmptyString { field: String },
    /// An id that is not lowercase letters, digits and underscores; `what`
    /// is the table it was found in (`documents`, `procedures`…).
    InvalidId { what: String },
    /// A freshness rule that does not set exactly one rule.
    InvalidFreshness,
    /// A reduced or at-filing amount above the full amount.
    InvalidAmount,
    /// A translation file whose `lang` is not its file name.
    LanguageMismatch { declared: String },
    /// Lists that include each other.
    IncludeCycle,
    /// A département code that is not one (01–95, 2A, 2B, 971–976).
    InvalidDepartement { code: String },
    /// An alternative group with a single member.
    LonelyAlternative { group: String },
    /// An explanation longer than the applicant can read at a glance.
    ExplanationTooLong { lang: String, chars: usize },
    /// A translation of an id the catalog does not have (often a rename).
    UnknownTranslationKey { lang: String },
    /// A translation file for a language the catalog does not require.
    UnexpectedLanguage { lang: String },
}

/// The longest explanation, in characters, a translation may hold.
pub const MAX_EXPLAIN_CHARS: usize = 300;

/// One finding of [`super::Catalog::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// The file to open, relative to the catalog directory.
    pub file: String,
    /// The entity to look for in that file.
    pub id: String,
    #[serde(flatten)]
    pub kind: ProblemKind,
    /// What is wrong and what to do, in French.
    pub message_fr: String,
    /// The same, in English.
    pub message_en: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, id: impl Into<String>, kind: ProblemKind) -> Problem {
        let file = file.into();
        let id = id.into();
        let severity = severity_of(&kind);
        let (message_fr, message_en) = messages(&file, &id, &kind);
        Problem {
            severity,
            file,
            id,
            kind,
            message_fr,
            message_en,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.message_fr, self.message_en)
    }
}

fn severity_of(kind: &ProblemKind) -> Severity {
    use ProblemKind::*;
    match kind {
        // Without French there is nothing to fall back to.
        MissingLanguage { lang } | MissingTranslation { lang, .. } if lang == SOURCE_LANGUAGE => {
            Severity::Error
        }
        MissingLanguage { .. } | MissingTranslation { .. } => Severity::Incomplete,
        LonelyAlternative { .. }
        | ExplanationTooLong { .. }
        | UnknownTranslationKey { .. }
        | UnexpectedLanguage { .. } => Severity::Warning,
        _ => Severity::Error,
    }
}

fn messages(file: &str, id: &str, kind: &ProblemKind) -> (String, String) {
    use ProblemKind::*;
    let at_fr = format!("{file}, « {id} »");
    let at_en = format!("{file}, \"{id}\"");
    match kind {
        DanglingDocument { document } => (
            format!(
                "{at_fr} : le document « {document} » n'existe pas dans documents.toml. Ajoutez-le ou corrigez l'identifiant."
            ),
            format!(
                "{at_en}: document \"{document}\" does not exist in documents.toml. Add it or fix the id."
            ),
        ),
        DanglingList { list } => (
            format!(
                "{at_fr} : la liste « {list} » n'existe pas dans lists.toml. Ajoutez-la ou corrigez le nom."
            ),
            format!(
                "{at_en}: list \"{list}\" does not exist in lists.toml. Add it or fix the name."
            ),
        ),
        DanglingFee { fee } => (
            format!(
                "{at_fr} : le barème « {fee} » n'existe pas dans fees.toml. Ajoutez-le ou corrigez le nom."
            ),
            format!(
                "{at_en}: fee schedule \"{fee}\" does not exist in fees.toml. Add it or fix the name."
            ),
        ),
        DanglingProcedure { procedure } => (
            format!(
                "{at_fr} : la procédure « {procedure} » n'existe pas dans le catalogue. Corrigez l'identifiant."
            ),
            format!(
                "{at_en}: procedure \"{procedure}\" does not exist in the catalog. Fix the id."
            ),
        ),
        MissingLanguage { lang } => (
            format!(
                "{at_fr} : le fichier de traduction i18n/{lang}.toml manque. Créez-le à partir de i18n/fr.toml."
            ),
            format!(
                "{at_en}: translation file i18n/{lang}.toml is missing. Create it from i18n/fr.toml."
            ),
        ),
        MissingTranslation { lang, field } => (
            format!(
                "{at_fr} : le champ « {field} » manque en « {lang} ». Traduisez-le depuis i18n/fr.toml ; en attendant, le français s'affiche."
            ),
            format!(
                "{at_en}: field \"{field}\" is missing in \"{lang}\". Translate it from i18n/fr.toml; until then French is shown."
            ),
        ),
        MissingLegalBasis => (
            format!(
                "{at_fr} : la procédure n'a aucun fondement juridique. Ajoutez au moins une ligne legal_bases."
            ),
            format!(
                "{at_en}: the procedure has no legal basis. Add at least one legal_bases entry."
            ),
        ),
        MissingChannel => (
            format!(
                "{at_fr} : la procédure n'a aucun canal de dépôt. Ajoutez une période channels (anef ou prefecture)."
            ),
            format!(
                "{at_en}: the procedure has no filing channel. Add a channels period (anef or prefecture)."
            ),
        ),
        MissingPeriod => (
            format!(
                "{at_fr} : le barème n'a aucune période. Ajoutez une période avec son montant et sa date d'effet."
            ),
            format!(
                "{at_en}: the fee schedule has no period. Add a period with its amount and effective date."
            ),
        ),
        MissingReducedRate { fee, from } => (
            format!(
                "{at_fr} : le taux réduit du barème « {fee} » est demandé, mais la période du {from} n'en a pas. Ajoutez reduced_cents ou passez en rate = \"full\"."
            ),
            format!(
                "{at_en}: the reduced rate of fee schedule \"{fee}\" is used, but the period from {from} has none. Add reduced_cents or use rate = \"full\"."
            ),
        ),
        OverlappingDates {
            what,
            first,
            second,
        } => (
            format!(
                "{at_fr} : deux périodes de {what} se chevauchent ({first} et {second}). Fermez la première (until) la veille du début de la seconde."
            ),
            format!(
                "{at_en}: two {what} periods overlap ({first} and {second}). End the first one (until) the day before the second starts."
            ),
        ),
        InvalidDateRange { what } => (
            format!(
                "{at_fr} : une période de {what} finit avant de commencer. Corrigez from ou until."
            ),
            format!("{at_en}: a {what} period ends before it starts. Fix from or until."),
        ),
        UnknownFlag { flag } => (
            format!(
                "{at_fr} : le drapeau « {flag} » n'est pas déclaré dans catalog.toml. Déclarez-le ([flags.{flag}]) ou corrigez son nom."
            ),
            format!(
                "{at_en}: flag \"{flag}\" is not declared in catalog.toml. Declare it ([flags.{flag}]) or fix its name."
            ),
        ),
        DuplicateId { detail } => (
            format!(
                "{at_fr} : cet identifiant ou cette ligne apparaît deux fois ({detail}). Supprimez ou renommez le doublon."
            ),
            format!(
                "{at_en}: this id or line appears twice ({detail}). Remove or rename the duplicate."
            ),
        ),
        EmptyString { field } => (
            format!("{at_fr} : le champ « {field} » est vide. Remplissez-le."),
            format!("{at_en}: field \"{field}\" is empty. Fill it in."),
        ),
        InvalidId { what } => (
            format!(
                "{at_fr} : identifiant invalide dans {what} ; il doit être en minuscules, chiffres et « _ », et commencer par une lettre. Renommez-le."
            ),
            format!(
                "{at_en}: invalid id in {what}; it must be lowercase letters, digits and \"_\", starting with a letter. Rename it."
            ),
        ),
        InvalidFreshness => (
            format!(
                "{at_fr} : une règle de fraîcheur doit fixer une seule règle (max_age_months, last_months, valid_at ou current_academic_year), avec un nombre de mois supérieur à zéro. Corrigez-la."
            ),
            format!(
                "{at_en}: a freshness rule must set exactly one rule (max_age_months, last_months, valid_at or current_academic_year), with a month count above zero. Fix it."
            ),
        ),
        InvalidAmount => (
            format!(
                "{at_fr} : un montant réduit ou payé au dépôt dépasse le montant plein. Corrigez les montants."
            ),
            format!(
                "{at_en}: a reduced or at-filing amount exceeds the full amount. Fix the amounts."
            ),
        ),
        LanguageMismatch { declared } => (
            format!(
                "{at_fr} : le fichier déclare lang = « {declared} », qui n'est pas son nom. Renommez le fichier ou corrigez lang."
            ),
            format!(
                "{at_en}: the file declares lang = \"{declared}\", which is not its name. Rename the file or fix lang."
            ),
        ),
        IncludeCycle => (
            format!(
                "{at_fr} : des listes s'incluent l'une l'autre en boucle. Retirez une des inclusions."
            ),
            format!("{at_en}: lists include each other in a loop. Remove one of the includes."),
        ),
        InvalidDepartement { code } => (
            format!(
                "{at_fr} : « {code} » n'est pas un code de département (01 à 95, 2A, 2B, 971 à 976). Corrigez-le."
            ),
            format!(
                "{at_en}: \"{code}\" is not a département code (01 to 95, 2A, 2B, 971 to 976). Fix it."
            ),
        ),
        LonelyAlternative { group } => (
            format!(
                "{at_fr} : le groupe d'alternatives « {group} » n'a qu'un document. Ajoutez l'autre choix ou retirez alternative."
            ),
            format!(
                "{at_en}: alternative group \"{group}\" has a single document. Add the other choice or remove alternative."
            ),
        ),
        ExplanationTooLong { lang, chars } => (
            format!(
                "{at_fr} : l'explication en « {lang} » fait {chars} caractères (300 au plus). Raccourcissez-la."
            ),
            format!(
                "{at_en}: the \"{lang}\" explanation is {chars} characters long (300 at most). Shorten it."
            ),
        ),
        UnknownTranslationKey { lang } => (
            format!(
                "{at_fr} : la traduction « {lang} » porte sur un identifiant que le catalogue n'a pas (renommé ?). Supprimez-la ou corrigez l'identifiant."
            ),
            format!(
                "{at_en}: the \"{lang}\" translation is for an id the catalog does not have (renamed?). Remove it or fix the id."
            ),
        ),
        UnexpectedLanguage { lang } => (
            format!(
                "{at_fr} : la langue « {lang} » n'est pas dans la liste des langues du catalogue. Elle est chargée mais pas vérifiée."
            ),
            format!(
                "{at_en}: language \"{lang}\" is not in the catalog's language list. It is loaded but not checked."
            ),
        ),
    }
}

/// Why a catalog could not be loaded, or a checklist not built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(
        "Impossible de lire le fichier {file} du catalogue ({source}). Vérifiez le chemin et les droits du dossier. / \
         Cannot read catalog file {file} ({source}). Check the path and the folder's permissions."
    )]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "Le fichier {file} manque au catalogue. Un catalogue contient catalog.toml, documents.toml, lists.toml, fees.toml, procedures/*.toml et i18n/fr.toml. / \
         File {file} is missing from the catalog. A catalog holds catalog.toml, documents.toml, lists.toml, fees.toml, procedures/*.toml and i18n/fr.toml."
    )]
    MissingFile { file: String },
    #[error(
        "Le fichier {file} du catalogue est mal écrit : {message} Corrigez l'endroit indiqué. / \
         Catalog file {file} is malformed: {message} Fix the place shown."
    )]
    Parse { file: String, message: String },
    #[error("{}", invalid_message(.problems))]
    Invalid { problems: Vec<Problem> },
    #[error(
        "La procédure « {id} » n'existe pas dans le catalogue. Listez les procédures avec `sesame catalog list`. / \
         Procedure \"{id}\" does not exist in the catalog. List the procedures with `sesame catalog list`."
    )]
    UnknownProcedure { id: String },
    #[error(
        "La langue « {lang} » n'est pas dans le catalogue. Choisissez parmi : {known}. / \
         Language \"{lang}\" is not in the catalog. Choose among: {known}."
    )]
    UnknownLanguage { lang: String, known: String },
}

impl CatalogError {
    /// A stable code the front end matches on, never the message.
    pub fn code(&self) -> &'static str {
        match self {
            CatalogError::Io { .. } => "catalog.io",
            CatalogError::MissingFile { .. } => "catalog.missing_file",
            CatalogError::Parse { .. } => "catalog.parse",
            CatalogError::Invalid { .. } => "catalog.invalid",
            CatalogError::UnknownProcedure { .. } => "catalog.unknown_procedure",
            CatalogError::UnknownLanguage { .. } => "catalog.unknown_language",
        }
    }
}

fn invalid_message(problems: &[Problem]) -> String {
    let count = problems.len();
    let mut text = format!(
        "Le catalogue est refusé : {count} erreur(s). Corrigez les fichiers indiqués puis rechargez-le. / \
         The catalog is refused: {count} error(s). Fix the files shown, then load it again."
    );
    for problem in problems.iter().take(5) {
        text.push_str("\n- ");
        text.push_str(&problem.to_string());
    }
    if count > 5 {
        text.push_str(&format!(
            "\n… et {} autre(s) : lancez `sesame catalog check`. / … and {} more: run `sesame catalog check`.",
            count - 5,
            count - 5
        ));
    }
    text
}
