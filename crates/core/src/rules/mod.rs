//! The deadline engine: from the facts of one case to every deadline and
//! alert that follows from them, each with its rule, its legal basis, the
//! counting method used and whether the rule is verified.
//!
//! A volunteer must never miss a deadline, and must never be shown an
//! unverified rule as law. So the engine is small, pure and explicit:
//!
//! - **Pure.** [`compute`] is a function of [`Facts`]; "today" is one of the
//!   facts. No clock, no I/O, no catalog lookup. The same facts give the
//!   same output, byte for byte, which is what `sesame deadlines --facts`
//!   prints and what the tests pin.
//! - **Explicit counting.** Every [`Deadline`] names its [`Counting`]
//!   method, and every method is implemented once, in [`calendar`].
//! - **Honest.** `verified` is true only for rules that DOMAIN.md tags \[V\].
//!   Rules it tags \[S\], "unverified" or \[V\]/\[S\] are output with
//!   `verified: false`, and caveats go in `notes`.
//!
//! # Entry points
//!
//! - [`parse_facts`] reads the JSON facts (the input contract is documented
//!   on [`Facts`]); its errors ([`RulesError`]) name the field and the
//!   expected format, in French then English.
//! - [`compute`] returns the deadlines and alerts sorted by due date.
//!
//! # How dates are counted
//!
//! The rules come from DOMAIN.md §3, "Deadlines", and its counting rules.
//!
//! - **Months "de quantième à quantième"** ([`Counting::MonthsQuantieme`]):
//!   N months after 10 March is 10 May. When the target month has no such
//!   day, the deadline is its last day: 31 December + 2 months is
//!   28 February (29 in a leap year). See [`calendar::add_months_quantieme`].
//! - **Délai franc** ([`Counting::DelaiFranc`]): neither the day of the
//!   start event nor the last day counts, so the deadline is one day after
//!   the quantième date. A 2-month appeal against a decision notified on
//!   10 March can still be filed on 11 May. Used for court appeals
//!   (CJA R421-1).
//! - **Moved to the next working day**: a deadline counted forwards in
//!   days or months that falls on a Saturday, a Sunday or a French public
//!   holiday moves to the next working day (Code de procédure civile
//!   art. 642, applied by analogy). The holidays are 1 January, Easter
//!   Monday, 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July,
//!   15 August, 1 November, 11 November and 25 December; Alsace-Moselle
//!   (départements 57, 67, 68) adds Good Friday and 26 December. Easter is
//!   computed by the anonymous Gregorian algorithm ([`calendar::easter`]).
//!   The output keeps the original date in `moved_from`.
//! - **Hours** ([`Counting::Hours`]): the OQTF appeal periods of 48 hours
//!   (rétention) and 7 days (assigned to residence or detained) run from the
//!   notification *time*. They are counted on the real time line in
//!   Europe/Paris: 48 hours after Saturday 10:00 across the night when
//!   clocks go forward is Monday 11:00. They are never moved, and are
//!   output as RFC 3339 date-times with the Paris offset.
//! - **Implicit decisions** ([`Counting::ImplicitDecision`]): 4 months of
//!   silence after a complete filing (R432-1, R432-2) give birth to an
//!   implicit rejection on the quantième day; it is a fact, not a deadline
//!   to meet, so it is never moved.
//! - **Counted backwards** ([`Counting::DaysBeforeExpiry`],
//!   [`Counting::MonthsBeforeExpiry`], [`Counting::DayBeforeBirthday`]): the
//!   renewal window of R431-5 1° (day 120 to day 60 before expiry, day 0
//!   being the last day of validity) and the eve of the 19th birthday of
//!   R431-5 2°. These are not moved: art. 642 extends periods that run
//!   forwards, and extending these would shorten the préfecture's time or
//!   carry the date past the birthday. Not moving them is also the safe
//!   side.
//!
//! # Choices where DOMAIN.md is silent
//!
//! When the brief leaves room, the engine takes the reading that shows the
//! earlier date, and says so in `notes`:
//!
//! - Expiry is "day 0": the window of an ANEF permit expiring on 31 March
//!   runs from 1 December (day 120) to 30 January (day 60); a paper permit's
//!   "2 months before expiry" run from 31 January to 30 March.
//! - Unknown `on_anef`: the ANEF window is assumed (it closes earlier).
//! - The OQTF appeal of 1 month (L911-1) is counted without the extra day
//!   of a délai franc; the 7 days of L921-1 hour by hour, as DOMAIN.md says,
//!   although courts have also read them day by day or franc.
//! - The OQTF regime is chosen by `decided_on`, else by the notification date.
//! - `young_adult` is an explicit fact: the engine does not guess which
//!   paragraph of R431-5 applies from a birth date.
//! - A proof-of-stay gap is only claimed when the facts say something about
//!   the stay (a permit, an API, a récépissé, a visa or a filing).
//!
//! # Sources
//!
//! CESEDA R431-4, R431-5, R431-12, R431-15-1, R432-1, R432-2, L436-5,
//! L911-1, L921-1, L921-2; CJA R421-1; CE avis 6 May 2025 n° 499904 and
//! 10 Oct 2024 n° 494718; service-public.fr F15898 and F15763; Code de
//! procédure civile art. 642; Code du travail L3133-1 (public holidays).
//! The Franco-Algerian agreement of 27 December 1968 governs Algerian
//! nationals: the engine still shows the CESEDA stay rules for them, as a
//! prudent guide, but marks them unverified and says so in `notes`.

pub mod calendar;
mod decode;
mod deadline;
mod engine;
mod error;
mod facts;

pub(crate) use decode::parse_date;
pub use decode::{Known, facts_for_case, facts_from_value, parse_facts};
pub use deadline::{Counting, Deadline, DeadlineId, Due, Kind};
pub use engine::compute;
pub use error::{Expected, RulesError};
pub use facts::{
    Api, CurrentPermit, Decision, DecisionKind, Document, Facts, Filing, Moment, Recepisse, Regime,
    Request, Restriction, Visa, VisaKind, YoungAdult,
};

