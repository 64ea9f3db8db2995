//! Case facts: what the engine knows about one applicant's procedure.
//!
//! This is the stable input contract of `sesame deadlines --facts`. Every
//! field is optional except `today`; an unknown field anywhere is an error,
//! never silently ignored (the effect of `#[serde(deny_unknown_fields)]`).
//! A rule whose facts are missing simply produces nothing.
//!
//! The JSON shape, with every field:
//!
//! ```json
//! { "today": "2026-11-28", "department": "75", "regime": "ceseda",
//!   "procedure": "etudiant_renewal", "request": "renewal",
//!   "birth_date": "2008-12-31", "young_adult": "r431_5_3",
//!   "entry_date": "2026-09-01",
//!   "visa": { "kind": "vls_ts", "valid_until": "2027-08-31", "validated_on": "2026-09-15" },
//!   "current_permit": { "expires_on": "2027-03-31", "on_anef": true, "long_term_eu": false },
//!   "filing": { "filed_on": "2026-10-31", "complete": true, "ack_mentions_appeal_routes": true },
//!   "api": [ { "issued_on": "2026-11-02", "valid_until": "2027-01-31" } ],
//!   "recepisse": [ { "valid_from": "2026-11-02", "valid_until": "2027-02-01" } ],
//!   "decisions": [ { "kind": "refusal", "notified_at": "2027-01-27" },
//!                  { "kind": "oqtf", "notified_at": "2026-03-10T10:00:00+01:00",
//!                    "decided_on": "2026-03-09", "restriction": "none" } ],
//!   "documents": [ { "id": "proof_of_address", "issued_on": "2026-05-01", "max_age_months": 6 } ],
//!   "planned_filing_on": "2026-12-15" }
//! ```
//!
//! Reading is done by [`super::parse_facts`]; writing by `serde::Serialize`
//! (used by tests to round-trip facts).

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde::Serialize;

use super::calendar::{self, Department};

/// Everything the engine may use about one case. Build it with
/// [`super::parse_facts`] from JSON, or directly in Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// The day the computation is made for. Alerts ("the window is open",
    /// "no proof of lawful stay") are judged on this day. Required: the
    /// engine never reads the clock.
    pub today: NaiveDate,
    /// The département of the préfecture (and court) in charge, e.g. `"57"`.
    /// Only Alsace-Moselle (57, 67, 68) changes anything: Good Friday and
    /// 26 December become holidays. Absent: national holidays only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Department>,
    /// Which body of law governs the stay. Absent: [`Regime::Ceseda`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regime: Option<Regime>,
    /// The catalog id of the procedure, e.g. `"etudiant_renewal"`. Kept for
    /// the caller; the engine does not interpret it (see [`Facts::request`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// What kind of request the procedure is. The engine reads this field,
    /// never the procedure id, so that catalog ids can change freely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// The applicant's birth date, used with [`Facts::young_adult`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Which paragraph of R431-5 sets the young applicant's deadline. The
    /// engine does not guess it from the birth date: whether someone falls
    /// under 2° depends on the permit they can claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub young_adult: Option<YoungAdult>,
    /// Date of entry into France (arrival, for a VLS-TS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_date: Option<NaiveDate>,
    /// The visa the applicant entered with, if it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visa: Option<Visa>,
    /// The residence permit currently (or last) held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_permit: Option<CurrentPermit>,
    /// The filing of the current request, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing: Option<Filing>,
    /// Attestations de prolongation d'instruction received (ANEF channel).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api: Vec<Api>,
    /// Récépissés received (paper channel).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recepisse: Vec<Recepisse>,
    /// Decisions notified to the applicant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// Documents whose freshness matters (proof of address, payslips…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// The day the applicant plans to file (or has an appointment).
    /// Freshness of documents and the late-renewal fee are judged on the
    /// filing date, else on this date, else on `today`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_filing_on: Option<NaiveDate>,
    /// The applicant's situation as the catalog's checklist conditions see
    /// it (`married_abroad`, `hosted`…). Not read by the engine.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub flags: std::collections::BTreeMap<String, bool>,
}

impl Facts {
    /// Facts that hold only `today`.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            department: None,
            regime: None,
            procedure: None,
            request: None,
            birth_date: None,
            young_adult: None,
            entry_date: None,
            visa: None,
            current_permit: None,
            filing: None,
            api: Vec::new(),
            recepisse: Vec::new(),
            decisions: Vec::new(),
            documents: Vec::new(),
            planned_filing_on: None,
            flags: std::collections::BTreeMap::new(),
        }
    }

    /// The regime, [`Regime::Ceseda`] when not stated.
    pub fn regime(&self) -> Regime {
        self.regime.unwrap_or(Regime::Ceseda)
    }

    /// The date on which a filing is (or will be) judged: the actual filing
    /// date, else the planned one, else today.
    pub fn reference_filing_date(&self) -> NaiveDate {
        self.filing
            .as_ref()
            .and_then(|f| f.filed_on)
            .or(self.planned_filing_on)
            .unwrap_or(self.today)
    }
}

/// The body of law that governs the applicant's stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Code de l'entrée et du séjour des étrangers et du droit d'asile.
    Ceseda,
    /// The Franco-Algerian agreement of 27 December 1968 (certificats de
    /// résidence). Many CESEDA rules do not apply as such; the engine marks
    /// every stay rule it still shows as unverified.
    AlgerianAgreement,
}

impl Regime {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] = &["ceseda", "algerian_agreement"];
}

/// The kind of request a procedure makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// A first permit, for someone already in France (R431-4).
    First,
    /// Renewal of the same permit (R431-5 1°, L436-5).
    Renewal,
    /// A duplicate of a lost or stolen card.
    Duplicate,
    /// A permit on another basis than the current one (R431-5 1°).
    ChangeOfStatus,
    /// Online validation of a VLS-TS (visa de long séjour valant titre de séjour).
    VlstsValidation,
}

impl Request {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] =
        &["first", "renewal", "duplicate", "change_of_status", "vlsts_validation"];
}

/// Which young-adult deadline of R431-5 applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YoungAdult {
    /// R431-5 2°: the permits it lists must be requested at the latest the
    /// day before the 19th birthday.
    #[serde(rename = "r431_5_2")]
    R431_5_2,
    /// R431-5 3°: other young people request a permit at the latest two
    /// months after their 18th birthday.
    #[serde(rename = "r431_5_3")]
    R431_5_3,
}

impl YoungAdult {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] = &["r431_5_2", "r431_5_3"];
}

/// The visa the applicant entered France with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Visa {
    /// The kind of visa.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<VisaKind>,
    /// Last day of validity printed on the visa.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// The day a VLS-TS was validated online, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validated_on: Option<NaiveDate>,
}

/// Kinds of visa the engine distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisaKind {
    /// Visa de long séjour valant titre de séjour: must be validated online
    /// within 3 months of arrival.
    VlsTs,
    /// Any other visa.
    Other,
}

impl VisaKind {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] = &["vls_ts", "other"];
}

/// The residence permit currently (or last) held.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CurrentPermit {
    /// Last day of validity printed on the card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// Whether the permit asked for is on the ANEF list (CESEDA annexe 9):
    /// it decides between the two windows of R431-5 1°. Absent: the ANEF
    /// window is assumed, because its deadline (day 60) is the earlier one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_anef: Option<bool>,
    /// Holder of the résident longue durée-UE status granted by France:
    /// the window of R431-5 1° does not apply (R431-5 last paragraph).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_term_eu: Option<bool>,
}

/// The filing of the current request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Filing {
    /// The day the request was filed (online or at the préfecture).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filed_on: Option<NaiveDate>,
    /// Whether the dossier was complete. Only a complete dossier starts the
    /// 4-month clock of an implicit rejection (CE avis 10 Oct 2024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
    /// Whether the acknowledgment of receipt mentioned the appeal routes;
    /// without them the appeal period against an implicit decision may not
    /// run (shown as a note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_mentions_appeal_routes: Option<bool>,
}

/// An attestation de prolongation d'instruction (API): the ANEF document,
/// valid up to 3 months and renewed while the préfet has not decided, that
/// proves lawful stay together with the expired card (R431-15-1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Api {
    /// Day of issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    /// Last day of validity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

/// A récépissé: the paper-channel receipt that proves lawful stay for the
/// period it states (R431-12).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Recepisse {
    /// First day of validity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

/// A decision notified to the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Decision {
    /// What was decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<DecisionKind>,
    /// When it was notified: a date, or a date-time with an explicit offset.
    /// An OQTF under restriction needs the date-time (its deadline counts in
    /// hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notified_at: Option<Moment>,
    /// The day the decision was taken, when known. It decides which OQTF
    /// regime applies (decisions from 15 July 2024 follow loi 2024-42);
    /// absent, the notification date stands in for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<NaiveDate>,
    /// For an OQTF: the applicant's situation at notification. Absent: `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction: Option<Restriction>,
}

/// Kinds of decision the engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Refusal of the permit (explicit).
    Refusal,
    /// Obligation de quitter le territoire français (removal order).
    Oqtf,
    /// Favourable decision: the attestation de décision favorable proves
    /// lawful stay until the card is handed over (R431-15-1).
    Favourable,
}

impl DecisionKind {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] = &["refusal", "oqtf", "favourable"];
}

/// The applicant's situation when an OQTF is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Restriction {
    /// Free: 1 month to appeal (L911-1).
    None,
    /// Assigned to residence (assignation à résidence): 7 days (L921-1).
    Assigned,
    /// In prison: 7 days (L921-1).
    Detained,
    /// In a centre de rétention administrative: 48 hours (L921-2).
    Retention,
}

impl Restriction {
    /// The JSON spellings, in declaration order.
    pub const VALUES: &'static [&'static str] = &["none", "assigned", "detained", "retention"];

    /// Whether the appeal period of this situation is counted in hours.
    pub fn counts_hours(self) -> bool {
        !matches!(self, Self::None)
    }
}

/// A document whose age matters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Document {
    /// The catalog id of the document item, e.g. `"proof_of_address"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Day of issue printed on the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    /// The document must be less than this many months old on the filing
    /// (or appointment) date, e.g. 6 for a proof of address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_months: Option<u32>,
}

/// A point in time as the facts state it: a calendar day, or an instant with
/// its UTC offset. A date-time without an offset is refused when reading:
/// it would be ambiguous around the change of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moment {
    /// A day, `YYYY-MM-DD`.
    Date(NaiveDate),
    /// An instant, RFC 3339 with an offset.
    DateTime(DateTime<FixedOffset>),
}

impl Moment {
    /// The calendar day in Europe/Paris.
    pub fn date(&self) -> NaiveDate {
        match self {
            Self::Date(date) => *date,
            Self::DateTime(at) => calendar::paris_date(*at),
        }
    }
}

impl Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Date(date) => s.collect_str(&date.format("%Y-%m-%d")),
            Self::DateTime(at) => s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}
