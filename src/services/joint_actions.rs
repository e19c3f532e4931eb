//! Joint actions (联合执法, issue 13): opening one with its member tasks, linked cases and
//! the members' emails; the members' reports; linking, concluding (with the emails to the
//! members and to the residents of linked cases) and cancelling; the sweeper's pass over
//! the tasks; and who sees what. Every change is written in one transaction under the
//! action's version, with its timeline entry, its outbox rows and its bulletin tallies.
//!
//! Linking a case to an action does not change the case (no event, no version): the case's
//! page shows the action, read from the action's own tables.

use chrono::NaiveDateTime;

use crate::db::bulletin::DayTallies;
use crate::db::complaints::{self, ComplaintRow};
use crate::db::deadlines::SweepMark;
use crate::db::joint_actions::{
    self as db, Ending, JointActionRow, JointEventRow, MemberRow, NewJointActionRow,
    NewJointEventRow, NewMemberRow,
};
use crate::db::outbox;
use crate::db::reference::ReferenceData;
use crate::db::{users, AnyConnection, Database, DbError};
use crate::domain::access::{Access, StaffMember};
use crate::domain::bulletin::{task_tallies, Tally};
use crate::domain::calendar::city_date;
use crate::domain::deadlines::{due_effects, REMIND_WITHIN_WORKING_DAYS};
use crate::domain::ids::DepartmentCode;
use crate::domain::joint_action::{
    self as rules, JointCommand, JointEventKind, JointOutcome, JointState, NewJointAction,
};
use crate::mail::messages::joint_action::{
    concluded_to_complainant, to_department, ActionFacts, ActionNotice,
};
use crate::mail::messages::CaseContext;
use crate::mail::OutgoingEmail;
use crate::services::case::ArgumentProblem;
use crate::services::sweeper::SweepCounts;
use crate::services::ServiceError;

/// Why a change was not made, besides the service's usual refusals.
#[derive(Debug, thiserror::Error)]
pub enum JointError {
    /// The action changed since the form was shown (`409`).
    #[error("the joint action changed since it was read")]
    Stale,
    /// The action has ended: nothing more may change (`409`).
    #[error("the joint action has ended")]
    Ended,
    /// The department's task was reported already (`409`).
    #[error("the task was reported already")]
    AlreadyReported,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<anyhow::Error> for JointError {
    fn from(error: anyhow::Error) -> Self {
        JointError::Service(ServiceError::Unexpected(error))
    }
}

impl From<DbError> for JointError {
    fn from(error: DbError) -> Self {
        JointError::Service(ServiceError::Db(error))
    }
}

fn argument(field: &'static str, message_key: &'static str) -> ServiceError {
    ServiceError::Argument(ArgumentProblem { field, message_key })
}

fn is_member(members: &[MemberRow], department: &str) -> bool {
    members.iter().any(|m| m.department_code == department)
}

/// A row of the list page.
#[derive(Debug, Clone)]
pub struct ListedAction {
    pub action: JointActionRow,
    pub reported: usize,
    pub tasks: usize,
}

/// The actions `member` may see: every one for the office and administrators, those of
/// their department for anyone else.
pub async fn list(db: &Database, member: &StaffMember) -> Result<Vec<ListedAction>, ServiceError> {
    let department = (!member.role.sees_all()).then(|| member.department.to_string());
    Ok(db
        .read(move |conn| {
            let actions = db::list(conn, department.as_deref())?;
            let mut out = Vec::with_capacity(actions.len());
            for action in actions {
                let members = db::members_of(conn, action.id)?;
                out.push(ListedAction {
                    reported: members.iter().filter(|m| m.reported_at.is_some()).count(),
                    tasks: members.len(),
                    action,
                });
            }
            Ok(out)
        })
        .await?)
}

/// An action as its page shows it to one staff member.
#[derive(Debug, Clone)]
pub struct ActionView {
    pub action: JointActionRow,
    pub members: Vec<MemberRow>,
    /// The linked cases the viewer may see.
    pub cases: Vec<ComplaintRow>,
    /// Linked cases the viewer may not see (counted, not shown).
    pub hidden_cases: usize,
    pub events: Vec<JointEventRow>,
    /// The office or an administrator: links, concludes, cancels, reports for anyone.
    pub manages: bool,
}

impl ActionView {
    /// The departments whose open task the viewer may report now.
    pub fn reportable(&self, member: &StaffMember) -> Vec<&MemberRow> {
        if self.action.state != JointState::Open {
            return Vec::new();
        }
        self.members
            .iter()
            .filter(|m| m.is_open())
            .filter(|m| self.manages || m.department_code == member.department.as_str())
            .collect()
    }
}

/// The page of action `id`: `NotFound` for an action that does not exist or that the
/// member's department is not a member of (the office and administrators see all).
pub async fn view(
    db: &Database,
    member: &StaffMember,
    id: i64,
) -> Result<ActionView, ServiceError> {
    let department = member.department.to_string();
    let sees_all = member.role.sees_all();
    let found = db
        .read(move |conn| {
            let Some(action) = db::find(conn, id)? else {
                return Ok(None);
            };
            let members = db::members_of(conn, id)?;
            if !(sees_all || is_member(&members, &department)) {
                return Ok(None);
            }
            let ids = db::cases_of(conn, id)?;
            let mut cases = Vec::new();
            let mut hidden = 0;
            for case_id in &ids {
                let Some(row) = complaints::find(conn, case_id)? else {
                    continue;
                };
                let visible = sees_all
                    || row.lead_department == department.as_str()
                    || complaints::co_handler_rows(conn, &row.id)?
                        .iter()
                        .any(|c| c.department_code == department.as_str());
                if visible {
                    cases.push(row);
                } else {
                    hidden += 1;
                }
            }
            let events = db::events_of(conn, id)?;
            Ok(Some((action, members, cases, hidden, events)))
        })
        .await?;
    let (action, members, cases, hidden_cases, events) = found.ok_or(ServiceError::NotFound)?;
    Ok(ActionView {
        action,
        members,
        cases,
        hidden_cases,
        events,
        manages: sees_all,
    })
}

/// Whether `member` may take `command` on the action `view` shows.
pub fn access(view: &ActionView, member: &StaffMember, command: JointCommand) -> Access {
    rules::may_act(
        member.role,
        is_member(&view.members, member.department.as_str()),
        command,
    )
}

/// The joint actions a case is linked to, each with whether `member` may open its page.
pub async fn of_case(
    db: &Database,
    member: &StaffMember,
    complaint_id: &str,
) -> Result<Vec<(JointActionRow, bool)>, ServiceError> {
    let complaint_id = complaint_id.to_owned();
    let department = member.department.to_string();
    let sees_all = member.role.sees_all();
    Ok(db
        .read(move |conn| {
            let actions = db::actions_of_case(conn, &complaint_id)?;
            let mut out = Vec::with_capacity(actions.len());
            for action in actions {
                let visible = sees_all || is_member(&db::members_of(conn, action.id)?, &department);
                out.push((action, visible));
            }
            Ok(out)
        })
        .await?)
}

fn facts<'a>(
    action: &'a JointActionRow,
    reference: &'a ReferenceData,
    base_url: &'a str,
) -> ActionFacts<'a> {
    ActionFacts {
        id: action.id,
        title: &action.title,
        lead: &action.lead_department,
        reference,
        base_url,
    }
}

fn write_emails(
    conn: &mut AnyConnection,
    emails: Vec<(Option<String>, OutgoingEmail)>,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    for (complaint, email) in emails {
        outbox::insert(conn, &email.into_outbox_row(complaint.as_deref(), now))?;
    }
    Ok(())
}

fn event(
    action_id: i64,
    at: NaiveDateTime,
    user: Option<&str>,
    kind: JointEventKind,
    department: Option<&str>,
    note: Option<String>,
) -> NewJointEventRow {
    NewJointEventRow {
        action_id,
        at,
        actor_user: user.map(str::to_owned),
        kind,
        department_code: department.map(str::to_owned),
        note,
    }
}

/// The bulletin tallies of an action's tasks as the database holds them now.
fn tallies_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<Tally>, DbError> {
    Ok(db::members_of(conn, id)?
        .iter()
        .flat_map(|m| task_tallies(&m.fact()))
        .collect())
}

/// Brings the day tallies up to date with the action's tasks changed in this transaction.
fn refresh_tallies(conn: &mut AnyConnection, id: i64, before: Vec<Tally>) -> Result<(), DbError> {
    let mut delta = DayTallies::default();
    delta.add(&tallies_of(conn, id)?, 1);
    delta.add(&before, -1);
    delta.write(conn)
}

/// Opens a joint action (the office and administrators): its members' tasks due in
/// working days from today, its cases, the opening entry and one email to each member's
/// inbox. Returns the new action's id. Unknown cases are refused beside `cases`.
pub async fn open(
    db: &Database,
    reference: &ReferenceData,
    base_url: &str,
    member: &StaffMember,
    new: NewJointAction,
    business_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<i64, ServiceError> {
    if !rules::may_open(member.role) {
        return Err(ServiceError::Forbidden);
    }
    let reference = reference.clone();
    let base_url = base_url.to_owned();
    let user = member.user_id.to_string();
    db.write(move |conn| -> Result<i64, ServiceError> {
        let found = db::existing_cases(conn, &new.cases)?;
        if found.len() != new.cases.len() {
            return Err(argument("cases", "joint.error.unknown_cases"));
        }
        let business_id = match business_id {
            Some(b) => crate::db::businesses::find(conn, b)?.map(|b| b.id),
            None => None,
        };
        let id = db::insert_action(
            conn,
            &NewJointActionRow {
                title: new.title.clone(),
                lead_department: new.lead.clone(),
                state: JointState::Open,
                business_id,
                version: 1,
                created_by: user.clone(),
                created_at: now,
                updated_at: now,
            },
        )?;
        let today = city_date(now);
        let action = db::find(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))?;
        let mut emails = Vec::new();
        for task in &new.members {
            let due_on = rules::task_due(&reference.calendar, today, task.due_days);
            db::insert_member(
                conn,
                &NewMemberRow {
                    action_id: id,
                    department_code: task.department.clone(),
                    task: task.task.clone(),
                    started_on: today,
                    due_on,
                },
            )?;
            let notice = ActionNotice::Opened {
                task: task.task.clone(),
                due_on,
            };
            if let Some(email) = to_department(
                &facts(&action, &reference, &base_url),
                &task.department,
                &notice,
            )? {
                emails.push((None, email));
            }
        }
        for case in &new.cases {
            db::insert_case(conn, id, case, now)?;
        }
        db::insert_event(
            conn,
            &event(id, now, Some(&user), JointEventKind::Opened, None, None),
        )?;
        write_emails(conn, emails, now)?;
        Ok(id)
    })
    .await
}

/// A change asked for on an open action.
#[derive(Debug, Clone)]
pub enum JointChange {
    /// A member reports its part: `department` is the one reported for (the office and
    /// administrators name it; a member's own otherwise).
    Report {
        department: Option<String>,
        text: String,
    },
    Link {
        cases: Vec<String>,
    },
    Conclude {
        outcome: JointOutcome,
        summary: String,
    },
    Cancel {
        reason: String,
    },
}

impl JointChange {
    pub fn command(&self) -> JointCommand {
        match self {
            JointChange::Report { .. } => JointCommand::Report,
            JointChange::Link { .. } => JointCommand::Link,
            JointChange::Conclude { .. } => JointCommand::Conclude,
            JointChange::Cancel { .. } => JointCommand::Cancel,
        }
    }
}

/// Makes `change` on action `id` if it is still at `version`: `NotFound` for whoever may
/// not see it, `Forbidden` for a member asking for what only the office does, `Ended` once
/// it is over, `Stale` when it moved since the form was shown.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    db: &Database,
    reference: &ReferenceData,
    base_url: &str,
    member: &StaffMember,
    id: i64,
    version: i32,
    change: JointChange,
    now: NaiveDateTime,
) -> Result<(), JointError> {
    let reference = reference.clone();
    let base_url = base_url.to_owned();
    let member = member.clone();
    db.write(move |conn| -> Result<(), JointError> {
        let action = db::find(conn, id)?.ok_or(ServiceError::NotFound)?;
        let members = db::members_of(conn, id)?;
        let own = member.department.as_str();
        match rules::may_act(member.role, is_member(&members, own), change.command()) {
            Access::Allowed => {}
            Access::Forbidden => return Err(ServiceError::Forbidden.into()),
            Access::Hidden => return Err(ServiceError::NotFound.into()),
        }
        if !rules::allowed_in(action.state) {
            return Err(JointError::Ended);
        }
        if action.version != version {
            return Err(JointError::Stale);
        }
        let user = member.user_id.to_string();
        let tallies_before = tallies_of(conn, id)?;
        let mut emails: Vec<(Option<String>, OutgoingEmail)> = Vec::new();
        let entry = match &change {
            JointChange::Report { department, text } => {
                let department = match department.as_deref() {
                    Some(d) if member.role.sees_all() => d,
                    Some(d) if d != own => return Err(ServiceError::Forbidden.into()),
                    _ => own,
                };
                let Some(task) = members.iter().find(|m| m.department_code == department) else {
                    return Err(argument("department", "joint.error.unknown_department").into());
                };
                if !task.is_open() {
                    return Err(JointError::AlreadyReported);
                }
                if !db::report(conn, task.id, &user, text, now)? {
                    return Err(JointError::AlreadyReported);
                }
                event(
                    id,
                    now,
                    Some(&user),
                    JointEventKind::Reported,
                    Some(department),
                    Some(text.clone()),
                )
            }
            JointChange::Link { cases } => {
                if cases.is_empty() {
                    return Err(argument("cases", "joint.error.no_case").into());
                }
                let found = db::existing_cases(conn, cases)?;
                if found.len() != cases.len() {
                    return Err(argument("cases", "joint.error.unknown_cases").into());
                }
                let linked = db::cases_of(conn, id)?;
                let new: Vec<&String> = cases.iter().filter(|c| !linked.contains(c)).collect();
                if new.is_empty() {
                    return Err(argument("cases", "joint.error.already_linked").into());
                }
                for case in &new {
                    db::insert_case(conn, id, case, now)?;
                }
                let note = new.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ");
                event(
                    id,
                    now,
                    Some(&user),
                    JointEventKind::Linked,
                    None,
                    Some(note),
                )
            }
            JointChange::Conclude { outcome, summary } => {
                db::end(
                    conn,
                    id,
                    &Ending::Concluded {
                        outcome: *outcome,
                        summary: summary.clone(),
                    },
                    now,
                )?;
                let notice = ActionNotice::Concluded {
                    outcome: *outcome,
                    summary: summary.clone(),
                };
                for m in &members {
                    if let Some(email) = to_department(
                        &facts(&action, &reference, &base_url),
                        &m.department_code,
                        &notice,
                    )? {
                        emails.push((None, email));
                    }
                }
                for case_id in db::cases_of(conn, id)? {
                    let Some(row) = complaints::find(conn, &case_id)? else {
                        continue;
                    };
                    let case = CaseContext::of(&row, &reference, &base_url)?;
                    if let Some(email) = concluded_to_complainant(&case, *outcome, summary)? {
                        emails.push((Some(case_id.clone()), email));
                    }
                }
                event(
                    id,
                    now,
                    Some(&user),
                    JointEventKind::Concluded,
                    None,
                    Some(summary.clone()),
                )
            }
            JointChange::Cancel { reason } => {
                db::end(
                    conn,
                    id,
                    &Ending::Cancelled {
                        reason: reason.clone(),
                    },
                    now,
                )?;
                let notice = ActionNotice::Cancelled {
                    reason: reason.clone(),
                };
                for m in &members {
                    if let Some(email) = to_department(
                        &facts(&action, &reference, &base_url),
                        &m.department_code,
                        &notice,
                    )? {
                        emails.push((None, email));
                    }
                }
                event(
                    id,
                    now,
                    Some(&user),
                    JointEventKind::Cancelled,
                    None,
                    Some(reason.clone()),
                )
            }
        };
        if !db::bump(conn, id, version, now)? {
            return Err(JointError::Stale);
        }
        db::insert_event(conn, &entry)?;
        write_emails(conn, emails, now)?;
        refresh_tallies(conn, id, tallies_before)?;
        Ok(())
    })
    .await
}

/// Tasks claimed per transaction.
const BATCH: i64 = 50;

/// The sweeper's pass over the member tasks as of `now`: a reminder to the member's inbox
/// before the date, the overdue notice (to the inbox and its supervisors) after it, and
/// the escalation to the office two working days later, each once per task, each with its
/// timeline entry, like a case's deadlines.
pub async fn sweep_tasks(
    db: &Database,
    reference: &ReferenceData,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<SweepCounts, ServiceError> {
    let mut counts = SweepCounts::default();
    let mut after_id = 0;
    loop {
        let reference = reference.clone();
        let base_url = base_url.to_owned();
        let (batch, last) = db
            .write(move |conn| sweep_batch(conn, &reference, &base_url, now, after_id))
            .await?;
        counts.reminded += batch.reminded;
        counts.overdue += batch.overdue;
        counts.escalated += batch.escalated;
        match last {
            Some(id) => after_id = id,
            None => break,
        }
    }
    Ok(counts)
}

fn sweep_batch(
    conn: &mut AnyConnection,
    reference: &ReferenceData,
    base_url: &str,
    now: NaiveDateTime,
    after_id: i64,
) -> Result<(SweepCounts, Option<i64>), ServiceError> {
    let calendar = &reference.calendar;
    let today = city_date(now);
    let horizon = calendar.add_working_days(today, REMIND_WITHIN_WORKING_DAYS);
    let claimed = db::claim_sweepable(conn, horizon, after_id, BATCH)?;
    let mut counts = SweepCounts::default();
    for task in &claimed {
        let Some(action) = db::find(conn, task.action_id)? else {
            continue;
        };
        if action.state != JointState::Open {
            continue;
        }
        let due = due_effects(calendar, task.due_on, false, false, today);
        let facts = facts(&action, reference, base_url);
        let department = task.department_code.as_str();
        let effect = |conn: &mut AnyConnection,
                      mark: SweepMark,
                      kind: JointEventKind,
                      notice: ActionNotice,
                      also_to: Vec<String>|
         -> Result<bool, ServiceError> {
            if !db::set_mark(conn, task.id, mark, now)? {
                return Ok(false);
            }
            db::insert_event(
                conn,
                &event(action.id, now, None, kind, Some(department), None),
            )?;
            let mut emails = Vec::new();
            if let Some(email) = to_department(&facts, department, &notice)? {
                for address in also_to {
                    if address != email.recipient {
                        emails.push((
                            None,
                            OutgoingEmail {
                                recipient: address,
                                ..email.clone()
                            },
                        ));
                    }
                }
                emails.insert(0, (None, email));
            }
            write_emails(conn, emails, now)?;
            Ok(true)
        };
        if due.remind
            && task.reminded_at.is_none()
            && effect(
                conn,
                SweepMark::Reminded,
                JointEventKind::Reminded,
                ActionNotice::TaskReminder {
                    due_on: task.due_on,
                },
                Vec::new(),
            )?
        {
            counts.reminded += 1;
        }
        if due.overdue && task.overdue_at.is_none() {
            let supervisors = users::supervisor_emails(conn, &DepartmentCode::from(department))?;
            if effect(
                conn,
                SweepMark::Overdue,
                JointEventKind::Overdue,
                ActionNotice::TaskOverdue {
                    due_on: task.due_on,
                },
                supervisors,
            )? {
                counts.overdue += 1;
            }
        }
        if due.escalate
            && effect(
                conn,
                SweepMark::Escalated,
                JointEventKind::Escalated,
                ActionNotice::TaskEscalated {
                    department: department.to_owned(),
                    due_on: task.due_on,
                },
                Vec::new(),
            )?
        {
            counts.escalated += 1;
        }
    }
    Ok((counts, claimed.last().map(|t| t.id)))
}
