-- A notification may be about a subscription rather than a PO: a
-- commitment that ends soon (30 and 7 days before) tells approvers and
-- purchasing, once each. An imported subscription has no PO, so
-- notifications.po_id (and its stored PO) become optional, beside the
-- subscription and its stored summary; `once_key` (unique) makes a notice
-- that must go out once go out once, whichever instance sees it due.
--
-- SQLite cannot drop NOT NULL in place: the table is rebuilt. deliveries
-- reference it, so the checks of those references wait for the commit
-- (defer_foreign_keys), by which time every row is back under its id.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE notifications_before AS SELECT * FROM notifications;
DROP TABLE notifications;
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    po_id INTEGER REFERENCES purchase_orders(id),
    subscription_id INTEGER REFERENCES subscriptions(id),
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    message TEXT NOT NULL,
    po TEXT,
    subscription TEXT,
    once_key TEXT UNIQUE,
    CHECK ((po_id IS NULL) <> (subscription_id IS NULL)),
    CHECK ((po_id IS NULL) = (po IS NULL)),
    CHECK ((subscription_id IS NULL) = (subscription IS NULL))
);
INSERT INTO notifications (id, event, po_id, at, actor_name, message, po)
    SELECT id, event, po_id, at, actor_name, message, po FROM notifications_before;
DROP TABLE notifications_before;
CREATE INDEX notifications_po ON notifications(po_id);
CREATE INDEX notifications_subscription ON notifications(subscription_id);
