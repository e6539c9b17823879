-- A notification may be about a subscription rather than a PO: a
-- commitment that ends soon (30 and 7 days before) tells approvers and
-- purchasing, once each. An imported subscription has no PO, so
-- notifications.po_id (and its stored PO) become optional, beside the
-- subscription and its stored summary; `once_key` (unique) makes a notice
-- that must go out once go out once, whichever instance sees it due.
ALTER TABLE notifications ALTER COLUMN po_id DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN po DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN subscription_id BIGINT REFERENCES subscriptions(id);
ALTER TABLE notifications ADD COLUMN subscription TEXT;
ALTER TABLE notifications ADD COLUMN once_key TEXT UNIQUE;
ALTER TABLE notifications ADD CONSTRAINT notifications_about_one
    CHECK ((po_id IS NULL) <> (subscription_id IS NULL));
ALTER TABLE notifications ADD CONSTRAINT notifications_po_kept
    CHECK ((po_id IS NULL) = (po IS NULL));
ALTER TABLE notifications ADD CONSTRAINT notifications_subscription_kept
    CHECK ((subscription_id IS NULL) = (subscription IS NULL));
CREATE INDEX notifications_subscription ON notifications(subscription_id);
