//! Working-day arithmetic for complaint deadlines in the city's calendar (UTC+8, no DST).
//! No clock and no schedule loading here: callers pass dates and timestamps in.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};

/// China has not used daylight saving time since 1991, so a fixed offset is exact.
const CITY_OFFSET: TimeDelta = TimeDelta::hours(8);

/// Rest days, make-up working days and the years whose official schedule has been entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    rest_days: BTreeSet<NaiveDate>,
    make_up_working_days: BTreeSet<NaiveDate>,
    years_with_schedule: BTreeSet<i32>,
}

impl WorkCalendar {
    pub fn new(
        rest_days: impl IntoIterator<Item = NaiveDate>,
        make_up_working_days: impl IntoIterator<Item = NaiveDate>,
        years_with_schedule: impl IntoIterator<Item = i32>,
    ) -> Self {
        WorkCalendar {
            rest_days: rest_days.into_iter().collect(),
            make_up_working_days: make_up_working_days.into_iter().collect(),
            years_with_schedule: years_with_schedule.into_iter().collect(),
        }
    }

    /// The official 2026 schedule: rest Jan 1–3, Feb 15–23, Apr 4–6, May 1–5, Jun 19–21,
    /// Sep 25–27, Oct 1–7; make-up working days Jan 4, Feb 14, Feb 28, May 9, Sep 20, Oct 10.
    /// Years with schedule: {2026}.
    pub fn official_2026() -> Self {
        const REST: [((u32, u32), (u32, u32)); 7] = [
            ((1, 1), (1, 3)),
            ((2, 15), (2, 23)),
            ((4, 4), (4, 6)),
            ((5, 1), (5, 5)),
            ((6, 19), (6, 21)),
            ((9, 25), (9, 27)),
            ((10, 1), (10, 7)),
        ];
        const MAKE_UP: [(u32, u32); 6] = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];
        let day = |(month, day)| {
            NaiveDate::from_ymd_opt(2026, month, day).expect("hard-coded 2026 dates are valid")
        };
        let rest = REST.into_iter().flat_map(|(first, last)| {
            let last = day(last);
            day(first).iter_days().take_while(move |d| *d <= last)
        });
        Self::new(rest, MAKE_UP.map(day), [2026])
    }

    /// Listed rest day → false; listed make-up day → true; otherwise Monday–Friday are working
    /// days.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.rest_days.contains(&day) {
            false
        } else if self.make_up_working_days.contains(&day) {
            true
        } else {
            !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        }
    }

    pub fn has_schedule_for(&self, year: i32) -> bool {
        self.years_with_schedule.contains(&year)
    }

    /// The day of receipt does not count: counting starts on the next working day after `received`.
    /// add_working_days(d, 0) == d. n ≥ 1 returns the n-th working day strictly after `received`.
    pub fn add_working_days(&self, received: NaiveDate, n: u32) -> NaiveDate {
        match n.checked_sub(1) {
            None => received,
            // Runs out only at chrono's maximum date, some 260,000 years away.
            Some(k) => self
                .working_days_after(received)
                .nth(k as usize)
                .unwrap_or(NaiveDate::MAX),
        }
    }

    /// Number of working days in (from, to] (0 if to <= from).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let count = self
            .working_days_after(from)
            .take_while(|d| *d <= to)
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    pub fn rest_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.rest_days.iter().copied()
    }

    pub fn make_up_working_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.make_up_working_days.iter().copied()
    }

    fn working_days_after(&self, day: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        day.iter_days().skip(1).filter(|d| self.is_working_day(*d))
    }
}

/// Calendar date in the city (UTC+8) of a UTC timestamp.
pub fn city_date(utc: NaiveDateTime) -> NaiveDate {
    city_time(utc).date()
}

/// A UTC timestamp as the city's clocks read it (UTC+8). The one place the offset is added:
/// pages showing a time, and `city_date`, go through here.
pub fn city_time(utc: NaiveDateTime) -> NaiveDateTime {
    utc.checked_add_signed(CITY_OFFSET)
        .unwrap_or(NaiveDateTime::MAX)
}

/// The UTC timestamp of a moment the city's clocks show; the inverse of `city_time`.
pub fn utc_of_city_time(city: NaiveDateTime) -> NaiveDateTime {
    city.checked_sub_signed(CITY_OFFSET)
        .unwrap_or(NaiveDateTime::MIN)
}

/// A `YYYY-MM-DD` date, nothing else.
pub fn parse_city_date(text: &str) -> Option<NaiveDate> {
    let valid_shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    // chrono alone would also take "2026-2-3" or a signed five-digit year.
    if !valid_shape {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Start of that city day (00:00 city time) as a UTC NaiveDateTime.
pub fn start_of_city_day_utc(day: NaiveDate) -> NaiveDateTime {
    utc_of_city_time(day.and_time(NaiveTime::MIN))
}

/// End of that city day (23:59:59 city time) as a UTC NaiveDateTime, for comparing deadlines with
/// timestamps.
pub fn end_of_city_day_utc(day: NaiveDate) -> NaiveDateTime {
    let last_second = NaiveTime::from_hms_opt(23, 59, 59).expect("23:59:59 is a valid time");
    utc_of_city_time(day.and_time(last_second))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn timestamp(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn official_2026_days() {
        let cal = WorkCalendar::official_2026();
        assert_eq!(cal.rest_days().count(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(cal.make_up_working_days().count(), 6);
        // Every make-up day falls on a weekend, otherwise listing it would be pointless.
        assert!(cal
            .make_up_working_days()
            .all(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
        let cases = [
            ("2026-01-01", false), // New Year, Thursday
            ("2026-01-04", true),  // Sunday, make-up
            ("2026-01-05", true),  // Monday
            ("2026-01-10", false), // Saturday
            ("2026-02-14", true),  // Saturday, make-up
            ("2026-02-23", false), // Monday, Spring Festival
            ("2026-10-08", true),  // Thursday after National Day
            ("2026-10-10", true),  // Saturday, make-up
        ];
        for (day, working) in cases {
            assert_eq!(cal.is_working_day(date(day)), working, "{day}");
        }
        assert!(cal.has_schedule_for(2026));
        assert!(!cal.has_schedule_for(2027));
    }

    #[test]
    fn add_working_days_cases() {
        let cal = WorkCalendar::official_2026();
        let cases = [
            // Received Friday 2026-09-18, 7 working days:
            // Sat 19 weekend; Sun 20 make-up → 1; Mon 21 → 2; Tue 22 → 3; Wed 23 → 4; Thu 24 → 5;
            // Fri 25 – Sun 27 Mid-Autumn rest; Mon 28 → 6; Tue 29 → 7.
            ("2026-09-18", 7, "2026-09-29"),
            // …continuing: Wed 30 → 8; Oct 1–7 National Day rest; Thu 8 → 9; Fri 9 → 10; Sat 10
            // make-up → 11.
            ("2026-09-18", 11, "2026-10-10"),
            ("2026-09-18", 0, "2026-09-18"),
            // Received on a rest day (New Year's Day): Jan 2–3 rest, Sun Jan 4 is a make-up day.
            ("2026-01-01", 0, "2026-01-01"),
            ("2026-01-01", 1, "2026-01-04"),
            ("2026-01-01", 2, "2026-01-05"),
            // Spring Festival: Fri Feb 13; Sat 14 make-up → 1; Feb 15–23 rest; Tue 24 → 2; … Fri 27
            // → 5; Sat 28 make-up → 6.
            ("2026-02-13", 1, "2026-02-14"),
            ("2026-02-13", 2, "2026-02-24"),
            ("2026-02-13", 6, "2026-02-28"),
            ("2026-02-14", 1, "2026-02-24"),
            // No schedule for 2027: weekends only, so New Year's Day (Friday) is a working day.
            ("2026-12-31", 1, "2027-01-01"),
            ("2027-01-01", 1, "2027-01-04"),
            ("2027-01-01", 5, "2027-01-08"),
        ];
        for (received, n, expected) in cases {
            assert_eq!(
                cal.add_working_days(date(received), n),
                date(expected),
                "{received} + {n}"
            );
        }
        assert_eq!(date("2026-09-18").weekday(), Weekday::Fri);
        assert_eq!(date("2026-02-13").weekday(), Weekday::Fri);
        assert_eq!(date("2027-01-01").weekday(), Weekday::Fri);
    }

    #[test]
    fn weekends_only_calendar() {
        let cal = WorkCalendar::new([], [], []);
        assert!(!cal.has_schedule_for(2026));
        // Thursday 2026-01-01 is an ordinary working day without the schedule.
        assert_eq!(
            cal.add_working_days(date("2025-12-31"), 1),
            date("2026-01-01")
        );
        assert_eq!(
            cal.add_working_days(date("2026-01-02"), 1),
            date("2026-01-05")
        );
    }

    #[test]
    fn working_days_between_cases() {
        let cal = WorkCalendar::official_2026();
        let cases = [
            ("2026-09-18", "2026-09-29", 7),
            ("2026-09-18", "2026-09-18", 0),
            ("2026-09-29", "2026-09-18", 0),
            ("2026-09-24", "2026-09-28", 1),
            ("2026-09-30", "2026-10-07", 0),
        ];
        for (from, to, n) in cases {
            assert_eq!(
                cal.working_days_between(date(from), date(to)),
                n,
                "{from}..{to}"
            );
        }
    }

    #[test]
    fn city_dates() {
        let cases = [
            ("2026-01-01T17:00:00", "2026-01-02"),
            ("2026-01-01T15:59:59", "2026-01-01"),
            ("2026-01-01T16:00:00", "2026-01-02"),
            ("2025-12-31T16:00:00", "2026-01-01"),
            ("2026-01-01T00:00:00", "2026-01-01"),
        ];
        for (utc, city) in cases {
            assert_eq!(city_date(timestamp(utc)), date(city), "{utc}");
        }
        assert_eq!(
            end_of_city_day_utc(date("2026-01-02")),
            timestamp("2026-01-02T15:59:59")
        );
        let utc = timestamp("2026-01-01T17:30:05");
        assert_eq!(city_time(utc), timestamp("2026-01-02T01:30:05"));
        assert_eq!(utc_of_city_time(city_time(utc)), utc);
        assert_eq!(city_date(NaiveDateTime::MAX), NaiveDate::MAX);
    }

    proptest! {
        #[test]
        fn add_working_days_is_monotonic_and_inverts_between(offset in 0i64..1500, n in 0u32..80) {
            let cal = WorkCalendar::official_2026();
            let received = date("2025-06-01") + TimeDelta::days(offset);
            let due = cal.add_working_days(received, n);
            let next = cal.add_working_days(received, n + 1);
            prop_assert!(next > due);
            prop_assert!(cal.is_working_day(next));
            prop_assert_eq!(cal.working_days_between(received, due), n);
        }

        #[test]
        fn end_of_city_day_is_the_last_second_of_that_city_date(offset in -100_000i64..100_000) {
            let day = date("2026-01-01") + TimeDelta::days(offset);
            let end = end_of_city_day_utc(day);
            prop_assert_eq!(city_date(end), day);
            prop_assert_eq!(city_date(end + TimeDelta::seconds(1)), day.succ_opt().unwrap());
        }
    }
}
