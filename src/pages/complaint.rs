//! The admin page of one complaint: facts, contact (for those who handle it), routing
//! explanation, deadlines, timeline, attachments and the forms of the allowed actions.
//! `build` lays it out from what the handler read; it reads and writes nothing itself.

use super::{city_minute, DueStanding};
use askama::Template;
use chrono::NaiveDateTime;

use super::admin::AdminContext;
use crate::db::complaints::{CaseRecords, EventRow};
use crate::db::reference::{Named, ReferenceData};
use crate::domain::access::{self, Access, StaffMember};
use crate::domain::calendar::city_date;
use crate::domain::complaint::{ActionArgument, ActorKind, EventKind, Outcome, StaffAction};
use crate::domain::deadlines::DeadlineKind;
use crate::i18n::{self, Locale};
use crate::services::case::Case;

/// A refused action, shown again in its form with the text the member typed.
pub struct ActionRefusal {
    pub action: StaffAction,
    pub message: String,
    pub typed: String,
    /// The field refused (`reason`, `outcome`, …), linked from the error summary; `None`
    /// for the form as a whole (a version that cannot be read).
    pub field: Option<&'static str>,
}

/// One line of the error summary at the top of the page: the message, linking to its field.
pub struct ErrorLink {
    pub href: String,
    pub message: String,
}

/// What the page is about and for whom.
#[derive(Clone, Copy)]
pub struct CasePageInput<'a> {
    pub case: &'a Case,
    pub member: &'a StaffMember,
    pub reference: &'a ReferenceData,
    pub refusal: Option<&'a ActionRefusal>,
    /// The action just done, for the confirmation at the top.
    pub done: Option<StaffAction>,
    pub now: NaiveDateTime,
}

/// Contact details are shown (and their viewing recorded) only to those who handle the
/// case, never an anonymous reporter's.
pub fn shows_contact(case: &Case, member: &StaffMember) -> bool {
    !case.row.anonymous && access::may_see_contact(member.role, case.relation(&member.department))
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

/// A line of the routing section: a date carries its standing while it is running.
pub struct DueFact {
    pub label: &'static str,
    pub value: String,
    pub standing: Option<DueStanding>,
}

pub struct TimelineItem {
    /// The event kind's code, the entry's `data-event` marker.
    pub kind: &'static str,
    pub at: String,
    pub what: String,
    pub actor: String,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub is_opinion: bool,
}

pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

pub struct Option2 {
    pub value: String,
    pub label: String,
}

/// One action form: which fields it has and, after a refusal, the message.
pub struct ActionForm {
    pub action: &'static str,
    pub title: &'static str,
    pub submit: &'static str,
    /// The text field's name (`message`, `reason`, `note`) and whether it is required.
    pub text_field: Option<(&'static str, &'static str, bool)>,
    /// A select's name, label and options (department, user, outcome).
    pub select: Option<(&'static str, &'static str, Vec<Option2>)>,
    pub error: Option<String>,
    /// The field the error is about (`aria-invalid`, `aria-describedby`).
    pub error_field: Option<&'static str>,
    pub typed: String,
    /// Where the form posts, ending with the form's own anchor so that a refusal opens the
    /// page at it: `reply` and `reject` post to their preview (issue 16).
    pub target: String,
    /// `reject`: the category's standard grounds, a choice that fills the reason.
    pub reasons: Vec<Option2>,
}

impl ActionForm {
    /// Whether `name` is the field in error.
    pub fn invalid(&self, name: &str) -> bool {
        self.error_field == Some(name)
    }
}

/// The actions that go through a page showing what the resident will receive (issue 16).
pub fn previewed(action: StaffAction) -> bool {
    matches!(action, StaffAction::Reply | StaffAction::Reject)
}

/// The one action the page offers first in the case's state; the others fold away.
fn primary_of(forms: &[ActionForm], returned_to_office: bool) -> Option<usize> {
    let preferred: &[&str] = if returned_to_office {
        &["transfer"]
    } else {
        &["accept", "resume", "reply", "note"]
    };
    preferred
        .iter()
        .find_map(|name| forms.iter().position(|f| f.action == *name))
}

/// The message of a required text field left empty, naming the field ("请填写答复内容").
pub fn required_key(action: StaffAction) -> &'static str {
    use StaffAction::*;
    match action {
        RequestInfo => "admin.action.error.required_request",
        Reply => "admin.action.error.required_reply",
        Note => "admin.action.error.required_note",
        Accept => "admin.action.error.required_message",
        _ => "admin.action.error.required_reason",
    }
}

#[derive(Template)]
#[template(path = "admin/complaint.html")]
pub struct ComplaintPage {
    pub admin: AdminContext,
    pub id: String,
    pub reference: String,
    pub version: i32,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub flags: Vec<String>,
    pub facts: Vec<Fact>,
    pub contact: Vec<Fact>,
    pub contact_note: Option<&'static str>,
    pub routing: String,
    /// Returned to the office and not designated yet: the return, for the top of the page.
    pub returned: Option<String>,
    pub deadlines: Vec<DueFact>,
    pub co_handlers: Vec<DueFact>,
    pub attachments: Vec<AttachmentLink>,
    pub timeline: Vec<TimelineItem>,
    /// The state's primary action, shown first (issue 16).
    pub primary: Option<ActionForm>,
    /// The other actions, under "其他操作".
    pub actions: Vec<ActionForm>,
    /// A refused action: its messages, each linking to its field, at the top.
    pub errors: Vec<ErrorLink>,
    /// "其他操作" opens when the refused form is among them.
    pub others_open: bool,
    /// After an action: the next case of the member's queue view ("处理下一件").
    pub next_href: Option<String>,
    /// Issue 13: the cases linked to this one that the viewer may see.
    pub links: Vec<crate::pages::businesses::LinkedCaseItem>,
    pub link_forms: crate::pages::businesses::LinkForms,
    /// Issue 13: the joint actions this case is part of (`data-joint-action`).
    pub joint_actions: Vec<crate::pages::joint_actions::CaseJointAction>,
}

/// The text field of each action: its name, label key and whether it is required.
pub fn text_field(action: StaffAction) -> Option<(&'static str, &'static str, bool)> {
    use StaffAction::*;
    match action {
        Accept => Some(("message", "admin.action.field.message", false)),
        Reject | Return | Transfer | Pause | Reopen => {
            Some(("reason", "admin.action.field.reason", true))
        }
        RequestInfo => Some(("message", "admin.action.field.request", true)),
        Reply => Some(("message", "admin.action.field.reply", true)),
        Note => Some(("note", "admin.action.field.note", true)),
        Assist | Assign | Resume => None,
    }
}

fn action_forms(
    input: &CasePageInput<'_>,
    lead_users: &[String],
    locale: Locale,
) -> Vec<ActionForm> {
    let CasePageInput {
        case: loaded,
        member: staff,
        reference,
        refusal,
        now,
        ..
    } = *input;
    let status = loaded.status(now);
    let office = reference
        .office()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    let relation = loaded.relation(&staff.department);
    let involved = |code: &str| {
        code == loaded.row.lead_department
            || loaded.co_handlers.iter().any(|c| c.department_code == code)
    };
    let mut forms = Vec::new();
    for &action in StaffAction::ALL {
        if access::may_act(staff.role, relation, action) != Access::Allowed {
            continue;
        }
        if action == StaffAction::Assign
            && !access::may_reassign(staff, loaded.row.assignee.as_ref())
        {
            continue;
        }
        let select = match action {
            StaffAction::Transfer | StaffAction::Assist => {
                let options: Vec<Option2> = reference
                    .departments
                    .iter()
                    .filter(|d| d.active && !involved(&d.code))
                    .map(|d| Option2 {
                        value: d.code.clone(),
                        label: d.name(locale).to_owned(),
                    })
                    .collect();
                Some((
                    "department",
                    i18n::t(locale, "admin.action.field.department"),
                    options,
                ))
            }
            StaffAction::Assign => {
                let options = lead_users
                    .iter()
                    .map(|name| Option2 {
                        value: name.clone(),
                        label: name.clone(),
                    })
                    .collect();
                Some(("user", i18n::t(locale, "admin.action.field.user"), options))
            }
            StaffAction::Reply => Some((
                "outcome",
                i18n::t(locale, "admin.action.field.outcome"),
                Outcome::ALL
                    .iter()
                    .filter(|o| o.chosen_in_reply())
                    .map(|o| Option2 {
                        value: o.as_str().to_owned(),
                        label: i18n::t(locale, &format!("outcome.{}", o.as_str())).to_owned(),
                    })
                    .collect(),
            )),
            _ => None,
        };
        // Offer only what the state allows, tried with a representative argument.
        let argument = match (&select, action) {
            (Some((_, _, options)), StaffAction::Transfer | StaffAction::Assist) => {
                match options.first() {
                    Some(o) => ActionArgument::Department(o.value.clone()),
                    None => continue,
                }
            }
            (Some((_, _, options)), StaffAction::Assign) => match options.first() {
                Some(o) => ActionArgument::User(o.value.clone()),
                None => continue,
            },
            (_, StaffAction::Reply) => ActionArgument::Outcome(Outcome::Other),
            _ => ActionArgument::None,
        };
        if status.act(action, &argument, &office).is_err() {
            continue;
        }
        let refused = refusal.filter(|r| r.action == action);
        let reasons = if action == StaffAction::Reject {
            reference
                .category(&loaded.row.category_code)
                .map(|c| crate::domain::rejection::parse(&c.rejection_reasons))
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, r)| Option2 {
                    value: (i + 1).to_string(),
                    label: r.text(i18n::t(locale, "desk.reason.basis")),
                })
                .collect()
        } else {
            Vec::new()
        };
        let id = &loaded.row.id;
        let name = action.as_str();
        let target = if previewed(action) {
            format!("/admin/complaints/{id}/{name}/preview#action-{name}")
        } else {
            format!("/admin/complaints/{id}/{name}#action-{name}")
        };
        forms.push(ActionForm {
            target,
            reasons,
            error_field: refused.and_then(|r| r.field),
            action: action.as_str(),
            title: i18n::t(locale, &format!("admin.action.{}.title", action.as_str())),
            submit: i18n::t(locale, &format!("admin.action.{}.submit", action.as_str())),
            text_field: text_field(action)
                .map(|(name, key, required)| (name, i18n::t(locale, key), required)),
            select,
            error: refused.map(|r| r.message.clone()),
            typed: refused.map(|r| r.typed.clone()).unwrap_or_default(),
        });
    }
    forms
}

fn office_code(reference: &ReferenceData) -> &str {
    reference.office().map_or("", |o| o.code.as_str())
}

/// What a timeline entry says, on the staff page and the resident's alike: the event's
/// text with the department it names filled in.
pub fn event_text(event: &EventRow, reference: &ReferenceData, locale: Locale) -> String {
    let department = event
        .department_code
        .as_deref()
        .map(|c: &str| {
            reference
                .department(c)
                .map_or(c, |d| d.name(locale))
                .to_owned()
        })
        .unwrap_or_default();
    event_kind_text(event.kind, &department, locale)
}

/// The text of an event kind naming `department` (which kinds without one ignore).
pub fn event_kind_text(kind: EventKind, department: &str, locale: Locale) -> String {
    i18n::t_args(
        locale,
        &format!("event.{}", kind.as_str()),
        &[("department", department)],
    )
}

/// Lays out the page of a case from what was read for it.
pub fn build(
    mut admin: AdminContext,
    input: CasePageInput<'_>,
    data: CaseRecords,
) -> ComplaintPage {
    let CasePageInput {
        case: loaded,
        member: staff,
        reference,
        done,
        now,
        ..
    } = input;
    let CaseRecords {
        events,
        files,
        actors,
        lead_users,
    } = data;
    let row = &loaded.row;
    let locale = admin.ctx.locale;
    if let Some(done) = done {
        admin.flash =
            Some(i18n::t(locale, &format!("admin.action.{}.done", done.as_str())).to_owned());
    }
    let t = |key: &str| i18n::t(locale, key);
    let name_of = |code: &str, named: Option<&dyn Named>| {
        named.map_or(code.to_owned(), |n| n.name(locale).to_owned())
    };
    let kind = row.kind;
    let mut facts = vec![
        Fact {
            label: t("track.kind"),
            value: t(&format!("kind.{}", kind.as_str())).to_owned(),
        },
        Fact {
            label: t("form.category.label"),
            value: name_of(
                &row.category_code,
                reference
                    .category(&row.category_code)
                    .map(|c| c as &dyn Named),
            ),
        },
        Fact {
            label: t("form.district.label"),
            value: name_of(
                &row.district_code,
                reference
                    .district(&row.district_code)
                    .map(|d| d as &dyn Named),
            ),
        },
        Fact {
            label: t("form.business_name.label"),
            value: row.business_name.clone(),
        },
        Fact {
            label: t("form.business_address.label"),
            value: row.business_address.clone(),
        },
    ];
    let optional = [
        (
            "form.business_credit_code.label",
            row.business_credit_code.clone(),
        ),
        ("form.product.label", row.product.clone()),
        (
            "form.incident_date.label",
            row.incident_date.map(|d| d.to_string()),
        ),
    ];
    facts.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.map(|value| Fact { label: t(k), value })),
    );
    facts.push(Fact {
        label: t("form.description.label"),
        value: row.description.clone(),
    });
    if let Some(demand) = &row.demand {
        facts.push(Fact {
            label: t("form.demand.label"),
            value: demand.clone(),
        });
    }
    facts.push(Fact {
        label: t("admin.complaint.channel"),
        value: t(&format!("channel.{}", row.channel)).to_owned(),
    });
    facts.push(Fact {
        label: t("track.filed_on"),
        value: city_minute(row.created_at),
    });

    // Contact details: only here, to those who handle the case, never an anonymous
    // reporter's; each view is recorded.
    let (contact, contact_note) = if row.anonymous {
        (Vec::new(), Some(t("admin.complaint.anonymous")))
    } else if shows_contact(loaded, staff) {
        let contact: Vec<Fact> = [
            ("form.complainant_name.label", row.complainant_name.clone()),
            ("form.phone.label", row.phone.clone()),
            ("form.email.label", row.email.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|value| Fact { label: t(k), value }))
        .collect();
        (contact, None)
    } else {
        (Vec::new(), None)
    };

    let lead_name = name_of(
        &row.lead_department,
        reference
            .department(&row.lead_department)
            .map(|d| d as &dyn Named),
    );
    // The routing line tells what happened, not only where the case is now: the rule and
    // the first department, then each return and designation.
    let department_named =
        |code: &str| name_of(code, reference.department(code).map(|d| d as &dyn Named));
    let first = events
        .iter()
        .find(|e| e.kind == EventKind::Routed)
        .and_then(|e| e.department_code.as_deref())
        .map_or_else(|| lead_name.clone(), &department_named);
    let mut routing = match row.routing_rule_id {
        Some(rule) => i18n::t_args(
            locale,
            "admin.complaint.routed_by_rule",
            &[("rule", &rule.to_string()), ("department", &first)],
        ),
        None => i18n::t_args(
            locale,
            "admin.complaint.routed_by_default",
            &[("department", &first)],
        ),
    };
    let mut returned_note = None;
    for event in &events {
        let step = match event.kind {
            EventKind::Returned => {
                let by = row
                    .returned_by
                    .as_deref()
                    .map(&department_named)
                    .unwrap_or_default();
                let text = i18n::t_args(
                    locale,
                    "admin.complaint.history.returned",
                    &[
                        ("at", &city_minute(event.at)),
                        ("department", &by),
                        ("reason", event.internal_note.as_deref().unwrap_or_default()),
                    ],
                );
                returned_note = Some(text.clone());
                text
            }
            EventKind::Transferred => {
                returned_note = None;
                let actor = match (event.actor_kind, &event.actor_user) {
                    (ActorKind::User, Some(id)) => actors.get(id).cloned().unwrap_or_default(),
                    _ => t("admin.complaint.actor.system").to_owned(),
                };
                let to = event
                    .department_code
                    .as_deref()
                    .map(&department_named)
                    .unwrap_or_default();
                i18n::t_args(
                    locale,
                    "admin.complaint.history.designated",
                    &[
                        ("at", &city_minute(event.at)),
                        ("actor", &actor),
                        ("department", &to),
                    ],
                )
            }
            _ => continue,
        };
        routing.push_str(" → ");
        routing.push_str(&step);
    }
    let today = city_date(now);
    let calendar = &reference.calendar;
    let running = |date| DueStanding::if_running(calendar, date, row.current_due, today, locale);
    let mut deadlines = vec![DueFact {
        label: t("track.department"),
        value: lead_name,
        standing: None,
    }];
    deadlines.push(DueFact {
        label: t("track.deadline.accept"),
        value: row.accept_due.to_string(),
        standing: running(row.accept_due),
    });
    if let Some(finish) = row.finish_due {
        deadlines.push(DueFact {
            label: t("track.deadline.finish"),
            value: finish.to_string(),
            standing: running(finish),
        });
    }
    let mut flags = Vec::new();
    if row.current_due.is_some_and(|d| d < today) {
        flags.push(t("admin.complaint.overdue").to_owned());
    }
    if row.paused_since.is_some() {
        flags.push(t("admin.complaint.paused").to_owned());
    }
    if row.flagged_to_office {
        flags.push(t("admin.complaint.flagged").to_owned());
    }
    if row.designated {
        flags.push(t("admin.complaint.designated").to_owned());
    }
    if let Some(assignee) = row.assignee.as_ref().and_then(|id| actors.get(id)) {
        deadlines.push(DueFact {
            label: t("admin.complaint.assignee"),
            value: assignee.clone(),
            standing: None,
        });
    }
    let co_handlers = loaded
        .co_handlers
        .iter()
        .map(|c| DueFact {
            // A co-handler's opinion deadline runs until the opinion is given.
            standing: loaded
                .deadlines
                .iter()
                .find(|d| {
                    d.kind == DeadlineKind::Opinion
                        && d.department_code == c.department_code
                        && d.is_open()
                        && d.paused_on.is_none()
                })
                .map(|d| DueStanding::of(calendar, d.due_on, today, locale)),
            label: t("admin.complaint.co_handler"),
            value: format!(
                "{} ({} {})",
                name_of(
                    &c.department_code,
                    reference
                        .department(&c.department_code)
                        .map(|d| d as &dyn Named)
                ),
                t("admin.complaint.opinion_due"),
                c.opinion_due
            ),
        })
        .collect();
    let timeline = events
        .iter()
        .map(|e| TimelineItem {
            kind: e.kind.as_str(),
            at: city_minute(e.at),
            what: event_text(e, reference, locale),
            actor: match (e.actor_kind, &e.actor_user) {
                (ActorKind::User, Some(id)) => actors.get(id).cloned().unwrap_or_default(),
                (ActorKind::Complainant, _) => t("admin.complaint.actor.complainant").to_owned(),
                _ => t("admin.complaint.actor.system").to_owned(),
            },
            public_message: e.public_message.clone(),
            internal_note: e.internal_note.clone(),
            is_opinion: e.is_opinion,
        })
        .collect();
    let attachments = files
        .into_iter()
        .map(|f| AttachmentLink {
            href: format!("/admin/attachments/{}", f.id),
            name: f.file_name,
            size: format!("{} KiB", (f.size_bytes + 1023) / 1024),
        })
        .collect();
    let mut actions = action_forms(&input, &lead_users, locale);
    let returned_to_office = row.returned_by.is_some()
        && !row.designated
        && row.lead_department.as_str() == office_code(reference);
    let primary = primary_of(&actions, returned_to_office).map(|i| actions.remove(i));
    let errors: Vec<ErrorLink> = primary
        .iter()
        .chain(actions.iter())
        .filter_map(|form| {
            let message = form.error.clone()?;
            let href = match form.error_field {
                Some(field) => format!("#{}-{field}", form.action),
                None => format!("#action-{}", form.action),
            };
            Some(ErrorLink { href, message })
        })
        .collect();
    let others_open = actions.iter().any(|f| f.error.is_some());
    let state_code = loaded.state().as_str();
    let reference_code = row.public_id.clone();
    ComplaintPage {
        // A returned case waiting for the office: who returned it, when and why, first.
        returned: returned_note.filter(|_| row.lead_department.as_str() == office_code(reference)),
        id: row.id.to_string(),
        reference: reference_code,
        version: row.version,
        state_code,
        state_label: t(&format!("state.{state_code}")),
        flags,
        facts,
        contact,
        contact_note,
        routing,
        deadlines,
        co_handlers,
        attachments,
        timeline,
        primary,
        actions,
        errors,
        others_open,
        next_href: None,
        links: Vec::new(),
        link_forms: Default::default(),
        joint_actions: Vec::new(),
        admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event kind in every language names its department, and leaves no `{name}`
    /// unfilled (the public timeline once read "已指定由{department}办理").
    #[test]
    fn no_event_text_leaves_a_placeholder() {
        for &kind in EventKind::ALL {
            for locale in Locale::ALL {
                let text = event_kind_text(kind, "食品药品监督管理局", locale);
                assert!(
                    !text.contains('{') && !text.contains('}'),
                    "{kind} {locale:?}: {text}"
                );
                assert!(!text.is_empty(), "{kind} {locale:?}");
            }
        }
        let designated = event_kind_text(EventKind::Transferred, "工商行政管理局", Locale::ZhHans);
        assert_eq!(designated, "已指定由工商行政管理局办理");
    }
}
