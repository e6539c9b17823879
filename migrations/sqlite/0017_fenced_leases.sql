-- Leases that fence: a claim takes a token that grows with every claim,
-- and every write of the step checks it, so a holder that outlived its
-- lease (a slow call, a paused or killed process whose request still
-- lands) changes nothing once another has taken over.
--
-- - dispatches, deliveries: lease_token, the claim's fencing token;
-- - leases: named leases carry a token too, and hold the per-company
--   dispatch locks (named 'company:' || company_key) that company_locks held;
-- - dispatch_orders: every order the distributor confirmed for a dispatch,
--   to whichever holder (a late reply to a stale one included), so that no
--   order is untracked and a second one is seen;
-- - dispatches.audit_at: after a send that followed an unclear outcome, when
--   to read the distributor's orders once more for an order of the earlier
--   attempt that landed late.
ALTER TABLE dispatches ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dispatches ADD COLUMN audit_at TEXT;
ALTER TABLE deliveries ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0;

CREATE TABLE dispatch_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dispatch_id INTEGER NOT NULL REFERENCES dispatches(id),
    order_id TEXT NOT NULL UNIQUE,
    subscriptions TEXT NOT NULL,
    how TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX dispatch_orders_dispatch ON dispatch_orders(dispatch_id);

INSERT INTO dispatch_orders (dispatch_id, order_id, subscriptions, how, recorded_at)
SELECT id, order_id, '[]', 'accepted', updated_at FROM dispatches WHERE order_id IS NOT NULL;

DROP TABLE company_locks;
