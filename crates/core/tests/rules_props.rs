//! Property tests of the deadline engine: the calendar's moves, the exact
//! hour counts, and the engine's robustness on arbitrary facts and input.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Europe::Paris;
use proptest::prelude::*;
use proptest::{collection::vec, option, sample::select};
use serde_json::Value;
use sesame_core::rules::calendar::{self, Department};
use sesame_core::rules::{
    Api, Counting, CurrentPermit, Deadline, Decision, DecisionKind, Document, Due, Facts, Filing, Moment,
    Recepisse, Regime, Request, Restriction, RulesError, Visa, VisaKind, YoungAdult, compute, parse_facts,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// Dates from 1950 to about 2150.
fn sane_date() -> BoxedStrategy<NaiveDate> {
    (0i64..200 * 366).prop_map(|n| day(1950, 1, 1) + TimeDelta::days(n)).boxed()
}

/// Mostly sane dates, sometimes anywhere in chrono's range, sometimes at
/// its very edges.
fn any_date() -> BoxedStrategy<NaiveDate> {
    let (min, max) = (NaiveDate::MIN.num_days_from_ce(), NaiveDate::MAX.num_days_from_ce());
    prop_oneof![
        8 => sane_date(),
        1 => (min..=max).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MIN)),
        1 => select(vec![NaiveDate::MIN, NaiveDate::MAX, NaiveDate::MIN + TimeDelta::days(1), NaiveDate::MAX - TimeDelta::days(1)]),
    ]
    .boxed()
}

fn department() -> impl Strategy<Value = Option<Department>> {
    option::of(
        select(vec!["75", "57", "67", "68", "2A", "2B", "13", "971", "976", "01", "95"])
            .prop_map(|code| Department::new(code).expect("valid code")),
    )
}

/// An instant on `date` at a whole second, with an offset in whole minutes
/// between -14:00 and +14:00.
fn instant(date: BoxedStrategy<NaiveDate>) -> impl Strategy<Value = DateTime<FixedOffset>> {
    (date, 0u32..86_400, -14 * 60..=14 * 60i32).prop_filter_map("out of range", |(d, secs, minutes)| {
        let offset = FixedOffset::east_opt(minutes * 60)?;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)?;
        offset.from_local_datetime(&d.and_time(time)).single()
    })
}

fn moment(date: BoxedStrategy<NaiveDate>) -> impl Strategy<Value = Moment> {
    prop_oneof![date.clone().prop_map(Moment::Date), instant(date).prop_map(Moment::DateTime)]
}

fn facts(date: BoxedStrategy<NaiveDate>) -> impl Strategy<Value = Facts> {
    let d = date.clone();
    let od = move || option::of(date.clone());
    let visa = (option::of(select(vec![VisaKind::VlsTs, VisaKind::Other])), od(), od())
        .prop_map(|(kind, valid_until, validated_on)| Visa { kind, valid_until, validated_on });
    let permit = (od(), option::of(any::<bool>()), option::of(any::<bool>())).prop_map(
        |(expires_on, on_anef, long_term_eu)| CurrentPermit { expires_on, on_anef, long_term_eu },
    );
    let filing = (od(), option::of(any::<bool>()), option::of(any::<bool>())).prop_map(
        |(filed_on, complete, ack_mentions_appeal_routes)| Filing { filed_on, complete, ack_mentions_appeal_routes },
    );
    let api = (od(), od()).prop_map(|(issued_on, valid_until)| Api { issued_on, valid_until });
    let recepisse = (od(), od()).prop_map(|(valid_from, valid_until)| Recepisse { valid_from, valid_until });
    let decision = (
        option::of(select(vec![DecisionKind::Refusal, DecisionKind::Oqtf, DecisionKind::Favourable])),
        option::of(moment(d.clone().boxed())),
        od(),
        option::of(select(vec![
            Restriction::None,
            Restriction::Assigned,
            Restriction::Detained,
            Restriction::Retention,
        ])),
    )
        .prop_map(|(kind, notified_at, decided_on, restriction)| Decision { kind, notified_at, decided_on, restriction });
    let document = (option::of(select(vec!["proof_of_address", "payslips"])), od(), option::of(0u32..200))
        .prop_map(|(id, issued_on, max_age_months)| Document { id: id.map(str::to_owned), issued_on, max_age_months });
    (
        (
            d.clone(),
            department(),
            option::of(select(vec![Regime::Ceseda, Regime::AlgerianAgreement])),
            option::of(select(vec![
                Request::First,
                Request::Renewal,
                Request::Duplicate,
                Request::ChangeOfStatus,
                Request::VlstsValidation,
            ])),
            od(),
            option::of(select(vec![YoungAdult::R431_5_2, YoungAdult::R431_5_3])),
            od(),
            option::of(visa),
        ),
        (
            option::of(permit),
            option::of(filing),
            vec(api, 0..3),
            vec(recepisse, 0..3),
            vec(decision, 0..4),
            vec(document, 0..3),
            od(),
            option::of("[a-z_]{0,12}"),
        ),
    )
        .prop_map(
            |(
                (today, department, regime, request, birth_date, young_adult, entry_date, visa),
                (current_permit, filing, api, recepisse, decisions, documents, planned_filing_on, procedure),
            )| Facts {
                today,
                department,
                regime,
                procedure,
                request,
                birth_date,
                young_adult,
                entry_date,
                visa,
                current_permit,
                filing,
                api,
                recepisse,
                decisions,
                documents,
                planned_filing_on,
                flags: Default::default(),
            },
        )
}

/// Whether `parse_facts` accepts these facts once written as JSON: it
/// refuses an hour-based OQTF with a bare date, and ages outside 1..=120.
fn readable(facts: &Facts) -> bool {
    let oqtf_ok = facts.decisions.iter().all(|d| {
        !(d.kind == Some(DecisionKind::Oqtf)
            && d.restriction.is_some_and(Restriction::counts_hours)
            && matches!(d.notified_at, Some(Moment::Date(_))))
    });
    let ages_ok = facts.documents.iter().all(|d| d.max_age_months.is_none_or(|m| (1..=120).contains(&m)));
    oqtf_ok && ages_ok
}

/// The invariants every output must keep, whatever the facts.
fn check_output(facts: &Facts, out: &[Deadline]) -> Result<(), TestCaseError> {
    let department = facts.department.as_ref();
    for pair in out.windows(2) {
        prop_assert_ne!(Deadline::chronological(&pair[0], &pair[1]), std::cmp::Ordering::Greater, "not sorted");
    }
    for d in out {
        prop_assert_eq!(d.kind, d.id.kind());
        prop_assert_eq!(matches!(d.due, Due::DateTime(_)), d.counting == Counting::Hours, "{:?}", d);
        match (d.due, d.moved_from) {
            (Due::Date(due), moved_from) if d.counting.moves_to_working_day() => {
                // A moved deadline never lands on a non-working day, and only
                // non-working days are skipped.
                prop_assert!(calendar::is_working_day(due, department) || due == NaiveDate::MAX, "{:?}", d);
                if let Some(from) = moved_from {
                    prop_assert!(from < due, "{:?}", d);
                    let mut skipped = from;
                    while skipped < due {
                        prop_assert!(!calendar::is_working_day(skipped, department), "{:?}", d);
                        skipped = skipped.succ_opt().unwrap_or(due);
                    }
                }
            }
            (_, moved_from) => prop_assert!(moved_from.is_none(), "moved but should not: {:?}", d),
        }
        if let (Due::DateTime(due), Some(Due::DateTime(start))) = (d.due, d.start) {
            // Hour-based deadlines: exactly 48 h or 7 x 24 h of real time,
            // expressed with the Paris offset.
            let elapsed = due.signed_duration_since(start);
            prop_assert!(elapsed == TimeDelta::hours(48) || elapsed == TimeDelta::hours(168), "{:?}", d);
            prop_assert_eq!(*due.offset(), due.with_timezone(&Paris).offset().fix());
        }
        prop_assert!(!d.rule.is_empty() && !d.legal_basis.is_empty());
        if d.verified {
            prop_assert!(!d.legal_basis.contains("unverified"), "{:?}", d);
        }
    }
    Ok(())
}

/// Resolves a path such as `decisions[1].notified_at` in a JSON value.
fn resolve<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for segment in path.split('.') {
        let mut parts = segment.split('[');
        let key = parts.next()?;
        current = current.get(key)?;
        for index in parts {
            current = current.get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec![
            "today", "department", "regime", "procedure", "request", "birth_date", "young_adult",
            "entry_date", "visa", "current_permit", "filing", "api", "recepisse", "decisions",
            "documents", "planned_filing_on", "kind", "valid_until", "validated_on", "expires_on",
            "on_anef", "long_term_eu", "filed_on", "complete", "ack_mentions_appeal_routes",
            "issued_on", "valid_from", "notified_at", "decided_on", "restriction", "id", "max_age_months",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z_0-9]{0,10}",
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        4 => select(vec![
            "2026-11-28", "2026-02-30", "2027-02-29", "2028-02-29", "0000-01-01", "9999-12-31",
            "2026-03-10T10:00:00+01:00", "2026-03-10T10:00:00", "2026-10-25T02:30:00Z",
            "+262143-12-31T23:59:59+23:59", "75", "57", "2A", "20", "ceseda", "algerian_agreement",
            "oqtf", "refusal", "favourable", "none", "assigned", "detained", "retention", "vls_ts",
            "renewal", "duplicate", "r431_5_2", "",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u64..200).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn moved_date_is_a_working_day(d in any_date(), dep in department()) {
        let moved = calendar::next_working_day(d, dep.as_ref());
        prop_assert!(moved >= d);
        prop_assert!(calendar::is_working_day(moved, dep.as_ref()) || moved == NaiveDate::MAX);
        // The longest run of non-working days is four (Good Friday to
        // Easter Monday in Alsace-Moselle).
        prop_assert!(moved.signed_duration_since(d).num_days() <= 4);
    }

    #[test]
    fn moving_is_idempotent(d in any_date(), dep in department()) {
        let once = calendar::next_working_day(d, dep.as_ref());
        prop_assert_eq!(calendar::next_working_day(once, dep.as_ref()), once);
    }

    #[test]
    fn alsace_moselle_only_adds_holidays(d in sane_date()) {
        let paris = Department::new("75");
        let moselle = Department::new("57");
        if calendar::is_working_day(d, moselle.as_ref()) {
            prop_assert!(calendar::is_working_day(d, paris.as_ref()));
        }
        prop_assert_eq!(calendar::is_working_day(d, paris.as_ref()), calendar::is_working_day(d, None));
    }

    #[test]
    fn easter_is_a_sunday_in_march_or_april(year in 1583i32..4000) {
        let easter = calendar::easter(year).expect("in range");
        prop_assert_eq!(easter.weekday(), chrono::Weekday::Sun);
        prop_assert!(easter >= day(year, 3, 22) && easter <= day(year, 4, 25));
    }

    #[test]
    fn months_keep_the_day_or_clamp(d in sane_date(), months in -240i32..240) {
        let end = calendar::add_months_quantieme(d, months).expect("in range");
        let index = |x: NaiveDate| x.year() * 12 + x.month0() as i32;
        prop_assert_eq!(index(end) - index(d), months);
        if end.day() != d.day() {
            // Clamped: the source day does not exist in the target month,
            // and the result is that month's last day.
            prop_assert!(end.day() < d.day());
            prop_assert_eq!(end.succ_opt().map(|n| n.day()), Some(1));
        }
    }

    #[test]
    fn hours_are_exact_and_in_paris_time(start in instant(sane_date()), hours in select(vec![48i64, 168])) {
        let due = calendar::add_hours_paris(start, hours).expect("in range");
        prop_assert_eq!(due.signed_duration_since(start), TimeDelta::hours(hours));
        prop_assert_eq!(*due.offset(), due.with_timezone(&Paris).offset().fix());
        let text = due.to_rfc3339();
        let back = DateTime::parse_from_rfc3339(&text).expect("RFC 3339");
        prop_assert_eq!(back, due);
        prop_assert_eq!(back.offset(), due.offset());
    }

    #[test]
    fn engine_never_panics_on_sane_facts(facts in facts(sane_date())) {
        let out = compute(&facts);
        check_output(&facts, &out)?;
    }

    #[test]
    fn engine_never_panics_at_the_edges_of_time(facts in facts(any_date())) {
        let out = compute(&facts);
        check_output(&facts, &out)?;
    }

    #[test]
    fn facts_round_trip_through_json(facts in facts(sane_date())) {
        prop_assume!(readable(&facts));
        let json = serde_json::to_string(&facts).expect("serialisable");
        prop_assert_eq!(parse_facts(&json), Ok(facts));
    }

    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = parse_facts(&text);
    }

    #[test]
    fn parse_errors_name_a_field_of_the_input(
        fields in vec((key(), json()), 0..8),
        today in option::of(select(vec!["2026-11-28", "2026-02-30", "x"])),
    ) {
        let mut map: serde_json::Map<String, Value> = fields.into_iter().collect();
        if let Some(today) = today {
            map.insert("today".into(), Value::from(today));
        }
        let input = Value::Object(map);
        match parse_facts(&input.to_string()) {
            Ok(facts) => check_output(&facts, &compute(&facts))?,
            Err(RulesError::MissingField { field, .. }) => prop_assert_eq!(field, "today"),
            Err(e) => {
                let field = e.field().expect("a field-level error");
                prop_assert!(resolve(&input, field).is_some(), "{} not in {}", field, input);
                let text = e.to_string();
                prop_assert!(text.contains(&format!("`{field}`")), "{}", text);
                prop_assert!(text.contains(" / "), "French then English: {}", text);
            }
        }
    }
}
