//! Who may do what to a PO, in one place: the server refuses with it (the
//! store inside the change's transaction, the server functions of
//! procurement and QuickBooks before they act) and the pages show only the
//! actions it permits. Pure, shared with the browser.
//!
//! Order of the answers: a missing permission (403 `forbidden`), then the
//! PO's state (409 `conflict`, from [`rules`]), then whose action it is
//! (403: `forbidden` for another's PO or the same approver twice,
//! `self_approval` for segregation of duties).

use super::rules::{self, Action, PoFacts};
use crate::users::{Permission, User};
use crate::{Error, ErrorCode, Result};

/// The settings the policy reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// An approver may approve or reject a PO they raised (one-person teams).
    pub allow_self_approval: bool,
}

impl From<&crate::settings::Settings> for Rules {
    fn from(s: &crate::settings::Settings) -> Rules {
        Rules {
            allow_self_approval: s.allow_self_approval,
        }
    }
}

/// The permission an action needs.
pub fn permission(action: Action) -> Permission {
    match action {
        Action::Edit | Action::Submit | Action::Cancel => Permission::Create,
        Action::Approve | Action::Reject | Action::Push => Permission::Approve,
        Action::Receive => Permission::Receive,
        Action::Dispatch => Permission::Dispatch,
        Action::Retry => Permission::Remediate,
    }
}

/// `Ok` when `user` may do `action` to the PO now; else the refusal.
pub fn check(user: &User, po: &PoFacts, rules: Rules, action: Action) -> Result<()> {
    let raised_it = po.created_by == Some(user.id);
    let admin = user.can(Permission::Admin);
    if !user.can(permission(action)) {
        return Err(Error::forbidden(permission(action).action()));
    }
    rules::check(po, action)?;
    match action {
        // Editing and submitting: the PO's creator, or an admin.
        Action::Edit | Action::Submit if !raised_it && !admin => {
            return Err(Error::forbidden(format!("{} a purchase order someone else raised", action.verb())));
        }
        // Cancelling: the creator, an approver or an admin.
        Action::Cancel if !raised_it && !admin && !user.can(Permission::Approve) => {
            return Err(Error::forbidden("cancel a purchase order someone else raised"));
        }
        Action::Approve | Action::Reject => decider(user, po, rules, action)?,
        _ => {}
    }
    Ok(())
}

/// Segregation of duties for approve and reject.
fn decider(user: &User, po: &PoFacts, rules: Rules, action: Action) -> Result<()> {
    if po.created_by == Some(user.id) {
        if po.approvals_required > 1 {
            return Err(Error::new(
                ErrorCode::SelfApproval,
                "You raised this purchase order and it needs two approvals, so two other people must approve or reject it (segregation of duties).",
            ));
        }
        if !rules.allow_self_approval {
            return Err(Error::new(
                ErrorCode::SelfApproval,
                "You raised this purchase order, so someone else must approve or reject it (segregation of duties). An admin can allow approving one's own POs in Settings.",
            ));
        }
    }
    if action == Action::Approve && po.first_approver == Some(user.id) {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "You gave this purchase order its first approval; a second, different approver must give the other.",
        ));
    }
    Ok(())
}

/// Whether `user` may do `action` now.
pub fn may(user: &User, po: &PoFacts, rules: Rules, action: Action) -> bool {
    check(user, po, rules, action).is_ok()
}

/// Every action `user` may take on the PO now, for the pages.
pub fn permitted(user: &User, po: &PoFacts, rules: Rules) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| may(user, po, rules, *a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purchase_orders::PoStatus::{self, *};
    use crate::users::Role;

    fn user(id: i64, role: Role) -> User {
        User {
            id,
            email: format!("u{id}@x.io"),
            name: format!("U{id}"),
            role,
            active: true,
            permissions: role.permissions().to_vec(),
        }
    }

    fn po(status: PoStatus, created_by: i64) -> PoFacts {
        PoFacts {
            status,
            created_by: Some(created_by),
            approvals_required: 1,
            distributor: true,
            ..Default::default()
        }
    }

    #[test]
    fn approvers_decide_on_others_pos_only() {
        let (tech, approver) = (user(1, Role::Technician), user(2, Role::Approver));
        let p = po(PendingApproval, 2);
        assert_eq!(
            check(&tech, &po(PendingApproval, 1), Rules::default(), Action::Approve).unwrap_err().code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            check(&approver, &p, Rules::default(), Action::Approve).unwrap_err().code,
            ErrorCode::SelfApproval
        );
        assert_eq!(
            check(&approver, &p, Rules::default(), Action::Reject).unwrap_err().code,
            ErrorCode::SelfApproval
        );
        let allow = Rules { allow_self_approval: true };
        assert!(may(&approver, &p, allow, Action::Approve));
        assert!(may(&approver, &po(PendingApproval, 1), Rules::default(), Action::Approve));
        // State after permission: a draft is a conflict, not a refusal.
        assert_eq!(
            check(&approver, &po(Draft, 1), Rules::default(), Action::Approve).unwrap_err().code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn two_levels_need_two_others() {
        let (a, b) = (user(2, Role::Approver), user(3, Role::Approver));
        let mut p = po(PendingApproval, 2);
        p.approvals_required = 2;
        let allow = Rules { allow_self_approval: true };
        assert_eq!(check(&a, &p, allow, Action::Approve).unwrap_err().code, ErrorCode::SelfApproval);
        p.created_by = Some(1);
        p.first_approver = Some(2);
        assert_eq!(check(&a, &p, allow, Action::Approve).unwrap_err().code, ErrorCode::Forbidden);
        assert!(may(&a, &p, allow, Action::Reject), "the first approver may still reject");
        assert!(may(&b, &p, allow, Action::Approve));
    }

    #[test]
    fn each_action_has_its_people() {
        let (tech, other_tech, purchaser, viewer, admin) = (
            user(1, Role::Technician),
            user(5, Role::Technician),
            user(4, Role::Purchaser),
            user(6, Role::Viewer),
            user(7, Role::Admin),
        );
        let draft = po(Draft, 1);
        assert_eq!(permitted(&tech, &draft, Rules::default()), [Action::Edit, Action::Submit, Action::Cancel]);
        assert!(permitted(&other_tech, &draft, Rules::default()).is_empty());
        assert!(may(&admin, &draft, Rules::default(), Action::Edit));
        assert!(permitted(&viewer, &draft, Rules::default()).is_empty());
        let approved = po(Approved, 1);
        assert_eq!(permitted(&purchaser, &approved, Rules::default()), [Action::Receive, Action::Dispatch]);
        let failed = PoFacts {
            procurement_status: Some(crate::purchase_orders::DispatchStatus::Failed),
            ..po(Approved, 1)
        };
        assert_eq!(
            permitted(&purchaser, &failed, Rules::default()),
            [Action::Receive, Action::Dispatch, Action::Retry]
        );
        assert!(!may(&tech, &failed, Rules::default(), Action::Retry), "a technician does not remediate");
        assert!(may(&user(2, Role::Approver), &approved, Rules::default(), Action::Push));
    }
}
