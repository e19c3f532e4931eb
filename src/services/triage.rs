//! A staff action on a complaint: who may, whether the state allows it, what changes,
//! which emails go out — built first, then written with its event under the version
//! check in one transaction. Handlers only parse the form and call `act`.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::complaints::{self, CoHandlerRow, ComplaintChanges, ComplaintRow, NewEventRow};
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::reference::ReferenceData;
use crate::db::{users, AnyConnection, DbError};
use crate::domain::access::{self, Access, Relation};
use crate::domain::calendar::city_date;
use crate::domain::complaint::{
    ActionArgument, ActorKind, CaseStatus, ComplaintKind, ComplaintState, Effect, Outcome,
    StaffAction, Transition,
};
use crate::domain::routing::route;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::mail::messages::{CaseContext, CaseUpdate, DepartmentNotice};
use crate::mail::OutgoingEmail;
use crate::services::WriteError;
use crate::state::AppState;

/// An action as the form asked for it, its text already checked.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    pub action: StaffAction,
    pub version: i32,
    pub message: Option<String>,
    pub argument: ActionArgument,
}

/// A complaint with what decides who may see it.
pub struct LoadedComplaint {
    pub row: ComplaintRow,
    pub co_handlers: Vec<CoHandlerRow>,
}

impl LoadedComplaint {
    pub fn relation(&self, department: &str) -> Relation {
        if self.row.lead_department == department {
            Relation::Lead
        } else if self
            .co_handlers
            .iter()
            .any(|c| c.department_code == department)
        {
            Relation::CoHandler
        } else {
            Relation::Unrelated
        }
    }

    pub fn state(&self) -> ComplaintState {
        ComplaintState::parse(&self.row.state).unwrap_or(ComplaintState::Assigned)
    }

    pub fn status(&self, today: NaiveDate) -> CaseStatus {
        CaseStatus {
            state: self.state(),
            lead: self.row.lead_department.clone(),
            designated: self.row.designated,
            paused: self.row.paused_since.is_some(),
            within_acceptance_window: today <= self.row.accept_due,
        }
    }
}

/// Loads a complaint the member may see; anything else is "not found" (DESIGN §4).
pub async fn load_visible(
    state: &AppState,
    staff: &Staff,
    id: &str,
) -> Result<LoadedComplaint, AppError> {
    let id = id.to_owned();
    let loaded = state
        .db
        .read(move |conn| {
            let Some(row) = complaints::find(conn, &id)? else {
                return Ok(None);
            };
            let co_handlers = complaints::co_handler_rows(conn, &id)?;
            Ok(Some(LoadedComplaint { row, co_handlers }))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    if !access::may_see(staff.role, loaded.relation(&staff.department)) {
        return Err(AppError::NotFound);
    }
    Ok(loaded)
}

/// Why an action's own parameters were refused: shown beside the field (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentProblem {
    pub field: &'static str,
    pub message_key: &'static str,
}

#[derive(Debug)]
pub enum ActError {
    App(AppError),
    Argument(ArgumentProblem),
}

impl From<AppError> for ActError {
    fn from(e: AppError) -> Self {
        ActError::App(e)
    }
}

impl From<DbError> for ActError {
    fn from(e: DbError) -> Self {
        ActError::App(e.into())
    }
}

/// Everything the write transaction does, built beforehand.
struct Plan {
    changes: ComplaintChanges,
    event: NewEventRow,
    replace_co_handlers: Option<Vec<CoHandlerRow>>,
    add_co_handler: Option<CoHandlerRow>,
    emails: Vec<NewOutboxRow>,
}

pub async fn act(
    state: &AppState,
    staff: &Staff,
    complaint_id: &str,
    request: ActionRequest,
    now: NaiveDateTime,
) -> Result<(), ActError> {
    let loaded = load_visible(state, staff, complaint_id).await?;
    match access::may_act(
        staff.role,
        loaded.relation(&staff.department),
        request.action,
    ) {
        Access::Allowed => {}
        Access::Forbidden => return Err(AppError::Forbidden.into()),
        Access::Hidden => return Err(AppError::NotFound.into()),
    }
    if loaded.row.version != request.version {
        return Err(AppError::Conflict.into());
    }
    let reference = state.reference().await?;
    let today = city_date(now);
    let office = reference
        .office()
        .map(|d| d.code.clone())
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no coordination office")))?;
    let mut request = request;
    if let Some(user_id) = check_argument(state, &reference, &loaded, &request).await? {
        // The form names a username; the complaint records the user's id.
        request.argument = ActionArgument::User(user_id);
    }
    let transition = loaded
        .status(today)
        .act(request.action, &request.argument, &office)
        .map_err(AppError::from)?;
    let plan = plan(
        &reference,
        &loaded,
        staff,
        &request,
        &transition,
        &office,
        &state.config.base_url,
        now,
    )
    .map_err(AppError::from)?;
    let (id, version) = (loaded.row.id.clone(), loaded.row.version);
    let written = state
        .db
        .write(move |conn| write(conn, &id, version, plan, now))
        .await;
    match written {
        Ok(()) => {
            state.mail_wakeup.notify_one();
            Ok(())
        }
        Err(error) => Err(AppError::from(error).into()),
    }
}

fn write(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    plan: Plan,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    if !complaints::apply_changes(conn, id, version, &plan.changes, now)? {
        return Err(WriteError::Stale);
    }
    complaints::insert_event(conn, &plan.event)?;
    if let Some(rows) = &plan.replace_co_handlers {
        complaints::remove_co_handlers(conn, id)?;
        for row in rows {
            complaints::add_co_handler(conn, row)?;
        }
    }
    if let Some(row) = &plan.add_co_handler {
        complaints::add_co_handler(conn, row)?;
    }
    for row in &plan.emails {
        outbox::insert(conn, row)?;
    }
    Ok(())
}

/// The action's own parameter must name something real: an active department that is
/// not already involved, or a clerk of the lead department (whose id is returned).
async fn check_argument(
    state: &AppState,
    reference: &ReferenceData,
    loaded: &LoadedComplaint,
    request: &ActionRequest,
) -> Result<Option<String>, ActError> {
    let problem = |field, key| {
        Err(ActError::Argument(ArgumentProblem {
            field,
            message_key: key,
        }))
    };
    match (&request.action, &request.argument) {
        (StaffAction::Transfer | StaffAction::Assist, ActionArgument::Department(code)) => {
            let active = reference.department(code).is_some_and(|d| d.active);
            if !active {
                return problem("department", "admin.action.error.unknown_department");
            }
            let involved = code == &loaded.row.lead_department
                || loaded
                    .co_handlers
                    .iter()
                    .any(|c| &c.department_code == code);
            if involved {
                return problem("department", "admin.action.error.already_involved");
            }
        }
        (StaffAction::Assign, ActionArgument::User(username)) => {
            let name = username.clone();
            let user = state
                .db
                .read(move |conn| users::find_by_username(conn, &name))
                .await?;
            return match user {
                Some(u) if u.active && u.department_code == loaded.row.lead_department => {
                    Ok(Some(u.id))
                }
                _ => problem("user", "admin.action.error.unknown_user"),
            };
        }
        _ => {}
    }
    Ok(None)
}

fn kind_of(row: &ComplaintRow) -> ComplaintKind {
    ComplaintKind::parse(&row.kind).unwrap_or(ComplaintKind::Complaint)
}

/// Which events the resident sees on the tracking page; the others are internal.
fn message_is_public(action: StaffAction) -> bool {
    matches!(
        action,
        StaffAction::Accept
            | StaffAction::Reject
            | StaffAction::RequestInfo
            | StaffAction::Pause
            | StaffAction::Reply
    )
}

#[allow(clippy::too_many_arguments)]
fn plan(
    reference: &ReferenceData,
    loaded: &LoadedComplaint,
    staff: &Staff,
    request: &ActionRequest,
    transition: &Transition,
    office: &str,
    base_url: &str,
    now: NaiveDateTime,
) -> anyhow::Result<Plan> {
    let row = &loaded.row;
    let EffectPlan {
        changes,
        replace_co_handlers,
        add_co_handler,
        event_department,
    } = effects(reference, row, transition, office, now)?;
    let message = request.message.clone();
    let public = message_is_public(request.action);
    let event = NewEventRow {
        complaint_id: row.id.clone(),
        at: now,
        actor_kind: ActorKind::User.as_str().to_owned(),
        actor_user: Some(staff.user_id.clone()),
        kind: transition.event.as_str().to_owned(),
        from_state: Some(transition.from.as_str().to_owned()),
        to_state: Some(transition.to.as_str().to_owned()),
        department_code: event_department,
        public_message: if public { message.clone() } else { None },
        internal_note: if public { None } else { message.clone() },
        is_opinion: request.action == StaffAction::Note
            && loaded.relation(&staff.department) == Relation::CoHandler,
    };
    let opinion_due = add_co_handler
        .as_ref()
        .map(|c: &CoHandlerRow| c.opinion_due);
    let emails = emails(
        reference,
        loaded,
        request,
        transition,
        &changes,
        opinion_due,
        base_url,
    )?
    .into_iter()
    .map(|e| e.into_outbox_row(Some(&row.id), now))
    .collect();
    Ok(Plan {
        changes,
        event,
        replace_co_handlers,
        add_co_handler,
        emails,
    })
}

/// What a transition's effect changes on the complaint, its co-handlers and its event.
pub(crate) struct EffectPlan {
    pub changes: ComplaintChanges,
    pub replace_co_handlers: Option<Vec<CoHandlerRow>>,
    pub add_co_handler: Option<CoHandlerRow>,
    pub event_department: Option<String>,
}

pub(crate) fn effects(
    reference: &ReferenceData,
    row: &ComplaintRow,
    transition: &Transition,
    office: &str,
    now: NaiveDateTime,
) -> anyhow::Result<EffectPlan> {
    let today = city_date(now);
    let calendar = &reference.calendar;
    let category = reference
        .category(&row.category_code)
        .ok_or_else(|| anyhow::anyhow!("unknown category {}", row.category_code))?;
    let finish_days = category.complaint_finish_days.max(0) as u32;
    let mut changes = ComplaintChanges {
        state: (transition.to != transition.from).then(|| transition.to.as_str().to_owned()),
        ..Default::default()
    };
    let mut replace_co_handlers = None;
    let mut add_co_handler = None;
    let mut event_department = None;
    // The finish deadline moves by the working days the clock stood still.
    let stopped_since = row.paused_since.or(row.info_requested_at);
    let restarted_finish = || {
        let stopped =
            stopped_since.map_or(0, |t| calendar.working_days_between(city_date(t), today));
        row.finish_due
            .map(|d| calendar.add_working_days(d, stopped))
    };
    match &transition.effect {
        Effect::None => {}
        Effect::StartFinishClock => {
            let finish = calendar.add_working_days(today, finish_days);
            changes.accepted_at = Some(Some(now));
            changes.finish_due = Some(Some(finish));
            changes.current_due = Some(Some(finish));
        }
        Effect::LeadBecomesOffice => {
            changes.lead_department = Some(office.to_owned());
            changes.returned_by = Some(Some(row.lead_department.clone()));
            changes.assignee = Some(None);
            event_department = Some(office.to_owned());
        }
        Effect::Designate { department } => {
            let days = match kind_of(row) {
                ComplaintKind::Complaint => category.complaint_accept_days,
                ComplaintKind::Report => category.report_accept_days,
            };
            let accept_due = calendar.add_working_days(today, days.max(0) as u32);
            changes.lead_department = Some(department.clone());
            changes.designated = Some(true);
            changes.accept_due = Some(accept_due);
            changes.current_due = Some(Some(accept_due));
            changes.assignee = Some(None);
            event_department = Some(department.clone());
            // The co-handlers of the new route, not the old one (DESIGN §8).
            let new_route = route(
                &reference.rules,
                &row.category_code,
                &row.district_code,
                office,
                |c| reference.department(c).is_some_and(|d| d.active),
            );
            let co = if &new_route.lead == department {
                new_route.co_handlers
            } else {
                Vec::new()
            };
            let opinion_due = calendar.add_working_days(today, category.assist_days.max(0) as u32);
            replace_co_handlers = Some(
                co.into_iter()
                    .filter(|c| c != department)
                    .map(|c| CoHandlerRow {
                        complaint_id: row.id.clone(),
                        department_code: c,
                        added_at: now,
                        opinion_due,
                    })
                    .collect(),
            );
        }
        Effect::AddCoHandler { department } => {
            add_co_handler = Some(CoHandlerRow {
                complaint_id: row.id.clone(),
                department_code: department.clone(),
                added_at: now,
                opinion_due: calendar.add_working_days(today, category.assist_days.max(0) as u32),
            });
            event_department = Some(department.clone());
        }
        Effect::Assign { user } => {
            changes.assignee = Some(Some(user.clone()));
        }
        Effect::StopClock => {
            if transition.to == ComplaintState::AwaitingInfo {
                changes.info_requested_at = Some(Some(now));
            } else {
                changes.paused_since = Some(Some(now));
            }
            changes.current_due = Some(None);
        }
        Effect::RestartClock => {
            let finish = restarted_finish();
            changes.finish_due = Some(finish);
            changes.current_due = Some(finish);
            changes.paused_since = Some(None);
            changes.info_requested_at = Some(None);
        }
        Effect::Resolve { outcome } => {
            changes.resolved_at = Some(Some(now));
            changes.outcome = Some(Some(outcome.as_str().to_owned()));
            changes.paused_since = Some(None);
            changes.current_due = Some(None);
        }
        Effect::Reopen { flag_office } => {
            let finish = calendar.add_working_days(today, finish_days);
            changes.reopen_count = Some(row.reopen_count + 1);
            changes.flagged_to_office = Some(*flag_office || row.flagged_to_office);
            changes.finish_due = Some(Some(finish));
            changes.current_due = Some(Some(finish));
            changes.resolved_at = Some(None);
        }
        Effect::RecordRating { .. } => {}
    }
    if !transition.to.is_open() {
        changes.current_due = Some(None);
    }
    Ok(EffectPlan {
        changes,
        replace_co_handlers,
        add_co_handler,
        event_department,
    })
}

#[allow(clippy::too_many_arguments)]
/// The messages an action sends: the complainant hears of every step that concerns them,
/// departments of new work.
fn emails(
    reference: &ReferenceData,
    loaded: &LoadedComplaint,
    request: &ActionRequest,
    transition: &Transition,
    changes: &ComplaintChanges,
    opinion_due: Option<NaiveDate>,
    base_url: &str,
) -> anyhow::Result<Vec<OutgoingEmail>> {
    let row = &loaded.row;
    let accept_due = changes.accept_due.unwrap_or(row.accept_due);
    let finish_due = changes.finish_due.unwrap_or(row.finish_due);
    let message = request.message.clone().unwrap_or_default();
    let update = match (request.action, &transition.effect) {
        (StaffAction::Accept, _) => Some(CaseUpdate::Accepted {
            message: request.message.clone(),
            finish_due,
        }),
        (StaffAction::Reject, _) => Some(CaseUpdate::Rejected {
            reason: message.clone(),
        }),
        (StaffAction::Return, _) => Some(CaseUpdate::Returned),
        (StaffAction::Transfer, Effect::Designate { department }) => Some(CaseUpdate::Designated {
            department: department.clone(),
            accept_due,
        }),
        (StaffAction::RequestInfo, _) => Some(CaseUpdate::InfoRequested {
            request: message.clone(),
        }),
        (StaffAction::Pause, _) => Some(CaseUpdate::Paused {
            reason: message.clone(),
        }),
        (StaffAction::Resume, _) => Some(CaseUpdate::Resumed { finish_due }),
        (StaffAction::Reply, Effect::Resolve { outcome }) => Some(CaseUpdate::Resolved {
            reply: message.clone(),
            outcome: *outcome,
        }),
        (StaffAction::Reopen, _) => Some(CaseUpdate::Reopened { finish_due }),
        _ => None,
    };
    let notice = match (&request.action, &transition.effect) {
        (StaffAction::Return, _) => Some(DepartmentNotice::ReturnedToOffice {
            returned_by: row.lead_department.clone(),
            reason: message,
        }),
        (StaffAction::Transfer, Effect::Designate { department }) => {
            Some(DepartmentNotice::Designated {
                department: department.clone(),
                accept_due,
                note: request.message.clone(),
            })
        }
        (StaffAction::Assist, Effect::AddCoHandler { department }) => {
            opinion_due.map(|opinion_due| DepartmentNotice::CoHandlingRequested {
                department: department.clone(),
                opinion_due,
            })
        }
        _ => None,
    };
    CaseContext::of(row, reference, base_url)?.emails(update.as_ref(), notice.as_slice())
}

/// The outcome codes a reply may record, for the form.
pub fn outcomes() -> &'static [Outcome] {
    Outcome::ALL
}
