//! A complaint's kind, channel and state, and the transitions between states (DESIGN §3).
//! Handlers never set a state by hand: they ask a transition here and persist its result.

use std::fmt;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
        Withdrawn => "withdrawn",
    }
}

text_enum! {
    /// Who caused an event.
    ActorKind { System => "system", Complainant => "complainant", User => "user" }
}

/// A transition the current state does not allow (answered with `409`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("`{action}` is not possible while the complaint is {state}")]
pub struct TransitionError {
    pub action: &'static str,
    pub state: ComplaintState,
}

/// The outcome of an allowed transition: the new state and the event that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: ComplaintState,
    pub to: ComplaintState,
    pub event: EventKind,
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
            })
        } else {
            Err(TransitionError {
                action: "withdraw",
                state: self,
            })
        }
    }
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
}
