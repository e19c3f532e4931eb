//! Filing a complaint: route it, set its deadlines, give it a tracking code, and commit
//! the complaint, its events, co-handlers, search terms and emails together.

use chrono::NaiveDateTime;

use crate::db::attachments::NewAttachmentRow;
use crate::db::bulletin::{self as db_bulletin, DayTallies};
use crate::db::complaints::{self, CoHandlerRow, ComplaintRow, Filing, NewEventRow};
use crate::db::deadlines as db_deadlines;
use crate::db::outbox::{self, NewOutboxRow};
use crate::db::reference::ReferenceData;
use crate::db::{AnyConnection, Database, DbError, DeferredWrites};
use crate::domain::attachment::FileKind;
use crate::domain::calendar::city_date;
use crate::domain::complaint::{ActorKind, Channel, ComplaintState, EventKind};
use crate::domain::deadlines::{self, DeadlineKind, FilingDeadlines, NewDeadline};
use crate::domain::ids::{ComplaintId, DepartmentCode, UserId};
use crate::domain::intake::{Complainant, NewComplaint};
use crate::domain::public_id::PublicId;
use crate::domain::routing::route;
use crate::domain::search::index_terms;
use crate::domain::tracking_code::TrackingCode;
use crate::i18n::Locale;
use crate::mail::messages::{CaseContext, CaseUpdate, DepartmentNotice};
use crate::mail::OutgoingEmail;
use crate::services::businesses::{self, FilingBusiness};
use crate::services::ServiceError;

pub struct FilingRequest {
    pub complaint: NewComplaint,
    pub locale: Locale,
    pub channel: Channel,
    /// The idempotency key ([`submission_key`]): filing it again answers with the first
    /// complaint.
    pub submission_id: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The staff member who filed for a caller (`None`: the resident themself).
    pub filed_by: Option<UserId>,
}

/// Who posted a filing form: a filing is replayed only to the one who filed it.
#[derive(Debug, Clone, Copy)]
pub enum Submitter<'a> {
    /// A visitor, known by the value of the CSRF cookie they posted with.
    Visitor { csrf_cookie: &'a str },
    /// A signed-in member of staff filing for a caller.
    Staff { user_id: &'a str },
}

/// The idempotency key stored with a filing: the form's `submission_id` bound to whoever
/// posted it (a MAC, keyed by `SECRET_KEY`, of both). The same client posting again gets
/// the first answer; anyone else sending the same id — a stranger who saw it, a clerk of
/// another department — files anew instead of learning the first case's code (issue 14).
pub fn submission_key(secret: &[u8], submission_id: &str, submitter: Submitter<'_>) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let (kind, who) = match submitter {
        Submitter::Visitor { csrf_cookie } => ("visitor", csrf_cookie),
        Submitter::Staff { user_id } => ("staff", user_id),
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    for part in ["submission", submission_id, kind, who] {
        mac.update(part.as_bytes());
        mac.update(b"\0");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// A file already recognised by its bytes (`domain::attachment`).
#[derive(Debug, Clone)]
pub struct Attachment {
    pub file_name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilingOutcome {
    Filed {
        tracking_code: TrackingCode,
        /// The public case number (what the Open311 API answers with).
        public_id: PublicId,
        emailed: bool,
    },
    /// The same submission was filed before; nothing new was written.
    AlreadyFiled { tracking_code: String },
}

/// Builds every row of a filing and its emails, for a case with the given id, code and
/// public number (pure: the service draws them at random, the demo seeder from its seed).
pub fn build(
    request: &FilingRequest,
    reference: &ReferenceData,
    base_url: &str,
    now: NaiveDateTime,
    id: ComplaintId,
    tracking_code: &TrackingCode,
    public_id: &PublicId,
) -> anyhow::Result<(Filing, Vec<OutgoingEmail>)> {
    let c = &request.complaint;
    let office = reference
        .office()
        .ok_or_else(|| anyhow::anyhow!("no coordination office is configured"))?;
    let route = route(
        &reference.rules,
        &c.category,
        &c.district,
        &office.code,
        |code| reference.department(code).is_some_and(|d| d.active),
    );
    let category = reference
        .category(&c.category)
        .ok_or_else(|| anyhow::anyhow!("category vanished after validation"))?;
    let FilingDeadlines {
        accept_due,
        opinion_due,
    } = deadlines::at_filing(
        &reference.calendar,
        &category.deadline_rules(),
        c.kind,
        city_date(now),
    );

    let (name, phone, email, anonymous) = match &c.complainant {
        Complainant::Named { name, phone, email } => (
            Some(name.clone()),
            phone.as_ref().map(|p| p.as_str().to_owned()),
            email.as_ref().map(|e| e.as_str().to_owned()),
            false,
        ),
        Complainant::Anonymous { email } => (
            None,
            None,
            email.as_ref().map(|e| e.as_str().to_owned()),
            true,
        ),
    };
    let complaint = ComplaintRow {
        id: id.clone(),
        tracking_code: tracking_code.as_str().to_owned(),
        submission_id: request.submission_id.clone(),
        kind: c.kind,
        channel: request.channel,
        category_code: c.category.clone(),
        district_code: c.district.clone(),
        business_name: c.business_name.clone(),
        business_address: c.business_address.clone(),
        business_credit_code: c
            .business_credit_code
            .as_ref()
            .map(|x| x.as_str().to_owned()),
        product: c.product.clone(),
        incident_date: c.incident_date,
        description: c.description.clone(),
        demand: c.demand.clone(),
        complainant_name: name,
        phone,
        email: email.clone(),
        anonymous,
        locale: request.locale.tag().to_owned(),
        state: ComplaintState::Assigned,
        lead_department: route.lead.as_str().into(),
        routing_rule_id: route.rule_id,
        accept_due,
        finish_due: None,
        version: 1,
        created_at: now,
        updated_at: now,
        assignee: None,
        designated: false,
        returned_by: None,
        paused_since: None,
        info_requested_at: None,
        accepted_at: None,
        resolved_at: None,
        outcome: None,
        reopen_count: 0,
        flagged_to_office: false,
        rating_score: None,
        rating_comment: None,
        rated_at: None,
        current_due: Some(accept_due),
        public_id: public_id.as_str().to_owned(),
    };
    let event =
        |kind: EventKind, actor: ActorKind, department: Option<DepartmentCode>| NewEventRow {
            complaint_id: id.clone(),
            at: now,
            actor_kind: actor,
            actor_user: (actor == ActorKind::User)
                .then(|| request.filed_by.clone())
                .flatten(),
            kind,
            from_state: None,
            to_state: Some(ComplaintState::Assigned),
            department_code: department,
            public_message: None,
            internal_note: None,
            is_opinion: false,
        };
    let events = vec![
        event(
            EventKind::Submitted,
            if request.filed_by.is_some() {
                ActorKind::User
            } else {
                ActorKind::Complainant
            },
            None,
        ),
        event(
            EventKind::Routed,
            ActorKind::System,
            Some(route.lead.as_str().into()),
        ),
    ];
    let co_handlers: Vec<CoHandlerRow> = route
        .co_handlers
        .iter()
        .map(|code| CoHandlerRow {
            complaint_id: id.clone(),
            department_code: code.as_str().into(),
            added_at: now,
            opinion_due,
        })
        .collect();
    let search_terms = index_terms(
        [
            Some(c.business_name.as_str()),
            c.product.as_deref(),
            Some(c.description.as_str()),
        ]
        .into_iter()
        .flatten(),
    );

    let mut notices = vec![DepartmentNotice::NewCase];
    notices.extend(
        route
            .co_handlers
            .iter()
            .map(|code| DepartmentNotice::CoHandlingRequested {
                department: code.clone(),
                opinion_due,
            }),
    );
    let emails = CaseContext::of(&complaint, reference, base_url)?
        .emails(Some(&CaseUpdate::Received), &notices)?;
    let attachments = request
        .attachments
        .iter()
        .map(|a| NewAttachmentRow {
            id: uuid::Uuid::new_v4().to_string(),
            complaint_id: id.to_string(),
            event_id: None,
            file_name: a.file_name.clone(),
            content_type: a.kind.content_type().to_owned(),
            size_bytes: a.bytes.len() as i64,
            data: a.bytes.clone(),
            created_at: now,
        })
        .collect();
    // The lead decides by the acceptance date, each co-handler gives its opinion by its own.
    let received = city_date(now);
    let starts = std::iter::once(NewDeadline {
        kind: DeadlineKind::Accept,
        department: route.lead.as_str().into(),
        due_on: accept_due,
        met: false,
    })
    .chain(co_handlers.iter().map(|co| NewDeadline {
        kind: DeadlineKind::Opinion,
        department: co.department_code.clone(),
        due_on: co.opinion_due,
        met: false,
    }));
    let deadlines = starts
        .map(|new| db_deadlines::started(&complaint.id, &new, received, now))
        .collect();
    let filing = Filing {
        complaint,
        co_handlers,
        events,
        search_terms,
        attachments,
        deadlines,
    };
    Ok((filing, emails))
}

/// The filing's rows; its search terms and bulletin tallies are left to the end of the
/// group commit (`DeferredWrites`).
fn write(
    conn: &mut AnyConnection,
    filing: &Filing,
    outbox_rows: &[NewOutboxRow],
    tallies: DayTallies,
    business: &FilingBusiness,
) -> Result<(Option<String>, DeferredWrites), DbError> {
    if let Some(submission_id) = &filing.complaint.submission_id {
        if let Some(code) = complaints::tracking_code_for_submission(conn, submission_id)? {
            return Ok((Some(code), DeferredWrites::default()));
        }
    }
    // Issue 13: the business behind the case, and earlier cases about it.
    let business_id = businesses::business_of_filing(conn, &filing.complaint, business)?;
    complaints::insert_filing(conn, filing, Some(business_id))?;
    businesses::on_filing(conn, &filing.complaint, business_id, business)?;
    for row in outbox_rows {
        outbox::insert(conn, row)?;
    }
    let search = vec![(filing.complaint.id.clone(), filing.search_terms.clone())];
    Ok((None, DeferredWrites::new(tallies, search)))
}

/// Files the complaint; answers only after the commit (DESIGN §5: a `303` means durable).
/// Earlier cases about the same business within `duplicate_window_days` are linked to it.
pub async fn file(
    db: &Database,
    reference: &ReferenceData,
    request: FilingRequest,
    base_url: &str,
    duplicate_window_days: u32,
    now: NaiveDateTime,
) -> Result<FilingOutcome, ServiceError> {
    // A public case number may clash with one drawn before (2.8 × 10¹⁰ per day): draw again.
    let mut attempts_left = 3;
    loop {
        attempts_left -= 1;
        match file_once(
            db,
            reference,
            &request,
            base_url,
            duplicate_window_days,
            now,
        )
        .await
        {
            Err(ServiceError::Db(error)) if error.is_unique_violation() && attempts_left > 0 => {
                tracing::warn!(
                    "a new case's numbers clashed with an existing case's; drawing again"
                );
            }
            outcome => return outcome,
        }
    }
}

async fn file_once(
    db: &Database,
    reference: &ReferenceData,
    request: &FilingRequest,
    base_url: &str,
    duplicate_window_days: u32,
    now: NaiveDateTime,
) -> Result<FilingOutcome, ServiceError> {
    let tracking_code = TrackingCode::generate(&mut rand::rng());
    let public_id = PublicId::generate(&mut rand::rng(), city_date(now));
    let id = ComplaintId::from(uuid::Uuid::now_v7().to_string());
    let (filing, emails) = build(
        request,
        reference,
        base_url,
        now,
        id,
        &tracking_code,
        &public_id,
    )?;
    let outbox_rows = crate::services::case::outbox_rows(&emails, &filing.complaint.id, now);
    // What the new case adds to the bulletin, counted here rather than on the writer.
    let tallies = db_bulletin::filing_tallies(std::slice::from_ref(&filing), &reference.calendar);
    let emailed = filing.complaint.email.is_some();
    let submission_id = filing.complaint.submission_id.clone();
    let business = FilingBusiness::of(
        &businesses::places(reference),
        filing.complaint.business_credit_code.as_deref(),
        &filing.complaint.district_code,
        &filing.complaint.business_name,
        duplicate_window_days,
    );
    let written = db
        .write_deferring(move |conn| write(conn, &filing, &outbox_rows, tallies, &business))
        .await;
    match written {
        Ok(None) => Ok(FilingOutcome::Filed {
            tracking_code,
            public_id,
            emailed,
        }),
        Ok(Some(first)) => Ok(FilingOutcome::AlreadyFiled {
            tracking_code: first,
        }),
        // Two instances racing with the same submission id: the other one won.
        Err(error) if error.is_unique_violation() && submission_id.is_some() => {
            let submission_id = submission_id.unwrap_or_default();
            let first = db
                .read(move |conn| complaints::tracking_code_for_submission(conn, &submission_id))
                .await?
                .ok_or(ServiceError::Db(error))?;
            Ok(FilingOutcome::AlreadyFiled {
                tracking_code: first,
            })
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::{submission_key, Submitter};

    #[test]
    fn a_submission_key_belongs_to_one_submitter() {
        let key = [3u8; 64];
        let id = "0f0e5e2c-9d1f-4b7a-8a54-000000000001";
        let visitor = |cookie| {
            submission_key(
                &key,
                id,
                Submitter::Visitor {
                    csrf_cookie: cookie,
                },
            )
        };
        let staff = |user| submission_key(&key, id, Submitter::Staff { user_id: user });
        assert_eq!(visitor("a.1"), visitor("a.1"));
        assert_ne!(visitor("a.1"), visitor("b.1"));
        assert_ne!(staff("u1"), staff("u2"));
        assert_ne!(visitor("u1"), staff("u1"));
        assert_ne!(
            visitor("a.1"),
            submission_key(
                &key,
                "0f0e5e2c-9d1f-4b7a-8a54-000000000002",
                Submitter::Visitor { csrf_cookie: "a.1" }
            )
        );
        assert_ne!(
            visitor("a.1"),
            submission_key(&[4u8; 64], id, Submitter::Visitor { csrf_cookie: "a.1" })
        );
    }
}
