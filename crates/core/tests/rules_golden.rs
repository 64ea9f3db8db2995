//! Golden tests of the deadline engine: one table per rule of DOMAIN.md §3,
//! each row citing the line of DOMAIN.md it checks.
//!
//! Every expected date was computed by hand and checked with GNU `date`
//! (`date -d "2026-09-01 +2 months" +"%F %a"`, and
//! `TZ=Europe/Paris date -d "2026-03-28T10:00:00+01:00 +48 hours"` for
//! hour-based deadlines) and `ncal -e` for Easter (5 April 2026,
//! 28 March 2027). GNU `date` does not clamp months, so for the 31st and
//! 29 February the clamped day was written down by hand and its weekday
//! checked with `date`.
//!
//! The tests read the JSON output, as `sesame deadlines` prints it, so they
//! pin the output contract as well as the dates.

use serde_json::Value;
use sesame_core::rules::{compute, parse_facts};

/// One expected item of the output.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// Facts, as JSON.
    facts: &'static str,
    /// The id expected (exactly once).
    id: &'static str,
    /// `due` as printed.
    due: &'static str,
    /// `moved_from`, when the date was moved to a working day.
    moved_from: Option<&'static str>,
    /// `counting` as printed.
    counting: &'static str,
    /// `verified` as printed.
    verified: bool,
}

/// Parses and computes; panics with the French/English message on bad facts.
fn run(facts: &str) -> Vec<Value> {
    let facts = parse_facts(facts).unwrap_or_else(|e| panic!("facts rejected: {e}\n{facts}"));
    let out = serde_json::to_value(compute(&facts)).expect("serialisable");
    match out {
        Value::Array(items) => items,
        other => panic!("not an array: {other}"),
    }
}

fn with_id<'a>(out: &'a [Value], id: &str) -> Vec<&'a Value> {
    out.iter().filter(|d| d["id"] == id).collect()
}

fn check(rows: &[Row]) {
    for row in rows {
        let out = run(row.facts);
        let found = with_id(&out, row.id);
        assert_eq!(found.len(), 1, "expected one `{}` in {out:#?}\nfacts: {}", row.id, row.facts);
        let d = found[0];
        let context = format!("{d:#}\nfacts: {}", row.facts);
        assert_eq!(d["due"], row.due, "due of {context}");
        match row.moved_from {
            Some(from) => assert_eq!(d["moved_from"], from, "moved_from of {context}"),
            None => assert!(d.get("moved_from").is_none(), "unexpected moved_from in {context}"),
        }
        assert_eq!(d["counting"], row.counting, "counting of {context}");
        assert_eq!(d["verified"], row.verified, "verified of {context}");
        for field in ["rule", "legal_basis"] {
            assert!(d[field].as_str().is_some_and(|s| !s.is_empty()), "{field} of {context}");
        }
    }
}

fn absent(facts: &str, id: &str) {
    let out = run(facts);
    assert!(with_id(&out, id).is_empty(), "unexpected `{id}` in {out:#?}\nfacts: {facts}");
}

#[test]
fn first_request() {
    check(&[
        // DOMAIN.md §3 "First request, already in France | within 2 months | entry into France | R431-4 [V]".
        // 1 November 2026 is a Sunday and Toussaint: moved to Monday 2 November.
        Row {
            facts: r#"{"today":"2026-09-15","entry_date":"2026-09-01"}"#,
            id: "first_request",
            due: "2026-11-02",
            moved_from: Some("2026-11-01"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line; counting rule "Months run de quantième à quantième; when the target month has
        // no such day, the deadline is the last day of that month": 31 Dec + 2 months = 28 Feb 2027,
        // a Sunday, moved to Monday 1 March.
        Row {
            facts: r#"{"today":"2027-01-05","entry_date":"2026-12-31","request":"first"}"#,
            id: "first_request",
            due: "2027-03-01",
            moved_from: Some("2027-02-28"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line; "A deadline falling on a Saturday, Sunday or French public holiday moves to
        // the next working day": Sunday 31 Oct 2027, then Monday 1 Nov (Toussaint) -> Tuesday 2 Nov.
        Row {
            facts: r#"{"today":"2027-09-01","entry_date":"2027-08-31"}"#,
            id: "first_request",
            due: "2027-11-02",
            moved_from: Some("2027-10-31"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line; Saturday-then-holiday chain: Sat 23 May 2026, Sun 24, Whit Monday 25 -> Tue 26.
        Row {
            facts: r#"{"today":"2026-03-23","entry_date":"2026-03-23"}"#,
            id: "first_request",
            due: "2026-05-26",
            moved_from: Some("2026-05-23"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line; "Easter is computed, not listed": 6 April 2026 is Easter Monday -> Tue 7 April.
        Row {
            facts: r#"{"today":"2026-02-06","entry_date":"2026-02-06"}"#,
            id: "first_request",
            due: "2026-04-07",
            moved_from: Some("2026-04-06"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line; "Alsace-Moselle adds Good Friday and 26 Dec": Good Friday 3 April 2026 is a
        // working day in Paris (75) ...
        Row {
            facts: r#"{"today":"2026-02-03","department":"75","entry_date":"2026-02-03"}"#,
            id: "first_request",
            due: "2026-04-03",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // ... but not in Moselle (57): Good Friday, Saturday, Sunday, Easter Monday -> Tue 7 April.
        Row {
            facts: r#"{"today":"2026-02-03","department":"57","entry_date":"2026-02-03"}"#,
            id: "first_request",
            due: "2026-04-07",
            moved_from: Some("2026-04-03"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same rule; 26 December 2025 (a Friday) is a holiday in Haut-Rhin (68): -> Mon 29 Dec ...
        Row {
            facts: r#"{"today":"2025-10-26","department":"68","entry_date":"2025-10-26"}"#,
            id: "first_request",
            due: "2025-12-29",
            moved_from: Some("2025-12-26"),
            counting: "months_quantieme",
            verified: true,
        },
        // ... and a working day in Corsica (2A).
        Row {
            facts: r#"{"today":"2025-10-26","department":"2A","entry_date":"2025-10-26"}"#,
            id: "first_request",
            due: "2025-12-26",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // §2 "Algerian nationals fall under the Franco-Algerian agreement … a distinct regime": the
        // CESEDA rule is still shown but unverified.
        Row {
            facts: r#"{"today":"2026-09-15","regime":"algerian_agreement","entry_date":"2026-09-01"}"#,
            id: "first_request",
            due: "2026-11-02",
            moved_from: Some("2026-11-01"),
            counting: "months_quantieme",
            verified: false,
        },
    ]);
    // A holder of a residence document falls under R431-5 1°, not R431-4; so does a VLS-TS holder.
    absent(
        r#"{"today":"2026-09-15","entry_date":"2026-09-01","current_permit":{"expires_on":"2027-08-31"}}"#,
        "first_request",
    );
    absent(r#"{"today":"2026-09-15","entry_date":"2026-09-01","visa":{"kind":"vls_ts"}}"#, "first_request");
    absent(r#"{"today":"2026-09-15","entry_date":"2026-09-01","request":"renewal"}"#, "first_request");
}

#[test]
fn vlsts_validation() {
    check(&[
        // DOMAIN.md §2 and §3 "VLS-TS validation | within 3 months | arrival | F15898 [V]".
        Row {
            facts: r#"{"today":"2026-09-02","entry_date":"2026-09-01","visa":{"kind":"vls_ts"}}"#,
            id: "vlsts_validation",
            due: "2026-12-01",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // Same line, with the clamp: 30 Nov + 3 months = 28 Feb 2027 (Sunday) -> Mon 1 March.
        Row {
            facts: r#"{"today":"2026-12-01","entry_date":"2026-11-30","request":"vlsts_validation"}"#,
            id: "vlsts_validation",
            due: "2027-03-01",
            moved_from: Some("2027-02-28"),
            counting: "months_quantieme",
            verified: true,
        },
    ]);
}

#[test]
fn young_adult_request() {
    check(&[
        // DOMAIN.md §3 "Young people listed in R431-5 2° | at the latest the day before the 19th
        // birthday | birth date | R431-5 2° [V]". Born 29 Feb 2008: the 19th birthday falls on
        // 28 Feb 2027 (quantième, clamped), so the eve is Saturday 27 Feb — not moved, because a
        // moved date would fall on or after the birthday.
        Row {
            facts: r#"{"today":"2026-11-28","birth_date":"2008-02-29","young_adult":"r431_5_2"}"#,
            id: "young_adult_request",
            due: "2027-02-27",
            moved_from: None,
            counting: "day_before_birthday",
            verified: true,
        },
        // Same line, the 31st: born 31 Dec 2008, eve of the 19th birthday is 30 Dec 2027.
        Row {
            facts: r#"{"today":"2026-11-28","birth_date":"2008-12-31","young_adult":"r431_5_2"}"#,
            id: "young_adult_request",
            due: "2027-12-30",
            moved_from: None,
            counting: "day_before_birthday",
            verified: true,
        },
        // DOMAIN.md §3 "Other young people | within 2 months after the 18th birthday | birth date |
        // R431-5 3° [V]". Born 29 Feb 2008: 18th birthday 28 Feb 2026, + 2 months = Tue 28 April.
        Row {
            facts: r#"{"today":"2026-01-10","birth_date":"2008-02-29","young_adult":"r431_5_3"}"#,
            id: "young_adult_request",
            due: "2026-04-28",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // Same line: born 31 Dec 2008, 18th birthday 31 Dec 2026, + 2 months = 28 Feb 2027 (Sunday)
        // -> Mon 1 March.
        Row {
            facts: r#"{"today":"2026-11-28","birth_date":"2008-12-31","young_adult":"r431_5_3"}"#,
            id: "young_adult_request",
            due: "2027-03-01",
            moved_from: Some("2027-02-28"),
            counting: "months_quantieme",
            verified: true,
        },
    ]);
    // The paragraph is not guessed from the birth date alone.
    absent(r#"{"today":"2026-11-28","birth_date":"2008-12-31"}"#, "young_adult_request");
}

const ANEF_PERMIT: &str = r#""current_permit":{"expires_on":"2027-03-31","on_anef":true}"#;

fn with_permit(rest: &str) -> String {
    format!("{{{ANEF_PERMIT},{rest}}}")
}

#[test]
fn renewal_window() {
    check(&[
        // DOMAIN.md §3 "Renewal / change of status, permit on the ANEF list | window from day 120 to
        // day 60 before expiry | expiry of current document | R431-5 1° (décret 2021-313) [V]".
        // 31 March 2027 - 120 days = 1 Dec 2026.
        Row {
            facts: r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-03-31","on_anef":true}}"#,
            id: "renewal_window_opens",
            due: "2026-12-01",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        },
        // Same line: 31 March 2027 - 60 days = Saturday 30 Jan 2027, not moved (counted backwards).
        Row {
            facts: r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-03-31","on_anef":true}}"#,
            id: "renewal_window_closes",
            due: "2027-01-30",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        },
        // DOMAIN.md §3 "Same, permit not on the ANEF list | during the 2 months before expiry |
        // expiry | R431-5 1° [V]": from 31 Jan to 30 March 2027.
        Row {
            facts: r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-03-31","on_anef":false}}"#,
            id: "renewal_window_opens",
            due: "2027-01-31",
            moved_from: None,
            counting: "months_before_expiry",
            verified: true,
        },
        Row {
            facts: r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-03-31","on_anef":false}}"#,
            id: "renewal_window_closes",
            due: "2027-03-30",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        },
        // Same line with the clamp: 30 April 2027 - 2 months = 28 Feb 2027.
        Row {
            facts: r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-04-30","on_anef":false}}"#,
            id: "renewal_window_opens",
            due: "2027-02-28",
            moved_from: None,
            counting: "months_before_expiry",
            verified: true,
        },
        // §2 "Algerian nationals … many CESEDA rules do not apply": the window is a prudent guide,
        // unverified.
        Row {
            facts: r#"{"today":"2026-11-28","regime":"algerian_agreement","current_permit":{"expires_on":"2027-03-31"}}"#,
            id: "renewal_window_closes",
            due: "2027-01-30",
            moved_from: None,
            counting: "days_before_expiry",
            verified: false,
        },
    ]);
    // DOMAIN.md §3 "Exception | the window of 1° does not apply to résident longue durée-UE".
    let ltr = r#"{"today":"2026-11-28","current_permit":{"expires_on":"2027-03-31","long_term_eu":true}}"#;
    absent(ltr, "renewal_window_opens");
    absent(ltr, "renewal_window_closes");
    absent(ltr, "late_renewal_fee");

    let out = run(r#"{"today":"2026-11-28","regime":"algerian_agreement","current_permit":{"expires_on":"2027-03-31"}}"#);
    let close = with_id(&out, "renewal_window_closes")[0];
    assert!(close["legal_basis"].as_str().is_some_and(|b| b.contains("franco-algérien")), "{close:#}");
    assert!(close["notes"].to_string().contains("Algerian"), "{close:#}");
}

#[test]
fn renewal_window_open_alert() {
    // Alert "renewal_window_open": today inside [1 Dec 2026, 30 Jan 2027], nothing filed; due is the
    // closing day. Boundaries included.
    for today in ["2026-12-01", "2026-12-15", "2027-01-30"] {
        check(&[Row {
            facts: Box::leak(with_permit(&format!(r#""today":"{today}""#)).into_boxed_str()),
            id: "renewal_window_open",
            due: "2027-01-30",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        }]);
    }
    absent(&with_permit(r#""today":"2026-11-30""#), "renewal_window_open");
    absent(&with_permit(r#""today":"2027-01-31""#), "renewal_window_open");
    absent(&with_permit(r#""today":"2026-12-15","filing":{"filed_on":"2026-12-10"}"#), "renewal_window_open");
}

#[test]
fn late_renewal_fee() {
    check(&[
        // DOMAIN.md §3 "Late renewal | €180 droit de visa de régularisation unless force majeure or
        // valid visa | filing after the window | L436-5 [V]": the window closes Sat 30 Jan 2027, so a
        // filing from Sun 31 Jan is late.
        Row {
            facts: Box::leak(
                with_permit(r#""today":"2027-02-01","request":"renewal","filing":{"filed_on":"2027-01-31"}"#)
                    .into_boxed_str(),
            ),
            id: "late_renewal_fee",
            due: "2027-01-31",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        },
        // Same line: not yet filed, planned after the window.
        Row {
            facts: Box::leak(with_permit(r#""today":"2026-12-20","planned_filing_on":"2027-02-15""#).into_boxed_str()),
            id: "late_renewal_fee",
            due: "2027-01-31",
            moved_from: None,
            counting: "days_before_expiry",
            verified: true,
        },
    ]);
    absent(
        &with_permit(r#""today":"2027-02-01","request":"renewal","filing":{"filed_on":"2027-01-30"}"#),
        "late_renewal_fee",
    );
    absent(&with_permit(r#""today":"2027-02-01","request":"duplicate""#), "late_renewal_fee");
}

#[test]
fn implicit_rejection() {
    check(&[
        // DOMAIN.md §3 "Implicit rejection | silence for 4 months = rejection | filing of a complete
        // dossier | R432-1, R432-2 [V]" and the brief: born when the period elapses, never moved.
        // 31 Oct 2026 + 4 months = 28 Feb 2027 (clamped), a Sunday, not moved.
        Row {
            facts: r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31","complete":true}}"#,
            id: "implicit_rejection",
            due: "2027-02-28",
            moved_from: None,
            counting: "implicit_decision",
            verified: true,
        },
        // Same line: born on a public holiday (Wed 11 Nov 2026), not moved.
        Row {
            facts: r#"{"today":"2026-08-01","filing":{"filed_on":"2026-07-11","complete":true}}"#,
            id: "implicit_rejection",
            due: "2026-11-11",
            moved_from: None,
            counting: "implicit_decision",
            verified: true,
        },
        // Same line, 29 February: 29 Feb 2028 + 4 months = Thu 29 June 2028.
        Row {
            facts: r#"{"today":"2028-03-01","filing":{"filed_on":"2028-02-29","complete":true}}"#,
            id: "implicit_rejection",
            due: "2028-06-29",
            moved_from: None,
            counting: "implicit_decision",
            verified: true,
        },
        // DOMAIN.md §3 "Court appeal (recours contentieux) | 2 months, délai franc | notification |
        // CJA R421-1 [unverified here]" applied from the birth of the implicit decision:
        // 28 Feb 2027 + 2 months = 28 April, franc -> Thu 29 April 2027.
        Row {
            facts: r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31","complete":true,"ack_mentions_appeal_routes":true}}"#,
            id: "appeal_implicit_rejection",
            due: "2027-04-29",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // Same: 11 Nov 2026 + 2 months = 11 Jan 2027, franc -> Tue 12 Jan.
        Row {
            facts: r#"{"today":"2026-08-01","filing":{"filed_on":"2026-07-11","complete":true}}"#,
            id: "appeal_implicit_rejection",
            due: "2027-01-12",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
    ]);
    // DOMAIN.md §3 "Incomplete dossier | silence = implicit refusal to register, not challengeable".
    absent(r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31","complete":false}}"#, "implicit_rejection");
    absent(r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31"}}"#, "appeal_implicit_rejection");
    // An explicit refusal before the 4 months answers the request.
    absent(
        r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31","complete":true},
            "decisions":[{"kind":"refusal","notified_at":"2027-01-27"}]}"#,
        "implicit_rejection",
    );
    // DOMAIN.md §3 "API / récépissé do not stop that clock | CE n° 499904 [V]".
    check(&[Row {
        facts: r#"{"today":"2026-11-28","filing":{"filed_on":"2026-10-31","complete":true},
            "api":[{"issued_on":"2026-11-02","valid_until":"2027-01-31"}],
            "recepisse":[{"valid_from":"2026-11-02","valid_until":"2027-02-01"}]}"#,
        id: "implicit_rejection",
        due: "2027-02-28",
        moved_from: None,
        counting: "implicit_decision",
        verified: true,
    }]);
}

#[test]
fn appeal_refusal() {
    check(&[
        // DOMAIN.md §3 counting rules: "Délai franc: neither the day of the start event nor the last
        // day counts (so a 2-month appeal from a notification on 10 March can still be filed on
        // 11 May)". In 2027 10 May is a Monday, so 11 May comes from the franc day alone.
        Row {
            facts: r#"{"today":"2027-03-10","decisions":[{"kind":"refusal","notified_at":"2027-03-10"}]}"#,
            id: "appeal_refusal",
            due: "2027-05-11",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // Same example in 2026 (10 May is a Sunday; the franc day 11 May is a Monday).
        Row {
            facts: r#"{"today":"2026-03-10","decisions":[{"kind":"refusal","notified_at":"2026-03-10"}]}"#,
            id: "appeal_refusal",
            due: "2026-05-11",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // DOMAIN.md §3 "Court appeal … 2 months, délai franc … CJA R421-1 [unverified here]", the
        // 31st: 31 Dec 2026 + 2 months = 28 Feb 2027, franc -> Mon 1 March.
        Row {
            facts: r#"{"today":"2027-01-02","decisions":[{"kind":"refusal","notified_at":"2026-12-31"}]}"#,
            id: "appeal_refusal",
            due: "2027-03-01",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // Same, 29 February: 29 Dec 2027 + 2 months = 29 Feb 2028, franc -> Wed 1 March 2028.
        Row {
            facts: r#"{"today":"2028-01-02","decisions":[{"kind":"refusal","notified_at":"2027-12-29"}]}"#,
            id: "appeal_refusal",
            due: "2028-03-01",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // Same, franc day on Easter Monday: 5 Feb 2026 + 2 months = Sun 5 April (Easter), franc ->
        // Mon 6 April (Easter Monday) -> Tue 7 April.
        Row {
            facts: r#"{"today":"2026-02-06","decisions":[{"kind":"refusal","notified_at":"2026-02-05"}]}"#,
            id: "appeal_refusal",
            due: "2026-04-07",
            moved_from: Some("2026-04-06"),
            counting: "delai_franc",
            verified: false,
        },
        // The brief's example: 27 Jan 2027 + 2 months = Sat 27 March, franc -> Sun 28 March (Easter
        // 2027), Mon 29 (Easter Monday) -> Tue 30 March.
        Row {
            facts: r#"{"today":"2027-01-28","decisions":[{"kind":"refusal","notified_at":"2027-01-27"}]}"#,
            id: "appeal_refusal",
            due: "2027-03-30",
            moved_from: Some("2027-03-28"),
            counting: "delai_franc",
            verified: false,
        },
        // Good Friday 26 March 2027 as the franc day: a working day in Paris ...
        Row {
            facts: r#"{"today":"2027-01-26","department":"75","decisions":[{"kind":"refusal","notified_at":"2027-01-25"}]}"#,
            id: "appeal_refusal",
            due: "2027-03-26",
            moved_from: None,
            counting: "delai_franc",
            verified: false,
        },
        // ... moved to Tue 30 March in Moselle (Good Friday, weekend, Easter Monday).
        Row {
            facts: r#"{"today":"2027-01-26","department":"57","decisions":[{"kind":"refusal","notified_at":"2027-01-25"}]}"#,
            id: "appeal_refusal",
            due: "2027-03-30",
            moved_from: Some("2027-03-26"),
            counting: "delai_franc",
            verified: false,
        },
    ]);
}

#[test]
fn oqtf_appeal() {
    check(&[
        // DOMAIN.md §3 "OQTF (decisions from 15 Jul 2024), person free | 1 month | notification |
        // L911-1 [V]": 10 March 2026 -> Fri 10 April.
        Row {
            facts: r#"{"today":"2026-03-10","decisions":[{"kind":"oqtf","notified_at":"2026-03-10T10:00:00+01:00","restriction":"none"}]}"#,
            id: "oqtf_appeal",
            due: "2026-04-10",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // Same line: the day of notification is the day in Paris (23:30 UTC is 00:30 on 11 March),
        // + 1 month = Sat 11 April -> Mon 13 April.
        Row {
            facts: r#"{"today":"2026-03-11","decisions":[{"kind":"oqtf","notified_at":"2026-03-10T23:30:00Z"}]}"#,
            id: "oqtf_appeal",
            due: "2026-04-13",
            moved_from: Some("2026-04-11"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line, the 31st: 31 Jan 2027 + 1 month = Sun 28 Feb -> Mon 1 March.
        Row {
            facts: r#"{"today":"2027-01-31","decisions":[{"kind":"oqtf","notified_at":"2027-01-31"}]}"#,
            id: "oqtf_appeal",
            due: "2027-03-01",
            moved_from: Some("2027-02-28"),
            counting: "months_quantieme",
            verified: true,
        },
        // Same line, 29 February: 29 Jan 2028 + 1 month = Tue 29 Feb 2028.
        Row {
            facts: r#"{"today":"2028-01-29","decisions":[{"kind":"oqtf","notified_at":"2028-01-29"}]}"#,
            id: "oqtf_appeal",
            due: "2028-02-29",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // DOMAIN.md §3 "OQTF, rétention | 48 hours | notification time | L921-2 [V]" and "Hour-based
        // deadlines … never move": the night clocks go forward (Sun 29 March 2026): Sat 10:00 CET
        // + 48 h = Mon 11:00 CEST.
        Row {
            facts: r#"{"today":"2026-03-28","decisions":[{"kind":"oqtf","notified_at":"2026-03-28T10:00:00+01:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-03-30T11:00:00+02:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // Same line, the night clocks go back (Sun 25 Oct 2026): Sat 10:00 CEST + 48 h = Mon 09:00 CET.
        Row {
            facts: r#"{"today":"2026-10-24","decisions":[{"kind":"oqtf","notified_at":"2026-10-24T10:00:00+02:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-10-26T09:00:00+01:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // Same line, notified during the repeated hour: 02:30 CEST (first pass) ...
        Row {
            facts: r#"{"today":"2026-10-25","decisions":[{"kind":"oqtf","notified_at":"2026-10-25T02:30:00+02:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-10-27T01:30:00+01:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // ... and 02:30 CET (second pass), one hour later in real time.
        Row {
            facts: r#"{"today":"2026-10-25","decisions":[{"kind":"oqtf","notified_at":"2026-10-25T02:30:00+01:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-10-27T02:30:00+01:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // Same line, given in UTC just before the change: 00:30Z on 29 March + 48 h = 02:30 CEST.
        Row {
            facts: r#"{"today":"2026-03-29","decisions":[{"kind":"oqtf","notified_at":"2026-03-29T00:30:00Z","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-03-31T02:30:00+02:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // Same line: ends on Christmas Day, and stays there.
        Row {
            facts: r#"{"today":"2026-12-23","decisions":[{"kind":"oqtf","notified_at":"2026-12-23T16:00:00+01:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2026-12-25T16:00:00+01:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
        // DOMAIN.md §3 "OQTF, assigned to residence or detained | 7 days, counted hour by hour, not
        // franc | notification time | L921-1 [V]/[S]": across the spring change, 25 March 09:30 CET
        // + 168 h = 1 April 10:30 CEST. [V]/[S] -> unverified.
        Row {
            facts: r#"{"today":"2026-03-25","decisions":[{"kind":"oqtf","notified_at":"2026-03-25T09:30:00+01:00","restriction":"assigned"}]}"#,
            id: "oqtf_appeal",
            due: "2026-04-01T10:30:00+02:00",
            moved_from: None,
            counting: "hours",
            verified: false,
        },
        // Same line, detained, across the autumn change: 20 Oct 14:15 CEST + 168 h = 27 Oct 13:15 CET.
        Row {
            facts: r#"{"today":"2026-10-20","decisions":[{"kind":"oqtf","notified_at":"2026-10-20T14:15:00+02:00","restriction":"detained"}]}"#,
            id: "oqtf_appeal",
            due: "2026-10-27T13:15:00+01:00",
            moved_from: None,
            counting: "hours",
            verified: false,
        },
        // DOMAIN.md §3 "OQTF decided before 15 Jul 2024 | old regime 30 days / 15 days / 48 h | [S]":
        // decided 12 July, notified 16 July 2024, free: + 30 days = Thu 15 Aug (Assomption) -> Fri 16.
        Row {
            facts: r#"{"today":"2024-07-16","decisions":[{"kind":"oqtf","notified_at":"2024-07-16","decided_on":"2024-07-12"}]}"#,
            id: "oqtf_appeal",
            due: "2024-08-16",
            moved_from: Some("2024-08-15"),
            counting: "days",
            verified: false,
        },
        // Same facts without the decision date: the notification date (16 July 2024) stands in, so
        // the new regime applies: + 1 month = Fri 16 Aug 2024.
        Row {
            facts: r#"{"today":"2024-07-16","decisions":[{"kind":"oqtf","notified_at":"2024-07-16"}]}"#,
            id: "oqtf_appeal",
            due: "2024-08-16",
            moved_from: None,
            counting: "months_quantieme",
            verified: true,
        },
        // Old regime, assigned: 15 days, 1 July 2024 -> Tue 16 July.
        Row {
            facts: r#"{"today":"2024-07-01","decisions":[{"kind":"oqtf","notified_at":"2024-07-01T09:00:00+02:00","restriction":"assigned"}]}"#,
            id: "oqtf_appeal",
            due: "2024-07-16",
            moved_from: None,
            counting: "days",
            verified: false,
        },
        // Old regime, rétention: 48 h, unverified.
        Row {
            facts: r#"{"today":"2024-07-01","decisions":[{"kind":"oqtf","notified_at":"2024-07-01T09:00:00+02:00","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2024-07-03T09:00:00+02:00",
            moved_from: None,
            counting: "hours",
            verified: false,
        },
        // The reform date itself belongs to the new regime.
        Row {
            facts: r#"{"today":"2024-07-15","decisions":[{"kind":"oqtf","notified_at":"2024-07-15T09:00:00+02:00","decided_on":"2024-07-15","restriction":"retention"}]}"#,
            id: "oqtf_appeal",
            due: "2024-07-17T09:00:00+02:00",
            moved_from: None,
            counting: "hours",
            verified: true,
        },
    ]);
}

#[test]
fn api_expiry() {
    check(&[
        // DOMAIN.md §3 "Attestation de prolongation d'instruction (API) | valid ≤ 3 months, renewed
        // while the préfet has not decided … | R431-15-1 [V]": the newest API's last day.
        Row {
            facts: r#"{"today":"2026-11-28","api":[{"issued_on":"2026-11-02","valid_until":"2027-01-31"},
                {"issued_on":"2026-08-02","valid_until":"2026-11-01"}]}"#,
            id: "api_expires",
            due: "2027-01-31",
            moved_from: None,
            counting: "stated_date",
            verified: true,
        },
        // Alert "api_expiring_soon": within 15 days (16 Jan -> 31 Jan 2027 is exactly 15).
        Row {
            facts: r#"{"today":"2027-01-16","api":[{"issued_on":"2026-11-02","valid_until":"2027-01-31"}]}"#,
            id: "api_expiring_soon",
            due: "2027-01-31",
            moved_from: None,
            counting: "stated_date",
            verified: true,
        },
    ]);
    absent(r#"{"today":"2027-01-15","api":[{"valid_until":"2027-01-31"}]}"#, "api_expiring_soon");
    // A newer API exists: the older one expiring soon is no alert.
    absent(
        r#"{"today":"2027-01-20","api":[{"valid_until":"2027-01-31"},{"issued_on":"2027-01-18","valid_until":"2027-04-17"}]}"#,
        "api_expiring_soon",
    );
    absent(r#"{"today":"2027-02-01","api":[{"valid_until":"2027-01-31"}]}"#, "api_expiring_soon");
}

#[test]
fn proof_of_stay_gap() {
    check(&[
        // DOMAIN.md §3 "Attestation de dépôt (ANEF) | issued at filing; not proof of lawful stay |
        // R431-15-1 [V]": the card expired on 31 March 2027 and only a filing is recorded, so the
        // gap starts on 1 April.
        Row {
            facts: r#"{"today":"2027-04-10","current_permit":{"expires_on":"2027-03-31"},"filing":{"filed_on":"2026-12-01"}}"#,
            id: "proof_of_stay_gap",
            due: "2027-04-01",
            moved_from: None,
            counting: "coverage_gap",
            verified: true,
        },
        // DOMAIN.md §3 "API … with the expired card it proves lawful stay": an API that ended on
        // 5 April leaves a gap from 6 April.
        Row {
            facts: r#"{"today":"2027-04-10","current_permit":{"expires_on":"2027-03-31"},
                "api":[{"issued_on":"2027-01-06","valid_until":"2027-04-05"}]}"#,
            id: "proof_of_stay_gap",
            due: "2027-04-06",
            moved_from: None,
            counting: "coverage_gap",
            verified: true,
        },
        // Nothing but a filing: the gap is dated today.
        Row {
            facts: r#"{"today":"2027-04-10","filing":{"filed_on":"2027-04-01"}}"#,
            id: "proof_of_stay_gap",
            due: "2027-04-10",
            moved_from: None,
            counting: "coverage_gap",
            verified: true,
        },
    ]);
    // Covered by an API with the expired card.
    absent(
        r#"{"today":"2027-04-10","current_permit":{"expires_on":"2027-03-31"},
            "api":[{"issued_on":"2027-03-25","valid_until":"2027-06-24"}]}"#,
        "proof_of_stay_gap",
    );
    // DOMAIN.md §3 "Récépissé (paper channel) | for the period it states … | R431-12 [V]".
    absent(
        r#"{"today":"2027-04-10","current_permit":{"expires_on":"2027-03-31"},
            "recepisse":[{"valid_from":"2027-04-01","valid_until":"2027-06-30"}]}"#,
        "proof_of_stay_gap",
    );
    // Covered by the card itself, on its last day.
    absent(r#"{"today":"2027-03-31","current_permit":{"expires_on":"2027-03-31"}}"#, "proof_of_stay_gap");
    // Nothing known about the stay: no claim either way.
    absent(r#"{"today":"2027-04-10"}"#, "proof_of_stay_gap");
}

#[test]
fn stale_document() {
    check(&[
        // DOMAIN.md §4 "Proof of address less than 6 months old" and "a proof of address is valid only
        // if issued less than N months before the filing (or appointment) date": issued 1 May 2026,
        // stale from 1 Nov 2026, filing planned 15 Dec 2026.
        Row {
            facts: r#"{"today":"2026-11-28","planned_filing_on":"2026-12-15",
                "documents":[{"id":"proof_of_address","issued_on":"2026-05-01","max_age_months":6}]}"#,
            id: "stale_document",
            due: "2026-11-01",
            moved_from: None,
            counting: "document_age",
            verified: true,
        },
        // Same line, on the exact day it reaches 6 months it is no longer "less than 6 months old".
        Row {
            facts: r#"{"today":"2026-10-01","planned_filing_on":"2026-11-01",
                "documents":[{"id":"proof_of_address","issued_on":"2026-05-01","max_age_months":6}]}"#,
            id: "stale_document",
            due: "2026-11-01",
            moved_from: None,
            counting: "document_age",
            verified: true,
        },
        // Same line, the 31st: 31 Aug 2026 + 6 months = 28 Feb 2027.
        Row {
            facts: r#"{"today":"2027-03-02","documents":[{"id":"proof_of_address","issued_on":"2026-08-31","max_age_months":6}]}"#,
            id: "stale_document",
            due: "2027-02-28",
            moved_from: None,
            counting: "document_age",
            verified: true,
        },
    ]);
    absent(
        r#"{"today":"2026-10-01","planned_filing_on":"2026-10-31",
            "documents":[{"id":"proof_of_address","issued_on":"2026-05-01","max_age_months":6}]}"#,
        "stale_document",
    );
    let out = run(r#"{"today":"2026-11-28","documents":[{"id":"proof_of_address","issued_on":"2026-05-01","max_age_months":6}]}"#);
    assert_eq!(with_id(&out, "stale_document")[0]["subject"], "proof_of_address");
}

#[test]
fn duplicate_renew_instead() {
    check(&[
        // DOMAIN.md §4 "Duplicate (lost/stolen card): … if the card expires within 3 months, apply for
        // renewal instead [V préfecture pages]": 31 March 2027 - 3 months = 31 Dec 2026.
        Row {
            facts: r#"{"today":"2027-01-05","request":"duplicate","current_permit":{"expires_on":"2027-03-31"}}"#,
            id: "duplicate_renew_instead",
            due: "2026-12-31",
            moved_from: None,
            counting: "months_before_expiry",
            verified: true,
        },
        // Same line, the clamp: 31 May 2027 - 3 months = 28 Feb 2027.
        Row {
            facts: r#"{"today":"2027-03-01","request":"duplicate","current_permit":{"expires_on":"2027-05-31"}}"#,
            id: "duplicate_renew_instead",
            due: "2027-02-28",
            moved_from: None,
            counting: "months_before_expiry",
            verified: true,
        },
    ]);
    absent(
        r#"{"today":"2026-12-30","request":"duplicate","current_permit":{"expires_on":"2027-03-31"}}"#,
        "duplicate_renew_instead",
    );
    absent(
        r#"{"today":"2027-01-05","request":"renewal","current_permit":{"expires_on":"2027-03-31"}}"#,
        "duplicate_renew_instead",
    );
}

/// The example of the input contract, whole: every item, in order.
#[test]
fn contract_example() {
    let out = run(r#"{ "today": "2026-11-28", "department": "75", "regime": "ceseda", "procedure": "etudiant_renewal",
      "request": "renewal", "birth_date": "2008-12-31", "entry_date": "2026-09-01",
      "current_permit": { "expires_on": "2027-03-31", "on_anef": true, "long_term_eu": false },
      "filing": { "filed_on": "2026-10-31", "complete": true, "ack_mentions_appeal_routes": true },
      "api": [ { "issued_on": "2026-11-02", "valid_until": "2027-01-31" } ],
      "recepisse": [ { "valid_from": "2026-11-02", "valid_until": "2027-02-01" } ],
      "decisions": [ { "kind": "refusal", "notified_at": "2027-01-27" },
                     { "kind": "oqtf", "notified_at": "2026-03-10T10:00:00+01:00", "restriction": "none" } ],
      "documents": [ { "id": "proof_of_address", "issued_on": "2026-05-01", "max_age_months": 6 } ],
      "planned_filing_on": "2026-12-15" }"#);
    let got: Vec<(String, String)> = out
        .iter()
        .map(|d| (d["id"].as_str().unwrap_or("?").to_owned(), d["due"].as_str().unwrap_or("?").to_owned()))
        .collect();
    let expected = [
        // OQTF notified 10 March 2026, free, new regime: 1 month.
        ("oqtf_appeal", "2026-04-10"),
        ("renewal_window_opens", "2026-12-01"),
        ("renewal_window_closes", "2027-01-30"),
        ("api_expires", "2027-01-31"),
        // The refusal of 27 Jan 2027 answers the request before 28 Feb: no implicit rejection.
        ("appeal_refusal", "2027-03-30"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(i, d)| ((*i).to_owned(), (*d).to_owned())).collect();
    assert_eq!(got, expected, "{out:#?}");
    // Absent on purpose: first_request (the applicant holds a permit), young_adult_request (no
    // paragraph given), renewal_window_open (today is before the window, and the request is filed),
    // late_renewal_fee (filed before the window closes), stale_document (judged on the filing date,
    // 31 Oct 2026, the day before the proof of address reached 6 months), proof_of_stay_gap (the card
    // is valid today).
}
