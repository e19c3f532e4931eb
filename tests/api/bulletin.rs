//! The supervision bulletin (issue 11) against a fixture computed by hand: thirteen cases
//! filed through the service, their deadline records and events then written as October
//! 2026 had them happen (kept and late, paused, escalated, designated away, withdrawn,
//! returned and upheld or not, answered, reopened, rated).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use green_channel::db::complaints::{insert_event, NewEventRow};
use green_channel::db::deadlines::{insert, NewDeadlineRow};
use green_channel::db::schema::{complaints, deadlines};
use green_channel::domain::complaint::{ActorKind, ComplaintState, EventKind};
use green_channel::domain::deadlines::DeadlineKind;

use crate::helpers::{spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::triage::complaint;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// Noon in the city on that day, as UTC.
fn noon(m: u32, d: u32) -> NaiveDateTime {
    day(m, d).and_hms_opt(4, 0, 0).unwrap()
}

/// (case, lead, returned_by, designated, state, rating with its time)
type CaseRow = (
    usize,
    &'static str,
    Option<&'static str>,
    bool,
    ComplaintState,
    Option<(i32, NaiveDateTime)>,
);

struct Record {
    case: usize,
    department: &'static str,
    kind: DeadlineKind,
    started: NaiveDate,
    due: NaiveDate,
    met: Option<NaiveDateTime>,
    superseded: Option<NaiveDateTime>,
    paused: Option<NaiveDate>,
    escalated: Option<NaiveDateTime>,
}

fn record(
    case: usize,
    department: &'static str,
    kind: DeadlineKind,
    started: NaiveDate,
    due: NaiveDate,
) -> Record {
    Record {
        case,
        department,
        kind,
        started,
        due,
        met: None,
        superseded: None,
        paused: None,
        escalated: None,
    }
}

/// Files `n` cases and writes the fixture over them; returns their ids, `ids[0]` unused so
/// that case numbers read as in the comments.
pub async fn fixture(app: &TestApp) -> Vec<String> {
    let mut ids = vec![String::new()];
    for _ in 1..=13 {
        let code = app.file_valid(valid_complaint()).await;
        ids.push(complaint(app, &code).await.id.to_string());
    }
    use DeadlineKind::{Accept, Finish};
    let f = "food-drug";
    let m = "market-regulation";
    let records = vec![
        // c1: accepted on time (3 working days); its finish date far ahead.
        Record {
            met: Some(noon(10, 12)),
            ..record(1, f, Accept, day(10, 8), day(10, 16))
        },
        record(
            1,
            f,
            Finish,
            day(10, 12),
            NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        ),
        // c2: accepted a day late (8 working days).
        Record {
            met: Some(noon(10, 20)),
            ..record(2, f, Accept, day(10, 9), day(10, 19))
        },
        // c3: never decided: late, and overdue now.
        record(3, f, Accept, day(10, 10), day(10, 20)),
        // c4: designated away to market regulation, which accepted the next day.
        Record {
            superseded: Some(noon(10, 13)),
            ..record(4, f, Accept, day(10, 12), day(10, 21))
        },
        Record {
            met: Some(noon(10, 14)),
            ..record(4, m, Accept, day(10, 13), day(10, 22))
        },
        // c5: received in September, accepted on time in October (4 working days).
        Record {
            met: Some(noon(10, 8)),
            ..record(5, f, Accept, day(9, 25), day(10, 9))
        },
        // c6: withdrawn: not received, not counted.
        Record {
            superseded: Some(noon(10, 16)),
            ..record(6, f, Accept, day(10, 15), day(10, 23))
        },
        // c7: answered in time (16 working days); c8 late (11).
        Record {
            met: Some(noon(10, 29)),
            ..record(7, f, Finish, day(10, 8), day(10, 30))
        },
        Record {
            met: Some(noon(10, 22)),
            ..record(8, f, Finish, day(10, 8), day(10, 15))
        },
        // c9: paused for testing: its date does not count while the clock stands.
        Record {
            paused: Some(day(10, 12)),
            ..record(9, f, Finish, day(9, 3), day(10, 14))
        },
        // c10: never answered, escalated.
        Record {
            escalated: Some(noon(10, 16)),
            ..record(10, f, Finish, day(9, 4), day(10, 13))
        },
    ];
    let rows: Vec<(String, NewDeadlineRow)> = records
        .iter()
        .map(|r| {
            (
                ids[r.case].clone(),
                NewDeadlineRow {
                    complaint_id: ids[r.case].as_str().into(),
                    department_code: r.department.into(),
                    kind: r.kind,
                    started_on: r.started,
                    due_on: r.due,
                    paused_on: r.paused,
                    met_at: r.met,
                    superseded_at: r.superseded,
                    reminded_at: None,
                    overdue_at: None,
                    escalated_at: r.escalated,
                },
            )
        })
        .collect();
    let event = |case: usize, kind: EventKind, at: NaiveDateTime| NewEventRow {
        complaint_id: ids[case].as_str().into(),
        at,
        actor_kind: ActorKind::System,
        actor_user: None,
        kind,
        from_state: None,
        to_state: None,
        department_code: None,
        public_message: None,
        internal_note: None,
        is_opinion: false,
    };
    let events = vec![
        event(7, EventKind::Replied, noon(10, 29)),
        event(8, EventKind::Replied, noon(10, 22)),
        event(8, EventKind::Reopened, noon(10, 25)),
        event(11, EventKind::Returned, noon(10, 5)),
        event(12, EventKind::Returned, noon(10, 6)),
        event(13, EventKind::Returned, noon(10, 7)),
    ];
    let cases: Vec<CaseRow> = vec![
        (4, m, None, true, ComplaintState::Accepted, None),
        (6, f, None, false, ComplaintState::Withdrawn, None),
        (
            7,
            f,
            None,
            false,
            ComplaintState::Resolved,
            Some((4, noon(10, 30))),
        ),
        (
            8,
            f,
            None,
            false,
            ComplaintState::Accepted,
            Some((2, noon(10, 23))),
        ),
        // Returned: designated elsewhere (upheld), back to the same department (not
        // upheld), and not decided yet.
        (11, m, Some(f), true, ComplaintState::Assigned, None),
        (12, f, Some(f), true, ComplaintState::Assigned, None),
        (
            13,
            "quality-office",
            Some(f),
            false,
            ComplaintState::Assigned,
            None,
        ),
    ];
    let all_ids = ids.clone();
    let cases: Vec<_> = cases
        .into_iter()
        .map(|(case, lead, by, designated, state, rating)| {
            (
                ids[case].clone(),
                lead.to_owned(),
                by.map(str::to_owned),
                designated,
                state,
                rating,
            )
        })
        .collect();
    app.db
        .write(move |conn| {
            diesel::delete(deadlines::table.filter(deadlines::complaint_id.eq_any(&all_ids[1..])))
                .execute(conn)?;
            for (_, row) in &rows {
                insert(conn, std::slice::from_ref(row))?;
            }
            for e in &events {
                insert_event(conn, e)?;
            }
            for (id, lead, by, designated, state, rating) in cases {
                diesel::update(complaints::table.filter(complaints::id.eq(id)))
                    .set((
                        complaints::lead_department.eq(lead),
                        complaints::returned_by.eq(by),
                        complaints::designated.eq(designated),
                        complaints::state.eq(state.as_str()),
                        complaints::rating_score.eq(rating.map(|r| r.0)),
                        complaints::rated_at.eq(rating.map(|r| r.1)),
                    ))
                    .execute(conn)?;
            }
            // Rows written behind the service's back: its day tallies are recomputed.
            let calendar = green_channel::db::reference::ReferenceData::load(conn)?.calendar;
            green_channel::db::bulletin::rebuild(conn, &calendar)?;
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
    ids
}

async fn get(app: &TestApp, browser: &reqwest::Client, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.unwrap()
}

/// The CSV parsed back: header, then rows keyed by their first column.
pub async fn csv_of(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let response = get(app, browser, path).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

const OCTOBER: &str = "/admin/reports?from=2026-10-01&to=2026-10-31&group=department";

#[tokio::test]
async fn the_bulletin_of_october_matches_the_figures_computed_by_hand() {
    let app = spawn_app().await;
    fixture(&app).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;

    let (header, rows) = csv_of(&app, &admin, &format!("{OCTOBER}&format=csv")).await;
    assert_eq!(
        header,
        [
            "department_code",
            "department",
            "received",
            "accepted_on_time_pct",
            "finished_on_time_pct",
            "overdue_now",
            "median_days_to_accept",
            "median_days_to_finish",
            "returns",
            "returns_upheld",
            "escalations",
            "reopen_rate_pct",
            "satisfaction",
            "score",
            "joint_tasks_on_time_pct",
            "rank"
        ]
    );
    let row = |code: &str| {
        rows.iter()
            .find(|r| r[0] == code)
            .unwrap_or_else(|| panic!("a row for {code}"))
            .clone()
    };
    // Market regulation: one acceptance, kept; nothing else to count, so its score is the
    // acceptance figure alone, rescaled to 100.
    assert_eq!(
        row("market-regulation")[1..],
        [
            "工商行政管理局",
            "1",
            "100.0",
            "",
            "0",
            "1.0",
            "",
            "0",
            "0",
            "0",
            "",
            "",
            "100.0",
            "",
            "1"
        ]
    );
    // Food and drugs: received c1–c4 (c5 in September, c6 withdrawn); acceptance due 4,
    // kept 2 (c1, c5); finish due 3, kept 1 (c7; c9 paused); overdue now c3 and c10;
    // medians 4 (3, 8, 4) and 13.5 (16, 11); returns 3, upheld 1 (one not, one open);
    // escalation c10; reopened 1 of 2 answered; ratings 4 and 2.
    // Score: 40×⅓ + 20×½ + 20×0.6 + 10×½ + 10×(1−½) = 45.3.
    assert_eq!(
        row("food-drug")[1..],
        [
            "食品药品监督管理局",
            "4",
            "50.0",
            "33.3",
            "2",
            "4.0",
            "13.5",
            "3",
            "1",
            "1",
            "50.0",
            "3.0",
            "45.3",
            "",
            "2"
        ]
    );
    // Every active department has a row; those with nothing due come last, unranked.
    let agriculture = row("agriculture");
    assert_eq!(
        agriculture[2..],
        ["0", "", "", "0", "", "", "0", "0", "0", "", "", "", "", ""]
    );
    assert_eq!(rows[0][0], "market-regulation");
    assert_eq!(rows[1][0], "food-drug");
    assert!(rows[2..].iter().all(|r| r[15].is_empty()));

    // The page shows the same table, the formula and the weights used.
    let page = get(&app, &admin, OCTOBER).await.text().await.unwrap();
    assert!(page.contains("<tr data-key=\"food-drug\">"));
    assert!(page.contains("id=\"formula\""));
    assert!(page.contains("使用默认权重 40、20、20、10、10"));
    assert!(page.contains("<title id=\"trend-chart-title\">"));
    assert!(!page.contains("style="), "the CSP forbids inline styles");

    // New weights apply to every period shown after the change, and the page says so.
    let token = app.admin_csrf(&admin, "/admin/reports/weights").await;
    let response = admin
        .post(app.url("/admin/reports/weights"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("finished_on_time", "0"),
            ("accepted_on_time", "100"),
            ("satisfaction", "0"),
            ("not_reopened", "0"),
            ("returns_upheld", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let (_, rows) = csv_of(&app, &admin, &format!("{OCTOBER}&format=csv")).await;
    let food = rows.iter().find(|r| r[0] == "food-drug").unwrap();
    assert_eq!(food[13], "50.0", "acceptance alone now");
    let page = get(&app, &admin, OCTOBER).await.text().await.unwrap();
    assert!(page.contains("id=\"weights-note\">使用的权重于"));
}

#[tokio::test]
async fn who_sees_the_bulletin_and_who_sets_the_weights() {
    let app = spawn_app().await;
    fixture(&app).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("sup-food", "supervisor", "food-drug").await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let supervisor = app.login("sup-food", STAFF_PASSWORD).await;
    let office = app.login("office", STAFF_PASSWORD).await;

    assert_eq!(get(&app, &clerk, OCTOBER).await.status().as_u16(), 403);
    let csv = format!("{OCTOBER}&format=csv");
    assert_eq!(get(&app, &clerk, &csv).await.status().as_u16(), 403);
    let (_, own) = csv_of(&app, &supervisor, &csv).await;
    assert_eq!(own.len(), 1, "a supervisor sees their own department");
    assert_eq!(own[0][0], "food-drug");
    assert_eq!(own[0][2], "4");
    let (_, by_district) = csv_of(
        &app,
        &supervisor,
        "/admin/reports?from=2026-10-01&to=2026-10-31&group=district&format=csv",
    )
    .await;
    let xinzhou = by_district.iter().find(|r| r[0] == "361102").unwrap();
    assert_eq!(xinzhou[2], "4", "only food and drugs' cases, by district");
    let (_, everything) = csv_of(&app, &office, &csv).await;
    assert!(everything.len() > 10);

    for member in [&office, &supervisor, &clerk] {
        let page = get(&app, member, "/admin/reports/weights").await;
        assert_eq!(page.status().as_u16(), 403);
    }
}

#[tokio::test]
async fn malformed_periods_and_weights_are_refused_with_a_message_never_an_error() {
    let app = spawn_app().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    for (query, problems) in [
        ("from=2026-13-01", 1),
        ("to=yesterday", 1),
        ("from=2026-11-01&to=2026-10-01", 1),
        ("from=2020-01-01&to=2026-10-01", 1),
        ("group=boss", 1),
        ("group=%FF", 1),
        ("from=%00", 1),
        ("format=pdf", 0),
        ("from=2026-10-01&to=2026-10-31", 0),
        ("from=2026-02-30", 1),
        ("from=2026-10-15&to=2026-11-20&group=district", 0),
        ("from=0000-01-01&to=0000-12-31", 0),
        ("from=9999-12-01&to=9999-12-31&group=category", 0),
        ("to=9999-12-31", 1),
        ("from=%2B2026-10-01", 1),
    ] {
        let response = get(&app, &admin, &format!("/admin/reports?{query}")).await;
        assert_eq!(response.status().as_u16(), 200, "{query}");
        let page = response.text().await.unwrap();
        let shown = crate::helpers::select_text(&page, "#report-problems li").len();
        assert_eq!(shown, problems, "{query}");
    }
    let token = app.admin_csrf(&admin, "/admin/reports/weights").await;
    for bad in ["", "-1", "101", "4.5", "abc", "1e2"] {
        let response = admin
            .post(app.url("/admin/reports/weights"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("finished_on_time", bad),
                ("accepted_on_time", "20"),
                ("satisfaction", "20"),
                ("not_reopened", "10"),
                ("returns_upheld", "10"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422, "{bad:?}");
    }
    let page = get(&app, &admin, "/admin/reports")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("使用默认权重"), "nothing was saved");
}

#[tokio::test]
async fn the_public_figures_hold_no_personal_data_and_are_computed_once_per_five_minutes() {
    let app = spawn_app().await;
    let ids = fixture(&app).await;
    let codes: Vec<String> = {
        let ids = ids[1..].to_vec();
        app.db
            .read(move |conn| {
                Ok(complaints::table
                    .filter(complaints::id.eq_any(ids))
                    .select(complaints::tracking_code)
                    .load(conn)?)
            })
            .await
            .unwrap()
    };
    let response = app.get("/stats").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let page = response.text().await.unwrap();
    for personal in [
        "张三",
        "138 0013 8000",
        "13800138000",
        "zhang.san@example.com",
        "好又多",
        "中山路",
        "91350100M000100Y43",
        "奶粉",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(codes)
    {
        assert!(!page.contains(&personal), "{personal} on /stats");
    }
    // Every active department, district and category has its row; the names are public.
    assert!(page.contains("<tr data-key=\"food-drug\"><th scope=\"row\">食品药品监督管理局</th>"));
    assert!(page.contains("<tr data-key=\"361102\">"));
    assert!(page.contains("<tr data-key=\"food\">"));
    assert!(page.contains("<title id=\"chart-1-title\">"));
    assert!(!page.contains("style="));
    let received = |page: &str| crate::helpers::select_text(page, "#city dd")[0].clone();
    let before = received(&page);

    // A case filed now is in the period, but the figures are those computed a moment ago.
    app.file_valid(valid_complaint()).await;
    let again = app.get_html("/stats").await;
    assert_eq!(received(&again), before, "computed once, kept five minutes");
    assert!(app.get_html("/").await.contains("href=\"/stats\""));
    // Every other page keeps `no-store`.
    assert_eq!(app.get("/").await.headers()["cache-control"], "no-store");
}

/// Runs `green-channel digest --as-of` twice at once; returns what each printed.
fn two_digests_at_once(app: &TestApp, as_of: &str) -> Vec<String> {
    let children: Vec<_> = (0..2)
        .map(|_| {
            crate::sweeper::command(app, &["digest", "--as-of", as_of])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        })
        .collect()
}

/// The digests the commands say they sent, together.
fn sent_in_all(printed: &[String]) -> u32 {
    printed
        .iter()
        .map(|line| {
            line.strip_prefix("digests ")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or_else(|| panic!("{line:?}"))
        })
        .sum()
}

/// (recipient, subject, text) of the digests written.
async fn digests(app: &TestApp) -> Vec<(String, String, String)> {
    use green_channel::db::schema::outbox;
    app.db
        .read(|conn| {
            Ok(outbox::table
                .filter(outbox::template.eq("digest"))
                .order(outbox::id)
                .select((outbox::recipient, outbox::subject, outbox::text_body))
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_weekly_digest_goes_once_per_recipient_and_week_without_personal_data() {
    let app = spawn_app().await;
    let ids = fixture(&app).await;
    app.create_user_with_email(
        "sup-food",
        "supervisor",
        "food-drug",
        Some("sup@food.example"),
    )
    .await;
    // A supervisor without an address gets nothing (and is flagged on /admin/users).
    app.create_user("sup-silent", "supervisor", "market-regulation")
        .await;

    // Monday Nov 2, 2026: the digest of Oct 26 – Nov 1. Two commands at once: one each.
    let printed = two_digests_at_once(&app, "2026-11-02T09:00:00+08:00");
    // Who sends which is a race; together they send each digest once.
    assert_eq!(sent_in_all(&printed), 2, "{printed:?}");
    let written = digests(&app).await;
    let mut recipients: Vec<&str> = written.iter().map(|(r, _, _)| r.as_str()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["quality-office@green-channel.invalid", "sup@food.example"]
    );
    // Later the same week: nothing more.
    let again = crate::sweeper::command(&app, &["digest", "--as-of", "2026-11-05T15:00:00+08:00"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "digests 0");

    let office = &written
        .iter()
        .find(|(r, _, _)| r.starts_with("quality-office"))
        .unwrap();
    assert!(office.1.starts_with("督查周报 2026-W45"), "{}", office.1);
    let text = &office.2;
    // c3 (acceptance) and c10 (handling, escalated) are overdue on Nov 2.
    assert!(text.contains("当前超期 2 件，其中督办 1 件"), "{text}");
    for case in [3, 10] {
        assert!(
            text.contains(&format!("/admin/complaints/{}", ids[case])),
            "case {case} in {text}"
        );
    }
    assert!(text.contains("/admin/reports?from=2026-10-26&to=2026-11-01"));
    let food = &written
        .iter()
        .find(|(r, _, _)| r == "sup@food.example")
        .unwrap()
        .2;
    assert!(food.contains("sup-food：以下是本部门"), "{food}");
    assert!(food.contains("食品药品监督管理局：受理"), "{food}");
    for (_, subject, text) in &written {
        for personal in [
            "张三",
            "138 0013 8000",
            "13800138000",
            "zhang.san@example.com",
        ] {
            assert!(
                !text.contains(personal) && !subject.contains(personal),
                "{personal}"
            );
        }
    }

    // The next week has its own digest.
    let next = two_digests_at_once(&app, "2026-11-09T08:00:00+08:00");
    assert_eq!(sent_in_all(&next), 2, "{next:?}");
    assert_eq!(digests(&app).await.len(), 4);
}

/// The day tallies as stored (rows that add up to nothing left out), in a stable order.
pub async fn stored_tallies(
    app: &TestApp,
) -> Vec<(String, NaiveDate, String, String, String, i32, i64)> {
    use green_channel::db::schema::bulletin_tallies as t;
    app.db
        .read(|conn| {
            Ok(t::table
                .filter(t::count.ne(0))
                .order((
                    t::family,
                    t::day,
                    t::department_code,
                    t::group_key,
                    t::measure,
                    t::value,
                ))
                .select((
                    t::family,
                    t::day,
                    t::department_code,
                    t::group_key,
                    t::measure,
                    t::value,
                    t::count,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

pub async fn recounted_tallies(
    app: &TestApp,
) -> Vec<(String, NaiveDate, String, String, String, i32, i64)> {
    let output = crate::sweeper::command(app, &["recount-bulletin"])
        .output()
        .expect("the binary runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && printed.starts_with("cases "),
        "{printed}"
    );
    stored_tallies(app).await
}

#[tokio::test]
async fn the_day_tallies_kept_by_every_step_equal_a_recount_from_the_records() {
    use crate::sweeper::sweep_at;
    use crate::triage::{act, resident_post};
    let app = spawn_app().await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    app.create_user("clerk-market", "clerk", "market-regulation")
        .await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let office = app.login("office", STAFF_PASSWORD).await;
    let market = app.login("clerk-market", STAFF_PASSWORD).await;
    let mut cases = Vec::new();
    for _ in 0..6 {
        let code = app.file_valid(valid_complaint()).await;
        let id = complaint(&app, &code).await.id.to_string();
        cases.push((code, id));
    }
    let ok = |response: reqwest::Response, step: &str| {
        assert_eq!(response.status().as_u16(), 303, "{step}");
    };
    // Answered after a pause, rated low (which reopens it), answered again.
    let (code, id) = &cases[0];
    for (action, fields) in [
        ("accept", &[][..]),
        ("pause", &[("reason", "送检")][..]),
        ("resume", &[][..]),
        (
            "reply",
            &[("message", "已责令商家退款。"), ("outcome", "refund")][..],
        ),
    ] {
        ok(act(&app, &clerk, id, action, fields).await, action);
    }
    // A low rating reopens it; answered again and rated well, the office reopens it.
    ok(
        resident_post(&app, code, "rating", &[("score", "2")]).await,
        "rating 2",
    );
    ok(
        act(
            &app,
            &clerk,
            id,
            "reply",
            &[("message", "已再次核查。"), ("outcome", "refund")],
        )
        .await,
        "reply again",
    );
    ok(
        resident_post(&app, code, "rating", &[("score", "4")]).await,
        "rating 4",
    );
    ok(
        act(
            &app,
            &office,
            id,
            "reopen",
            &[("reason", "抽查发现问题，重新办理")],
        )
        .await,
        "reopen",
    );
    // Returned and designated elsewhere, which accepts.
    let (_, id) = &cases[1];
    ok(
        act(&app, &clerk, id, "return", &[("reason", "不属于本部门")]).await,
        "return",
    );
    ok(
        act(
            &app,
            &office,
            id,
            "transfer",
            &[
                ("department", "market-regulation"),
                ("reason", "服务类投诉"),
            ],
        )
        .await,
        "designate",
    );
    ok(act(&app, &market, id, "accept", &[]).await, "accept");
    // Withdrawn by the resident.
    let (code, _) = &cases[2];
    ok(
        resident_post(&app, code, "withdraw", &[("reason", "已和商家协商解决")]).await,
        "withdraw",
    );
    // Accepted and answered the same day.
    let (_, id) = &cases[3];
    ok(act(&app, &clerk, id, "accept", &[]).await, "accept");
    ok(
        act(
            &app,
            &clerk,
            id,
            "reply",
            &[("message", "已调解。"), ("outcome", "mediated_agreement")],
        )
        .await,
        "reply",
    );
    // Merged into the case answered the same day.
    ok(
        act(
            &app,
            &clerk,
            &cases[5].1,
            "merge",
            &[("into", cases[3].1.as_str()), ("reason", "重复")],
        )
        .await,
        "merge",
    );
    assert_rollups_add_up_the_days(&app, "after the steps").await;
    assert_eq!(
        stored_tallies(&app).await,
        recounted_tallies(&app).await,
        "after the steps"
    );
    assert_rollups_add_up_the_days(&app, "after the recount").await;

    // Cases[4] never accepted: the sweeper marks it late and escalates it, and closes the
    // answered, unrated one.
    let later = complaint(&app, &cases[4].0).await.accept_due + chrono::Days::new(40);
    let swept = sweep_at(&app, later);
    assert!(swept.contains("escalated 1"), "{swept}");
    assert!(!swept.contains("closed 0"), "{swept}");
    let kept = stored_tallies(&app).await;
    let measures: std::collections::BTreeSet<&str> = kept.iter().map(|t| t.4.as_str()).collect();
    for measure in [
        "received_by_department",
        "received_case",
        "accept_due",
        "accept_kept",
        "finish_due",
        "days_to_accept",
        "days_to_finish",
        "escalated",
        "return_upheld",
        "resolved",
        "reopened",
        "rating",
    ] {
        assert!(
            measures.contains(measure),
            "{measure} counted: {measures:?}"
        );
    }
    assert_rollups_add_up_the_days(&app, "after the sweep").await;
    assert_eq!(kept, recounted_tallies(&app).await, "after the sweep");

    // A database from before the tallies: the first start after the migration counts them.
    app.db
        .write(|conn| {
            use green_channel::db::schema::{bulletin_rollups, bulletin_state, bulletin_tallies};
            diesel::delete(bulletin_tallies::table).execute(conn)?;
            diesel::delete(bulletin_rollups::table).execute(conn)?;
            diesel::update(bulletin_state::table)
                .set(bulletin_state::tallies_built.eq(false))
                .execute(conn)?;
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
    assert!(stored_tallies(&app).await.is_empty());
    sweep_at(&app, later);
    assert_eq!(stored_tallies(&app).await, kept, "counted at start");
    assert_rollups_add_up_the_days(&app, "counted at start").await;
}

type DayRow = (String, NaiveDate, String, String, String, i32, i64);
type RollupRow = (String, String, NaiveDate, String, String, String, i32, i64);

/// The month and week-part roll-ups as stored, rows that add up to nothing left out.
async fn stored_rollups(app: &TestApp) -> Vec<RollupRow> {
    use green_channel::db::schema::bulletin_rollups as r;
    let mut rows: Vec<RollupRow> = app
        .db
        .read(|conn| {
            Ok(r::table
                .filter(r::count.ne(0))
                .select((
                    r::family,
                    r::grain,
                    r::starts_on,
                    r::department_code,
                    r::group_key,
                    r::measure,
                    r::value,
                    r::count,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    rows.sort();
    rows
}

/// What the roll-ups must hold, worked out here from the day rows: their sums by calendar
/// month and by week part (Monday to Sunday, cut at the month's ends).
fn rollups_of(days: &[DayRow]) -> Vec<RollupRow> {
    use chrono::Datelike as _;
    let mut sums: std::collections::BTreeMap<RollupRow, i64> = Default::default();
    for (family, day, department, key, measure, value, count) in days {
        let month = day.with_day(1).unwrap();
        let monday = *day - chrono::Days::new(day.weekday().num_days_from_monday().into());
        for (grain, start) in [("month", month), ("week", monday.max(month))] {
            let row = (
                family.clone(),
                grain.to_owned(),
                start,
                department.clone(),
                key.clone(),
                measure.clone(),
                *value,
                0,
            );
            *sums.entry(row).or_default() += count;
        }
    }
    sums.into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|(row, n)| (row.0, row.1, row.2, row.3, row.4, row.5, row.6, n))
        .collect()
}

async fn assert_rollups_add_up_the_days(app: &TestApp, step: &str) {
    let days = stored_tallies(app).await;
    assert!(!days.is_empty(), "{step}");
    assert_eq!(stored_rollups(app).await, rollups_of(&days), "{step}");
}

#[tokio::test]
async fn the_migration_derives_from_existing_day_rows_the_rollups_the_service_keeps() {
    use green_channel::domain::bulletin::{Measure, Place, Tally};
    let app = spawn_app().await;
    fixture(&app).await;
    // Days whose week is cut by a month's end or start, and a leap day.
    let edges: Vec<Tally> = [
        day(10, 1),
        day(10, 31),
        day(11, 1),
        day(12, 31),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
    ]
    .into_iter()
    .map(|day| Tally {
        day,
        place: Place {
            department: "food-drug".into(),
            district: "361102".into(),
            category: "food".into(),
        },
        measure: Measure::Rating,
        value: 5,
    })
    .collect();
    app.db
        .write(move |conn| {
            let mut sums = green_channel::db::bulletin::DayTallies::default();
            sums.add(&edges, 1);
            sums.write(conn)
        })
        .await
        .unwrap();
    let kept = stored_rollups(&app).await;
    use chrono::Datelike as _;
    let cut_at_a_month = |r: &RollupRow| r.1 == "week" && r.2.weekday() != chrono::Weekday::Mon;
    assert!(kept.iter().any(cut_at_a_month), "{kept:?}");
    app.db
        .write(|conn| {
            use green_channel::db::schema::bulletin_rollups;
            diesel::delete(bulletin_rollups::table).execute(conn)?;
            // The migration's own statements, after its `CREATE TABLE`.
            let up = match conn {
                green_channel::db::AnyConnection::Sqlite(_) => include_str!(
                    "../../migrations/sqlite/2026-12-03-000081_bulletin_rollups/up.sql"
                ),
                green_channel::db::AnyConnection::Postgresql(_) => include_str!(
                    "../../migrations/postgres/2026-12-03-000081_bulletin_rollups/up.sql"
                ),
            };
            let inserts = &up[up.find("INSERT INTO").expect("the migration derives rows")..];
            for statement in inserts.split(';').filter(|s| !s.trim().is_empty()) {
                diesel::sql_query(statement).execute(conn)?;
            }
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
    assert_eq!(stored_rollups(&app).await, kept);
}

#[tokio::test]
async fn a_period_of_part_months_and_weeks_sums_exactly_what_its_days_hold() {
    use green_channel::domain::bulletin::{Grouping, Period};
    let app = spawn_app().await;
    fixture(&app).await;
    assert_rollups_add_up_the_days(&app, "after the fixture").await;
    let days = stored_tallies(&app).await;
    for (from, to) in [
        (day(10, 15), day(11, 20)), // neither whole months nor whole weeks
        (day(10, 1), day(10, 31)),  // the default: one month
        (day(10, 26), day(11, 1)),  // a week across the month's end
        (day(10, 1), day(11, 30)),  // two months
        (day(10, 7), day(10, 7)),   // one day
        (day(10, 5), day(10, 11)),  // one whole week
        (
            NaiveDate::from_ymd_opt(2026, 9, 28).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        ),
    ] {
        let period = Period { from, to };
        for grouping in [
            None,
            Some(Grouping::Department),
            Some(Grouping::District),
            Some(Grouping::Category),
        ] {
            let family = grouping.map_or("city", Grouping::as_str);
            let mut expected: std::collections::BTreeMap<_, i64> = Default::default();
            for (f, d, department, key, measure, value, count) in &days {
                if f == family && period.contains(*d) {
                    *expected
                        .entry((department.clone(), key.clone(), measure.clone(), *value))
                        .or_default() += count;
                }
            }
            expected.retain(|_, n| *n != 0);
            let (sums, counts) = app
                .db
                .read(move |conn| {
                    Ok((
                        green_channel::db::bulletin::sums(conn, grouping, period)?,
                        green_channel::db::bulletin::counts(conn, grouping, period)?,
                    ))
                })
                .await
                .unwrap();
            let keyed = |rows: Vec<green_channel::db::bulletin::SumRow>| {
                rows.into_iter()
                    .filter(|r| r.sum.count != 0)
                    .map(|r| {
                        (
                            (
                                r.department,
                                r.sum.key,
                                r.sum.measure.as_str().to_owned(),
                                r.sum.value,
                            ),
                            r.sum.count,
                        )
                    })
                    .collect::<std::collections::BTreeMap<_, i64>>()
            };
            assert!(!expected.is_empty(), "{period:?} {family}");
            assert_eq!(keyed(sums), expected, "{period:?} {family}");
            // Without the histograms of working days (the weekly trend's reading).
            expected.retain(|(_, _, measure, _), _| !measure.starts_with("days_to_"));
            assert_eq!(keyed(counts), expected, "{period:?} {family} counts");
        }
    }
    // The page of such a period answers with every department's row.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let (_, rows) = csv_of(
        &app,
        &admin,
        "/admin/reports?from=2026-10-15&to=2026-11-20&format=csv",
    )
    .await;
    assert!(rows.iter().any(|r| r[0] == "food-drug"), "{rows:?}");
}
