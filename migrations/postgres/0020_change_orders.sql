-- Change orders: a PO line may change a subscription the product knows
-- instead of ordering a product. `change_to_quantity` is the seat count to
-- reach (absolute); null with a subscription set: a cancellation, on
-- `change_cancel_date` when one is given. The line's `quantity` is the
-- seats it adds (negative: removes), so the PO's total prices the change.
-- contract_lines.cancelled_at: the day a cancelled subscription's line ends.
-- dispatches.changes_done: how many of a change order's lines Pax8 has
-- confirmed (they are sent one after another, in line order).
ALTER TABLE po_lines ADD COLUMN change_subscription_id BIGINT REFERENCES subscriptions(id);
ALTER TABLE po_lines ADD COLUMN change_from_quantity BIGINT;
ALTER TABLE po_lines ADD COLUMN change_to_quantity BIGINT;
ALTER TABLE po_lines ADD COLUMN change_cancel_date TEXT;
CREATE INDEX po_lines_change_subscription ON po_lines(change_subscription_id);
ALTER TABLE dispatches ADD COLUMN changes_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contract_lines ADD COLUMN cancelled_at TEXT;
