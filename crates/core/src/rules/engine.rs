//! The rules themselves: from [`Facts`] to a sorted list of [`Deadline`]s.
//!
//! Each rule is a small function that reads the facts it needs, and pushes
//! nothing when they are absent. The texts of the rules (description, legal
//! basis, verified flag) are constants at the bottom of this file, so that
//! a reviewer can read every legal claim of the engine in one place.

use chrono::NaiveDate;

use super::calendar::{self, Department};
use super::deadline::{Counting, Deadline, DeadlineId, Due};
use super::facts::{DecisionKind, Facts, Moment, Regime, Request, Restriction, VisaKind};

/// Computes every deadline and alert that the facts support, sorted by due
/// date (an instant on a day comes before the end of that day), then by id.
///
/// Pure: the result depends only on `facts` (including `facts.today`).
/// Never panics, whatever the facts; a rule whose date would fall outside
/// chrono's range is left out.
pub fn compute(facts: &Facts) -> Vec<Deadline> {
    let mut engine = Engine {
        facts,
        department: facts.department.as_ref(),
        out: Vec::new(),
    };
    engine.first_request();
    engine.vlsts_validation();
    engine.young_adult_request();
    engine.renewal();
    engine.duplicate();
    engine.implicit_rejection();
    engine.decisions();
    engine.api();
    engine.proof_of_stay_gap();
    engine.stale_documents();
    let mut out = engine.out;
    out.sort_by(Deadline::chronological);
    out
}

/// The date the new OQTF regime of loi 2024-42 starts: decisions taken from
/// this day on follow L911-1, L921-1 and L921-2.
fn oqtf_reform_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 7, 15).unwrap_or(NaiveDate::MIN)
}

/// The text of one rule.
#[derive(Debug, Clone, Copy)]
struct Rule {
    rule: &'static str,
    legal_basis: &'static str,
    verified: bool,
    /// A rule about the right of stay, which the Franco-Algerian agreement
    /// may displace (as opposed to court procedure and document freshness).
    stay: bool,
}

struct Engine<'a> {
    facts: &'a Facts,
    department: Option<&'a Department>,
    out: Vec<Deadline>,
}

impl Engine<'_> {
    fn algerian(&self) -> bool {
        self.facts.regime() == Regime::AlgerianAgreement
    }

    /// Builds a whole-day item, moving it to the next working day when its
    /// counting says so, and applying the Algerian caveat to stay rules.
    fn dated(&self, id: DeadlineId, counting: Counting, raw: NaiveDate, rule: Rule) -> Deadline {
        let (due, moved_from) = if counting.moves_to_working_day() {
            let moved = calendar::next_working_day(raw, self.department);
            (moved, (moved != raw).then_some(raw))
        } else {
            (raw, None)
        };
        self.item(id, counting, Due::Date(due), moved_from, rule)
    }

    fn item(
        &self,
        id: DeadlineId,
        counting: Counting,
        due: Due,
        moved_from: Option<NaiveDate>,
        rule: Rule,
    ) -> Deadline {
        let algerian = rule.stay && self.algerian();
        Deadline {
            id,
            kind: id.kind(),
            due,
            moved_from,
            rule: rule.rule,
            legal_basis: rule.legal_basis,
            counting,
            verified: rule.verified && !algerian,
            start: None,
            source: None,
            subject: None,
            notes: if algerian { vec![NOTE_ALGERIAN] } else { Vec::new() },
        }
    }

    fn push(&mut self, deadline: Deadline, start: Option<Due>, source: Option<String>) {
        self.out.push(Deadline {
            start,
            source,
            ..deadline
        });
    }

    fn has_vls_ts(&self) -> bool {
        self.facts.visa.as_ref().is_some_and(|v| v.kind == Some(VisaKind::VlsTs))
    }

    /// R431-4: someone in France without a residence document requests a
    /// first permit within 2 months of entry. A holder of a document
    /// (including a VLS-TS) falls under R431-5 1° instead.
    fn first_request(&mut self) {
        let f = self.facts;
        let Some(entry) = f.entry_date else { return };
        let asked = matches!(f.request, Some(Request::First) | None);
        if !asked || f.current_permit.is_some() || self.has_vls_ts() {
            return;
        }
        let Some(raw) = calendar::add_months_quantieme(entry, 2) else { return };
        let d = self.dated(DeadlineId::FirstRequest, Counting::MonthsQuantieme, raw, FIRST_REQUEST);
        self.push(d, Some(Due::Date(entry)), Some("entry_date".into()));
    }

    /// F15898: a VLS-TS is validated online within 3 months of arrival.
    fn vlsts_validation(&mut self) {
        let f = self.facts;
        let Some(arrival) = f.entry_date else { return };
        if !(self.has_vls_ts() || f.request == Some(Request::VlstsValidation)) {
            return;
        }
        let Some(raw) = calendar::add_months_quantieme(arrival, 3) else { return };
        let d = self.dated(DeadlineId::VlstsValidation, Counting::MonthsQuantieme, raw, VLSTS_VALIDATION);
        self.push(d, Some(Due::Date(arrival)), Some("entry_date".into()));
    }

    /// R431-5 2° and 3°, chosen by `young_adult`.
    fn young_adult_request(&mut self) {
        let f = self.facts;
        let (Some(birth), Some(which)) = (f.birth_date, f.young_adult) else { return };
        let source = Some("birth_date".to_owned());
        match which {
            super::facts::YoungAdult::R431_5_2 => {
                let Some(birthday) = calendar::add_months_quantieme(birth, 19 * 12) else { return };
                let Some(eve) = birthday.pred_opt() else { return };
                let d = self.dated(
                    DeadlineId::YoungAdultRequest,
                    Counting::DayBeforeBirthday,
                    eve,
                    YOUNG_ADULT_2,
                );
                self.push(d, Some(Due::Date(birth)), source);
            }
            super::facts::YoungAdult::R431_5_3 => {
                // Two months "after the date of the 18th birthday": counted
                // from that birthday (28 February for someone born on
                // 29 February), not from the birth date.
                let Some(birthday) = calendar::add_months_quantieme(birth, 18 * 12) else { return };
                let Some(raw) = calendar::add_months_quantieme(birthday, 2) else { return };
                let d = self.dated(
                    DeadlineId::YoungAdultRequest,
                    Counting::MonthsQuantieme,
                    raw,
                    YOUNG_ADULT_3,
                );
                self.push(d, Some(Due::Date(birthday)), source);
            }
        }
    }

    /// The renewal window of R431-5 1°: when it opens and closes, whether
    /// it is open today, and the late-renewal fee of L436-5.
    fn renewal(&mut self) {
        let f = self.facts;
        let Some(permit) = &f.current_permit else { return };
        let Some(expiry) = permit.expires_on else { return };
        if permit.long_term_eu == Some(true) {
            // R431-5 last paragraph: the window does not apply.
            return;
        }
        let anef = permit.on_anef.unwrap_or(true);
        let window = if anef {
            calendar::add_days(expiry, -120).zip(calendar::add_days(expiry, -60)).map(|(o, c)| {
                (o, Counting::DaysBeforeExpiry, c, Counting::DaysBeforeExpiry)
            })
        } else {
            calendar::add_months_quantieme(expiry, -2)
                .zip(expiry.pred_opt())
                .map(|(o, c)| (o, Counting::MonthsBeforeExpiry, c, Counting::DaysBeforeExpiry))
        };
        let Some((opens, open_counting, closes, close_counting)) = window else { return };
        let (open_rule, close_rule) = match (self.algerian(), anef) {
            (false, true) => (WINDOW_OPENS_ANEF, WINDOW_CLOSES_ANEF),
            (false, false) => (WINDOW_OPENS_PAPER, WINDOW_CLOSES_PAPER),
            (true, _) => (WINDOW_OPENS_ALGERIAN, WINDOW_CLOSES_ALGERIAN),
        };
        let mut notes = Vec::new();
        if self.algerian() {
            notes.push(NOTE_ALGERIAN_WINDOW);
        }
        if permit.on_anef.is_none() {
            notes.push(NOTE_ANEF_ASSUMED);
        }
        let start = Some(Due::Date(expiry));
        let source = Some("current_permit.expires_on".to_owned());
        let with_notes = |mut d: Deadline| {
            d.notes = notes.clone();
            d
        };

        let d = with_notes(self.dated(DeadlineId::RenewalWindowOpens, open_counting, opens, open_rule));
        self.push(d, start, source.clone());
        let d = with_notes(self.dated(DeadlineId::RenewalWindowCloses, close_counting, closes, close_rule));
        self.push(d, start, source.clone());

        let filed = f.filing.as_ref().and_then(|x| x.filed_on).is_some_and(|on| on <= f.today);
        if !filed && opens <= f.today && f.today <= closes {
            let rule = Rule { rule: WINDOW_OPEN.rule, ..close_rule };
            let d = with_notes(self.dated(DeadlineId::RenewalWindowOpen, close_counting, closes, rule));
            self.push(d, start, source.clone());
        }

        let renewal = matches!(f.request, Some(Request::Renewal) | None);
        let Some(first_late_day) = closes.succ_opt() else { return };
        if renewal && f.reference_filing_date() >= first_late_day {
            let mut d = self.dated(DeadlineId::LateRenewalFee, close_counting, first_late_day, LATE_RENEWAL_FEE);
            if self.algerian() {
                d.notes.push(NOTE_ALGERIAN_WINDOW);
            }
            if permit.on_anef.is_none() {
                d.notes.push(NOTE_ANEF_ASSUMED);
            }
            self.push(d, start, source);
        }
    }

    /// A duplicate asked for a card that expires within 3 months: the
    /// préfectures ask for a renewal instead.
    fn duplicate(&mut self) {
        let f = self.facts;
        if f.request != Some(Request::Duplicate) {
            return;
        }
        let Some(expiry) = f.current_permit.as_ref().and_then(|p| p.expires_on) else { return };
        let Some(from) = calendar::add_months_quantieme(expiry, -3) else { return };
        if f.reference_filing_date() >= from {
            let d = self.dated(
                DeadlineId::DuplicateRenewInstead,
                Counting::MonthsBeforeExpiry,
                from,
                DUPLICATE_RENEW_INSTEAD,
            );
            self.push(d, Some(Due::Date(expiry)), Some("current_permit.expires_on".into()));
        }
    }

    /// R432-1, R432-2: 4 months of silence after a complete filing is an
    /// implicit rejection, then 2 months (délai franc) to go to court.
    fn implicit_rejection(&mut self) {
        let f = self.facts;
        let Some(filing) = &f.filing else { return };
        let (Some(filed), Some(true)) = (filing.filed_on, filing.complete) else { return };
        let Some(born) = calendar::add_months_quantieme(filed, 4) else { return };
        // An explicit decision notified before that day answers the request:
        // no implicit decision is born. An API or a récépissé does not stop
        // the clock (CE avis n° 499904).
        let answered = f.decisions.iter().any(|d| {
            matches!(d.kind, Some(DecisionKind::Refusal | DecisionKind::Favourable))
                && d.notified_at.is_some_and(|at| at.date() < born)
        });
        if answered {
            return;
        }
        let source = Some("filing.filed_on".to_owned());
        let d = self.dated(DeadlineId::ImplicitRejection, Counting::ImplicitDecision, born, IMPLICIT_REJECTION);
        self.push(d, Some(Due::Date(filed)), source.clone());

        let Some(raw) = calendar::delai_franc_months(born, 2) else { return };
        let mut d = self.dated(
            DeadlineId::AppealImplicitRejection,
            Counting::DelaiFranc,
            raw,
            APPEAL_IMPLICIT_REJECTION,
        );
        d.notes.push(NOTE_ASK_REASONS);
        d.notes.push(match filing.ack_mentions_appeal_routes {
            Some(true) => NOTE_ACK_OK,
            Some(false) => NOTE_ACK_WITHOUT_ROUTES,
            None => NOTE_ACK_UNKNOWN,
        });
        self.push(d, Some(Due::Date(born)), source);
    }

    /// Court appeals against notified decisions.
    fn decisions(&mut self) {
        let f = self.facts;
        for (i, decision) in f.decisions.iter().enumerate() {
            let Some(notified) = decision.notified_at else { continue };
            let source = Some(format!("decisions[{i}].notified_at"));
            match decision.kind {
                Some(DecisionKind::Refusal) => {
                    let date = notified.date();
                    let Some(raw) = calendar::delai_franc_months(date, 2) else { continue };
                    let mut d = self.dated(DeadlineId::AppealRefusal, Counting::DelaiFranc, raw, APPEAL_REFUSAL);
                    let with_oqtf = f.decisions.iter().any(|o| {
                        o.kind == Some(DecisionKind::Oqtf) && o.notified_at.is_some_and(|at| at.date() == date)
                    });
                    if with_oqtf {
                        d.notes.push(NOTE_REFUSAL_WITH_OQTF);
                    }
                    self.push(d, Some(Due::Date(date)), source);
                }
                Some(DecisionKind::Oqtf) => {
                    let restriction = decision.restriction.unwrap_or(Restriction::None);
                    let decided = decision.decided_on.unwrap_or_else(|| notified.date());
                    self.oqtf(notified, restriction, decided >= oqtf_reform_date(), source);
                }
                Some(DecisionKind::Favourable) | None => {}
            }
        }
    }

    fn oqtf(&mut self, notified: Moment, restriction: Restriction, new_regime: bool, source: Option<String>) {
        use Restriction::{Assigned, Detained, None as Free, Retention};
        let (hours, rule) = match (new_regime, restriction) {
            (true, Free) => return self.oqtf_days(notified, Counting::MonthsQuantieme, 1, OQTF_FREE, source),
            (false, Free) => return self.oqtf_days(notified, Counting::Days, 30, OQTF_OLD_FREE, source),
            (false, Assigned | Detained) => {
                return self.oqtf_days(notified, Counting::Days, 15, OQTF_OLD_RESTRICTED, source);
            }
            (true, Assigned | Detained) => (7 * 24, OQTF_RESTRICTED),
            (true, Retention) => (48, OQTF_RETENTION),
            (false, Retention) => (48, OQTF_OLD_RETENTION),
        };
        let mut notes = Vec::new();
        let start = match notified {
            Moment::DateTime(at) => at,
            Moment::Date(date) => {
                // Only reachable for facts built in Rust: parse_facts refuses
                // a bare date here. Midnight is the earliest possible time.
                notes.push(NOTE_TIME_UNKNOWN);
                let Some(midnight) = calendar::paris_midnight(date) else { return };
                midnight
            }
        };
        let Some(due) = calendar::add_hours_paris(start, hours) else { return };
        let mut d = self.item(DeadlineId::OqtfAppeal, Counting::Hours, Due::DateTime(due), None, rule);
        d.notes.extend(notes);
        if new_regime && restriction != Retention {
            d.notes.push(NOTE_SEVEN_DAYS);
        }
        if !new_regime {
            d.notes.push(NOTE_OLD_REGIME);
        }
        let start = calendar::add_hours_paris(start, 0).map(Due::DateTime);
        self.push(d, start, source);
    }

    fn oqtf_days(&mut self, notified: Moment, counting: Counting, n: i32, rule: Rule, source: Option<String>) {
        let date = notified.date();
        let raw = match counting {
            Counting::MonthsQuantieme => calendar::add_months_quantieme(date, n),
            _ => calendar::add_days(date, i64::from(n)),
        };
        let Some(raw) = raw else { return };
        let mut d = self.dated(DeadlineId::OqtfAppeal, counting, raw, rule);
        d.notes.push(if counting == Counting::Days { NOTE_OLD_REGIME } else { NOTE_NOT_FRANC });
        self.push(d, Some(Due::Date(date)), source);
    }

    /// The newest attestation de prolongation d'instruction: its expiry, and
    /// an alert when that is within 15 days.
    fn api(&mut self) {
        let f = self.facts;
        let newest = f
            .api
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.valid_until.map(|until| (i, a, until)))
            .max_by_key(|(i, _, until)| (*until, *i));
        let Some((i, api, until)) = newest else { return };
        let start = api.issued_on.map(Due::Date);
        let source = Some(format!("api[{i}].valid_until"));
        let d = self.dated(DeadlineId::ApiExpires, Counting::StatedDate, until, API_EXPIRES);
        self.push(d, start, source.clone());
        let soon = calendar::add_days(f.today, 15).is_some_and(|limit| f.today <= until && until <= limit);
        if soon {
            let d = self.dated(DeadlineId::ApiExpiringSoon, Counting::StatedDate, until, API_EXPIRING_SOON);
            self.push(d, start, source);
        }
    }

    /// Today nothing recorded proves lawful stay. The attestation de dépôt
    /// given at filing does not (R431-15-1), so a filing alone is no cover.
    fn proof_of_stay_gap(&mut self) {
        let f = self.facts;
        let knows_something = f.current_permit.is_some()
            || !f.api.is_empty()
            || !f.recepisse.is_empty()
            || f.visa.is_some()
            || f.filing.is_some();
        if !knows_something {
            return;
        }
        // Each cover is a range of days [from, until]; `None` means "since
        // before anything the facts say".
        let mut covers: Vec<(Option<NaiveDate>, NaiveDate)> = Vec::new();
        if let Some(until) = f.current_permit.as_ref().and_then(|p| p.expires_on) {
            covers.push((None, until));
        }
        for api in &f.api {
            if let Some(until) = api.valid_until {
                covers.push((api.issued_on, until));
            }
        }
        for r in &f.recepisse {
            if let Some(until) = r.valid_until {
                covers.push((r.valid_from, until));
            }
        }
        if let Some((visa, mut until)) = f.visa.as_ref().and_then(|v| v.valid_until.map(|u| (v, u))) {
            // A VLS-TS not validated within 3 months of arrival stops
            // proving lawful stay (F15898).
            let unvalidated = visa.kind == Some(VisaKind::VlsTs) && visa.validated_on.is_none();
            let limit = f.entry_date.and_then(|e| calendar::add_months_quantieme(e, 3));
            if let (true, Some(limit)) = (unvalidated, limit) {
                until = until.min(limit);
            }
            covers.push((None, until));
        }
        for d in &f.decisions {
            if let (Some(DecisionKind::Favourable), Some(at)) = (d.kind, d.notified_at) {
                covers.push((Some(at.date()), NaiveDate::MAX));
            }
        }
        let today = f.today;
        let covered = covers
            .iter()
            .any(|(from, until)| from.is_none_or(|from| from <= today) && today <= *until);
        if covered {
            return;
        }
        let first_gap_day = covers
            .iter()
            .filter(|(_, until)| *until < today)
            .filter_map(|(_, until)| until.succ_opt())
            .max()
            .unwrap_or(today);
        let d = self.dated(DeadlineId::ProofOfStayGap, Counting::CoverageGap, first_gap_day, PROOF_OF_STAY_GAP);
        self.push(d, None, None);
    }

    /// Documents older than their maximum age on the filing date.
    fn stale_documents(&mut self) {
        let f = self.facts;
        let reference = f.reference_filing_date();
        for (i, doc) in f.documents.iter().enumerate() {
            let (Some(issued), Some(months)) = (doc.issued_on, doc.max_age_months) else { continue };
            let Ok(months) = i32::try_from(months) else { continue };
            let Some(stale_from) = calendar::add_months_quantieme(issued, months) else { continue };
            if reference >= stale_from {
                let mut d = self.dated(DeadlineId::StaleDocument, Counting::DocumentAge, stale_from, STALE_DOCUMENT);
                d.subject = doc.id.clone();
                self.push(d, Some(Due::Date(issued)), Some(format!("documents[{i}].issued_on")));
            }
        }
    }
}

// The rules' texts. `verified` follows DOMAIN.md: [V] is true; [S],
// "unverified" or [V]/[S] is false.

const FIRST_REQUEST: Rule = Rule {
    rule: "Request a first residence permit within 2 months of entering France.",
    legal_basis: "CESEDA R431-4",
    verified: true,
    stay: true,
};
const VLSTS_VALIDATION: Rule = Rule {
    rule: "Validate the VLS-TS (long-stay visa valid as a residence permit) online within 3 months of arrival.",
    legal_basis: "service-public.fr F15898",
    verified: true,
    stay: true,
};
const YOUNG_ADULT_2: Rule = Rule {
    rule: "Request the permit at the latest the day before the 19th birthday.",
    legal_basis: "CESEDA R431-5 2°",
    verified: true,
    stay: true,
};
const YOUNG_ADULT_3: Rule = Rule {
    rule: "Request a residence permit at the latest 2 months after the 18th birthday.",
    legal_basis: "CESEDA R431-5 3°",
    verified: true,
    stay: true,
};
const WINDOW_OPENS_ANEF: Rule = Rule {
    rule: "The renewal or change-of-status window opens on day 120 before the current document expires (permit on the ANEF list).",
    legal_basis: "CESEDA R431-5 1° (décret 2021-313)",
    verified: true,
    stay: true,
};
const WINDOW_CLOSES_ANEF: Rule = Rule {
    rule: "The renewal or change-of-status window closes on day 60 before the current document expires (permit on the ANEF list).",
    legal_basis: "CESEDA R431-5 1° (décret 2021-313)",
    verified: true,
    stay: true,
};
const WINDOW_OPENS_PAPER: Rule = Rule {
    rule: "The renewal or change-of-status window opens 2 months before the current document expires (permit not on the ANEF list).",
    legal_basis: "CESEDA R431-5 1°",
    verified: true,
    stay: true,
};
const WINDOW_CLOSES_PAPER: Rule = Rule {
    rule: "The renewal or change-of-status window closes the day before the current document expires (permit not on the ANEF list).",
    legal_basis: "CESEDA R431-5 1°",
    verified: true,
    stay: true,
};
const WINDOW_OPENS_ALGERIAN: Rule = Rule {
    rule: "Certificat de résidence (Algerian national): prudent renewal window opens, modelled on CESEDA R431-5 1°.",
    legal_basis: "Accord franco-algérien du 27 décembre 1968; CESEDA R431-5 1° by analogy (unverified)",
    verified: false,
    stay: true,
};
const WINDOW_CLOSES_ALGERIAN: Rule = Rule {
    rule: "Certificat de résidence (Algerian national): prudent renewal window closes, modelled on CESEDA R431-5 1°.",
    legal_basis: "Accord franco-algérien du 27 décembre 1968; CESEDA R431-5 1° by analogy (unverified)",
    verified: false,
    stay: true,
};
/// Only the description is used: the basis and flag are those of the
/// window's closing rule in force for the case.
const WINDOW_OPEN: Rule = Rule {
    rule: "The renewal window is open today and nothing is filed yet: file before it closes.",
    legal_basis: "CESEDA R431-5 1°",
    verified: true,
    stay: true,
};
const LATE_RENEWAL_FEE: Rule = Rule {
    rule: "A renewal filed after the R431-5 window costs a 180 euro droit de visa de régularisation, unless force majeure or a valid visa.",
    legal_basis: "CESEDA L436-5",
    verified: true,
    stay: true,
};
const DUPLICATE_RENEW_INSTEAD: Rule = Rule {
    rule: "The card expires within 3 months: apply for its renewal instead of a duplicate.",
    legal_basis: "Préfecture guidance on duplicates (DOMAIN.md §4)",
    verified: true,
    stay: false,
};
const IMPLICIT_REJECTION: Rule = Rule {
    rule: "Four months of silence after a complete filing give birth to an implicit rejection; an API or a récépissé does not stop this clock.",
    legal_basis: "CESEDA R432-1, R432-2; CE avis 6 May 2025 n° 499904",
    verified: true,
    stay: true,
};
const APPEAL_IMPLICIT_REJECTION: Rule = Rule {
    rule: "Court appeal (recours contentieux) against the implicit rejection: 2 months, délai franc, from the day it is born.",
    legal_basis: "CJA R421-1, R421-2 (unverified here)",
    verified: false,
    stay: false,
};
const APPEAL_REFUSAL: Rule = Rule {
    rule: "Court appeal (recours contentieux) against the refusal: 2 months, délai franc, from notification.",
    legal_basis: "CJA R421-1 (unverified here)",
    verified: false,
    stay: false,
};
const OQTF_FREE: Rule = Rule {
    rule: "Appeal against the OQTF within 1 month of notification (person free); ask for legal aid at the latest when filing.",
    legal_basis: "CESEDA L911-1",
    verified: true,
    stay: false,
};
const OQTF_RESTRICTED: Rule = Rule {
    rule: "Appeal against the OQTF within 7 days of the notification time (assigned to residence or detained), counted hour by hour.",
    legal_basis: "CESEDA L921-1; CAA Lyon 19 Dec 2024 n° 24LY03013",
    verified: false,
    stay: false,
};
const OQTF_RETENTION: Rule = Rule {
    rule: "Appeal against the OQTF within 48 hours of the notification time (rétention).",
    legal_basis: "CESEDA L921-2",
    verified: true,
    stay: false,
};
const OQTF_OLD_FREE: Rule = Rule {
    rule: "OQTF decided before 15 July 2024, person free: appeal within 30 days of notification (old regime).",
    legal_basis: "CESEDA before loi 2024-42 (old regime, secondary source)",
    verified: false,
    stay: false,
};
const OQTF_OLD_RESTRICTED: Rule = Rule {
    rule: "OQTF decided before 15 July 2024, assigned to residence or detained: appeal within 15 days of notification (old regime).",
    legal_basis: "CESEDA before loi 2024-42 (old regime, secondary source)",
    verified: false,
    stay: false,
};
const OQTF_OLD_RETENTION: Rule = Rule {
    rule: "OQTF decided before 15 July 2024, rétention: appeal within 48 hours of the notification time (old regime).",
    legal_basis: "CESEDA before loi 2024-42 (old regime, secondary source)",
    verified: false,
    stay: false,
};
const API_EXPIRES: Rule = Rule {
    rule: "The newest attestation de prolongation d'instruction (API) expires; with the expired card it proves lawful stay until then.",
    legal_basis: "CESEDA R431-15-1",
    verified: true,
    stay: true,
};
const API_EXPIRING_SOON: Rule = Rule {
    rule: "The newest API expires within 15 days and no newer one is recorded: ask the préfecture to renew it.",
    legal_basis: "CESEDA R431-15-1",
    verified: true,
    stay: true,
};
const PROOF_OF_STAY_GAP: Rule = Rule {
    rule: "Nothing recorded proves lawful stay today (valid permit, API with the expired card, récépissé, visa, attestation de décision favorable); the attestation de dépôt does not.",
    legal_basis: "CESEDA R431-15-1, R431-12",
    verified: true,
    stay: true,
};
const STALE_DOCUMENT: Rule = Rule {
    rule: "The document is too old on the filing date: get a more recent one.",
    legal_basis: "CESEDA R431-10, R431-11, annexe 10",
    verified: true,
    stay: false,
};

const NOTE_ALGERIAN: &str = "Algerian national: the Franco-Algerian agreement of 27 December 1968 governs stay; whether this CESEDA rule applies is unverified.";
const NOTE_ALGERIAN_WINDOW: &str = "Algerian national: the CESEDA R431-5 window does not apply as such; this window is a prudent guide, to be checked with the préfecture.";
const NOTE_ANEF_ASSUMED: &str = "Whether the permit is on the ANEF list is not recorded: the ANEF window (day 120 to day 60) is assumed, as its deadline is the earlier one.";
const NOTE_ASK_REASONS: &str = "The reasons of the implicit decision can be asked within the appeal period; the préfecture answers within 1 month and the appeal period then runs until 2 months after the reasons are sent (CRPA L232-4, secondary source).";
const NOTE_ACK_OK: &str = "The acknowledgment of receipt mentioned the appeal routes.";
const NOTE_ACK_WITHOUT_ROUTES: &str = "The acknowledgment of receipt did not mention the appeal routes: this period may not be enforceable against the applicant; the date is shown as the prudent target.";
const NOTE_ACK_UNKNOWN: &str = "Check whether the acknowledgment of receipt mentioned the appeal routes.";
const NOTE_REFUSAL_WITH_OQTF: &str = "An OQTF was notified the same day: a refusal notified with an OQTF is challenged together with it, within the OQTF's deadline (see oqtf_appeal).";
const NOTE_NOT_FRANC: &str = "Counted without the extra day of a délai franc: the prudent reading. If this day has passed, check with a lawyer whether the following day is still open.";
const NOTE_SEVEN_DAYS: &str = "Courts differ on this count (day by day, or délai franc: CAA Toulouse 3 July 2025 n° 24TL02643); hour by hour is the earliest reading.";
const NOTE_OLD_REGIME: &str = "Old regime from a secondary source: check the appeal routes and period stated on the notification.";
const NOTE_TIME_UNKNOWN: &str = "The notification time is unknown: counted from midnight, the earliest possible time.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::facts::Decision;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    /// Facts built in Rust can hold a bare date for an hour-based OQTF,
    /// which parse_facts refuses: the engine counts from midnight, the
    /// earliest possible time, and says so.
    #[test]
    fn hour_based_oqtf_without_time_counts_from_midnight() {
        let mut facts = Facts::new(day(2026, 3, 28));
        facts.decisions.push(Decision {
            kind: Some(DecisionKind::Oqtf),
            notified_at: Some(Moment::Date(day(2026, 3, 28))),
            decided_on: None,
            restriction: Some(Restriction::Retention),
        });
        let out = compute(&facts);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].due.to_text(), "2026-03-30T01:00:00+02:00");
        assert!(out[0].notes.contains(&NOTE_TIME_UNKNOWN));
    }

    /// An instant comes before a whole-day deadline of the same day, which
    /// runs until midnight.
    #[test]
    fn instants_sort_before_whole_days() {
        let mut facts = Facts::new(day(2026, 3, 8));
        facts.decisions.push(Decision {
            kind: Some(DecisionKind::Refusal),
            notified_at: Some(Moment::Date(day(2026, 1, 8))),
            decided_on: None,
            restriction: None,
        });
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-08T10:00:00+01:00").expect("instant");
        facts.decisions.push(Decision {
            kind: Some(DecisionKind::Oqtf),
            notified_at: Some(Moment::DateTime(at)),
            decided_on: None,
            restriction: Some(Restriction::Retention),
        });
        let out = compute(&facts);
        let ids: Vec<_> = out.iter().map(|d| (d.id, d.due.to_text())).collect();
        // 8 Jan + 2 months = 8 March, franc 9 March (Monday); the OQTF ends
        // on 10 March at 10:00.
        assert_eq!(
            ids,
            [
                (DeadlineId::AppealRefusal, "2026-03-09".to_owned()),
                (DeadlineId::OqtfAppeal, "2026-03-10T10:00:00+01:00".to_owned()),
            ]
        );
        let same_day = Deadline {
            due: Due::Date(day(2026, 3, 10)),
            ..out[0].clone()
        };
        assert_eq!(Deadline::chronological(&out[1], &same_day), std::cmp::Ordering::Less);
    }

    #[test]
    fn algerian_stay_rules_are_unverified_but_court_rules_are_not_touched() {
        let mut facts = Facts::new(day(2026, 9, 2));
        facts.regime = Some(Regime::AlgerianAgreement);
        facts.entry_date = Some(day(2026, 9, 1));
        facts.decisions.push(Decision {
            kind: Some(DecisionKind::Oqtf),
            notified_at: Some(Moment::Date(day(2026, 9, 1))),
            decided_on: None,
            restriction: None,
        });
        let out = compute(&facts);
        let first = out.iter().find(|d| d.id == DeadlineId::FirstRequest).expect("first_request");
        assert!(!first.verified && first.notes.contains(&NOTE_ALGERIAN));
        let oqtf = out.iter().find(|d| d.id == DeadlineId::OqtfAppeal).expect("oqtf_appeal");
        assert!(oqtf.verified && !oqtf.notes.contains(&NOTE_ALGERIAN));
    }
}
