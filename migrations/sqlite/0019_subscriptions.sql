-- Subscriptions the product knows: recorded when a dispatch sees one
-- provisioned, imported by a sync of a company's subscriptions at the
-- distributor, kept up to date by what is read there. `drift_quantity`
-- holds the distributor's seat count while it differs from ours (changed
-- in the portal), from `drift_seen_at`; null when they agree.
-- subscription_changes: the POs that made or changed each one, oldest first.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    product_id INTEGER REFERENCES products(id),
    product_name TEXT NOT NULL,
    distributor_product_id TEXT,
    distributor_subscription_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    distributor_status TEXT NOT NULL,
    billing_term TEXT,
    commitment_term TEXT,
    commitment_end TEXT,
    distributor_updated_at TEXT,
    contract_line_id INTEGER REFERENCES contract_lines(id),
    po_id INTEGER REFERENCES purchase_orders(id),
    po_line_id INTEGER REFERENCES po_lines(id),
    drift_quantity INTEGER,
    drift_seen_at TEXT,
    synced_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_at_distributor ON subscriptions(vendor_id, distributor_subscription_id);
CREATE INDEX subscriptions_company ON subscriptions(company_id, id);
CREATE INDEX subscriptions_commitment_end ON subscriptions(commitment_end);

CREATE TABLE subscription_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    kind TEXT NOT NULL,
    from_quantity INTEGER,
    to_quantity INTEGER,
    at TEXT NOT NULL
);
CREATE INDEX subscription_changes_subscription ON subscription_changes(subscription_id, id);
