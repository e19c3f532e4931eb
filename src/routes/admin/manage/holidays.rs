//! `/admin/holidays`: rest days and make-up working days (调休) per year, and which years'
//! official schedules are entered. What may be entered: `services::manage::calendar`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Datelike as _, NaiveDate, Weekday};

use super::home::{calendar_warnings, this_year};
use super::Post;
use super::{failed, refused, see_other, Desk};
use crate::errors::AppError;
use crate::pages::manage::{Choice, FormBuilder, HolidayView, HolidaysPage};
use crate::pages::render;
use crate::services::manage::calendar::{HolidayForm, YearForm, NOTE_MAX};
use crate::services::manage::form::{self, raw_form, FieldErrors, NoFields};

const LIST: &str = "/admin/holidays";

raw_form! {
    /// `?year=…`: the year shown.
    pub struct YearQuery {
        text: [year],
        checkbox: [],
        list: [],
    }
}

/// Back to the year's page after a change, naming what was saved.
fn back_to(year: i32, saved: &str) -> HttpResponse {
    see_other(LIST, &[("year", &year.to_string()), ("saved", saved)])
}

fn weekday_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "manage.weekday.mon",
        Weekday::Tue => "manage.weekday.tue",
        Weekday::Wed => "manage.weekday.wed",
        Weekday::Thu => "manage.weekday.thu",
        Weekday::Fri => "manage.weekday.fri",
        Weekday::Sat => "manage.weekday.sat",
        Weekday::Sun => "manage.weekday.sun",
    }
}

/// What a form shows on the year's page: the values and their problems.
struct Shown<'a, F> {
    form: &'a F,
    errors: &'a FieldErrors,
}

/// The year's days and both forms: adding days (`add`) and marking the year's schedule as
/// entered (`mark`, as stored unless given).
async fn page(
    desk: &Desk,
    year: i32,
    add: Shown<'_, HolidayForm>,
    mark: Option<Shown<'_, YearForm>>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let stored = desk.manager.holidays(year).await.map_err(failed)?;
    let year_loaded = stored.loaded_years.contains(&year);
    let admin = desk.frame(&format!("{LIST}?year={year}"));
    let locale = desk.locale();
    let days = stored
        .days
        .into_iter()
        .map(|h| HolidayView {
            day: h.day.to_string(),
            weekday: admin.t(weekday_key(h.day.weekday())).to_owned(),
            kind: admin
                .t(if h.is_working_day {
                    "manage.holidays.work"
                } else {
                    "manage.holidays.rest"
                })
                .to_owned(),
            working: h.is_working_day,
            note: h.note,
        })
        .collect();
    let kinds = [
        ("rest", "manage.holidays.rest"),
        ("work", "manage.holidays.work"),
    ]
    .into_iter()
    .map(|(kind, label)| Choice {
        value: kind.into(),
        label: admin.t(label).to_owned(),
    })
    .collect();
    let add = FormBuilder::new(locale, add.form, add.errors)
        .date("from", "manage.field.from")
        .hint("manage.hint.date")
        .date("to", "manage.field.to")
        .hint("manage.hint.to")
        .select("kind", "manage.field.kind", kinds)
        .text("note", "manage.field.note", NOTE_MAX)
        .build("add", LIST, "manage.holidays.add", "manage.holidays.add");
    let year_text = year.to_string();
    let as_stored = YearForm {
        year: year_text.clone(),
        loaded: year_loaded,
    };
    let none = FieldErrors::default();
    let mark = mark.unwrap_or(Shown {
        form: &as_stored,
        errors: &none,
    });
    let mark = FormBuilder::new(locale, mark.form, mark.errors)
        .hidden("year", &year_text)
        .checkbox("loaded", "manage.field.loaded")
        .hint("manage.hint.loaded")
        .build(
            "mark",
            format!("{LIST}/years"),
            "manage.holidays.mark",
            "manage.save",
        )
        .intro(
            admin
                .ctx
                .t_args("manage.holidays.mark_intro", &[("year", &year_text)]),
        );
    let page = HolidaysPage {
        year,
        year_loaded,
        loaded_years: stored
            .loaded_years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        warnings: calendar_warnings(desk.reference(), locale),
        days,
        forms: vec![add, mark],
        admin,
    };
    Ok(render(status, &page))
}

/// A fresh form to add days: one rest day.
fn rest_day() -> HolidayForm {
    HolidayForm {
        kind: "rest".into(),
        ..HolidayForm::default()
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(desk: Desk) -> Result<HttpResponse, AppError> {
    let asked: YearQuery = desk.query();
    let year = form::year(&asked.year).unwrap_or_else(|_| this_year());
    let (blank, none) = (rest_day(), FieldErrors::default());
    let add = Shown {
        form: &blank,
        errors: &none,
    };
    page(&desk, year, add, None, StatusCode::OK).await
}

#[tracing::instrument(skip_all)]
pub async fn add(Post(desk, form): Post<HolidayForm>) -> Result<HttpResponse, AppError> {
    match refused(desk.manager.add_holidays(&form).await)? {
        Ok(first) => Ok(back_to(first.year(), &first.to_string())),
        Err(errors) => {
            // The year of the days asked for, if it can be read.
            let year = form::date(&form.from).map_or_else(|_| this_year(), |d| d.year());
            let add = Shown {
                form: &form,
                errors: &errors,
            };
            page(&desk, year, add, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[tracing::instrument(skip_all, fields(day = %path))]
pub async fn remove(
    path: web::Path<String>,
    Post(desk, NoFields): Post<NoFields>,
) -> Result<HttpResponse, AppError> {
    let day = NaiveDate::parse_from_str(&path, "%Y-%m-%d").map_err(|_| AppError::NotFound)?;
    desk.manager.remove_holiday(day).await.map_err(failed)?;
    Ok(back_to(day.year(), &day.to_string()))
}

/// Marks a year's official schedule as entered (or not): until it is, the pages warn.
#[tracing::instrument(skip_all)]
pub async fn mark_year(Post(desk, form): Post<YearForm>) -> Result<HttpResponse, AppError> {
    match refused(desk.manager.mark_year(&form).await)? {
        Ok(year) => Ok(back_to(year, &year.to_string())),
        Err(errors) => {
            let (blank, none) = (rest_day(), FieldErrors::default());
            let add = Shown {
                form: &blank,
                errors: &none,
            };
            let mark = Shown {
                form: &form,
                errors: &errors,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(&desk, this_year(), add, Some(mark), status).await
        }
    }
}
