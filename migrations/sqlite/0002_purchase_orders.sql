-- Purchase orders, their lines, signatures and the append-only timeline.

CREATE TABLE po_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE po_signatures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id INTEGER NOT NULL,
    png BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    signed_by INTEGER NOT NULL REFERENCES users(id),
    signed_at TEXT NOT NULL
);
CREATE INDEX po_signatures_po ON po_signatures(po_id);

CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    company_id INTEGER NOT NULL REFERENCES companies(id),
    ticket_id INTEGER REFERENCES tickets(id),
    project_id INTEGER REFERENCES projects(id),
    currency TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    total_cents INTEGER NOT NULL,
    search_text TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    approval_kind TEXT,
    approved_by INTEGER REFERENCES users(id),
    approved_at TEXT,
    approval_limit_cents INTEGER,
    signature_id INTEGER REFERENCES po_signatures(id),
    rejected_by INTEGER REFERENCES users(id),
    rejected_at TEXT,
    rejection_reason TEXT,
    cancelled_by INTEGER REFERENCES users(id),
    cancelled_at TEXT,
    cancel_reason TEXT,
    qbo_id TEXT,
    qbo_pushed_at TEXT,
    qbo_error TEXT,
    procurement_status TEXT
);
CREATE INDEX po_by_status ON purchase_orders(status, id);
CREATE INDEX po_by_company ON purchase_orders(company_id, id);
CREATE INDEX po_by_vendor ON purchase_orders(vendor_id, id);
CREATE INDEX po_by_ticket ON purchase_orders(ticket_id, id);
CREATE INDEX po_by_project ON purchase_orders(project_id, id);

CREATE TABLE po_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    description TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    received_quantity INTEGER NOT NULL DEFAULT 0,
    unit_cost_cents INTEGER NOT NULL,
    product_id INTEGER REFERENCES products(id),
    contract_line_id INTEGER REFERENCES contract_lines(id),
    billing_term TEXT,
    commitment_term_id TEXT,
    provisioning_details TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX po_lines_po ON po_lines(po_id, line_no);

CREATE TABLE po_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    actor_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX po_events_po ON po_events(po_id, id);
