//! What the engine computes: deadlines and alerts, each with its rule, its
//! legal basis, the counting method it used and whether it is verified.
//!
//! The JSON form of a [`Deadline`] is the output contract of
//! `sesame deadlines`:
//!
//! ```json
//! { "id": "appeal_refusal", "kind": "deadline", "due": "2027-03-29",
//!   "moved_from": "2027-03-28", "rule": "…", "legal_basis": "CJA R421-1",
//!   "counting": "delai_franc", "verified": false,
//!   "start": "2027-01-27", "source": "decisions[0].notified_at" }
//! ```
//!
//! `due` is `YYYY-MM-DD`, or an RFC 3339 date-time (Europe/Paris offset) for
//! deadlines counted in hours. `moved_from` is present only when the date
//! was moved to the next working day. `start`, `source`, `subject` and
//! `notes` appear when set.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde::Serialize;

/// The identifier of a computed deadline or alert. The UI translates by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineId {
    /// First request by someone already in France (R431-4).
    FirstRequest,
    /// Online validation of a VLS-TS (F15898).
    VlstsValidation,
    /// Young adult's request (R431-5 2° or 3°).
    YoungAdultRequest,
    /// First day of the renewal window (R431-5 1°).
    RenewalWindowOpens,
    /// Last day of the renewal window (R431-5 1°).
    RenewalWindowCloses,
    /// Day an implicit rejection is born (R432-1, R432-2).
    ImplicitRejection,
    /// Last day to challenge the implicit rejection in court.
    AppealImplicitRejection,
    /// Last day to challenge an explicit refusal in court.
    AppealRefusal,
    /// Last day (or hour) to challenge an OQTF.
    OqtfAppeal,
    /// Last day of validity of the newest API.
    ApiExpires,
    /// Alert: today nothing proves lawful stay.
    ProofOfStayGap,
    /// Alert: the renewal is (or will be) filed after the window, €180.
    LateRenewalFee,
    /// Alert: a document is too old on the filing date.
    StaleDocument,
    /// Alert: today is inside the renewal window and nothing is filed yet.
    RenewalWindowOpen,
    /// Alert: the newest API expires within 15 days.
    ApiExpiringSoon,
    /// Alert: a duplicate is asked for a card expiring within 3 months.
    DuplicateRenewInstead,
}

impl DeadlineId {
    /// Whether this id is a deadline or an alert.
    pub fn kind(self) -> Kind {
        match self {
            Self::ProofOfStayGap
            | Self::LateRenewalFee
            | Self::StaleDocument
            | Self::RenewalWindowOpen
            | Self::ApiExpiringSoon
            | Self::DuplicateRenewInstead => Kind::Alert,
            _ => Kind::Deadline,
        }
    }
}

/// A deadline is a date derived from the law; an alert is a condition that
/// holds for the case as of `today` (or as of the filing date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A date computed by a rule.
    Deadline,
    /// A warning about the case.
    Alert,
}

/// How a date was computed. Each rule declares exactly one; the variant also
/// says whether the result moves to the next working day.
///
/// Serialised in snake_case: `"months_quantieme"`, `"delai_franc"`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// N months "de quantième à quantième" after the start day (same day
    /// number, or the last day of a shorter month), then moved to the next
    /// working day if it is a Saturday, Sunday or public holiday.
    MonthsQuantieme,
    /// Délai franc of N months: neither the start day nor the last day
    /// counts, so the due date is one day after the quantième date; then
    /// moved to the next working day.
    DelaiFranc,
    /// N calendar days after the start day, then moved to the next working
    /// day.
    Days,
    /// Exactly N hours of real time after the notification time, computed
    /// in Europe/Paris (daylight saving time included), exact to the minute
    /// and never moved.
    Hours,
    /// An implicit decision is born when N months (quantième) of silence
    /// have elapsed; it is never moved to a working day.
    ImplicitDecision,
    /// N days before the expiry of the current document (day 0 is the last
    /// day of validity). Never moved: a deadline counted backwards is not
    /// extended by a holiday, and extending it would shorten the time left
    /// to the préfecture.
    DaysBeforeExpiry,
    /// N months (quantième) before the expiry of the current document,
    /// never moved, for the same reason.
    MonthsBeforeExpiry,
    /// The day before the Nth birthday (a 29 February birthday falls on
    /// 28 February in common years), never moved: moving it could carry
    /// it past the birthday.
    DayBeforeBirthday,
    /// A document is stale from the day it reaches N months of age
    /// (quantième); never moved.
    DocumentAge,
    /// A date copied from a document (last day of validity), never moved.
    StatedDate,
    /// The first day that no document proving lawful stay covers (permit,
    /// API, récépissé, visa, attestation de décision favorable), never moved.
    CoverageGap,
}

impl Counting {
    /// Whether dates computed this way move to the next working day.
    pub fn moves_to_working_day(self) -> bool {
        matches!(self, Self::MonthsQuantieme | Self::DelaiFranc | Self::Days)
    }
}

/// When something is due: a day, or an instant for deadlines in hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Due {
    /// Until the end of that day.
    Date(NaiveDate),
    /// Until that instant, expressed with the Europe/Paris offset.
    DateTime(DateTime<FixedOffset>),
}

impl Due {
    /// The calendar day (in Europe/Paris for an instant).
    pub fn date(&self) -> NaiveDate {
        match self {
            Self::Date(date) => *date,
            Self::DateTime(at) => super::calendar::paris_date(*at),
        }
    }

    /// The text form: `YYYY-MM-DD`, or RFC 3339 with the offset.
    pub fn to_text(&self) -> String {
        match self {
            Self::Date(date) => date.format("%Y-%m-%d").to_string(),
            Self::DateTime(at) => at.to_rfc3339_opts(SecondsFormat::Secs, false),
        }
    }

    /// Order on the time line: an instant on a day comes before the end of
    /// that day, which is when a whole-day deadline expires.
    fn sort_key(&self) -> (NaiveDate, u8, chrono::NaiveDateTime) {
        match self {
            // UTC instants order like local ones, and never overflow.
            Self::DateTime(at) => (self.date(), 0, at.naive_utc()),
            Self::Date(date) => (*date, 1, chrono::NaiveDateTime::MIN),
        }
    }
}

impl Serialize for Due {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

/// One computed deadline or alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// What this is; stable, the UI translates by id.
    pub id: DeadlineId,
    /// Deadline or alert.
    pub kind: Kind,
    /// When it is due. For an alert, the day the condition starts (or, for
    /// `renewal_window_open`, the day the window closes).
    pub due: Due,
    /// The date before the move to the next working day, only when moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<NaiveDate>,
    /// A short description of the rule, in English.
    pub rule: &'static str,
    /// The text (and article) the rule comes from.
    pub legal_basis: &'static str,
    /// How the date was counted.
    pub counting: Counting,
    /// True only for rules that DOMAIN.md marks \[V\] (read in a primary
    /// text). Unverified rules must be shown as "to be checked".
    pub verified: bool,
    /// The start event the date is counted from, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Due>,
    /// The path of the fact the date derives from, e.g.
    /// `decisions[1].notified_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What the item concerns when there can be several with the same id,
    /// e.g. the document id for `stale_document`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Caveats for the volunteer (in English; the UI may translate them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<&'static str>,
}

impl Deadline {
    /// The order of the output: by due time, then id, then source.
    pub fn chronological(a: &Self, b: &Self) -> Ordering {
        a.due
            .sort_key()
            .cmp(&b.due.sort_key())
            .then(a.id.cmp(&b.id))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.subject.cmp(&b.subject))
    }
}
