//! `GET /admin`: the queue. Every filter lives in the URL so a view can be bookmarked; a
//! filter that cannot be used is dropped with a message (still `200`), never a `4xx`/`5xx`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;

use crate::db::deadlines::{self, DeadlineRow};
use crate::db::queue::{self, Involvement, PageKey, QueueFilter, Search, StateFilter, Viewer};
use crate::db::reference::{Named, ReferenceData};
use crate::db::Backend;
use crate::domain::calendar::{city_date, parse_city_date, start_of_city_day_utc};
use crate::domain::complaint::{ComplaintKind, ComplaintState, StaffAction};
use crate::domain::fields::{CreditCode, Email, Phone};
use crate::domain::public_id::PublicId;
use crate::domain::search::query_terms;
use crate::domain::tracking_code::TrackingCode;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::pages::admin::AdminContext;
use crate::pages::queue::{
    BulkSummary, Choice, FilterForm, QueuePage, RowContext, RowView, SavedView, StateCount,
};
use crate::pages::{render, PageContext};
use crate::services::now_utc;
use crate::state::AppState;

pub const PAGE_SIZE: i64 = 50;
/// The widest "due within N working days" filter.
pub const DUE_MAX_DAYS: u32 = 10;
/// The working days of the queue's "due soon" checkbox (issue 16).
pub const DUE_SOON_DAYS: u32 = 2;
/// Longer than any code, number or phrase a clerk types; keeps the match expression small.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The query string as sent, read leniently: bad percent-encoding becomes U+FFFD rather
/// than an error, and the first value of a repeated name wins.
pub(super) fn query_params(query: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(name.into_owned())
            .or_insert_with(|| value.trim().to_owned());
    }
    params
}

/// The request understood: the filter for the queries, the page to start after, the
/// filters in their canonical URL form, and what could not be used.
struct QueueRequest {
    filter: QueueFilter,
    after: Option<PageKey>,
    /// `(name, value)` of every filter in use, in a fixed order, for the links of the page.
    link: Vec<(&'static str, String)>,
    problems: Vec<&'static str>,
    /// The search box as typed (trimmed), to show it again.
    q: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// What the search box holds: an exact key if it reads as one, otherwise words.
fn parse_search(q: &str) -> Option<Search> {
    if let Some(id) = PublicId::parse(q) {
        return Some(Search::PublicId(id));
    }
    if let Some(code) = TrackingCode::parse(q) {
        return Some(Search::TrackingCode(code));
    }
    if let Ok(code) = CreditCode::parse(q) {
        return Some(Search::CreditCode(code));
    }
    if let Ok(phone) = Phone::parse(q) {
        return Some(Search::Phone(phone));
    }
    if q.contains('@') {
        if let Ok(email) = Email::parse(q) {
            return Some(Search::Email(email));
        }
    }
    let terms = query_terms(q);
    (!terms.is_empty()).then_some(Search::Text(terms))
}

fn parse_request(
    params: &HashMap<String, String>,
    staff: &Staff,
    reference: &ReferenceData,
    today: NaiveDate,
    backend: Backend,
) -> QueueRequest {
    let mut filter = QueueFilter::default();
    let mut link: Vec<(&'static str, String)> = Vec::new();
    let mut problems: Vec<&'static str> = Vec::new();
    let given = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };

    match given("state") {
        None | Some("open") => {}
        Some("all") => {
            filter.state = StateFilter::All;
            link.push(("state", "all".into()));
        }
        Some(text) => match ComplaintState::parse(text) {
            Some(state) => {
                filter.state = StateFilter::Only(state);
                link.push(("state", text.into()));
            }
            None => problems.push("queue.problem.state"),
        },
    }
    if let Some(text) = given("kind") {
        match ComplaintKind::parse(text) {
            Some(kind) => {
                filter.kind = Some(kind);
                link.push(("kind", text.into()));
            }
            None => problems.push("queue.problem.kind"),
        }
    }
    if let Some(code) = given("category") {
        match reference.category(code) {
            Some(category) => {
                filter.category = Some(category.code.clone());
                link.push(("category", category.code.clone()));
            }
            None => problems.push("queue.problem.category"),
        }
    }
    if let Some(code) = given("district") {
        match reference.district(code) {
            Some(district) => {
                filter.district = Some(district.code.clone());
                link.push(("district", district.code.clone()));
            }
            None => problems.push("queue.problem.district"),
        }
    }
    if let Some(code) = given("department") {
        match (staff.role.sees_all(), reference.department(code)) {
            (false, _) => problems.push("queue.problem.department_not_allowed"),
            (true, Some(department)) => {
                filter.department = Some(department.code.clone());
                link.push(("department", department.code.clone()));
            }
            (true, None) => problems.push("queue.problem.department"),
        }
    }
    match given("role") {
        None | Some("all") => {}
        Some("lead") => {
            filter.involvement = Involvement::Lead;
            link.push(("role", "lead".into()));
        }
        Some("co") => {
            filter.involvement = Involvement::CoHandling;
            link.push(("role", "co".into()));
        }
        Some(_) => problems.push("queue.problem.role"),
    }
    match given("assignee") {
        None => {}
        Some("me") => {
            filter.assignee = Some(staff.user_id.clone());
            link.push(("assignee", "me".into()));
        }
        Some(_) => problems.push("queue.problem.assignee"),
    }
    match given("overdue") {
        None | Some("0") => {}
        Some("1") => {
            filter.due_before = Some(today);
            link.push(("overdue", "1".into()));
        }
        Some(_) => problems.push("queue.problem.overdue"),
    }
    // Issue 16: due within N working days (overdue cases included), `due=2` on the form.
    match given("due") {
        None => {}
        Some(text) => match text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=DUE_MAX_DAYS).contains(n))
        {
            Some(days) => {
                let by = reference.calendar.add_working_days(today, days);
                let before = by.succ_opt().unwrap_or(by);
                filter.due_before = Some(filter.due_before.map_or(before, |d| d.min(before)));
                link.push(("due", days.to_string()));
            }
            None => problems.push("queue.problem.due"),
        },
    }
    match given("returned") {
        None => {}
        Some("0") => link.push(("returned", "0".into())),
        Some("1") => {
            filter.returned = true;
            link.push(("returned", "1".into()));
        }
        Some(_) => problems.push("queue.problem.returned"),
    }
    match given("escalated") {
        None | Some("0") => {}
        Some("1") => {
            filter.escalated = true;
            link.push(("escalated", "1".into()));
        }
        Some(_) => problems.push("queue.problem.escalated"),
    }
    let mut date = |name: &'static str, problem: &'static str| {
        let text = given(name)?;
        let day = parse_city_date(text);
        if day.is_none() {
            problems.push(problem);
        }
        day
    };
    let (mut from, mut to) = (
        date("from", "queue.problem.from"),
        date("to", "queue.problem.to"),
    );
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            problems.push("queue.problem.range");
            (from, to) = (None, None);
        }
    }
    if let Some(day) = from {
        filter.filed_from = Some(start_of_city_day_utc(day));
        link.push(("from", day.to_string()));
    }
    if let Some(day) = to {
        filter.filed_before = day.succ_opt().map(start_of_city_day_utc);
        link.push(("to", day.to_string()));
    }
    let q = given("q").unwrap_or_default().to_owned();
    if !q.is_empty() {
        if q.chars().count() > MAX_SEARCH_CHARS {
            problems.push("queue.problem.search_too_long");
        } else {
            match parse_search(&q) {
                Some(search) => {
                    filter.search = Some(search);
                    link.push(("q", q.clone()));
                }
                None => problems.push("queue.problem.search_empty"),
            }
        }
    }
    // A key from another order (the state filter changed) would start nowhere sensible.
    let after = match given("after") {
        None => None,
        Some(text) => match PageKey::parse(text).filter(|k| k.order() == filter.order(backend)) {
            Some(key) => Some(key),
            None => {
                problems.push("queue.problem.after");
                None
            }
        },
    };
    QueueRequest {
        filter,
        after,
        link,
        problems,
        q: q.chars().take(MAX_SEARCH_CHARS).collect(),
        from,
        to,
    }
}

/// `/admin` with these parameters.
fn admin_href(params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return "/admin".to_owned();
    }
    format!(
        "/admin?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice::new(value, label, current))
        .collect()
}

fn filter_form(
    admin: &AdminContext,
    staff: &Staff,
    reference: &ReferenceData,
    request: &QueueRequest,
) -> FilterForm {
    let locale = admin.ctx.locale;
    let current = |name: &str| {
        request
            .link
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let state_keys: Vec<(String, String)> = ComplaintState::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                admin.t(&format!("state.{s}")).to_owned(),
            )
        })
        .collect();
    let mut states = vec![
        Choice::new(
            "open",
            admin.t("queue.state.open"),
            if current("state").is_empty() {
                "open"
            } else {
                ""
            },
        ),
        Choice::new("all", admin.t("queue.state.all"), current("state")),
    ];
    states.extend(choices(
        state_keys.iter().map(|(v, l)| (v.as_str(), l.as_str())),
        current("state"),
    ));
    let kinds = ComplaintKind::ALL
        .iter()
        .map(|k| Choice::new(k.as_str(), admin.t(&format!("kind.{k}")), current("kind")))
        .collect();
    let departments = if staff.role.sees_all() {
        choices(
            reference
                .departments
                .iter()
                .map(|d| (d.code.as_str(), d.name(locale))),
            current("department"),
        )
    } else {
        Vec::new()
    };
    let role = match current("role") {
        "" => "all",
        other => other,
    };
    let summary = active_summary(admin, reference, request);
    FilterForm {
        due_soon: current("due") == DUE_SOON_DAYS.to_string(),
        due_days: DUE_SOON_DAYS,
        summary,
        states,
        kinds,
        categories: choices(
            reference
                .categories
                .iter()
                .map(|c| (c.code.as_str(), c.name(locale))),
            current("category"),
        ),
        districts: choices(
            reference
                .districts
                .iter()
                .map(|d| (d.code.as_str(), d.name(locale))),
            current("district"),
        ),
        departments,
        roles: ["lead", "co", "all"]
            .iter()
            .map(|r| Choice::new(r, admin.t(&format!("queue.role.{r}")), role))
            .collect(),
        mine: request.filter.assignee.is_some(),
        overdue: request.filter.due_before.is_some(),
        escalated: request.filter.escalated,
        exact_lookup: request.filter.search.as_ref().is_some_and(|s| s.is_exact()),
        from: request.from.map(|d| d.to_string()).unwrap_or_default(),
        to: request.to.map(|d| d.to_string()).unwrap_or_default(),
        q: request.q.clone(),
    }
}

/// What the last bulk action did (`bulk_done`, `bulk_stale`: public case numbers;
/// `bulk_refused`: a count), as the queue says it.
fn bulk_summary(admin: &AdminContext, params: &HashMap<String, String>) -> Option<BulkSummary> {
    let list = |name: &str| {
        params.get(name).filter(|v| !v.is_empty()).map(|v| {
            v.split(',')
                .take(crate::routes::admin::bulk::BULK_MAX)
                .collect::<Vec<_>>()
        })
    };
    let done = list("bulk_done").map(|ids| {
        admin.ctx.t_args(
            "desk.bulk.done",
            &[
                ("count", &ids.len().to_string()),
                ("cases", &ids.join("、")),
            ],
        )
    });
    let stale = list("bulk_stale").map(|ids| {
        admin.ctx.t_args(
            "desk.bulk.stale",
            &[
                ("count", &ids.len().to_string()),
                ("cases", &ids.join("、")),
            ],
        )
    });
    let refused = params
        .get("bulk_refused")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map(|n| {
            admin
                .ctx
                .t_args("desk.bulk.refused_count", &[("count", &n.to_string())])
        });
    (done.is_some() || stale.is_some() || refused.is_some()).then_some(BulkSummary {
        done,
        stale,
        refused,
    })
}

/// The filters in use, in a line: what the folded filter form says of itself.
fn active_summary(
    admin: &AdminContext,
    reference: &ReferenceData,
    request: &QueueRequest,
) -> String {
    let locale = admin.ctx.locale;
    let parts: Vec<String> = request
        .link
        .iter()
        .filter_map(|(name, value)| {
            let text = match *name {
                "state" if value == "all" => admin.t("queue.state.all").to_owned(),
                "state" => admin.t(&format!("state.{value}")).to_owned(),
                "kind" => admin.t(&format!("kind.{value}")).to_owned(),
                "category" => reference.category(value)?.name(locale).to_owned(),
                "district" => reference.district(value)?.name(locale).to_owned(),
                "department" => reference.department(value)?.name(locale).to_owned(),
                "role" => admin.t(&format!("queue.role.{value}")).to_owned(),
                "assignee" => admin.t("queue.filters.mine").to_owned(),
                "overdue" => admin.t("queue.filters.overdue").to_owned(),
                "escalated" => admin.t("queue.filters.escalated").to_owned(),
                "returned" if value == "1" => admin.t("queue.state.returned").to_owned(),
                "due" => admin
                    .ctx
                    .t_args("desk.queue.due_within", &[("days", value.as_str())]),
                "from" => admin
                    .ctx
                    .t_args("desk.queue.from", &[("date", value.as_str())]),
                "to" => admin
                    .ctx
                    .t_args("desk.queue.to", &[("date", value.as_str())]),
                "q" => admin
                    .ctx
                    .t_args("desk.queue.search", &[("q", value.as_str())]),
                _ => return None,
            };
            Some(text)
        })
        .collect();
    if parts.is_empty() {
        admin.t("desk.queue.no_filters").to_owned()
    } else {
        parts.join(" · ")
    }
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let today = city_date(now_utc());
    let params = query_params(req.query_string());
    let mut request = parse_request(&params, &staff, &reference, today, state.db.backend());

    let viewer = Viewer {
        user_id: staff.user_id.clone(),
        role: staff.role,
        department: staff.department.clone(),
    };
    // Returned cases wait for the office: they are its default view while any exist.
    let returned_waiting = if staff.role.sees_all() {
        let viewer = viewer.clone();
        state
            .db
            .read(move |conn| queue::count_returned(conn, &viewer))
            .await?
    } else {
        0
    };
    let only_messages = params
        .keys()
        .all(|k| k == "done" || k == "changed" || k.starts_with("bulk_"));
    if only_messages && returned_waiting > 0 {
        request.filter.returned = true;
        request.link.push(("returned", "1".into()));
    }
    let (filter, after) = (request.filter.clone(), request.after.clone());
    let own_department = crate::domain::ids::DepartmentCode::from(staff.department.as_str());
    let user_id = staff.user_id.to_string();
    let (page, counts, usernames, deadlines, (assignees, saved)) = state
        .db
        .read(move |conn| {
            let page = queue::page(conn, &viewer, &filter, after.as_ref(), PAGE_SIZE)?;
            let counts = queue::count_by_state(conn, &viewer, &filter)?;
            let listed = page.rows.iter().map(|r| r.id.clone()).collect();
            let deadlines = deadlines::of_complaints(conn, listed)?;
            let mut ids: Vec<String> = page
                .rows
                .iter()
                .filter_map(|r| r.assignee.clone())
                .collect();
            ids.sort();
            ids.dedup();
            let usernames = queue::usernames(conn, ids)?;
            let assignees = crate::db::users::active_usernames_of(conn, &own_department)?;
            let saved = crate::db::views::of_user(conn, &user_id)?;
            Ok((page, counts, usernames, deadlines, (assignees, saved)))
        })
        .await?;

    let mut admin = AdminContext::new(
        PageContext::new(&req, &admin_href(&request.link)),
        Some(&staff),
        Some(&reference),
    );
    if params.get("changed").is_some_and(|v| v == "password") {
        admin.flash = Some(admin.t("admin.password.changed").to_owned());
    }
    // An action after which the case left the member's sight (a return) lands here.
    if let Some(done) = params.get("done").and_then(|v| StaffAction::parse(v)) {
        admin.flash = Some(
            admin
                .t(&format!("admin.action.{}.done", done.as_str()))
                .to_owned(),
        );
    }
    let without_state: Vec<(&'static str, String)> = request
        .link
        .iter()
        .filter(|(n, _)| *n != "state")
        .cloned()
        .collect();
    let current_state = match request.filter.state {
        StateFilter::Only(s) => Some(s),
        _ => None,
    };
    let counts = ComplaintState::ALL
        .iter()
        .map(|&s| {
            let mut params = without_state.clone();
            params.insert(0, ("state", s.as_str().to_owned()));
            StateCount {
                state: s.as_str(),
                label: admin.t(&format!("state.{s}")),
                count: match counts.get(s) {
                    n if n > queue::COUNT_CAP => format!("{}+", queue::COUNT_CAP),
                    // Only a search's newest hits were counted: at least this many.
                    n if !counts.complete => format!("{n}+"),
                    n => n.to_string(),
                },
                href: admin_href(&params),
                current: current_state == Some(s),
            }
        })
        .collect();
    let cx = RowContext {
        locale: admin.ctx.locale,
        reference: &reference,
        today,
        usernames: &usernames,
        department: &staff.department,
    };
    let mut deadlines_of: HashMap<&str, Vec<&DeadlineRow>> = HashMap::new();
    for deadline in &deadlines {
        deadlines_of
            .entry(deadline.complaint_id.as_str())
            .or_default()
            .push(deadline);
    }
    let rows = page
        .rows
        .iter()
        .map(|row| {
            let of_row = deadlines_of
                .get(row.id.as_str())
                .map_or(&[][..], Vec::as_slice);
            RowView::new(row, of_row, &cx)
        })
        .collect();
    let next_href = page.next.map(|key| {
        let mut params = request.link.clone();
        params.push(("after", key.encode()));
        admin_href(&params)
    });
    let first_href = request.after.is_some().then(|| admin_href(&request.link));
    let form = filter_form(&admin, &staff, &reference, &request);
    let bulk = bulk_summary(&admin, &params);
    let page = QueuePage {
        view: serde_urlencoded::to_string(&request.link).unwrap_or_default(),
        saved_views: saved
            .into_iter()
            .map(|v| SavedView {
                href: if v.query.is_empty() {
                    "/admin".to_owned()
                } else {
                    format!("/admin?{}", v.query)
                },
                id: v.id,
                name: v.name,
            })
            .collect(),
        assignees,
        bulk,
        returned: (staff.role.sees_all()).then(|| StateCount {
            state: "returned",
            label: admin.t("queue.state.returned"),
            count: match returned_waiting {
                n if n > queue::COUNT_CAP => format!("{}+", queue::COUNT_CAP),
                n => n.to_string(),
            },
            href: admin_href(&[("returned", "1".to_owned())]),
            current: request.filter.returned,
        }),
        all_href: admin_href(&[("returned", "0".to_owned())]),
        form,
        problems: request.problems,
        counts,
        rows,
        show_department: staff.role.sees_all(),
        next_href,
        first_href,
        admin,
    };
    let mut response = render(StatusCode::OK, &page);
    // The view a clerk works through, for "处理下一件" on the case pages (issue 16).
    let view = serde_urlencoded::to_string(&request.link).unwrap_or_default();
    let cookie = actix_web::cookie::Cookie::build(
        VIEW_COOKIE,
        url::form_urlencoded::byte_serialize(view.as_bytes()).collect::<String>(),
    )
    .path("/admin")
    .http_only(true)
    .secure(state.config.behind_tls())
    .same_site(actix_web::cookie::SameSite::Strict)
    .finish();
    response.add_cookie(&cookie).ok();
    Ok(response)
}

/// The cookie holding the filters of the last queue page a member opened.
pub const VIEW_COOKIE: &str = "desk_view";

/// The next case of the member's last queue view after `current` (issue 16): the case
/// after it in the view's order, or the first other case when it has left the view.
pub(super) async fn next_in_view(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    reference: &ReferenceData,
    current: &str,
) -> Result<Option<String>, AppError> {
    let view = req
        .cookie(VIEW_COOKIE)
        .map(|c| {
            url::form_urlencoded::parse(format!("v={}", c.value()).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let params = query_params(&view);
    let today = city_date(now_utc());
    let request = parse_request(&params, staff, reference, today, state.db.backend());
    let viewer = Viewer {
        user_id: staff.user_id.clone(),
        role: staff.role,
        department: staff.department.clone(),
    };
    let filter = request.filter;
    let page = state
        .db
        .read(move |conn| queue::page(conn, &viewer, &filter, None, PAGE_SIZE))
        .await?;
    let ids: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
    // The one after it; past the end of the page (the action moved it there), the first.
    let after = ids
        .iter()
        .position(|id| *id == current)
        .map_or(0, |at| at + 1);
    let next = ids[after.min(ids.len())..]
        .iter()
        .chain(ids.iter())
        .find(|id| **id != current)
        .copied();
    Ok(next.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_and_city_days_start_at_utc_four_pm_the_day_before() {
        assert_eq!(
            parse_city_date("2026-11-28"),
            NaiveDate::from_ymd_opt(2026, 11, 28)
        );
        for bad in [
            "2026-2-3",
            "2026-02-30",
            "28/11/2026",
            "+2026-11-28",
            "2026-11-28T00",
            "",
            "２０２６-11-28",
        ] {
            assert_eq!(parse_city_date(bad), None, "{bad}");
        }
        let start = start_of_city_day_utc(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(start.to_string(), "2026-11-27 16:00:00");
    }

    #[test]
    fn the_search_box_tells_keys_from_words() {
        assert!(matches!(
            parse_search("k7qx3 mnapr 2d9wt"),
            Some(Search::TrackingCode(_))
        ));
        assert!(matches!(
            parse_search("91350100M000100Y43"),
            Some(Search::CreditCode(_))
        ));
        assert!(matches!(
            parse_search("138 0013 8000"),
            Some(Search::Phone(_))
        ));
        assert!(matches!(
            parse_search("zhang.san@example.com"),
            Some(Search::Email(_))
        ));
        assert!(matches!(parse_search("奶粉"), Some(Search::Text(_))));
        assert!(parse_search("\"*()").is_none());
    }

    #[test]
    fn repeated_and_badly_encoded_parameters_are_read_leniently() {
        let params = query_params("state=%FF&state=accepted&q=%E5%A5%B6%E7%B2%89+&x");
        assert_eq!(params["state"], "\u{FFFD}");
        assert_eq!(params["q"], "奶粉");
        assert_eq!(params["x"], "");
    }
}
