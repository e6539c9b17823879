//! The purchase-order lifecycle as pure functions: numbers, totals,
//! the auto-approval decision, allowed transitions and receipt bounds. Shared with the
//! browser for instant feedback; the server checks everything again.

use super::{DispatchStatus, LineInput, PoStatus};
use crate::validate::{cents, optional_text, quantity, required_text};
use crate::{Error, Result};

/// The most lines one PO may have.
pub const MAX_LINES: usize = 200;
/// The most units on one line.
pub const MAX_QUANTITY: i64 = 100_000;
/// The longest reason (reject, cancel) or note.
pub const MAX_REASON: usize = 2_000;
pub const MAX_NOTES: usize = 5_000;

/// `PO-2026-007`, `PO-2026-1000`: at least three digits, growing past 999.
pub fn format_number(year: i32, seq: i64) -> String {
    format!("PO-{year}-{seq:03}")
}

/// `q` written as a whole PO number (any case, e.g. pasted from an email):
/// the number as stored, to look up by its index.
pub fn as_po_number(q: &str) -> Option<String> {
    let upper = q.trim().to_uppercase();
    let rest = upper.strip_prefix("PO-")?;
    let (year, seq) = rest.split_once('-')?;
    let digits = |s: &str, min: usize| s.len() >= min && s.bytes().all(|b| b.is_ascii_digit());
    (digits(year, 4) && year.len() == 4 && digits(seq, 3)).then_some(upper)
}

/// A line's total in cents; `None` when it would overflow.
pub fn line_total(quantity: i64, unit_cost_cents: i64) -> Option<i64> {
    quantity.checked_mul(unit_cost_cents)
}

/// The PO's total; `None` when it would overflow.
pub fn po_total<'a>(lines: impl IntoIterator<Item = (i64, i64)> + 'a) -> Option<i64> {
    lines.into_iter().try_fold(0i64, |acc, (q, c)| acc.checked_add(line_total(q, c)?))
}

/// Strictly under the limit; a limit of 0 turns auto-approval off.
fn auto_approves(total_cents: i64, limit_cents: i64) -> bool {
    limit_cents > 0 && total_cents < limit_cents
}

/// What a submission leads to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnSubmit {
    /// Approved at once: its total is under `limit_cents`.
    AutoApproved { limit_cents: i64 },
    /// Waits for `approvals` approvers; `why` says why in words.
    Waits { approvals: i64, why: String },
}

/// The one auto-approval decision: a PO of `total_cents` with
/// `price_overrides` lines priced off the catalog is approved at once when
/// it is under the auto-approve limit, needs one approval and overrides no
/// price; otherwise it waits, and the reason names the first rule it met.
/// `reduces`: it removes seats, cancels a subscription or saves money
/// (a change order that does not add seats at a cost): never approved at
/// once, since most vendors cannot undo it within the term.
pub fn on_submit(total_cents: i64, price_overrides: i64, reduces: bool, auto_limit_cents: i64, second_limit_cents: i64) -> OnSubmit {
    let approvals = approvals_required(total_cents, second_limit_cents);
    if !reduces && price_overrides == 0 && approvals == 1 && auto_approves(total_cents, auto_limit_cents) {
        return OnSubmit::AutoApproved { limit_cents: auto_limit_cents };
    }
    let dollars = |c: i64| format!("${}", crate::money::format_cents(c));
    let why = if reduces {
        "it removes seats or cancels a subscription, so an approver decides".to_string()
    } else if price_overrides > 0 {
        "a price differs from the catalog, so an approver decides".to_string()
    } else if approvals > 1 {
        format!("{} is above the {} second approval limit", dollars(total_cents), dollars(second_limit_cents))
    } else if auto_limit_cents == 0 {
        "auto-approval is off".to_string()
    } else {
        format!("{} is not under the {} limit", dollars(total_cents), dollars(auto_limit_cents))
    };
    OnSubmit::Waits { approvals, why }
}

/// Approvals a PO of `total_cents` needs: two strictly above the second
/// approval limit; a limit of 0 turns the second level off.
pub fn approvals_required(total_cents: i64, second_limit_cents: i64) -> i64 {
    if second_limit_cents > 0 && total_cents > second_limit_cents {
        2
    } else {
        1
    }
}

/// What may be done to a PO ([`super::policy`] adds who may).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Edit,
    Submit,
    Approve,
    Reject,
    Cancel,
    Receive,
    Dispatch,
    Retry,
    Push,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Edit,
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::Cancel,
        Action::Receive,
        Action::Dispatch,
        Action::Retry,
        Action::Push,
    ];

    pub fn verb(self) -> &'static str {
        match self {
            Action::Edit => "edit",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Cancel => "cancel",
            Action::Receive => "receive",
            Action::Dispatch => "dispatch",
            Action::Retry => "retry the dispatch of",
            Action::Push => "push to QuickBooks",
        }
    }
}

/// What the rules and the policy need to know of a PO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoFacts {
    pub status: PoStatus,
    pub created_by: Option<i64>,
    /// Some goods arrived.
    pub anything_received: bool,
    /// The dispatch's status (`None`: never requested).
    pub procurement_status: Option<DispatchStatus>,
    /// Approvals the PO needs (2 above the second approval limit).
    pub approvals_required: i64,
    /// Who gave the first of two approvals.
    pub first_approver: Option<i64>,
    /// The vendor is a distributor (there is something to dispatch).
    pub distributor: bool,
    /// The PO is in QuickBooks.
    pub qbo_pushed: bool,
}

impl PoFacts {
    /// Sent to a distributor (and so no longer cancellable).
    pub fn dispatched(&self) -> bool {
        dispatched(self.procurement_status)
    }

    /// A dispatch was requested (whatever became of it).
    fn dispatch_requested(&self) -> bool {
        self.procurement_status.is_some_and(|s| s != DispatchStatus::Ready)
    }

    /// Approved, and nothing followed yet that an edit would contradict: no
    /// goods received, no dispatch requested, not in QuickBooks. Editing it
    /// withdraws the approval.
    pub fn revisable(&self) -> bool {
        self.status == PoStatus::Approved && !self.anything_received && !self.dispatch_requested() && !self.qbo_pushed
    }
}

/// Whether a PO with this procurement status went to a distributor (and so
/// can no longer be cancelled): anything but nothing sent yet, not
/// provisionable, or abandoned.
pub fn dispatched(procurement_status: Option<DispatchStatus>) -> bool {
    use DispatchStatus::*;
    procurement_status.is_some_and(|s| !matches!(s, Ready | NotProvisionable | Abandoned))
}

/// Whether `action` fits the PO's state now (people aside).
pub fn allowed(po: &PoFacts, action: Action) -> bool {
    use PoStatus::*;
    let status = po.status;
    match action {
        Action::Edit => matches!(status, Draft | Rejected) || po.revisable(),
        Action::Submit => matches!(status, Draft | Rejected),
        Action::Approve | Action::Reject => status == PendingApproval,
        Action::Receive => matches!(status, Approved | PartiallyReceived),
        Action::Cancel => !matches!(status, Cancelled | Received) && !po.anything_received && !po.dispatched(),
        Action::Dispatch => status.is_committed() && po.distributor,
        // Also while a revision waits for approval (or was rejected): the
        // entry can still be abandoned.
        Action::Retry => status != Cancelled && po.dispatch_requested(),
        Action::Push => status.is_committed(),
    }
}

/// `Ok` when allowed, else a `conflict` that says why.
pub fn check(po: &PoFacts, action: Action) -> Result<()> {
    if allowed(po, action) {
        return Ok(());
    }
    let status = po.status;
    let why = match (action, status) {
        (Action::Edit, PoStatus::Approved | PoStatus::PartiallyReceived | PoStatus::Received) => {
            let what = if po.anything_received {
                "goods were received on it"
            } else if po.dispatch_requested() {
                "its dispatch was requested"
            } else {
                "it is in QuickBooks"
            };
            format!("an approved PO is locked once {what}; cancel it and raise a new one")
        }
        (Action::Cancel, _) if po.anything_received => "goods were already received on it".to_string(),
        (Action::Cancel, _) if po.dispatched() => "it was already dispatched to the distributor".to_string(),
        (Action::Dispatch, _) if status.is_committed() => "its vendor is not a distributor".to_string(),
        (Action::Retry, _) if status != PoStatus::Cancelled => "no dispatch was requested".to_string(),
        _ => format!("it is {}", status.label().to_lowercase()),
    };
    Err(Error::conflict(format!("You cannot {} this purchase order: {why}.", action.verb())))
}

/// The status after receiving, from ordered and received quantities.
pub fn status_after_receipt(lines: &[(i64, i64)]) -> PoStatus {
    if lines.iter().all(|(ordered, received)| received >= ordered) {
        PoStatus::Received
    } else if lines.iter().any(|(_, received)| *received > 0) {
        PoStatus::PartiallyReceived
    } else {
        PoStatus::Approved
    }
}

/// Checks one receipt: each quantity at least 1 and never above what is
/// still outstanding on its line.
pub fn check_receipt(index: usize, ordered: i64, received: i64, now: i64) -> Result<()> {
    let field = format!("lines[{index}].quantity");
    if now < 1 {
        return Err(Error::validation(field, "Received quantity must be at least 1."));
    }
    let outstanding = ordered - received;
    if now > outstanding {
        return Err(Error::conflict(format!(
            "Line {}: only {outstanding} of {ordered} are still outstanding; {now} is more than was ordered.",
            index + 1
        ))
        .with_field(field));
    }
    Ok(())
}

/// Checks and normalises the lines of a PO.
pub fn validate_lines(lines: &[LineInput]) -> Result<Vec<LineInput>> {
    if lines.is_empty() {
        return Err(Error::validation("lines", "Add at least one line."));
    }
    if lines.len() > MAX_LINES {
        return Err(Error::validation("lines", format!("A purchase order has at most {MAX_LINES} lines.")));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        let description = required_text(&f("description"), &l.description, 500)?;
        // A change line's quantity is the seats it adds or removes,
        // checked with the change (see `change_lines.rs`).
        let q = match l.change {
            Some(_) => l.quantity,
            None => quantity(&f("quantity"), l.quantity, MAX_QUANTITY)?,
        };
        let c = cents(&f("unit_cost_cents"), l.unit_cost_cents)?;
        let billing_term = match l.billing_term.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(
                crate::catalog::BILLING_TERMS
                    .iter()
                    .find(|b| b.eq_ignore_ascii_case(t))
                    .map(|b| b.to_string())
                    .ok_or_else(|| {
                        Error::validation(
                            f("billing_term"),
                            format!("Billing term must be one of {}.", crate::catalog::BILLING_TERMS.join(", ")),
                        )
                    })?,
            ),
            None => None,
        };
        let mut details = Vec::new();
        for (j, d) in l.provisioning_details.iter().enumerate() {
            let key = required_text(&format!("lines[{i}].provisioning_details[{j}].key"), &d.key, 100)?;
            let values = d
                .values
                .iter()
                .map(|v| optional_text(&format!("lines[{i}].provisioning_details[{j}].values"), Some(v), 500).map(|o| o.unwrap_or_default()))
                .collect::<Result<Vec<_>>>()?;
            details.push(super::ProvisioningDetail { key, values });
        }
        out.push(LineInput {
            description,
            quantity: q,
            unit_cost_cents: c,
            product_id: l.product_id,
            contract_line_id: l.contract_line_id,
            billing_term,
            commitment_term_id: optional_text(&f("commitment_term_id"), l.commitment_term_id.as_deref(), 100)?,
            provisioning_details: details,
            change: l.change.clone(),
        });
    }
    if po_total(out.iter().map(|l| (l.quantity, l.unit_cost_cents))).is_none_or(|t| t > 100 * crate::validate::MAX_CENTS) {
        return Err(Error::validation(
            "lines",
            "The purchase order's total is larger than $1,000,000,000.00; check the figures (unit costs are in cents).",
        ));
    }
    Ok(out)
}

/// A reason (reject, cancel): required or optional, at most `MAX_REASON`.
pub fn reason(field: &str, value: Option<&str>, required: bool) -> Result<Option<String>> {
    match optional_text(field, value, MAX_REASON)? {
        None if required => Err(Error::validation(field, "Give a reason.")),
        r => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PoStatus::*;

    fn line(q: i64, c: i64) -> LineInput {
        LineInput {
            description: "Laptop".into(),
            quantity: q,
            unit_cost_cents: c,
            ..Default::default()
        }
    }

    #[test]
    fn whole_numbers_are_recognised() {
        assert_eq!(as_po_number(" po-2026-007 ").as_deref(), Some("PO-2026-007"));
        assert_eq!(as_po_number("PO-2026-1000").as_deref(), Some("PO-2026-1000"));
        for partial in ["PO-2026-07", "PO-2026-", "PO-26-007", "2026-007", "PO-2026-007x", "PO-2026-0 7"] {
            assert_eq!(as_po_number(partial), None, "{partial}");
        }
    }

    #[test]
    fn numbers_grow_past_999() {
        assert_eq!(format_number(2026, 1), "PO-2026-001");
        assert_eq!(format_number(2026, 999), "PO-2026-999");
        assert_eq!(format_number(2026, 1000), "PO-2026-1000");
    }

    #[test]
    fn auto_approval_is_strictly_under_and_off_at_zero() {
        assert!(auto_approves(49_999, 50_000));
        assert!(!auto_approves(50_000, 50_000));
        assert!(!auto_approves(0, 0));
        assert!(!auto_approves(1, 0));
        assert_eq!(approvals_required(500_001, 500_000), 2);
        assert_eq!(approvals_required(500_000, 500_000), 1);
        assert_eq!(approvals_required(10_000_000, 0), 1);
    }

    #[test]
    fn a_submission_is_decided_once_with_its_reason() {
        assert_eq!(on_submit(100, 0, false, 50_000, 0), OnSubmit::AutoApproved { limit_cents: 50_000 });
        assert_eq!(
            on_submit(-100, 0, true, 50_000, 0),
            OnSubmit::Waits {
                approvals: 1,
                why: "it removes seats or cancels a subscription, so an approver decides".into()
            }
        );
        let waits = |total, overrides, limit, second| match on_submit(total, overrides, false, limit, second) {
            OnSubmit::Waits { approvals, why } => (approvals, why),
            other => panic!("{other:?}"),
        };
        assert_eq!(waits(100, 1, 50_000, 0), (1, "a price differs from the catalog, so an approver decides".into()));
        assert_eq!(
            waits(600_000, 0, 1_000_000, 500_000),
            (2, "$6,000.00 is above the $5,000.00 second approval limit".into())
        );
        assert_eq!(waits(100, 0, 0, 0), (1, "auto-approval is off".into()));
        assert_eq!(waits(50_000, 0, 50_000, 0), (1, "$500.00 is not under the $500.00 limit".into()));
    }

    fn facts(status: PoStatus, anything_received: bool, procurement: Option<&str>) -> PoFacts {
        PoFacts {
            status,
            anything_received,
            procurement_status: procurement.map(|s| DispatchStatus::parse(s).expect("a dispatch status")),
            approvals_required: 1,
            ..Default::default()
        }
    }

    #[test]
    fn transitions() {
        let allowed = |s, a, r, d: bool| allowed(&facts(s, r, d.then_some("submitted")), a);
        assert!(allowed(Draft, Action::Edit, false, false));
        assert!(allowed(Rejected, Action::Submit, false, false));
        assert!(allowed(PendingApproval, Action::Approve, false, false));
        assert!(!allowed(Draft, Action::Approve, false, false));
        assert!(allowed(PartiallyReceived, Action::Receive, true, false));
        assert!(allowed(Approved, Action::Cancel, false, false));
        assert!(!allowed(Approved, Action::Cancel, false, true));
        assert!(!allowed(PartiallyReceived, Action::Cancel, true, false));
        // An approved PO is revisable until something follows its approval.
        assert!(allowed(Approved, Action::Edit, false, false));
        assert!(!allowed(Approved, Action::Submit, false, false));
        assert!(!allowed(Approved, Action::Edit, false, true));
        assert!(!allowed(PartiallyReceived, Action::Edit, true, false));
        let pushed = PoFacts {
            qbo_pushed: true,
            ..facts(Approved, false, None)
        };
        let e = check(&pushed, Action::Edit).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::Conflict);
        assert!(e.message.contains("locked once it is in QuickBooks"), "{}", e.message);
        assert!(check(&facts(Approved, false, Some("abandoned")), Action::Edit)
            .unwrap_err()
            .message
            .contains("dispatch was requested"));
        assert!(!allowed(Approved, Action::Dispatch, false, false), "not a distributor");
        assert!(!allowed(Approved, Action::Retry, false, false), "nothing to retry");
    }

    #[test]
    fn receipts_never_exceed_what_was_ordered() {
        assert!(check_receipt(0, 5, 3, 2).is_ok());
        let e = check_receipt(1, 5, 3, 3).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (crate::ErrorCode::Conflict, Some("lines[1].quantity")));
        assert_eq!(check_receipt(0, 5, 0, 0).unwrap_err().code, crate::ErrorCode::Validation);
        assert_eq!(status_after_receipt(&[(5, 5), (2, 0)]), PartiallyReceived);
        assert_eq!(status_after_receipt(&[(5, 5), (2, 2)]), Received);
        assert_eq!(status_after_receipt(&[(5, 0)]), Approved);
    }

    #[test]
    fn lines_are_checked_with_their_field() {
        assert_eq!(validate_lines(&[]).unwrap_err().field.as_deref(), Some("lines"));
        assert_eq!(
            validate_lines(&[line(1, 100), line(0, 100)]).unwrap_err().field.as_deref(),
            Some("lines[1].quantity")
        );
        assert_eq!(validate_lines(&[line(-3, 100)]).unwrap_err().field.as_deref(), Some("lines[0].quantity"));
        assert_eq!(validate_lines(&[line(1, -1)]).unwrap_err().field.as_deref(), Some("lines[0].unit_cost_cents"));
        assert_eq!(
            validate_lines(&[line(1, crate::validate::MAX_CENTS + 1)]).unwrap_err().field.as_deref(),
            Some("lines[0].unit_cost_cents")
        );
        assert_eq!(po_total([(2, 1250), (1, 100)]), Some(2600));
        assert_eq!(po_total([(i64::MAX, 2)]), None);
        let long = "x".repeat(10_000);
        assert_eq!(reason("reason", Some(&long), true).unwrap_err().field.as_deref(), Some("reason"));
        assert_eq!(reason("reason", Some("  "), true).unwrap_err().message, "Give a reason.");
    }
}
