//! Who may do what (DESIGN §4, "Who may do what"): roles, a user's relation to a
//! complaint, and the one function that decides between allowed, `403` and `404`.

use super::complaint::StaffAction;
use super::ids::{DepartmentCode, UserId};

text_enum! {
    /// A staff account's role (DESIGN §1).
    Role {
        Clerk => "clerk",
        Supervisor => "supervisor",
        Coordinator => "coordinator",
        Admin => "admin",
    }
}

impl Role {
    /// The office (coordinators) and administrators see and act on every complaint.
    pub fn sees_all(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// A signed-in staff member as the rules see them: who, with which role, in which department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub user_id: UserId,
    pub role: Role,
    pub department: DepartmentCode,
}

/// How a user's department stands to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Lead,
    CoHandler,
    Unrelated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// The user sees the case but may not take this action: `403`.
    Forbidden,
    /// The user may not know the case exists: `404`.
    Hidden,
}

pub fn may_see(role: Role, relation: Relation) -> bool {
    role.sees_all() || relation != Relation::Unrelated
}

/// Whether contact details are shown (on the detail page only, and never an anonymous
/// reporter's: the caller checks that).
pub fn may_see_contact(role: Role, relation: Relation) -> bool {
    may_see(role, relation)
}

pub fn may_act(role: Role, relation: Relation, action: StaffAction) -> Access {
    if !may_see(role, relation) {
        return Access::Hidden;
    }
    use StaffAction::*;
    let allowed = match action {
        Note => true,
        // Returning is the lead department's own step; the office designates instead.
        Return => !role.sees_all() && relation == Relation::Lead,
        Transfer | Reopen => role.sees_all(),
        Accept | Reject | RequestInfo | Pause | Resume | Reply | Assign | Assist => {
            role.sees_all() || relation == Relation::Lead
        }
    };
    if allowed {
        Access::Allowed
    } else {
        Access::Forbidden
    }
}

/// Merging a case into another and linking or unlinking cases (issue 13): the lead
/// department and the office; a co-handler sees the case but may not.
pub fn may_link(role: Role, relation: Relation) -> Access {
    if !may_see(role, relation) {
        Access::Hidden
    } else if role.sees_all() || relation == Relation::Lead {
        Access::Allowed
    } else {
        Access::Forbidden
    }
}

/// Assigning a case someone else already holds (reassigning) is the supervisor's call, or
/// the office's; a clerk may assign an unassigned case or hand over their own.
pub fn may_reassign(member: &StaffMember, current: Option<&UserId>) -> bool {
    member.role != Role::Clerk || current.is_none_or(|holder| *holder == member.user_id)
}

/// Which part of the supervision bulletin a role sees: the office and administrators every
/// department, a supervisor their own, a clerk none (`403`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulletinView {
    Everything,
    OwnDepartment,
}

pub fn bulletin_view(role: Role) -> Option<BulletinView> {
    match role {
        Role::Coordinator | Role::Admin => Some(BulletinView::Everything),
        Role::Supervisor => Some(BulletinView::OwnDepartment),
        Role::Clerk => None,
    }
}

/// Only administrators manage departments, districts, categories, routing, users and holidays.
pub fn may_manage(role: Role) -> bool {
    role == Role::Admin
}

/// The outbox page: the office and administrators.
pub fn may_see_outbox(role: Role) -> bool {
    role.sees_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_who_may_do_what() {
        use Access::*;
        use Relation::*;
        use StaffAction::*;
        let handling = [Accept, Reject, RequestInfo, Pause, Resume, Reply, Assign];
        for role in [Role::Clerk, Role::Supervisor] {
            for action in handling {
                assert_eq!(may_act(role, Lead, action), Allowed);
                assert_eq!(may_act(role, CoHandler, action), Forbidden);
                assert_eq!(may_act(role, Unrelated, action), Hidden);
            }
            assert_eq!(may_act(role, Lead, Return), Allowed);
            assert_eq!(may_act(role, CoHandler, Return), Forbidden);
            assert_eq!(may_act(role, Lead, Transfer), Forbidden);
            assert_eq!(may_act(role, Lead, Reopen), Forbidden);
            assert_eq!(may_act(role, Lead, Assist), Allowed);
            assert_eq!(may_act(role, CoHandler, Assist), Forbidden);
            assert_eq!(may_act(role, CoHandler, Note), Allowed);
            assert_eq!(may_act(role, Unrelated, Note), Hidden);
        }
        for role in [Role::Coordinator, Role::Admin] {
            for action in StaffAction::ALL {
                let expected = if *action == Return {
                    Forbidden
                } else {
                    Allowed
                };
                assert_eq!(
                    may_act(role, Unrelated, *action),
                    expected,
                    "{role:?} {action}"
                );
            }
        }
        assert!(may_manage(Role::Admin) && !may_manage(Role::Coordinator));

        let member = |role, id: &str| StaffMember {
            user_id: UserId::from(id),
            role,
            department: DepartmentCode::from("food-drug"),
        };
        let (me, colleague) = (UserId::from("me"), UserId::from("colleague"));
        for (role, unassigned, own, someone_else) in [
            (Role::Clerk, true, true, false),
            (Role::Supervisor, true, true, true),
            (Role::Coordinator, true, true, true),
            (Role::Admin, true, true, true),
        ] {
            let who = member(role, "me");
            assert_eq!(may_reassign(&who, None), unassigned, "{role:?}");
            assert_eq!(may_reassign(&who, Some(&me)), own, "{role:?}");
            assert_eq!(
                may_reassign(&who, Some(&colleague)),
                someone_else,
                "{role:?}"
            );
        }
        assert!(may_see_outbox(Role::Coordinator) && !may_see_outbox(Role::Supervisor));
    }
}
