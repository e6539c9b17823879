-- Notifications (issue 16): a transactional outbox.
-- - notifications: one row per event worth telling (po.submitted, …),
--   written in the transaction of the change that causes it, with the PO
--   as it was then;
-- - deliveries: one row per recipient (a user's email, a webhook), with a
--   stable `key` sent as X-Nexos-Delivery (and the mail's Message-ID), so
--   that a receiver can drop a repeat. The worker claims due rows with a
--   lease (as dispatches), sends, and records the outcome; a crash after
--   the commit delays a delivery, never loses it;
-- - webhooks: the URL and secret sealed with the encryption key (a Slack or
--   Teams URL is itself a credential); a deleted one is marked and erased,
--   never removed, so that a change committing at that moment still finds it;
-- - sandbox_mail: the demo's local mailbox (mail that would have been sent);
-- - users.email_notifications: each user can turn their email off.
ALTER TABLE users ADD COLUMN email_notifications INTEGER NOT NULL DEFAULT 1;

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    url_sealed TEXT NOT NULL,
    url_display TEXT NOT NULL,
    secret_sealed TEXT,
    events TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    at TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    message TEXT NOT NULL,
    po TEXT NOT NULL
);
CREATE INDEX notifications_po ON notifications(po_id);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    channel TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    webhook_id INTEGER REFERENCES webhooks(id),
    recipient TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    give_up_at TEXT NOT NULL,
    last_error TEXT,
    last_code INTEGER,
    lease_owner TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_notification ON deliveries(notification_id);

CREATE TABLE sandbox_mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_key TEXT NOT NULL,
    at TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL
);
