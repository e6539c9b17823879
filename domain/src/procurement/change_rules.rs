//! What Pax8 allows a subscription's change, checked before anything is
//! sent (and by "Check with Pax8"): from the subscription as Pax8 shows it
//! now and its product's commitment rules (`/dependencies`, read each time).
//! A pure rule: the caller reads both.

use super::distributor::{CommitmentRules, SubscriptionState};
use super::Problem;
use crate::subscriptions::SubscriptionStatus;

/// A change of a subscription: a seat count to reach (absolute, at least
/// 1), or a cancellation (on a date, RFC 3339, when given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatChange {
    Seats(i64),
    Cancel { date: Option<String> },
}

/// What the check found: refusals in plain words (nothing may be sent
/// while there are any), the cancellation date to send, and whether Pax8
/// charges a fee for cancelling (shown before anyone approves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    pub problems: Vec<Problem>,
    pub cancel_date: Option<String>,
    pub cancellation_fee: bool,
    /// The only refusal is fewer seats before a commitment that renews by
    /// itself ends: the change can wait for the renewal (until this end).
    pub hold_until: Option<String>,
}

/// The rules of the subscription's own commitment: the one whose id it
/// carries, else the product's only one. None: no commitment (monthly).
/// A committed subscription whose rules cannot be told apart gets none of
/// the allowances (the least convenient reading).
fn rules_for<'a>(state: &SubscriptionState, rules: &'a [CommitmentRules]) -> Option<std::borrow::Cow<'a, CommitmentRules>> {
    state.commitment_end.as_ref()?;
    let found = match rules {
        [only] => Some(only),
        many => many.iter().find(|r| state.commitment_term.as_deref() == Some(r.term.as_str())),
    };
    Some(match found {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(CommitmentRules::default()),
    })
}

/// `renewed`: the commitment has just renewed and its window after the
/// renewal is open (Pax8's `renewalWindowDaysAfterTermEnd`): fewer seats are
/// allowed then.
pub fn preflight(state: &SubscriptionState, rules: &[CommitmentRules], change: &SeatChange, now: &str, renewed: bool) -> Preflight {
    let mut out = Preflight::default();
    let refuse = |out: &mut Preflight, message: String| out.problems.push(Problem::new("", message));
    if SubscriptionStatus::from_distributor(&state.status) != SubscriptionStatus::Active {
        refuse(
            &mut out,
            format!("The subscription is {} at Pax8; only an Active subscription can be changed.", state.status),
        );
        return out;
    }
    let committed = state.commitment_end.as_deref().is_some_and(|end| end > now);
    let ends = state
        .commitment_end
        .as_deref()
        .map(|e| e.get(..10).unwrap_or(e))
        .unwrap_or_default()
        .to_string();
    let rules = rules_for(state, rules);
    match change {
        SeatChange::Seats(to) if *to < 1 => refuse(&mut out, "A subscription keeps at least 1 seat; cancel it instead.".into()),
        SeatChange::Seats(to) if *to == state.quantity => refuse(&mut out, format!("It already has {to} seats at Pax8.")),
        SeatChange::Seats(to) if *to < state.quantity => {
            if committed && !renewed && !rules.as_ref().is_some_and(|r| r.allow_decrease) {
                refuse(
                    &mut out,
                    format!("Pax8 does not allow fewer seats before the commitment ends on {ends}; hold the change for the renewal, or keep the seats."),
                );
                if rules.as_ref().is_some_and(|r| r.auto_renew) {
                    out.hold_until = state.commitment_end.clone();
                }
            }
        }
        SeatChange::Seats(_) => {
            if committed && !rules.as_ref().is_some_and(|r| r.allow_increase) {
                refuse(&mut out, format!("Pax8 does not allow more seats on this commitment before it ends on {ends}."));
            }
        }
        SeatChange::Cancel { date } => {
            // A committed subscription is billed to its end anyway: cancel then.
            let date = date.clone().or_else(|| committed.then(|| state.commitment_end.clone()).flatten());
            let early = committed && date.as_deref().is_none_or(|d| Some(d) < state.commitment_end.as_deref());
            if early && !rules.as_ref().is_some_and(|r| r.allow_early_cancellation) {
                refuse(
                    &mut out,
                    format!("Pax8 does not allow cancelling before the commitment ends on {ends}; cancel on {ends} instead."),
                );
            }
            out.cancellation_fee = early && rules.as_ref().is_some_and(|r| r.cancellation_fee);
            out.cancel_date = date;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-12-04T00:00:00.000000Z";
    const END: &str = "2027-06-30T00:00:00.000000Z";

    fn sub(status: &str, quantity: i64, end: Option<&str>) -> SubscriptionState {
        SubscriptionState {
            id: "s".into(),
            quantity,
            status: status.into(),
            commitment_term: end.map(|_| "1-Year".into()),
            commitment_end: end.map(str::to_string),
            ..Default::default()
        }
    }

    fn nce() -> Vec<CommitmentRules> {
        vec![CommitmentRules {
            commitment_id: "c".into(),
            term: "1-Year".into(),
            allow_increase: true,
            ..Default::default()
        }]
    }

    fn refused(p: &Preflight) -> bool {
        !p.problems.is_empty()
    }

    #[test]
    fn more_seats_pass_fewer_wait_for_the_commitments_end() {
        let s = sub("Active", 10, Some(END));
        assert!(!refused(&preflight(&s, &nce(), &SeatChange::Seats(12), NOW, false)));
        let fewer = preflight(&s, &nce(), &SeatChange::Seats(8), NOW, false);
        assert!(
            fewer.problems[0].message.contains("fewer seats before the commitment ends on 2027-06-30"),
            "{fewer:?}"
        );
        assert_eq!(fewer.hold_until, None, "a commitment that does not renew by itself cannot be waited for");
        let mut renewing = nce();
        renewing[0].auto_renew = true;
        let held = preflight(&s, &renewing, &SeatChange::Seats(8), NOW, false);
        assert_eq!((held.problems.len(), held.hold_until.as_deref()), (1, Some(END)), "it can wait for the renewal");
        assert!(
            !refused(&preflight(&s, &renewing, &SeatChange::Seats(8), NOW, true)),
            "in the window after the renewal"
        );
        // Once the commitment has ended, or on a monthly one, fewer is fine.
        assert!(!refused(&preflight(&s, &nce(), &SeatChange::Seats(8), "2027-07-01T00:00:00.000000Z", false)));
        assert!(!refused(&preflight(&sub("Active", 10, None), &[], &SeatChange::Seats(8), NOW, false)));
        // A commitment that allows decreases.
        let mut flexible = nce();
        flexible[0].allow_decrease = true;
        assert!(!refused(&preflight(&s, &flexible, &SeatChange::Seats(8), NOW, false)));
        // One that allows no increase.
        let mut fixed = nce();
        fixed[0].allow_increase = false;
        assert!(refused(&preflight(&s, &fixed, &SeatChange::Seats(12), NOW, false)));
    }

    #[test]
    fn only_an_active_subscription_and_a_real_change() {
        for status in ["PendingManual", "Cancelled", "PendingCancel", "WaitingForDetails"] {
            let p = preflight(&sub(status, 10, None), &[], &SeatChange::Seats(12), NOW, false);
            assert!(p.problems[0].message.contains(status), "{status}: {p:?}");
        }
        assert!(refused(&preflight(&sub("Active", 10, None), &[], &SeatChange::Seats(10), NOW, false)));
        assert!(refused(&preflight(&sub("Active", 10, None), &[], &SeatChange::Seats(0), NOW, false)));
        assert!(
            !refused(&preflight(&sub("Trial", 10, None), &[], &SeatChange::Seats(11), NOW, false)),
            "a trial is active"
        );
    }

    #[test]
    fn a_committed_cancellation_defaults_to_the_end_and_early_ones_follow_the_rules() {
        let s = sub("Active", 10, Some(END));
        let p = preflight(&s, &nce(), &SeatChange::Cancel { date: None }, NOW, false);
        assert_eq!((p.problems.len(), p.cancel_date.as_deref(), p.cancellation_fee), (0, Some(END), false));
        let early = SeatChange::Cancel {
            date: Some("2027-01-01T00:00:00.000000Z".into()),
        };
        assert!(refused(&preflight(&s, &nce(), &early, NOW, false)));
        let mut lenient = nce();
        lenient[0].allow_early_cancellation = true;
        lenient[0].cancellation_fee = true;
        let p = preflight(&s, &lenient, &early, NOW, false);
        assert_eq!((p.problems.len(), p.cancellation_fee), (0, true), "allowed, with the fee shown");
        // A monthly one cancels now.
        let p = preflight(&sub("Active", 3, None), &[], &SeatChange::Cancel { date: None }, NOW, false);
        assert_eq!((p.problems.len(), p.cancel_date), (0, None));
    }

    #[test]
    fn a_commitment_whose_rules_are_unknown_allows_nothing() {
        let s = sub("Active", 10, Some(END));
        let other = vec![
            CommitmentRules {
                term: "3-Year".into(),
                allow_increase: true,
                ..Default::default()
            },
            CommitmentRules {
                term: "Monthly".into(),
                allow_increase: true,
                ..Default::default()
            },
        ];
        assert!(refused(&preflight(&s, &other, &SeatChange::Seats(12), NOW, false)));
        assert!(refused(&preflight(&s, &[], &SeatChange::Seats(12), NOW, false)), "no rules read");
    }
}
