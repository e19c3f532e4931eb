//! The holiday calendar: rest days and make-up working days (调休), entered a run at a
//! time, and which years' official schedules are complete. No working-day arithmetic here:
//! that is `domain::calendar`.

use chrono::{Datelike as _, NaiveDate, Weekday};

use super::form::{self, raw_form, FieldErrors, Problem};
use super::{audit, Actor, ManageError, Manager};
use crate::db::manage::{self as queries, HolidayRow};
use crate::db::{AnyConnection, DbError};

/// The longest official holiday (Spring Festival) is nine days; a month is a typing error.
pub const MAX_RANGE_DAYS: i64 = 31;
pub const NOTE_MAX: usize = 100;

raw_form! {
    /// A run of days: from, to (empty: one day), rest or work, a note.
    pub struct HolidayForm {
        text: [from, to, kind, note],
        checkbox: [],
        list: [],
    }
}

raw_form! {
    /// Whether a year's official schedule is completely entered.
    pub struct YearForm {
        text: [year],
        checkbox: [loaded],
        list: [],
    }
}

/// Days to set to one kind, with one note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayRun {
    pub days: Vec<NaiveDate>,
    pub is_working_day: bool,
    pub note: String,
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

impl HolidayRun {
    pub fn parse(form: &HolidayForm) -> Result<HolidayRun, FieldErrors> {
        let mut errors = FieldErrors::default();
        let from = errors.check("from", form::date(&form.from));
        let to = match form.to.trim() {
            "" => Ok(from),
            raw => form::date(raw).map(Some),
        };
        let to = errors.check("to", to).flatten();
        let working = match form.kind.as_str() {
            "rest" => Ok(false),
            "work" => Ok(true),
            "" => Err(Problem::Required),
            _ => Err(Problem::Kind),
        };
        let working = errors.check("kind", working);
        let note = errors.check("note", form::note(&form.note, NOTE_MAX));
        let (Some(from), Some(to), Some(is_working_day), Some(note)) = (from, to, working, note)
        else {
            return Err(errors);
        };
        if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(FieldErrors::one("to", Problem::Range));
        }
        let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
        // Make-up working days exist to move a weekend; Monday to Friday already are working days.
        if is_working_day && !days.iter().all(|d| is_weekend(*d)) {
            return Err(FieldErrors::one("kind", Problem::MakeUpWeekday));
        }
        Ok(HolidayRun {
            days,
            is_working_day,
            note,
        })
    }
}

fn kind(is_working_day: bool) -> &'static str {
    if is_working_day {
        "make-up working day"
    } else {
        "rest day"
    }
}

/// Sets one day, audited; a day set again to what it is writes nothing.
pub fn set_day(conn: &mut AnyConnection, actor: &Actor, row: &HolidayRow) -> Result<(), DbError> {
    let old = queries::find_holiday(conn, row.day)?;
    if old.as_ref() == Some(row) {
        return Ok(());
    }
    queries::set_holiday(conn, row)?;
    let (action, detail) = match old {
        None => (
            "create",
            format!("{}; note: {:?}", kind(row.is_working_day), row.note),
        ),
        Some(old) => (
            "update",
            format!(
                "{} → {}; note: {:?} → {:?}",
                kind(old.is_working_day),
                kind(row.is_working_day),
                old.note,
                row.note
            ),
        ),
    };
    audit(
        conn,
        actor,
        "holiday",
        &row.day.to_string(),
        action,
        &detail,
    )
}

/// Marks a year's official schedule as entered (or not), audited when that changes it.
pub fn mark_year(
    conn: &mut AnyConnection,
    actor: &Actor,
    year: i32,
    loaded: bool,
    detail: &str,
) -> Result<(), DbError> {
    let changed = if loaded {
        queries::add_calendar_year(conn, year)?
    } else {
        queries::remove_calendar_year(conn, year)?
    };
    if changed {
        let action = if loaded {
            "mark_loaded"
        } else {
            "mark_missing"
        };
        audit(
            conn,
            actor,
            "calendar_year",
            &year.to_string(),
            action,
            detail,
        )?;
    }
    Ok(())
}

/// A year's days as entered, and the years whose schedules are complete.
pub struct YearView {
    pub days: Vec<HolidayRow>,
    pub loaded_years: Vec<i32>,
}

impl Manager {
    pub async fn holidays(&self, year: i32) -> Result<YearView, ManageError> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
        let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        self.read(move |conn| {
            Ok(YearView {
                days: queries::holidays_between(conn, first, last)?,
                loaded_years: queries::calendar_years(conn)?,
            })
        })
        .await
    }

    /// Sets a run of days; the first of them.
    pub async fn add_holidays(&self, form: &HolidayForm) -> Result<NaiveDate, ManageError> {
        let run = HolidayRun::parse(form)?;
        let first = run.days[0];
        self.write(move |conn, actor, _| {
            for day in run.days {
                let row = HolidayRow {
                    day,
                    is_working_day: run.is_working_day,
                    note: run.note.clone(),
                };
                set_day(conn, actor, &row)?;
            }
            Ok(())
        })
        .await?;
        Ok(first)
    }

    pub async fn remove_holiday(&self, day: NaiveDate) -> Result<(), ManageError> {
        self.write(move |conn, actor, _| {
            let old = queries::find_holiday(conn, day)?.ok_or(ManageError::NotFound)?;
            queries::delete_holiday(conn, day)?;
            let detail = format!("was a {}; note: {:?}", kind(old.is_working_day), old.note);
            audit(conn, actor, "holiday", &day.to_string(), "delete", &detail)?;
            Ok(())
        })
        .await
    }

    /// Marks a year's schedule as entered or not (until it is, the pages warn); the year.
    pub async fn mark_year(&self, form: &YearForm) -> Result<i32, ManageError> {
        let year = form::year(&form.year).map_err(|p| FieldErrors::one("year", p))?;
        let loaded = form.loaded;
        let detail = if loaded {
            "the official schedule is entered"
        } else {
            "the official schedule is not (completely) entered"
        };
        self.write(move |conn, actor, _| Ok(mark_year(conn, actor, year, loaded, detail)?))
            .await?;
        Ok(year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::manage::form::Issue;

    fn run(from: &str, to: &str, kind: &str) -> Result<HolidayRun, FieldErrors> {
        HolidayRun::parse(&HolidayForm {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            note: "春节".into(),
        })
    }

    fn problem(result: Result<HolidayRun, FieldErrors>, field: &str) -> Option<Issue> {
        result.unwrap_err().get(field)
    }

    #[test]
    fn a_run_is_at_most_a_month_and_make_up_days_fall_on_weekends() {
        let spring = run("2027-02-06", "2027-02-12", "rest").unwrap();
        assert_eq!(spring.days.len(), 7);
        assert!(!spring.is_working_day);
        assert_eq!(run("2027-02-13", "", "work").unwrap().days.len(), 1);
        for (from, to, kind, field, expected) in [
            ("2027-01-04", "", "work", "kind", Problem::MakeUpWeekday),
            ("2027-01-01", "2027-03-01", "rest", "to", Problem::Range),
            ("2027-01-05", "2027-01-04", "rest", "to", Problem::Range),
            ("2027-01-01", "", "party", "kind", Problem::Kind),
            ("", "", "rest", "from", Problem::Required),
        ] {
            assert_eq!(
                problem(run(from, to, kind), field),
                Some(Issue::Malformed(expected)),
                "{from}–{to} {kind}"
            );
        }
    }
}
