//! The one write path of a case after filing. Whoever changes a complaint — a clerk, the
//! office, the complainant with their code, the sweeper, the demo seeder — asks `plan` for
//! the change (who may, whether the state allows it, which columns, deadlines, co-handlers,
//! events and emails), and `persist` writes all of it under the version check in one
//! transaction. `plan` is pure apart from its inputs, so the seeder replays it in memory.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::db::attachments::{self, NewAttachmentRow};
use crate::db::bulletin as db_bulletin;
use crate::db::businesses;
use crate::db::complaints::{self, CoHandlerRow, ComplaintChanges, ComplaintRow, NewEventRow};
use crate::db::deadlines::{self as db_deadlines, DeadlineRow};
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::reference::ReferenceData;
use crate::db::{users, AnyConnection, Database, DbError};
use crate::domain::access::{self, Access, Relation, StaffMember};
use crate::domain::calendar::{city_date, WorkCalendar};
use crate::domain::complaint::{
    ActionArgument, ActorKind, CaseStatus, ComplaintKind, ComplaintState, Effect, EventKind,
    Outcome, StaffAction, Transition,
};
use crate::domain::deadlines::{
    self, CaseClock, ClockChange, OpenDeadline, RecordChange, RecordParties,
};
use crate::domain::ids::{ComplaintId, DepartmentCode, UserId};
use crate::domain::routing::route;
use crate::i18n::{self, Locale};
use crate::mail::messages::{CaseContext, CaseUpdate, DepartmentNotice};
use crate::mail::OutgoingEmail;
use crate::services::filing::Attachment;
use crate::services::ServiceError;

/// A complaint with what decides who may see it and the deadlines it runs against.
#[derive(Debug, Clone)]
pub struct Case {
    pub row: ComplaintRow,
    pub co_handlers: Vec<CoHandlerRow>,
    pub deadlines: Vec<DeadlineRow>,
}

impl Case {
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
        self.row.state
    }

    /// The facts the state machine decides on, as of `now`.
    pub fn status(&self, now: NaiveDateTime) -> CaseStatus {
        CaseStatus {
            state: self.row.state,
            lead: self.row.lead_department.to_string(),
            designated: self.row.designated,
            paused: self.row.paused_since.is_some(),
            within_acceptance_window: city_date(now) <= self.row.accept_due,
        }
    }

    pub fn open_deadlines(&self) -> Vec<OpenDeadline> {
        self.deadlines
            .iter()
            .filter_map(DeadlineRow::as_open)
            .collect()
    }

    /// The deadline clock as the complaint row holds it.
    pub fn clock(&self) -> CaseClock {
        CaseClock {
            kind: self.row.kind,
            accept_due: self.row.accept_due,
            finish_due: self.row.finish_due,
            stopped_on: self
                .row
                .paused_since
                .or(self.row.info_requested_at)
                .map(city_date),
        }
    }
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub enum Actor {
    Staff(StaffMember),
    /// The complainant, with the tracking code (the code is their key).
    Complainant,
    /// The service itself (the deadline sweeper).
    System,
}

/// A staff action as the form asked for it, its text already checked.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    pub action: StaffAction,
    pub version: i32,
    pub message: Option<String>,
    pub argument: ActionArgument,
}

/// What the actor asks for.
#[derive(Debug, Clone)]
pub enum Command {
    Staff(ActionRequest),
    /// The complainant answers an information request: the clock runs again.
    SupplyInfo {
        message: String,
        files: Vec<Attachment>,
    },
    /// The complainant rates the answer: 1–2 within the rating window reopens the case and
    /// flags it to the office, anything else closes it; the rating is kept either way.
    Rate {
        score: u8,
        comment: Option<String>,
    },
    /// The complainant withdraws the case before it is resolved.
    Withdraw {
        reason: Option<String>,
    },
    /// The rating window ended without a rating (the service, as the sweeper).
    CloseUnrated,
    /// Issue 13: closes this case as a duplicate of `into` (the same complainant's, with
    /// the tracking code `into_code`), which continues; `linked`: the two are linked already.
    Merge {
        into: ComplaintId,
        into_code: String,
        /// The continuing case's public number, named in the merged case's timeline (and
        /// so in its Open311 status note).
        into_public_id: String,
        reason: String,
        linked: bool,
    },
    /// Issue 13: links this case to `other` as related, or removes their link.
    Link {
        other: ComplaintId,
        linked: bool,
    },
}

/// How a case's links to other cases change (issue 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    Add {
        other: ComplaintId,
        kind: &'static str,
    },
    Remove {
        other: ComplaintId,
    },
}

/// The settings a change depends on.
#[derive(Debug, Clone)]
pub struct CaseSettings {
    pub base_url: String,
    pub rating_window_days: u32,
}

/// How the co-handling departments change.
#[derive(Debug, Clone, Default)]
pub enum CoHandlerChange {
    #[default]
    Unchanged,
    Add(CoHandlerRow),
    /// A designation keeps the co-handlers of the new route, not the old one (DESIGN §8).
    Replace(Vec<CoHandlerRow>),
}

/// Every row one change writes, built before the transaction.
#[derive(Debug, Clone)]
pub struct CaseChange {
    pub changes: ComplaintChanges,
    pub event: NewEventRow,
    pub co_handlers: CoHandlerChange,
    pub deadlines: Vec<RecordChange>,
    pub attachments: Vec<Attachment>,
    pub emails: Vec<OutgoingEmail>,
    pub links: Vec<LinkChange>,
}

impl CaseChange {
    /// The case as it is after the change (what the seeder keeps in memory; what `persist`
    /// leaves in the database, the version included); new deadline records are numbered
    /// from `next_deadline_id`.
    pub fn apply_to(&self, case: &mut Case, now: NaiveDateTime, next_deadline_id: &mut i64) {
        db_deadlines::apply_in_memory(
            &mut case.deadlines,
            &case.row.id,
            &self.deadlines,
            city_date(now),
            now,
            next_deadline_id,
        );
        self.changes.apply_to(&mut case.row);
        case.row.version += 1;
        case.row.updated_at = now;
        match &self.co_handlers {
            CoHandlerChange::Unchanged => {}
            CoHandlerChange::Add(row) => case.co_handlers.push(row.clone()),
            CoHandlerChange::Replace(rows) => case.co_handlers = rows.clone(),
        }
    }
}

/// Why an action's own parameter was refused: shown beside the field (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentProblem {
    pub field: &'static str,
    pub message_key: &'static str,
}

/// Loads a case; `None` when there is no such complaint.
pub async fn load(db: &Database, id: &ComplaintId) -> Result<Option<Case>, DbError> {
    let id = id.clone();
    db.read(move |conn| load_on(conn, &id)).await
}

fn load_on(conn: &mut AnyConnection, id: &ComplaintId) -> Result<Option<Case>, DbError> {
    let Some(row) = complaints::find(conn, id)? else {
        return Ok(None);
    };
    let co_handlers = complaints::co_handler_rows(conn, id)?;
    let deadlines = db_deadlines::of_complaint(conn, id)?;
    Ok(Some(Case {
        row,
        co_handlers,
        deadlines,
    }))
}

/// Loads a case the member may see; anything else is "not found" (DESIGN §4).
pub async fn load_visible(
    db: &Database,
    member: &StaffMember,
    id: &ComplaintId,
) -> Result<Case, ServiceError> {
    let case = load(db, id).await?.ok_or(ServiceError::NotFound)?;
    if !access::may_see(member.role, case.relation(&member.department)) {
        return Err(ServiceError::NotFound);
    }
    Ok(case)
}

/// A staff action on a case: loads it, checks who may and the version, resolves a named
/// clerk to their id, then plans and writes the change.
pub async fn act(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    member: &StaffMember,
    id: &ComplaintId,
    mut request: ActionRequest,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let case = load_visible(db, member, id).await?;
    if let (StaffAction::Assign, ActionArgument::User(username)) =
        (request.action, &request.argument)
    {
        // The form names a username; the complaint records the user's id.
        let name = username.clone();
        let user = db
            .read(move |conn| users::find_by_username(conn, &name))
            .await?;
        request.argument = match user {
            Some(u) if u.active && u.department_code == case.row.lead_department => {
                ActionArgument::User(u.id.to_string())
            }
            _ => return Err(argument_problem("user", "admin.action.error.unknown_user")),
        };
    }
    let version = request.version;
    apply(
        db,
        reference,
        settings,
        &case,
        &Actor::Staff(member.clone()),
        Command::Staff(request),
        version,
        now,
    )
    .await
}

/// What a staff action would tell the resident (issue 16): planned exactly as `act` plans
/// it, by the same code, and not written.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The message the tracking page would show.
    pub public_message: Option<String>,
    /// The email to the complainant, if they gave an address.
    pub email: Option<OutgoingEmail>,
}

/// Plans a staff action on a case the member may see, at the version the form showed, and
/// answers what the resident would receive; refuses as `act` would.
pub async fn preview(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    member: &StaffMember,
    id: &ComplaintId,
    request: ActionRequest,
    now: NaiveDateTime,
) -> Result<Preview, ServiceError> {
    let case = load_visible(db, member, id).await?;
    if case.row.version != request.version {
        return Err(ServiceError::Stale);
    }
    let actor = Actor::Staff(member.clone());
    let change = plan(
        reference,
        settings,
        &case,
        &actor,
        Command::Staff(request),
        now,
    )?;
    Ok(Preview {
        public_message: change.event.public_message,
        email: change
            .emails
            .into_iter()
            .find(|e| e.recipient_kind == crate::mail::RecipientKind::Complainant),
    })
}

/// What staff ask of a case and another one (issue 13).
#[derive(Debug, Clone)]
pub enum LinkAction {
    /// Close this case as a duplicate of the other, which continues (same contact only).
    Merge {
        reason: String,
    },
    Link,
    Unlink,
}

impl LinkAction {
    /// The form field naming the other case.
    pub fn field(&self) -> &'static str {
        match self {
            LinkAction::Merge { .. } => "into",
            LinkAction::Link | LinkAction::Unlink => "other",
        }
    }
}

/// Merges, links or unlinks case `id` with `other` (a case id, as in its admin address):
/// checks who may, that the other case is one the member may see and fits the action,
/// then plans and writes the change on case `id` through `apply`.
#[allow(clippy::too_many_arguments)]
pub async fn act_on_other(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    member: &StaffMember,
    id: &ComplaintId,
    other: &ComplaintId,
    action: LinkAction,
    version: i32,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let case = load_visible(db, member, id).await?;
    may_link(&case, member)?;
    let field = action.field();
    let unknown = || argument_problem(field, "business.link.error.unknown_case");
    if other == id {
        return Err(unknown());
    }
    let other_case = load(db, other).await?.ok_or_else(unknown)?;
    if !access::may_see(member.role, other_case.relation(&member.department)) {
        return Err(unknown());
    }
    let (a, b) = (id.clone(), other.clone());
    let linked = db
        .read(move |conn| businesses::link_kind(conn, &a, &b))
        .await?
        .is_some();
    let command = match action {
        LinkAction::Merge { reason } => {
            let contact = |row: &ComplaintRow| {
                crate::domain::business::Contact::new(row.phone.as_deref(), row.email.as_deref())
            };
            if !contact(&case.row).same_as(&contact(&other_case.row)) {
                return Err(argument_problem(
                    field,
                    "business.merge.error.other_contact",
                ));
            }
            if !(other_case.row.state.is_open() || other_case.row.state == ComplaintState::Resolved)
            {
                return Err(argument_problem(field, "business.merge.error.ended"));
            }
            Command::Merge {
                into: other.clone(),
                into_code: other_case.row.tracking_code.clone(),
                into_public_id: other_case.row.public_id.clone(),
                reason,
                linked,
            }
        }
        LinkAction::Link if linked => {
            return Err(argument_problem(field, "business.link.error.already"))
        }
        LinkAction::Unlink if !linked => {
            return Err(argument_problem(field, "business.link.error.not_linked"))
        }
        link @ (LinkAction::Link | LinkAction::Unlink) => Command::Link {
            other: other.clone(),
            linked: matches!(link, LinkAction::Link),
        },
    };
    apply(
        db,
        reference,
        settings,
        &case,
        &Actor::Staff(member.clone()),
        command,
        version,
        now,
    )
    .await
}

/// The complainant acts with their code on the case as the tracking page read it (at
/// that page's version).
pub async fn by_complainant(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    row: &ComplaintRow,
    command: Command,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let case = load(db, &row.id).await?.ok_or(ServiceError::NotFound)?;
    let version = row.version;
    apply(
        db,
        reference,
        settings,
        &case,
        &Actor::Complainant,
        command,
        version,
        now,
    )
    .await
}

/// Plans and writes a change to a loaded case, expecting it still at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    case: &Case,
    actor: &Actor,
    command: Command,
    version: i32,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    if case.row.version != version {
        return Err(ServiceError::Stale);
    }
    let change = plan(reference, settings, case, actor, command, now)?;
    let id = case.row.id.clone();
    let calendar = reference.calendar.clone();
    db.write(move |conn| persist(conn, &id, version, &change, &calendar, now))
        .await
}

/// Writes a planned change if the case is still at `version`, all in one transaction
/// (the caller's): the columns, the co-handlers, the event, its attachments, the emails,
/// and what the change makes of the bulletin's day tallies.
pub fn persist(
    conn: &mut AnyConnection,
    id: &ComplaintId,
    version: i32,
    change: &CaseChange,
    calendar: &WorkCalendar,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let tallies_before = db_bulletin::case_tallies(conn, id, calendar)?;
    if !complaints::apply_changes(conn, id, version, &change.changes, now)? {
        return Err(ServiceError::Stale);
    }
    db_deadlines::apply(conn, id, &change.deadlines, city_date(now), now)?;
    match &change.co_handlers {
        CoHandlerChange::Unchanged => {}
        CoHandlerChange::Add(row) => complaints::add_co_handler(conn, row)?,
        CoHandlerChange::Replace(rows) => {
            complaints::remove_co_handlers(conn, id)?;
            for row in rows {
                complaints::add_co_handler(conn, row)?;
            }
        }
    }
    if change.attachments.is_empty() {
        complaints::insert_event(conn, &change.event)?;
    } else {
        let event_id = complaints::insert_event_returning_id(conn, &change.event)?;
        for file in &change.attachments {
            attachments::insert(conn, &attachment_row(id, event_id, file, now))?;
        }
    }
    for row in outbox_rows(&change.emails, id, now) {
        outbox::insert(conn, &row)?;
    }
    for link in &change.links {
        match link {
            LinkChange::Add { other, kind } => {
                businesses::insert_link(conn, id, other, kind, now)?;
            }
            LinkChange::Remove { other } => {
                businesses::delete_link(conn, id, other)?;
            }
        }
    }
    db_bulletin::refresh_case(conn, id, tallies_before, calendar)?;
    Ok(())
}

fn attachment_row(
    id: &ComplaintId,
    event_id: i64,
    file: &Attachment,
    now: NaiveDateTime,
) -> NewAttachmentRow {
    NewAttachmentRow {
        id: uuid::Uuid::new_v4().to_string(),
        complaint_id: id.to_string(),
        event_id: Some(event_id),
        file_name: file.file_name.clone(),
        content_type: file.kind.content_type().to_owned(),
        size_bytes: file.bytes.len() as i64,
        data: file.bytes.clone(),
        created_at: now,
    }
}

/// The outbox rows of a change's emails.
pub fn outbox_rows(
    emails: &[OutgoingEmail],
    id: &ComplaintId,
    now: NaiveDateTime,
) -> Vec<NewOutboxRow> {
    emails
        .iter()
        .cloned()
        .map(|e| e.into_outbox_row(Some(id), now))
        .collect()
}

fn argument_problem(field: &'static str, message_key: &'static str) -> ServiceError {
    ServiceError::Argument(ArgumentProblem { field, message_key })
}

/// Decides a change: who may, whether the state allows it, and every row it writes.
pub fn plan(
    reference: &ReferenceData,
    settings: &CaseSettings,
    case: &Case,
    actor: &Actor,
    command: Command,
    now: NaiveDateTime,
) -> Result<CaseChange, ServiceError> {
    let office = reference
        .office()
        .map(|d| DepartmentCode::from(d.code.as_str()))
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("no coordination office")))?;
    let status = case.status(now);
    let row = &case.row;
    // The transition, and the words that go with it: (public message, internal note).
    let (transition, public, internal, files, request) = match (&command, actor) {
        (Command::Staff(request), Actor::Staff(member)) => {
            match access::may_act(
                member.role,
                case.relation(&member.department),
                request.action,
            ) {
                Access::Allowed => {}
                Access::Forbidden => return Err(ServiceError::Forbidden),
                Access::Hidden => return Err(ServiceError::NotFound),
            }
            if request.action == StaffAction::Assign
                && !access::may_reassign(member, row.assignee.as_ref())
            {
                return Err(ServiceError::Forbidden);
            }
            check_department(reference, case, request)?;
            let transition = status.act(request.action, &request.argument, &office)?;
            let message = request.message.clone();
            let (public, internal) = if message_is_public(request.action) {
                (message, None)
            } else {
                (None, message)
            };
            (transition, public, internal, Vec::new(), Some(request))
        }
        (Command::Staff(_), _) => return Err(ServiceError::Forbidden),
        (Command::SupplyInfo { message, files }, _) => (
            status.supply_info()?,
            None,
            // The complainant's own words go to the department, not to the public page.
            Some(message.clone()),
            files.clone(),
            None,
        ),
        (Command::Rate { score, comment }, _) => {
            let window = Duration::days(i64::from(settings.rating_window_days));
            let within = row.resolved_at.is_some_and(|r| now - r <= window);
            (
                status.rate(*score, within)?,
                None,
                comment.clone(),
                Vec::new(),
                None,
            )
        }
        (Command::Withdraw { reason }, _) => (
            row.state.withdraw()?,
            None,
            reason.clone(),
            Vec::new(),
            None,
        ),
        (Command::CloseUnrated, _) => {
            let window = Duration::days(i64::from(settings.rating_window_days));
            let passed = row.resolved_at.is_some_and(|r| now - r > window);
            (status.close_unrated(passed)?, None, None, Vec::new(), None)
        }
        (
            Command::Merge {
                reason,
                into_public_id,
                ..
            },
            Actor::Staff(member),
        ) => {
            may_link(case, member)?;
            let locale = Locale::from_tag(&row.locale).unwrap_or_default();
            let joined = i18n::t_args(locale, "business.merge.joined", &[("case", into_public_id)]);
            (
                status.merge()?,
                Some(joined),
                Some(reason.clone()),
                Vec::new(),
                None,
            )
        }
        (Command::Link { linked, .. }, Actor::Staff(member)) => {
            may_link(case, member)?;
            (status.link(*linked), None, None, Vec::new(), None)
        }
        (Command::Merge { .. } | Command::Link { .. }, _) => return Err(ServiceError::Forbidden),
    };
    let category = reference
        .category(&row.category_code)
        .ok_or_else(|| anyhow::anyhow!("unknown category {}", row.category_code))?;
    let today = city_date(now);
    let clock = deadlines::after(
        &transition,
        &case.clock(),
        &category.deadline_rules(),
        &reference.calendar,
        today,
    );
    let (mut changes, co_handlers, event_department) =
        changes_for(reference, case, &transition, &clock, &office, now);
    if let Command::Rate { score, comment } = &command {
        changes.rating_score = Some(Some(i32::from(*score)));
        changes.rating_comment = Some(comment.clone());
        changes.rated_at = Some(Some(now));
    }
    let (links, merged_into) = match &command {
        Command::Merge {
            into,
            into_code,
            linked,
            ..
        } => {
            changes.outcome = Some(Some(Outcome::Duplicate));
            let add = (!linked).then(|| LinkChange::Add {
                other: into.clone(),
                kind: crate::services::businesses::POSSIBLE_DUPLICATE,
            });
            (add.into_iter().collect(), Some(into_code.as_str()))
        }
        Command::Link {
            other,
            linked: true,
        } => (
            vec![LinkChange::Add {
                other: other.clone(),
                kind: crate::services::businesses::RELATED,
            }],
            None,
        ),
        Command::Link {
            other,
            linked: false,
        } => (
            vec![LinkChange::Remove {
                other: other.clone(),
            }],
            None,
        ),
        _ => (Vec::new(), None),
    };
    let (actor_kind, actor_user, is_opinion) = match actor {
        Actor::Staff(member) => (
            ActorKind::User,
            Some(member.user_id.clone()),
            transition.event == EventKind::Note
                && case.relation(&member.department) == Relation::CoHandler,
        ),
        Actor::Complainant => (ActorKind::Complainant, None, false),
        Actor::System => (ActorKind::System, None, false),
    };
    // The resident reads on the tracking page by when the restarted case will be finished.
    let public = match (transition.event, changes.finish_due) {
        (EventKind::Resumed, Some(Some(finish_due))) => {
            let locale = Locale::from_tag(&row.locale).unwrap_or_default();
            let date = finish_due.to_string();
            Some(i18n::t_args(
                locale,
                "event.resumed.public",
                &[("finish_due", &date)],
            ))
        }
        _ => public,
    };
    let event = NewEventRow {
        complaint_id: row.id.clone(),
        at: now,
        actor_kind,
        actor_user,
        kind: transition.event,
        from_state: Some(transition.from),
        to_state: Some(transition.to),
        department_code: event_department,
        public_message: public,
        internal_note: internal,
        is_opinion,
    };
    let added: Vec<(DepartmentCode, NaiveDate)> = match &co_handlers {
        CoHandlerChange::Unchanged => Vec::new(),
        CoHandlerChange::Add(added) => vec![(added.department_code.clone(), added.opinion_due)],
        CoHandlerChange::Replace(rows) => rows
            .iter()
            .map(|r| (r.department_code.clone(), r.opinion_due))
            .collect(),
    };
    let lead_after = changes
        .lead_department
        .clone()
        .unwrap_or_else(|| row.lead_department.clone());
    let parties = RecordParties {
        lead_before: &row.lead_department,
        lead_after: &lead_after,
        acting_department: match actor {
            Actor::Staff(member) => Some(&member.department),
            Actor::Complainant | Actor::System => None,
        },
        named_reporter_with_email: (row.kind == ComplaintKind::Report && !row.anonymous)
            .then_some(row.email.is_some()),
    };
    let records = deadlines::records_after(
        &transition,
        &case.open_deadlines(),
        &clock,
        parties,
        &added,
        &reference.calendar,
        today,
    );
    let mut after = case.clone();
    changes.apply_to(&mut after.row);
    if let CoHandlerChange::Add(added) = &co_handlers {
        after.co_handlers.push(added.clone());
    }
    let emails = emails(
        reference,
        settings,
        case,
        &after,
        &transition,
        request,
        &co_handlers,
        merged_into,
    )?;
    Ok(CaseChange {
        changes,
        event,
        co_handlers,
        deadlines: records,
        attachments: files,
        emails,
        links,
    })
}

/// Merging and linking are for the lead department and the office (issue 13).
fn may_link(case: &Case, member: &StaffMember) -> Result<(), ServiceError> {
    match access::may_link(member.role, case.relation(&member.department)) {
        Access::Allowed => Ok(()),
        Access::Forbidden => Err(ServiceError::Forbidden),
        Access::Hidden => Err(ServiceError::NotFound),
    }
}

/// A department named by `transfer` or `assist` must be active and not yet involved.
fn check_department(
    reference: &ReferenceData,
    case: &Case,
    request: &ActionRequest,
) -> Result<(), ServiceError> {
    let (StaffAction::Transfer | StaffAction::Assist, ActionArgument::Department(code)) =
        (&request.action, &request.argument)
    else {
        return Ok(());
    };
    if !reference.department(code).is_some_and(|d| d.active) {
        return Err(argument_problem(
            "department",
            "admin.action.error.unknown_department",
        ));
    }
    if case.relation(code) != Relation::Unrelated {
        return Err(argument_problem(
            "department",
            "admin.action.error.already_involved",
        ));
    }
    Ok(())
}

/// Which staff messages the resident sees on the tracking page; the others are internal.
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

/// The columns, co-handlers and event department a transition changes.
fn changes_for(
    reference: &ReferenceData,
    case: &Case,
    transition: &Transition,
    clock: &ClockChange,
    office: &DepartmentCode,
    now: NaiveDateTime,
) -> (ComplaintChanges, CoHandlerChange, Option<DepartmentCode>) {
    let row = &case.row;
    let mut changes = ComplaintChanges {
        state: (transition.to != transition.from).then_some(transition.to),
        accept_due: clock.accept_due,
        finish_due: clock.finish_due,
        current_due: clock.current_due,
        ..Default::default()
    };
    let co_handler = |department: &str, opinion_due| CoHandlerRow {
        complaint_id: row.id.clone(),
        department_code: department.into(),
        added_at: now,
        opinion_due,
    };
    let mut co_handlers = CoHandlerChange::Unchanged;
    let mut event_department = None;
    match &transition.effect {
        Effect::None | Effect::RecordRating { .. } => {}
        Effect::StartFinishClock => changes.accepted_at = Some(Some(now)),
        Effect::LeadBecomesOffice => {
            changes.lead_department = Some(office.clone());
            changes.returned_by = Some(Some(row.lead_department.clone()));
            changes.assignee = Some(None);
            event_department = Some(office.clone());
        }
        Effect::Designate { department } => {
            changes.lead_department = Some(department.as_str().into());
            changes.designated = Some(true);
            changes.assignee = Some(None);
            event_department = Some(department.as_str().into());
            let new_route = route(
                &reference.rules,
                &row.category_code,
                &row.district_code,
                office,
                |c| reference.department(c).is_some_and(|d| d.active),
            );
            let kept = if &new_route.lead == department {
                new_route.co_handlers
            } else {
                Vec::new()
            };
            let opinion_due = clock.opinion_due.unwrap_or(row.accept_due);
            co_handlers = CoHandlerChange::Replace(
                kept.iter()
                    .filter(|c| *c != department)
                    .map(|c| co_handler(c, opinion_due))
                    .collect(),
            );
        }
        Effect::AddCoHandler { department } => {
            let opinion_due = clock.opinion_due.unwrap_or(row.accept_due);
            co_handlers = CoHandlerChange::Add(co_handler(department, opinion_due));
            event_department = Some(department.as_str().into());
        }
        Effect::Assign { user } => changes.assignee = Some(Some(UserId::from(user.as_str()))),
        Effect::StopClock => {
            if transition.to == ComplaintState::AwaitingInfo {
                changes.info_requested_at = Some(Some(now));
            } else {
                changes.paused_since = Some(Some(now));
            }
        }
        Effect::RestartClock => {
            changes.paused_since = Some(None);
            changes.info_requested_at = Some(None);
        }
        Effect::Resolve { outcome } => {
            changes.resolved_at = Some(Some(now));
            changes.outcome = Some(Some(*outcome));
            changes.paused_since = Some(None);
        }
        Effect::Reopen { flag_office } => {
            changes.reopen_count = Some(row.reopen_count + 1);
            changes.flagged_to_office = Some(*flag_office || row.flagged_to_office);
            changes.resolved_at = Some(None);
        }
    }
    (changes, co_handlers, event_department)
}

/// The messages a change sends: the complainant hears of every step that concerns them,
/// departments of new work. The facts are those of `before`; what the change moves (a
/// deadline, the designated department) comes from `after`.
#[allow(clippy::too_many_arguments)]
fn emails(
    reference: &ReferenceData,
    settings: &CaseSettings,
    before: &Case,
    after: &Case,
    transition: &Transition,
    request: Option<&ActionRequest>,
    co_handlers: &CoHandlerChange,
    merged_into: Option<&str>,
) -> anyhow::Result<Vec<OutgoingEmail>> {
    let row = &after.row;
    let message = request.and_then(|r| r.message.clone());
    let text = || message.clone().unwrap_or_default();
    let update = match (request.map(|r| r.action), &transition.effect) {
        // The complainant learns which of their cases continues.
        _ if transition.event == EventKind::Merged => Some(CaseUpdate::Merged {
            into_code: merged_into.unwrap_or_default().to_owned(),
        }),
        _ if matches!(transition.event, EventKind::Linked | EventKind::Unlinked) => None,
        (Some(StaffAction::Accept), _) => Some(CaseUpdate::Accepted {
            message: message.clone(),
            finish_due: row.finish_due,
        }),
        (Some(StaffAction::Reject), _) => Some(CaseUpdate::Rejected { reason: text() }),
        (Some(StaffAction::Return), _) => Some(CaseUpdate::Returned),
        (Some(StaffAction::Transfer), Effect::Designate { department }) => {
            Some(CaseUpdate::Designated {
                department: department.to_string(),
                accept_due: row.accept_due,
            })
        }
        (Some(StaffAction::RequestInfo), _) => Some(CaseUpdate::InfoRequested { request: text() }),
        (Some(StaffAction::Pause), _) => Some(CaseUpdate::Paused { reason: text() }),
        (Some(StaffAction::Resume), _) => Some(CaseUpdate::Resumed {
            finish_due: row.finish_due,
        }),
        (Some(StaffAction::Reply), Effect::Resolve { outcome }) => Some(CaseUpdate::Resolved {
            reply: text(),
            outcome: *outcome,
        }),
        (Some(StaffAction::Reopen), _) | (None, Effect::Reopen { .. }) => {
            Some(CaseUpdate::Reopened {
                finish_due: row.finish_due,
            })
        }
        (None, _) if transition.to == ComplaintState::Closed => Some(CaseUpdate::Closed),
        (None, _) if transition.to == ComplaintState::Withdrawn => Some(CaseUpdate::Withdrawn),
        _ => None,
    };
    let notice = match (request.map(|r| r.action), &transition.effect, co_handlers) {
        (Some(StaffAction::Return), _, _) => Some(DepartmentNotice::ReturnedToOffice {
            returned_by: before.row.lead_department.to_string(),
            reason: text(),
        }),
        (Some(StaffAction::Transfer), Effect::Designate { department }, _) => {
            Some(DepartmentNotice::Designated {
                department: department.to_string(),
                accept_due: row.accept_due,
                note: message.clone(),
            })
        }
        (Some(StaffAction::Assist), _, CoHandlerChange::Add(added)) => {
            Some(DepartmentNotice::CoHandlingRequested {
                department: added.department_code.to_string(),
                opinion_due: added.opinion_due,
            })
        }
        (None, _, _) if transition.to == ComplaintState::Withdrawn => {
            Some(DepartmentNotice::Withdrawn)
        }
        _ => None,
    };
    CaseContext::of(&before.row, reference, &settings.base_url)?
        .emails(update.as_ref(), notice.as_slice())
}
