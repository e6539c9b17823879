-- Procurement: encrypted integration credentials, dispatches with their
-- recovery points, subscriptions, remediation entries, per-company locks.

CREATE TABLE integrations (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE dispatches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id INTEGER NOT NULL UNIQUE REFERENCES purchase_orders(id),
    status TEXT NOT NULL,
    distributor TEXT NOT NULL,
    company_key TEXT NOT NULL,
    request TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    intent_at TEXT,
    order_id TEXT UNIQUE,
    lease_owner TEXT,
    lease_until TEXT,
    next_run_at TEXT NOT NULL,
    last_error TEXT,
    requested_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dispatches_due ON dispatches(next_run_at);
CREATE INDEX dispatches_company ON dispatches(company_key, status);

CREATE TABLE dispatch_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dispatch_id INTEGER NOT NULL REFERENCES dispatches(id),
    po_line_id INTEGER NOT NULL,
    subscription_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX dispatch_subscriptions_dispatch ON dispatch_subscriptions(dispatch_id);

CREATE TABLE remediations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dispatch_id INTEGER NOT NULL REFERENCES dispatches(id),
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    problems TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    resolved_by INTEGER REFERENCES users(id),
    resolved_at TEXT,
    resolution TEXT
);
CREATE INDEX remediations_dispatch ON remediations(dispatch_id, status);

CREATE TABLE company_locks (
    company_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
