//! The people and files a volunteer follows.
//!
//! An [`Applicant`] is a person helped by the association. Each applicant has
//! one or more [`Case`]s, one per procedure (a student-card renewal, a DCEM
//! for a child, a duplicate…). A case holds its checklist of
//! [`DocumentItem`]s, manual [`Deadline`]s, a [`JournalEntry`] log and the
//! [`Incident`]s recorded when ANEF fails.
//!
//! These types are plain data. Every change to them goes through
//! [`crate::vault::Vault`], which writes the row and its [`crate::oplog::Op`]
//! in one transaction.

mod fields;
mod validate;

pub use fields::{Entity, FieldSpec, ParseContext};
pub use validate::{MAX_NAME_CHARS, date as validate_date};

pub use validate::{FieldError, FieldProblem};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Identifier of any record: a UUIDv7, so ids sort by creation time and can
/// be minted offline on any device without collisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(pub Uuid);

/// A map keyed by [`Id`]. Ids are random and come from the volunteer's own
/// devices, so a fast hasher serves: the Today screen looks up tens of
/// thousands of them.
pub type IdMap<V> = std::collections::HashMap<Id, V, rustc_hash::FxBuildHasher>;

impl Id {
    /// A new time-ordered id.
    pub fn new() -> Self {
        Id(Uuid::now_v7())
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Id {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(Id)
            .map_err(|_| FieldError::new("id", FieldProblem::BadId))
    }
}

/// A person helped by the association.
/// Initials in the applicant's own script (`"A. H."`): what screens seen by
/// others and notifications show instead of a name.
pub fn initials(given_name: &str, family_name: &str) -> String {
    let first = |s: &str| s.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{}. {}.", first(given_name), first(family_name))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub id: Id,
    /// Family name as the person writes it, in any script.
    pub family_name: String,
    /// Given name(s) as the person writes them, in any script.
    pub given_name: String,
    /// Latin transliteration of the family name, as on the passport's machine-readable zone.
    pub latin_family_name: Option<String>,
    /// Latin transliteration of the given name(s).
    pub latin_given_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// ISO 3166-1 alpha-2 or alpha-3 code, upper case (`DZ`, `AFG`…).
    pub nationality: Option<String>,
    /// Languages the person reads, as BCP 47 tags (`ar`, `fa-AF`, `ti`…), most fluent first.
    pub languages: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// AGDREF number: the préfecture's file number for a foreign national (10 digits).
    pub agdref: Option<String>,
    /// ANEF application number, when an application exists online.
    pub anef_number: Option<String>,
    pub consent: Option<Consent>,
    pub notes: Option<String>,
}

/// The applicant's consent to the association keeping this file (GDPR art. 6
/// and 9). Sésame records consent; it never stores ANEF or FranceConnect
/// passwords (DOMAIN.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub given_on: NaiveDate,
    /// What the person agreed to, in a sentence ("suivi du renouvellement, partage avec l'équipe").
    pub scope: String,
    pub method: ConsentMethod,
}

/// How consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// Signed on paper; the paper is kept by the association.
    Written,
    /// Said aloud, in front of the volunteer (and an interpreter, if any).
    Oral,
    /// Given by e-mail or message.
    Electronic,
}

/// A procedure followed for one applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: Id,
    pub applicant_id: Id,
    /// Procedure id from the catalog (`etudiant_renewal`, `dcem_first`…).
    pub procedure: String,
    pub status: CaseStatus,
    /// Département of the competent préfecture (`75`, `93`, `57`…): holidays and channels depend on it.
    pub department: Option<String>,
    pub opened_on: NaiveDate,
    /// Facts that the deadline engine reads (dates of the current permit,
    /// filing, attestations, decisions), as the engine's JSON object.
    pub facts: serde_json::Value,
}

/// Where a case stands, from preparation to the decision and any appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Gathering documents; nothing filed yet.
    Preparing,
    /// Filed (online on ANEF or at the préfecture), waiting for the file to be examined.
    Filed,
    /// The préfecture asked for more documents.
    Incomplete,
    /// Under examination (attestation de prolongation d'instruction or récépissé held).
    UnderReview,
    /// A favourable decision: waiting for the card to be handed over.
    Granted,
    /// A refusal (explicit, or implicit after four months of silence).
    Refused,
    /// A recours gracieux, hiérarchique or contentieux is under way.
    Appeal,
    /// The file is finished (card delivered, or the person left).
    Closed,
}

impl CaseStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 8] = [
        Self::Preparing,
        Self::Filed,
        Self::Incomplete,
        Self::UnderReview,
        Self::Granted,
        Self::Refused,
        Self::Appeal,
        Self::Closed,
    ];

    /// The status as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparing => "preparing",
            Self::Filed => "filed",
            Self::Incomplete => "incomplete",
            Self::UnderReview => "under_review",
            Self::Granted => "granted",
            Self::Refused => "refused",
            Self::Appeal => "appeal",
            Self::Closed => "closed",
        }
    }
}

impl FromStr for CaseStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("status", FieldProblem::OneOf(all_names(&Self::ALL, Self::as_str))))
    }
}

/// Where one required document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Not yet provided.
    Missing,
    /// Asked for (from a consulate, an employer, a school…), not yet received.
    Requested,
    /// Received, not yet checked by a volunteer.
    Received,
    /// Checked: complete, legible, translated when needed.
    Verified,
    /// Too old for the filing date (a proof of address over six months old…) or expired.
    Stale,
}

impl DocStatus {
    /// Every status.
    pub const ALL: [DocStatus; 5] =
        [Self::Missing, Self::Requested, Self::Received, Self::Verified, Self::Stale];

    /// The status as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Requested => "requested",
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Stale => "stale",
        }
    }
}

impl FromStr for DocStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("status", FieldProblem::OneOf(all_names(&Self::ALL, Self::as_str))))
    }
}

fn all_names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

/// One document of a case's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentItem {
    pub id: Id,
    pub case_id: Id,
    /// Document type id from the catalog (`proof_of_address`, `passport`…).
    pub doc_type: String,
    pub status: DocStatus,
    /// The date printed on the document: freshness rules count from it.
    pub issued_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A deadline entered by hand (computed deadlines come from [`crate::rules`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub id: Id,
    pub case_id: Id,
    pub due: NaiveDate,
    pub title: String,
    pub done: bool,
}

/// A dated note in a case's journal: a call, an appointment, a letter sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: Id,
    pub case_id: Id,
    /// When it happened, RFC 3339 with offset.
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub text: String,
}

/// A failure of ANEF (or of the préfecture's appointment system) recorded as
/// evidence: dated attempts are what a référé "mesures utiles" needs
/// (CE 10 June 2020 n° 435594: several attempts, not all in the same week).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: Id,
    pub case_id: Id,
    /// When the failure happened, RFC 3339 with offset.
    pub occurred_at: chrono::DateTime<chrono::FixedOffset>,
    /// The step of the online procedure that failed ("dépôt", "paiement du timbre", "prise de rendez-vous"…).
    pub step: String,
    /// The error message shown, copied as is.
    pub error_message: Option<String>,
    /// Ticket number from the Centre de contact citoyens, if one was opened.
    pub ticket: Option<String>,
    pub note: Option<String>,
}
