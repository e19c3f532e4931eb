//! A complaint's kind, channel and state, and the transitions between states (DESIGN §3).
//! Handlers never set a state by hand: they ask a transition here and persist its result.

text_enum! {
    /// 投诉 (a consumer dispute, the complainant identifiable) or 举报 (a tip, may be anonymous).
    ComplaintKind { Complaint => "complaint", Report => "report" }
}

text_enum! {
    /// How the complaint reached the service.
    Channel { Web => "web", Phone => "phone", Visit => "visit", Open311 => "open311" }
}

text_enum! {
    ComplaintState {
        Assigned => "assigned",
        Accepted => "accepted",
        AwaitingInfo => "awaiting_info",
        Resolved => "resolved",
        Closed => "closed",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
    }
}

text_enum! {
    /// What an event on the timeline records.
    EventKind {
        Submitted => "submitted",
        Routed => "routed",
        Accepted => "accepted",
        Rejected => "rejected",
        Returned => "returned",
        Transferred => "transferred",
        AssistAdded => "assist_added",
        Assigned => "assigned",
        InfoRequested => "info_requested",
        InfoSupplied => "info_supplied",
        Paused => "paused",
        Resumed => "resumed",
        Replied => "replied",
        Note => "note",
        Reopened => "reopened",
        Rated => "rated",
        Closed => "closed",
        Withdrawn => "withdrawn",
        Overdue => "overdue",
        Escalated => "escalated",
        Merged => "merged",
        Linked => "linked",
        Unlinked => "unlinked",
    }
}

impl EventKind {
    /// Whether the resident sees the event on the tracking page; the rest is internal.
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            EventKind::AssistAdded
                | EventKind::Assigned
                | EventKind::Note
                | EventKind::Overdue
                | EventKind::Escalated
                | EventKind::Linked
                | EventKind::Unlinked
        )
    }
}

text_enum! {
    /// Who caused an event.
    ActorKind { System => "system", Complainant => "complainant", User => "user" }
}

text_enum! {
    /// How a reply ended the handling (DESIGN §4), counted in the bulletin.
    Outcome {
        MediatedAgreement => "mediated_agreement",
        Refund => "refund",
        ReplacementOrRepair => "replacement_or_repair",
        Compensation => "compensation",
        ViolationFound => "violation_found",
        NoViolationFound => "no_violation_found",
        TerminatedWithoutAgreement => "terminated_without_agreement",
        Other => "other",
        Duplicate => "duplicate",
    }
}

impl Outcome {
    /// What a reply may record; `duplicate` is what a merge leaves, never a reply.
    pub fn chosen_in_reply(self) -> bool {
        self != Outcome::Duplicate
    }
}

text_enum! {
    /// What staff can do to a complaint, one form each (`POST /admin/complaints/{id}/{action}`).
    StaffAction {
        Accept => "accept",
        Reject => "reject",
        Return => "return",
        Transfer => "transfer",
        Assist => "assist",
        Assign => "assign",
        RequestInfo => "request-info",
        Pause => "pause",
        Resume => "resume",
        Reply => "reply",
        Note => "note",
        Reopen => "reopen",
    }
}

/// A transition the current state does not allow (answered with `409`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("`{action}` is not possible while the complaint is {state}")]
pub struct TransitionError {
    pub action: &'static str,
    pub state: ComplaintState,
}

/// The facts of a complaint that decide which transitions are possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStatus {
    pub state: ComplaintState,
    pub lead: String,
    /// The office designated it: it can no longer be returned.
    pub designated: bool,
    /// The handling clock is stopped for testing or inspection.
    pub paused: bool,
    /// The acceptance window has not passed (today is on or before the deadline).
    pub within_acceptance_window: bool,
}

/// What changes besides the state; the caller persists it with the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Accepted: the finish deadline starts now.
    StartFinishClock,
    /// Back to the coordination office, which becomes the lead until it designates.
    LeadBecomesOffice,
    /// Designated to another department, with a fresh acceptance window.
    Designate {
        department: String,
    },
    AddCoHandler {
        department: String,
    },
    Assign {
        user: String,
    },
    /// The clock stops (information requested, or testing).
    StopClock,
    /// The clock runs again; the finish deadline moves by the time stopped.
    RestartClock,
    Resolve {
        outcome: Outcome,
    },
    /// Reopened: counted, flagged to the office when the complainant was dissatisfied,
    /// with a fresh finish deadline.
    Reopen {
        flag_office: bool,
    },
    RecordRating {
        score: u8,
    },
}

/// The outcome of an allowed transition: the new state, the event that records it and
/// what else changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: ComplaintState,
    pub to: ComplaintState,
    pub event: EventKind,
    pub effect: Effect,
}

fn refuse(action: &'static str, state: ComplaintState) -> TransitionError {
    TransitionError { action, state }
}

impl ComplaintState {
    /// Still being handled: the deadline clock and the complainant's actions apply.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ComplaintState::Assigned | ComplaintState::Accepted | ComplaintState::AwaitingInfo
        )
    }

    /// The complainant withdraws the complaint, possible until it is resolved.
    pub fn withdraw(self) -> Result<Transition, TransitionError> {
        if self.is_open() {
            Ok(Transition {
                from: self,
                to: ComplaintState::Withdrawn,
                event: EventKind::Withdrawn,
                effect: Effect::None,
            })
        } else {
            Err(refuse("withdraw", self))
        }
    }
}

impl CaseStatus {
    fn to(
        &self,
        to: ComplaintState,
        event: EventKind,
        effect: Effect,
    ) -> Result<Transition, TransitionError> {
        Ok(Transition {
            from: self.state,
            to,
            event,
            effect,
        })
    }

    fn require(
        &self,
        action: &'static str,
        allowed: &[ComplaintState],
    ) -> Result<(), TransitionError> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(refuse(action, self.state))
        }
    }

    pub fn accept(&self) -> Result<Transition, TransitionError> {
        self.require("accept", &[ComplaintState::Assigned])?;
        self.to(
            ComplaintState::Accepted,
            EventKind::Accepted,
            Effect::StartFinishClock,
        )
    }

    pub fn reject(&self) -> Result<Transition, TransitionError> {
        self.require("reject", &[ComplaintState::Assigned])?;
        self.to(ComplaintState::Rejected, EventKind::Rejected, Effect::None)
    }

    /// A department returns a case that is not its job, once, within the acceptance
    /// window, and never one the office designated to it.
    pub fn return_to_office(&self, office: &str) -> Result<Transition, TransitionError> {
        self.require("return", &[ComplaintState::Assigned])?;
        if self.designated || self.lead == office || !self.within_acceptance_window {
            return Err(refuse("return", self.state));
        }
        self.to(
            ComplaintState::Assigned,
            EventKind::Returned,
            Effect::LeadBecomesOffice,
        )
    }

    pub fn transfer(&self, department: &str) -> Result<Transition, TransitionError> {
        self.require("transfer", &[ComplaintState::Assigned])?;
        if department == self.lead {
            return Err(refuse("transfer", self.state));
        }
        self.to(
            ComplaintState::Assigned,
            EventKind::Transferred,
            Effect::Designate {
                department: department.to_owned(),
            },
        )
    }

    pub fn assist(&self, department: &str) -> Result<Transition, TransitionError> {
        if !self.state.is_open() || department == self.lead {
            return Err(refuse("assist", self.state));
        }
        self.to(
            self.state,
            EventKind::AssistAdded,
            Effect::AddCoHandler {
                department: department.to_owned(),
            },
        )
    }

    pub fn assign(&self, user: &str) -> Result<Transition, TransitionError> {
        if !self.state.is_open() {
            return Err(refuse("assign", self.state));
        }
        self.to(
            self.state,
            EventKind::Assigned,
            Effect::Assign {
                user: user.to_owned(),
            },
        )
    }

    pub fn request_info(&self) -> Result<Transition, TransitionError> {
        self.require("request-info", &[ComplaintState::Accepted])?;
        if self.paused {
            return Err(refuse("request-info", self.state));
        }
        self.to(
            ComplaintState::AwaitingInfo,
            EventKind::InfoRequested,
            Effect::StopClock,
        )
    }

    /// The complainant supplies what was asked for.
    pub fn supply_info(&self) -> Result<Transition, TransitionError> {
        self.require("info", &[ComplaintState::AwaitingInfo])?;
        self.to(
            ComplaintState::Accepted,
            EventKind::InfoSupplied,
            Effect::RestartClock,
        )
    }

    pub fn pause(&self) -> Result<Transition, TransitionError> {
        self.require("pause", &[ComplaintState::Accepted])?;
        if self.paused {
            return Err(refuse("pause", self.state));
        }
        self.to(
            ComplaintState::Accepted,
            EventKind::Paused,
            Effect::StopClock,
        )
    }

    pub fn resume(&self) -> Result<Transition, TransitionError> {
        self.require("resume", &[ComplaintState::Accepted])?;
        if !self.paused {
            return Err(refuse("resume", self.state));
        }
        self.to(
            ComplaintState::Accepted,
            EventKind::Resumed,
            Effect::RestartClock,
        )
    }

    pub fn reply(&self, outcome: Outcome) -> Result<Transition, TransitionError> {
        self.require("reply", &[ComplaintState::Accepted])?;
        self.to(
            ComplaintState::Resolved,
            EventKind::Replied,
            Effect::Resolve { outcome },
        )
    }

    /// An internal note (or a co-handler's opinion): possible in every state.
    pub fn note(&self) -> Result<Transition, TransitionError> {
        self.to(self.state, EventKind::Note, Effect::None)
    }

    /// The office reopens a resolved or closed case.
    pub fn reopen(&self) -> Result<Transition, TransitionError> {
        self.require(
            "reopen",
            &[ComplaintState::Resolved, ComplaintState::Closed],
        )?;
        self.to(
            ComplaintState::Accepted,
            EventKind::Reopened,
            Effect::Reopen { flag_office: false },
        )
    }

    /// The complainant rates the answer: 1–2 within the rating window reopens the case
    /// and flags it to the office; anything else closes it.
    pub fn rate(&self, score: u8, within_window: bool) -> Result<Transition, TransitionError> {
        self.require("rating", &[ComplaintState::Resolved])?;
        if !(1..=5).contains(&score) {
            return Err(refuse("rating", self.state));
        }
        if score <= 2 && within_window {
            self.to(
                ComplaintState::Accepted,
                EventKind::Reopened,
                Effect::Reopen { flag_office: true },
            )
        } else {
            self.to(
                ComplaintState::Closed,
                EventKind::Rated,
                Effect::RecordRating { score },
            )
        }
    }

    /// Merged into another case of the same complainant: closed here, handled there.
    pub fn merge(&self) -> Result<Transition, TransitionError> {
        self.require(
            "merge",
            &[
                ComplaintState::Assigned,
                ComplaintState::Accepted,
                ComplaintState::AwaitingInfo,
            ],
        )?;
        self.to(ComplaintState::Closed, EventKind::Merged, Effect::None)
    }

    /// Linked to or unlinked from another case: recorded, nothing else changes.
    pub fn link(&self, linked: bool) -> Transition {
        Transition {
            from: self.state,
            to: self.state,
            event: if linked {
                EventKind::Linked
            } else {
                EventKind::Unlinked
            },
            effect: Effect::None,
        }
    }

    /// The rating window ended without a rating: the service closes the case.
    pub fn close_unrated(&self, window_passed: bool) -> Result<Transition, TransitionError> {
        self.require("close", &[ComplaintState::Resolved])?;
        if !window_passed {
            return Err(refuse("close", self.state));
        }
        self.to(ComplaintState::Closed, EventKind::Closed, Effect::None)
    }

    /// Runs the staff action by name (the form's parameters already parsed).
    pub fn act(
        &self,
        action: StaffAction,
        argument: &ActionArgument,
        office: &str,
    ) -> Result<Transition, TransitionError> {
        match (action, argument) {
            (StaffAction::Accept, _) => self.accept(),
            (StaffAction::Reject, _) => self.reject(),
            (StaffAction::Return, _) => self.return_to_office(office),
            (StaffAction::Transfer, ActionArgument::Department(d)) => self.transfer(d),
            (StaffAction::Assist, ActionArgument::Department(d)) => self.assist(d),
            (StaffAction::Assign, ActionArgument::User(u)) => self.assign(u),
            (StaffAction::RequestInfo, _) => self.request_info(),
            (StaffAction::Pause, _) => self.pause(),
            (StaffAction::Resume, _) => self.resume(),
            (StaffAction::Reply, ActionArgument::Outcome(o)) => self.reply(*o),
            (StaffAction::Note, _) => self.note(),
            (StaffAction::Reopen, _) => self.reopen(),
            (action, _) => Err(refuse(action.as_str(), self.state)),
        }
    }
}

/// The one parameter some actions take besides their message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionArgument {
    None,
    Department(String),
    User(String),
    Outcome(Outcome),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_codes_round_trip() {
        for state in ComplaintState::ALL {
            assert_eq!(ComplaintState::parse(state.as_str()), Some(*state));
        }
        for kind in ComplaintKind::ALL {
            assert_eq!(ComplaintKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(ComplaintState::parse("Accepted"), None);
    }

    #[test]
    fn withdraw_is_allowed_only_before_resolution() {
        use ComplaintState::*;
        let table = [
            (Assigned, true),
            (Accepted, true),
            (AwaitingInfo, true),
            (Resolved, false),
            (Closed, false),
            (Rejected, false),
            (Withdrawn, false),
        ];
        for (state, allowed) in table {
            let result = state.withdraw();
            assert_eq!(result.is_ok(), allowed, "withdraw from {state}");
            if let Ok(t) = result {
                assert_eq!(
                    (t.from, t.to, t.event),
                    (state, Withdrawn, EventKind::Withdrawn)
                );
            } else {
                assert_eq!(result.unwrap_err().state, state);
            }
        }
    }

    fn case(state: ComplaintState) -> CaseStatus {
        CaseStatus {
            state,
            lead: "food-drug".into(),
            designated: false,
            paused: false,
            within_acceptance_window: true,
        }
    }

    /// Every staff action from every state: which are allowed, and where they lead.
    #[test]
    fn staff_actions_follow_the_state_machine() {
        use ComplaintState::*;
        let office = "quality-office";
        let arg = |action: StaffAction| match action {
            StaffAction::Transfer | StaffAction::Assist => {
                ActionArgument::Department("market-regulation".into())
            }
            StaffAction::Assign => ActionArgument::User("clerk1".into()),
            StaffAction::Reply => ActionArgument::Outcome(Outcome::Refund),
            _ => ActionArgument::None,
        };
        // (action, from, expected new state or None when refused)
        let table: &[(StaffAction, ComplaintState, Option<ComplaintState>)] = &[
            (StaffAction::Accept, Assigned, Some(Accepted)),
            (StaffAction::Reject, Assigned, Some(Rejected)),
            (StaffAction::Return, Assigned, Some(Assigned)),
            (StaffAction::Transfer, Assigned, Some(Assigned)),
            (StaffAction::Assist, Assigned, Some(Assigned)),
            (StaffAction::Assist, Accepted, Some(Accepted)),
            (StaffAction::Assist, AwaitingInfo, Some(AwaitingInfo)),
            (StaffAction::Assign, Assigned, Some(Assigned)),
            (StaffAction::Assign, Accepted, Some(Accepted)),
            (StaffAction::RequestInfo, Accepted, Some(AwaitingInfo)),
            (StaffAction::Pause, Accepted, Some(Accepted)),
            (StaffAction::Reply, Accepted, Some(Resolved)),
            (StaffAction::Reopen, Resolved, Some(Accepted)),
            (StaffAction::Reopen, Closed, Some(Accepted)),
            (StaffAction::Assign, AwaitingInfo, Some(AwaitingInfo)),
            (StaffAction::Note, Assigned, Some(Assigned)),
            (StaffAction::Note, Accepted, Some(Accepted)),
            (StaffAction::Note, AwaitingInfo, Some(AwaitingInfo)),
            (StaffAction::Note, Resolved, Some(Resolved)),
            (StaffAction::Note, Closed, Some(Closed)),
            (StaffAction::Note, Rejected, Some(Rejected)),
            (StaffAction::Note, Withdrawn, Some(Withdrawn)),
        ];
        for action in StaffAction::ALL {
            for state in ComplaintState::ALL {
                let expected = table
                    .iter()
                    .find(|(a, s, _)| a == action && s == state)
                    .and_then(|(_, _, to)| *to);
                let result = case(*state).act(*action, &arg(*action), office);
                assert_eq!(
                    result.as_ref().ok().map(|t| t.to),
                    expected,
                    "{action} from {state}"
                );
                if let Err(error) = result {
                    assert_eq!(error.state, *state);
                }
            }
        }
    }

    #[test]
    fn return_is_once_within_the_window_and_never_after_designation() {
        let office = "quality-office";
        let assigned = case(ComplaintState::Assigned);
        assert_eq!(
            assigned.return_to_office(office).unwrap().effect,
            Effect::LeadBecomesOffice
        );
        assert!(CaseStatus {
            designated: true,
            ..assigned.clone()
        }
        .return_to_office(office)
        .is_err());
        assert!(CaseStatus {
            lead: office.into(),
            ..assigned.clone()
        }
        .return_to_office(office)
        .is_err());
        assert!(CaseStatus {
            within_acceptance_window: false,
            ..assigned.clone()
        }
        .return_to_office(office)
        .is_err());
        assert!(
            assigned.transfer("food-drug").is_err(),
            "not to the current lead"
        );
        assert!(
            assigned.assist("food-drug").is_err(),
            "the lead is not its own co-handler"
        );
    }

    #[test]
    fn pause_and_resume_alternate_and_stop_the_clock() {
        let accepted = case(ComplaintState::Accepted);
        assert_eq!(accepted.pause().unwrap().effect, Effect::StopClock);
        assert!(accepted.resume().is_err());
        let paused = CaseStatus {
            paused: true,
            ..accepted
        };
        assert!(paused.pause().is_err());
        assert!(paused.request_info().is_err());
        assert_eq!(paused.resume().unwrap().effect, Effect::RestartClock);
        let waiting = case(ComplaintState::AwaitingInfo);
        assert_eq!(waiting.supply_info().unwrap().to, ComplaintState::Accepted);
        assert!(case(ComplaintState::Accepted).supply_info().is_err());
    }

    #[test]
    fn a_low_rating_within_the_window_reopens_and_anything_else_closes() {
        let resolved = case(ComplaintState::Resolved);
        let table = [
            (1, true, ComplaintState::Accepted),
            (2, true, ComplaintState::Accepted),
            (3, true, ComplaintState::Closed),
            (5, true, ComplaintState::Closed),
            (1, false, ComplaintState::Closed),
        ];
        for (score, within, to) in table {
            assert_eq!(
                resolved.rate(score, within).unwrap().to,
                to,
                "{score} {within}"
            );
        }
        assert_eq!(
            resolved.rate(1, true).unwrap().effect,
            Effect::Reopen { flag_office: true }
        );
        assert!(resolved.rate(0, true).is_err());
        assert!(resolved.rate(6, true).is_err());
        assert!(case(ComplaintState::Accepted).rate(5, true).is_err());
    }

    #[test]
    fn only_a_resolved_case_past_its_rating_window_closes_unrated() {
        let resolved = case(ComplaintState::Resolved);
        let closed = resolved.close_unrated(true).unwrap();
        assert_eq!(
            (closed.to, closed.event),
            (ComplaintState::Closed, EventKind::Closed)
        );
        assert!(resolved.close_unrated(false).is_err());
        for state in [ComplaintState::Accepted, ComplaintState::Closed] {
            assert!(case(state).close_unrated(true).is_err(), "{state}");
        }
    }
}
