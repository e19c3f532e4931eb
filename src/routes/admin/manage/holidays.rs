//! `/admin/holidays`: rest days and make-up working days (调休) per year, and which years'
//! official schedules are entered. No working-day arithmetic here: that is `domain::calendar`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike as _, NaiveDate, Weekday};

use super::home::calendar_warnings;
use super::{admin_context, admin_form, audit, field, query_pairs, require_admin};
use crate::db::manage::{self, HolidayRow};
use crate::db::reference::ReferenceData;
use crate::db::DbError;
use crate::domain::calendar::city_date;
use crate::domain::fields;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::pages::manage::{Choice, FormBuilder, FormData, HolidayView, HolidaysPage};
use crate::pages::render;
use crate::services::now_utc;
use crate::state::AppState;

const LIST: &str = "/admin/holidays";
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2100;
/// The longest official holiday (Spring Festival) is nine days; a month is a typing error.
const MAX_RANGE_DAYS: i64 = 31;
const NOTE_MAX: usize = 100;

fn this_year() -> i32 {
    city_date(now_utc()).year()
}

fn valid_year(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

fn back_to(year: i32, saved: &str) -> HttpResponse {
    let query =
        serde_urlencoded::to_string([("year", year.to_string().as_str()), ("saved", saved)])
            .unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{LIST}?{query}")))
        .finish()
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    year: i32,
    add: &FormData,
    mark: &FormData,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let reference: ReferenceData = (*state.reference().await?).clone();
    let (first, last) = year_bounds(year);
    let (days, years) = state
        .db
        .read(move |conn| {
            Ok((
                manage::holidays_between(conn, first, last)?,
                manage::calendar_years(conn)?,
            ))
        })
        .await?;
    let admin = admin_context(req, staff, &reference, &format!("{LIST}?year={year}"));
    let locale = admin.ctx.locale;
    let days = days
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
    let kinds = vec![
        Choice {
            value: "rest".into(),
            label: admin.t("manage.holidays.rest").to_owned(),
        },
        Choice {
            value: "work".into(),
            label: admin.t("manage.holidays.work").to_owned(),
        },
    ];
    let add = FormBuilder::new(locale, add)
        .date("from", "manage.field.from")
        .hint("manage.hint.date")
        .date("to", "manage.field.to")
        .hint("manage.hint.to")
        .select("kind", "manage.field.kind", kinds)
        .text("note", "manage.field.note", NOTE_MAX)
        .build("add", LIST, "manage.holidays.add", "manage.holidays.add");
    let year_text = year.to_string();
    let mark = FormBuilder::new(locale, mark)
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
        year_loaded: years.contains(&year),
        loaded_years: years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        warnings: calendar_warnings(&reference, locale),
        days,
        forms: vec![add, mark],
        admin,
    };
    Ok(render(status, &page))
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
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

fn mark_form(loaded: bool) -> FormData {
    FormData::default().with_checked("loaded", loaded)
}

async fn is_loaded(state: &AppState, year: i32) -> Result<bool, AppError> {
    Ok(state.db.read(manage::calendar_years).await?.contains(&year))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let pairs = query_pairs(&req);
    let year = field(&pairs, "year")
        .and_then(|y| y.trim().parse().ok())
        .filter(|y| valid_year(*y))
        .unwrap_or_else(this_year);
    let mark = mark_form(is_loaded(&state, year).await?);
    page(
        &req,
        &state,
        &staff,
        year,
        &FormData::default().with("kind", "rest"),
        &mark,
        StatusCode::OK,
    )
    .await
}

fn parse_day(raw: &str) -> Result<NaiveDate, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("manage.error.required");
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "manage.error.date")?;
    if valid_year(day.year()) {
        Ok(day)
    } else {
        Err("manage.error.year")
    }
}

/// The days to set, checked into `form`.
fn parse_add(form: &mut FormData) -> Option<(Vec<NaiveDate>, bool, String)> {
    let from = parse_day(form.value("from"));
    let from = form.check("from", from);
    let to = match form.value("to").trim() {
        "" => Ok(from),
        raw => parse_day(raw).map(Some),
    };
    let to = form.check("to", to).flatten();
    let working = match form.value("kind") {
        "rest" => Some(false),
        "work" => Some(true),
        "" => {
            form.add_error("kind", "manage.error.required");
            None
        }
        _ => {
            form.add_error("kind", "manage.error.kind");
            None
        }
    };
    let note = fields::single_line(Some(form.value("note")), 0, NOTE_MAX);
    let note = match note {
        Ok(text) => Some(text.unwrap_or_default()),
        Err(fields::FieldError::TooLong { .. }) => {
            form.add_error("note", "manage.error.too_long");
            None
        }
        Err(_) => {
            form.add_error("note", "manage.error.characters");
            None
        }
    };
    let (from, to, working, note) = (from?, to?, working?, note?);
    if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
        form.add_error("to", "manage.error.range");
        return None;
    }
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d <= to).collect();
    // Make-up working days exist to move a weekend; Monday to Friday already are working days.
    if working
        && days
            .iter()
            .any(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    {
        form.add_error("kind", "manage.error.make_up_weekday");
        return None;
    }
    Some((days, working, note))
}

pub async fn add(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let Some((days, working, note)) = parse_add(&mut form) else {
        let year = NaiveDate::parse_from_str(form.value("from").trim(), "%Y-%m-%d")
            .map(|d| d.year())
            .ok()
            .filter(|y| valid_year(*y))
            .unwrap_or_else(this_year);
        let mark = mark_form(is_loaded(&state, year).await?);
        return page(
            &req,
            &state,
            &staff,
            year,
            &form,
            &mark,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let year = days[0].year();
    let first = days[0].to_string();
    let actor = staff.user_id.clone();
    state
        .db
        .write(move |conn| {
            for day in days {
                let row = HolidayRow {
                    day,
                    is_working_day: working,
                    note: note.clone(),
                };
                let old = manage::find_holiday(conn, day)?;
                if old.as_ref() == Some(&row) {
                    continue;
                }
                manage::set_holiday(conn, &row)?;
                let kind = |working: bool| {
                    if working {
                        "make-up working day"
                    } else {
                        "rest day"
                    }
                };
                let (action, detail) = match old {
                    None => ("create", format!("{}; note: {:?}", kind(working), row.note)),
                    Some(old) => (
                        "update",
                        format!(
                            "{} → {}; note: {:?} → {:?}",
                            kind(old.is_working_day),
                            kind(working),
                            old.note,
                            row.note
                        ),
                    ),
                };
                audit(conn, &actor, "holiday", &day.to_string(), action, detail)?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(back_to(year, &first))
}

pub async fn remove(
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    admin_form(&staff, &body)?;
    let day = NaiveDate::parse_from_str(&path, "%Y-%m-%d").map_err(|_| AppError::NotFound)?;
    let actor = staff.user_id.clone();
    let removed = state
        .db
        .write(move |conn| {
            let Some(old) = manage::find_holiday(conn, day)? else {
                return Ok(false);
            };
            manage::delete_holiday(conn, day)?;
            let kind = if old.is_working_day {
                "make-up working day"
            } else {
                "rest day"
            };
            audit(
                conn,
                &actor,
                "holiday",
                &day.to_string(),
                "delete",
                format!("was a {kind}; note: {:?}", old.note),
            )?;
            Ok::<_, DbError>(true)
        })
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(back_to(day.year(), &day.to_string()))
}

/// Marks a year's official schedule as entered (or not): until it is, the pages warn.
pub async fn mark_year(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let year = form
        .value("year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| valid_year(*y));
    let Some(year) = year else {
        form.add_error("year", "manage.error.year");
        let year = this_year();
        return page(
            &req,
            &state,
            &staff,
            year,
            &FormData::default().with("kind", "rest"),
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let loaded = form.checked("loaded");
    let actor = staff.user_id.clone();
    state
        .db
        .write(move |conn| {
            let changed = if loaded {
                manage::add_calendar_year(conn, year)?
            } else {
                manage::remove_calendar_year(conn, year)?
            };
            if changed {
                let (action, detail) = if loaded {
                    ("mark_loaded", "the official schedule is entered")
                } else {
                    (
                        "mark_missing",
                        "the official schedule is not (completely) entered",
                    )
                };
                audit(
                    conn,
                    &actor,
                    "calendar_year",
                    &year.to_string(),
                    action,
                    detail.to_owned(),
                )?;
            }
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(back_to(year, &year.to_string()))
}
