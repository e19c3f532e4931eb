//! Deadlines that act (issue 10): the records a case's steps write, and the sweeper's
//! reminder, overdue notice, 督办 escalation and closing — each exactly once, whether the
//! passes run one after another, side by side, killed half-way, or inside two instances.
//! Passes run as the real `green-channel sweep --as-of …` at moments computed from the
//! case's own dates, so nothing here depends on today's clock.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use green_channel::db::deadlines::DeadlineRow;
use green_channel::db::reference::ReferenceData;
use green_channel::db::schema::{complaints, deadlines, events};
use green_channel::domain::deadlines::DeadlineKind;

use crate::helpers::{
    spawn_app, start_with_mail_worker, test_config, valid_complaint, with, TestApp, STAFF_PASSWORD,
};
use crate::smtp_server::SmtpServer;
use crate::test_database::{binary_env, DatabaseGuard};
use crate::triage::{act, complaint, emails_to};

/// 09:00 city time on `day`, as `--as-of` takes it.
fn morning(day: NaiveDate) -> String {
    format!("{day}T09:00:00+08:00")
}

fn sweep_command(app: &TestApp, day: NaiveDate) -> Command {
    sweep_command_as_of(app, &morning(day))
}

fn sweep_command_as_of(app: &TestApp, as_of: &str) -> Command {
    command(app, &["sweep", "--as-of", as_of])
}

/// The real binary with `args`, against the test's database, mail going to files.
pub fn command(app: &TestApp, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_green-channel"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SECRET_KEY")
        .env_remove("SMTP_URL")
        .env("BASE_URL", &app.config.base_url)
        .env("RUST_LOG", "warn");
    binary_env(&mut command, &app.data_dir);
    command
}

/// One pass of the real command as of 09:00 on `day`: the line it prints.
pub fn sweep_at(app: &TestApp, day: NaiveDate) -> String {
    let output = sweep_command(app, day).output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

pub fn counts(reminded: u32, overdue: u32, escalated: u32, closed: u32) -> String {
    format!("reminded {reminded}, overdue {overdue}, escalated {escalated}, closed {closed}")
}

pub async fn records(app: &TestApp, id: &str) -> Vec<DeadlineRow> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(deadlines::table
                .filter(deadlines::complaint_id.eq(id))
                .order(deadlines::id)
                .select(DeadlineRow::as_select())
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// The kinds of the case's timeline events, oldest first.
pub async fn event_kinds(app: &TestApp, id: &str) -> Vec<String> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(events::table
                .filter(events::complaint_id.eq(id))
                .order(events::id)
                .select(events::kind)
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// (template, recipient) of the case's emails written by the sweeper.
async fn sweeper_emails(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let sweeper = [
        "deadline_reminder",
        "deadline_overdue",
        "escalated",
        "closed",
    ];
    emails_to(app, id)
        .await
        .into_iter()
        .filter(|(_, template)| sweeper.contains(&template.as_str()))
        .map(|(recipient, template)| (template, recipient))
        .collect()
}

async fn reference(app: &TestApp) -> ReferenceData {
    app.db.read(ReferenceData::load).await.unwrap()
}

fn inbox(reference: &ReferenceData, code: &str) -> String {
    reference.department(code).unwrap().inbox_email.clone()
}

/// An account whose notices go to `USERNAME@dept.example`.
async fn user_with_email(app: &TestApp, username: &str, role: &str, department: &str) {
    let email = format!("{username}@dept.example");
    app.create_user_with_email(username, role, department, Some(&email))
        .await;
}

/// Makes `username` the case's assignee, as the assign action leaves it.
async fn assign(app: &TestApp, id: &str, username: &str) {
    let (id, username) = (id.to_owned(), username.to_owned());
    app.db
        .write(move |conn| {
            use green_channel::db::schema::users;
            let user: String = users::table
                .filter(users::username.eq(username))
                .select(users::id)
                .first(conn)?;
            diesel::update(complaints::table.filter(complaints::id.eq(id)))
                .set(complaints::assignee.eq(user))
                .execute(conn)?;
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_case_s_steps_start_meet_stop_and_move_its_deadline_records() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    let id = row.id.to_string();

    let filed = records(&app, &id).await;
    assert_eq!(filed.len(), 1, "{filed:?}");
    assert_eq!(filed[0].kind, DeadlineKind::Accept);
    assert_eq!(filed[0].department_code, "food-drug");
    assert_eq!(filed[0].due_on, row.accept_due);
    assert!(filed[0].is_open());

    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let steps: [(&str, &[(&str, &str)]); 3] = [
        ("accept", &[]),
        ("pause", &[("reason", "送检，等待检验报告")]),
        ("resume", &[]),
    ];
    for (action, fields) in steps {
        let response = act(&app, &clerk, &id, action, fields).await;
        assert_eq!(response.status().as_u16(), 303, "{action}");
    }
    let after = complaint(&app, &code).await;
    let held = records(&app, &id).await;
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(held[0].met_at.is_some(), "acceptance met: {held:?}");
    assert_eq!(held[1].kind, DeadlineKind::Finish);
    // Paused and resumed on the same day: the date stands, the clock runs again.
    assert_eq!(Some(held[1].due_on), after.finish_due);
    assert_eq!(held[1].paused_on, None);
    assert!(held[1].is_open());
    let resumed = event_kinds(&app, &id).await;
    assert_eq!(resumed.last().map(String::as_str), Some("resumed"));

    let reply = [("message", "已责令商家退款。"), ("outcome", "refund")];
    let response = act(&app, &clerk, &id, "reply", &reply).await;
    assert_eq!(response.status().as_u16(), 303);
    let answered = records(&app, &id).await;
    assert!(answered.iter().all(|d| !d.is_open()), "{answered:?}");
    assert!(answered[1].met_at.is_some());
}

#[tokio::test]
async fn the_resumed_event_tells_the_resident_the_new_finish_date() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let id = complaint(&app, &code).await.id.to_string();
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    for (action, fields) in [("accept", &[][..]), ("pause", &[("reason", "送检")][..])] {
        assert_eq!(act(&app, &clerk, &id, action, fields).await.status(), 303);
    }
    // While the clock stands the page says so, and the date has no count beside it.
    let paused = app.get_html(&format!("/track/{code}")).await;
    assert!(paused.contains("id=\"clock-stopped\""), "{paused}");
    assert!(!paused.contains("data-due-standing"));
    assert_eq!(act(&app, &clerk, &id, "resume", &[]).await.status(), 303);
    let finish_due = complaint(&app, &code).await.finish_due.unwrap();
    let page = app.get_html(&format!("/track/{code}")).await;
    assert!(
        page.contains(&format!("办结期限顺延至 {finish_due}")),
        "the tracking page gives the new date {finish_due}"
    );
    assert!(!page.contains("id=\"clock-stopped\""), "running again");
}

#[tokio::test]
async fn reminder_overdue_and_escalation_each_happen_once_with_the_right_recipients() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    let id = row.id.to_string();
    user_with_email(&app, "sup-food", "supervisor", "food-drug").await;
    user_with_email(&app, "clerk-food", "clerk", "food-drug").await;
    user_with_email(&app, "sup-other", "supervisor", "market-regulation").await;
    assign(&app, &id, "clerk-food").await;
    let reference = reference(&app).await;
    let calendar = &reference.calendar;
    let due = row.accept_due;
    let nothing = counts(0, 0, 0, 0);

    // Three working days ahead: too early for anything.
    let early = calendar.add_working_days(row.created_at.date(), 3);
    assert!(calendar.working_days_between(early, due) > 2);
    assert_eq!(sweep_at(&app, early), nothing);
    // On the due date: one reminder; the next pass, none.
    assert_eq!(sweep_at(&app, due), counts(1, 0, 0, 0));
    assert_eq!(sweep_at(&app, due), nothing);
    // The next calendar day: overdue, once.
    let overdue = due.succ_opt().unwrap();
    assert_eq!(sweep_at(&app, overdue), counts(0, 1, 0, 0));
    assert_eq!(sweep_at(&app, overdue), nothing);
    // Two working days after that: escalated to the office, once.
    let escalation = calendar.add_working_days(overdue, 2);
    let before_escalation = calendar.add_working_days(overdue, 1);
    assert_eq!(sweep_at(&app, before_escalation), nothing);
    assert_eq!(sweep_at(&app, escalation), counts(0, 0, 1, 0));
    assert_eq!(sweep_at(&app, escalation), nothing);

    let kinds = event_kinds(&app, &id).await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!((count("overdue"), count("escalated")), (1, 1), "{kinds:?}");
    let accept = &records(&app, &id).await[0];
    assert!(accept.reminded_at.is_some() && accept.overdue_at.is_some());
    assert!(accept.escalated_at.is_some() && accept.is_open());

    let lead = inbox(&reference, "food-drug");
    let office = inbox(&reference, "quality-office");
    let pair = |template: &str, to: &str| (template.to_owned(), to.to_owned());
    assert_eq!(
        sweeper_emails(&app, &id).await,
        vec![
            pair("deadline_reminder", &lead),
            pair("deadline_reminder", "clerk-food@dept.example"),
            pair("deadline_overdue", &lead),
            pair("deadline_overdue", "sup-food@dept.example"),
            pair("escalated", &office),
        ]
    );
}

#[tokio::test]
async fn a_case_the_office_designated_is_escalated_the_day_it_goes_overdue() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let id = complaint(&app, &code).await.id.to_string();
    app.create_user("office", "coordinator", "quality-office")
        .await;
    let office = app.login("office", STAFF_PASSWORD).await;
    let response = act(
        &app,
        &office,
        &id,
        "transfer",
        &[
            ("department", "market-regulation"),
            ("reason", "属市场监管职责"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let designated = complaint(&app, &code).await;
    assert!(designated.designated);
    // The resident's timeline names the department (it once read "已指定由{department}办理").
    let page = app.get_html(&format!("/track/{code}")).await;
    assert!(page.contains("已指定由工商行政管理局办理"), "{page}");
    assert!(!page.contains("{department}"));
    let held = records(&app, &id).await;
    assert!(held[0].superseded_at.is_some(), "{held:?}");
    let open: Vec<_> = held.iter().filter(|d| d.is_open()).collect();
    assert_eq!(open.len(), 1, "{held:?}");
    assert_eq!(open[0].department_code, "market-regulation");
    assert_eq!(open[0].due_on, designated.accept_due);

    let overdue = designated.accept_due.succ_opt().unwrap();
    assert_eq!(sweep_at(&app, overdue), counts(0, 1, 1, 0));
    assert_eq!(sweep_at(&app, overdue), counts(0, 0, 0, 0));
}

#[tokio::test]
async fn two_sweeps_at_once_act_once() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let code = app.file_valid(valid_complaint()).await;
        ids.push(complaint(&app, &code).await);
    }
    let overdue = ids[0].accept_due.succ_opt().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            sweep_command(&app, overdue)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let lines: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        })
        .collect();
    let overdue_counted: u32 = lines
        .iter()
        .map(|line| {
            let n = line.split(", ").nth(1).unwrap();
            n.trim_start_matches("overdue ").parse::<u32>().unwrap()
        })
        .sum();
    assert_eq!(overdue_counted, 3, "{lines:?}");
    for row in &ids {
        let id = row.id.to_string();
        let kinds = event_kinds(&app, &id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "overdue").count(),
            1,
            "{kinds:?}"
        );
        let emails = sweeper_emails(&app, &id).await;
        assert_eq!(emails.len(), 1, "{emails:?}");
    }
}

#[tokio::test]
async fn a_pass_killed_between_claim_and_commit_leaves_nothing_and_the_next_pass_acts() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    let id = row.id.to_string();
    let overdue = row.accept_due.succ_opt().unwrap();

    let mut child = sweep_command(&app, overdue)
        .arg("--hold-after-claim")
        .arg("600")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the claim itself (its line on stderr), not for a while.
    let stderr = child.stderr.take().unwrap();
    let claimed = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("claimed ") && line != "claimed 0");
    assert_eq!(claimed.as_deref(), Some("claimed 1"));
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback by the program itself.
    child.wait().unwrap();

    assert!(records(&app, &id).await[0].overdue_at.is_none());
    assert!(!event_kinds(&app, &id).await.contains(&"overdue".to_owned()));
    assert!(sweeper_emails(&app, &id).await.is_empty());
    assert_eq!(sweep_at(&app, overdue), counts(0, 1, 0, 0));
    assert_eq!(sweeper_emails(&app, &id).await.len(), 1);
}

#[tokio::test]
async fn an_answer_nobody_rated_is_closed_once_when_the_window_ends() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let id = complaint(&app, &code).await.id.to_string();
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let reply = [("message", "已责令商家退款。"), ("outcome", "refund")];
    assert_eq!(act(&app, &clerk, &id, "accept", &[]).await.status(), 303);
    assert_eq!(act(&app, &clerk, &id, "reply", &reply).await.status(), 303);
    let resolved_at = complaint(&app, &code).await.resolved_at.unwrap();
    let window = i64::from(app.config.rating_window_days);
    // The window counts from the answer: a day before its end nothing closes.
    let city = |at: NaiveDateTime| (at + chrono::Duration::hours(8)).date();
    let inside = city(resolved_at + chrono::Duration::days(window - 1));
    assert_eq!(sweep_at(&app, inside), counts(0, 0, 0, 0));
    let after = city(resolved_at + chrono::Duration::days(window + 1));
    assert_eq!(sweep_at(&app, after), counts(0, 0, 0, 1));
    assert_eq!(sweep_at(&app, after), counts(0, 0, 0, 0));
    let closed = complaint(&app, &code).await;
    assert_eq!(closed.state, "closed");
    assert_eq!(
        sweeper_emails(&app, &id).await,
        vec![("closed".to_owned(), "zhang.san@example.com".to_owned())]
    );
}

#[tokio::test]
async fn deadline_emails_reach_the_departments_in_chinese_without_personal_data() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = crate::helpers::spawn_app_with(move |config| config.smtp_url = Some(url)).await;
    let code = app
        .file_valid(with(valid_complaint(), "email", "wang.wu@example.com"))
        .await;
    let row = complaint(&app, &code).await;
    let id = row.id.to_string();
    user_with_email(&app, "sup-food", "supervisor", "food-drug").await;
    let reference = reference(&app).await;
    let overdue = row.accept_due.succ_opt().unwrap();
    let escalation = reference.calendar.add_working_days(overdue, 2);
    assert_eq!(sweep_at(&app, row.accept_due), counts(1, 0, 0, 0));
    assert_eq!(sweep_at(&app, overdue), counts(0, 1, 0, 0));
    assert_eq!(sweep_at(&app, escalation), counts(0, 0, 1, 0));
    // The pass ran as of that morning, so its emails fall due then.
    app.dispatch_emails_at(escalation.and_hms_opt(12, 0, 0).unwrap())
        .await;

    let messages = smtp.messages();
    let sent: Vec<_> = messages
        .iter()
        .filter(|m| {
            let subject = m.subject();
            ["期限提醒", "已超期", "督办"]
                .iter()
                .any(|s| subject.starts_with(s))
        })
        .collect();
    // Delivery order is the worker's business: compare (kind, recipient) as a set.
    let mut recipients: Vec<(&str, String)> = sent
        .iter()
        .map(|m| {
            let kind = ["期限提醒", "已超期", "督办"]
                .into_iter()
                .find(|s| m.subject().starts_with(s))
                .unwrap();
            (kind, m.rcpt_to.join(","))
        })
        .collect();
    recipients.sort();
    let mut expected = vec![
        ("期限提醒", inbox(&reference, "food-drug")),
        ("已超期", inbox(&reference, "food-drug")),
        ("已超期", "sup-food@dept.example".to_owned()),
        ("督办", inbox(&reference, "quality-office")),
    ];
    expected.sort();
    assert_eq!(recipients, expected);
    for message in sent {
        let (text, html) = (message.text(), message.html());
        for personal in [
            "张三",
            "138 0013 8000",
            "13800138000",
            "wang.wu@example.com",
            code.as_str(),
        ] {
            assert!(
                !text.contains(personal) && !html.contains(personal),
                "{personal}"
            );
            assert!(!message.subject().contains(personal));
        }
        assert!(text.contains(&format!("/admin/complaints/{id}")), "{text}");
        assert!(html.contains("lang=\"zh-Hans\""));
    }
}

#[tokio::test]
async fn two_instances_each_running_the_sweeper_escalate_a_late_case_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.sweep_interval_seconds = 1;
    let first = start_with_mail_worker(config.clone()).await;
    let code = first.file_valid(valid_complaint()).await;
    let id = complaint(&first, &code).await.id.to_string();
    // The case's acceptance date is moved well into the past: both sweepers find it late.
    {
        let id = id.clone();
        first
            .db
            .write(move |conn| {
                diesel::update(deadlines::table.filter(deadlines::complaint_id.eq(id)))
                    .set(deadlines::due_on.eq(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()))
                    .execute(conn)?;
                Ok::<_, green_channel::db::DbError>(())
            })
            .await
            .unwrap();
    }
    let second = start_with_mail_worker(config).await;
    // Each instance finishes passes after the change; a pass started before it may have
    // missed it, so wait for three.
    for app in [&first, &second] {
        wait_for_passes(app, 3).await;
    }
    let kinds = event_kinds(&first, &id).await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!((count("overdue"), count("escalated")), (1, 1), "{kinds:?}");
    let templates: Vec<String> = sweeper_emails(&first, &id)
        .await
        .into_iter()
        .map(|(template, _)| template)
        .collect();
    assert_eq!(templates, ["deadline_overdue", "escalated"]);
    drop(second);
    drop(first);
    drop(DatabaseGuard::of(dir.path()));
}

/// Reads `/metrics` until the instance's sweeper has finished `passes` passes since start.
async fn wait_for_passes(app: &TestApp, passes: u64) {
    for _ in 0..600 {
        let metrics = app.metrics().await.text().await.unwrap();
        let done: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("green_channel_sweeper_passes_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        if done >= passes {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the sweeper of {} never finished {passes} passes",
        app.address
    );
}

#[tokio::test]
async fn a_malformed_moment_is_refused_with_a_clear_message_and_nothing_is_done() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    for bad in [
        "yesterday",
        "",
        "2027-01-15",
        "2027-01-15T09:00:00",
        "2027-02-30T09:00:00+08:00",
        "2027-01-15T09:00:00+25:00",
        "９９９９-01-15T09:00:00Z",
    ] {
        let output = sweep_command_as_of(&app, bad)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.contains("expected a moment like 2027-01-15T09:00:00+08:00"),
            "{bad:?}: {stderr}"
        );
    }
    let untouched = records(&app, row.id.as_ref()).await;
    assert!(untouched[0].overdue_at.is_none() && untouched[0].reminded_at.is_none());
}
