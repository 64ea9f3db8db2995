//! Calendar arithmetic for French legal deadlines.
//!
//! Everything here is a pure function of its arguments: month arithmetic
//! "de quantième à quantième", the délai franc, French public holidays
//! (with Easter computed, not listed), the move to the next working day,
//! and exact hour counting in the Europe/Paris time zone.
//!
//! None of these functions panics: at the edges of chrono's date range they
//! return `None` (or the date unchanged for [`next_working_day`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Paris;

/// A French département code, as written on a postal address or a licence
/// plate: `01` to `95` (with `2A` and `2B` for Corsica instead of `20`), or
/// `971` to `976` overseas.
///
/// The engine needs it for one thing only: the départements of
/// Alsace-Moselle (`57` Moselle, `67` Bas-Rhin, `68` Haut-Rhin) keep two
/// extra public holidays from their local law, Good Friday and 26 December.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Department(String);

impl Department {
    /// Accepts a département code, or returns `None` when `code` is not one.
    pub fn new(code: &str) -> Option<Self> {
        let valid = match code.as_bytes() {
            [b'2', b'A' | b'B'] => true,
            [b'2', b'0'] | [b'0', b'0'] => false,
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => code <= "95",
            [b'9', b'7', c] => (b'1'..=b'6').contains(c),
            _ => false,
        };
        valid.then(|| Self(code.to_owned()))
    }

    /// The code, e.g. `"57"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for Moselle (57), Bas-Rhin (67) and Haut-Rhin (68), which add
    /// Good Friday and 26 December to the national public holidays.
    pub fn is_alsace_moselle(&self) -> bool {
        matches!(self.0.as_str(), "57" | "67" | "68")
    }
}

impl FromStr for Department {
    type Err = ();

    fn from_str(code: &str) -> Result<Self, ()> {
        Self::new(code).ok_or(())
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Department {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous
/// Gregorian algorithm (Meeus/Jones/Butcher).
///
/// Returns `None` only outside chrono's date range.
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The name (in French) of the public holiday falling on `date`, if any.
///
/// National holidays (Code du travail L3133-1): 1 January, Easter Monday,
/// 1 May, 8 May, Ascension Thursday (Easter + 39 days), Whit Monday
/// (Easter + 50 days), 14 July, 15 August, 1 November, 11 November and
/// 25 December. Alsace-Moselle adds Good Friday and 26 December.
///
/// The extra holidays of the overseas départements (abolition of slavery)
/// are deliberately not listed: DOMAIN.md does not name them, and leaving
/// them out can only make a deadline earlier, never later.
pub fn public_holiday(date: NaiveDate, department: Option<&Department>) -> Option<&'static str> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("Jour de l'an"),
        (5, 1) => Some("Fête du travail"),
        (5, 8) => Some("Victoire 1945"),
        (7, 14) => Some("Fête nationale"),
        (8, 15) => Some("Assomption"),
        (11, 1) => Some("Toussaint"),
        (11, 11) => Some("Armistice 1918"),
        (12, 25) => Some("Noël"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let alsace_moselle = department.is_some_and(Department::is_alsace_moselle);
    if alsace_moselle && (date.month(), date.day()) == (12, 26) {
        return Some("Saint-Étienne (Alsace-Moselle)");
    }
    let easter = easter(date.year())?;
    match date.signed_duration_since(easter).num_days() {
        1 => Some("Lundi de Pâques"),
        39 => Some("Ascension"),
        50 => Some("Lundi de Pentecôte"),
        -2 if alsace_moselle => Some("Vendredi saint (Alsace-Moselle)"),
        _ => None,
    }
}

/// True when `date` is neither a Saturday, a Sunday nor a public holiday of
/// `department` (see [`public_holiday`]). Without a department, the national
/// holidays apply.
pub fn is_working_day(date: NaiveDate, department: Option<&Department>) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        && public_holiday(date, department).is_none()
}

/// The first working day on or after `date`: a deadline that would expire on
/// a Saturday, a Sunday or a public holiday is extended to it (Code de
/// procédure civile art. 642, applied by analogy as DOMAIN.md §3 says).
///
/// Moving is idempotent: a working day is returned unchanged. At the very end
/// of chrono's range the date is returned as it is rather than panicking.
pub fn next_working_day(date: NaiveDate, department: Option<&Department>) -> NaiveDate {
    let mut day = date;
    // No run of non-working days is longer than four (Good Friday to Easter
    // Monday in Alsace-Moselle); the bound only guards against a bug.
    for _ in 0..16 {
        if is_working_day(day, department) {
            return day;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => return day,
        }
    }
    day
}

/// Adds `months` (possibly negative) "de quantième à quantième": same day
/// number in the target month, or the last day of that month when it is
/// shorter (31 January + 1 month = 28 or 29 February).
pub fn add_months_quantieme(date: NaiveDate, months: i32) -> Option<NaiveDate> {
    let index = date.year().checked_mul(12)?.checked_add(date.month0() as i32)?;
    let target = index.checked_add(months)?;
    let year = target.div_euclid(12);
    let month = u32::try_from(target.rem_euclid(12)).ok()? + 1;
    let last = last_day_of_month(year, month)?;
    NaiveDate::from_ymd_opt(year, month, date.day().min(last))
}

/// The number of days in `month` of `year`.
fn last_day_of_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = add_one_month_first(first)?;
    u32::try_from(next.signed_duration_since(first).num_days()).ok()
}

fn add_one_month_first(first: NaiveDate) -> Option<NaiveDate> {
    if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year().checked_add(1)?, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
}

/// Adds `days` (possibly negative) calendar days.
pub fn add_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_add_signed(TimeDelta::try_days(days)?)
}

/// The last day of a délai franc of `months` months starting on `start`:
/// neither the day of the start event nor the day the months elapse counts,
/// so the result is one day after [`add_months_quantieme`]. A 2-month délai
/// franc from a notification on 10 March can still be used on 11 May
/// (DOMAIN.md §3, "Délai franc").
pub fn delai_franc_months(start: NaiveDate, months: i32) -> Option<NaiveDate> {
    add_months_quantieme(start, months)?.succ_opt()
}

/// Adds exactly `hours` hours of real time to an instant and expresses the
/// result in Europe/Paris local time (with the offset in force at that
/// instant, +01:00 in winter or +02:00 in summer).
///
/// The count is made on the time line, not on the wall clock: across the
/// night when clocks go forward, 48 hours after 10:00 on the Saturday is
/// 11:00 on the Monday.
pub fn add_hours_paris(start: DateTime<FixedOffset>, hours: i64) -> Option<DateTime<FixedOffset>> {
    let end = start.with_timezone(&Utc).checked_add_signed(TimeDelta::try_hours(hours)?)?;
    Some(end.with_timezone(&Paris).fixed_offset())
}

/// The calendar date in Europe/Paris of an instant.
///
/// At the very edge of chrono's range the local date cannot be represented;
/// the UTC date is returned there instead of panicking.
pub fn paris_date(at: DateTime<FixedOffset>) -> NaiveDate {
    use chrono::{Offset as _, TimeZone as _};
    let utc = at.naive_utc();
    let offset = Paris.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).map_or(utc.date(), |local| local.date())
}

/// Midnight at the start of `date` in Europe/Paris, as an instant.
///
/// Clocks change at 02:00 or 03:00 in France, so midnight always exists and
/// is never ambiguous; `None` is returned only at the edges of chrono's range.
pub fn paris_midnight(date: NaiveDate) -> Option<DateTime<FixedOffset>> {
    date.and_hms_opt(0, 0, 0)?
        .and_local_timezone(Paris)
        .earliest()
        .map(|at| at.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn easter_known_years() {
        // Dates from the published Easter tables.
        for (year, date) in [
            (1961, "1961-04-02"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter(year), Some(d(date)), "{year}");
        }
    }

    #[test]
    fn department_codes() {
        for ok in ["01", "57", "75", "95", "2A", "2B", "971", "976"] {
            assert!(Department::new(ok).is_some(), "{ok}");
        }
        for bad in ["", "0", "00", "20", "96", "99", "1", "2C", "975x", "977", "970", "７５"] {
            assert!(Department::new(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        assert_eq!(add_months_quantieme(d("2027-01-31"), 1), Some(d("2027-02-28")));
        assert_eq!(add_months_quantieme(d("2028-01-31"), 1), Some(d("2028-02-29")));
        assert_eq!(add_months_quantieme(d("2026-12-31"), 2), Some(d("2027-02-28")));
        assert_eq!(add_months_quantieme(d("2027-03-31"), -1), Some(d("2027-02-28")));
        assert_eq!(add_months_quantieme(d("2027-03-31"), -2), Some(d("2027-01-31")));
        assert_eq!(add_months_quantieme(d("2026-03-10"), 2), Some(d("2026-05-10")));
        assert_eq!(add_months_quantieme(d("2008-02-29"), 12 * 19), Some(d("2027-02-28")));
        assert_eq!(add_months_quantieme(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn delai_franc_example_of_domain() {
        assert_eq!(delai_franc_months(d("2026-03-10"), 2), Some(d("2026-05-11")));
    }

    #[test]
    fn moving_stops_at_the_end_of_time() {
        let last = NaiveDate::MAX;
        let _ = next_working_day(last, None);
    }
}
