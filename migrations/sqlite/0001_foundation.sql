-- Foundation: users, sessions, tokens, settings and reference data.
-- Times are RFC 3339 UTC text with fixed width, so they sort as text.
-- Booleans are integers 0/1 (the same on PostgreSQL, for one store API).

CREATE TABLE write_lock (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO write_lock (id, n) VALUES (1, 0);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TEXT
);

CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    auto_approve_limit_cents INTEGER NOT NULL,
    require_signature INTEGER NOT NULL,
    qbo_auto_push INTEGER NOT NULL,
    currency TEXT NOT NULL
);
INSERT INTO settings (id, auto_approve_limit_cents, require_signature, qbo_auto_push, currency)
VALUES (1, 50000, 0, 0, 'USD');

CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    pax8_company_id TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX companies_name ON companies(lower(name));

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    title TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX tickets_company ON tickets(company_id, id);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projects_company ON projects(company_id, id);

CREATE TABLE vendors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    distributor TEXT,
    qbo_vendor_id TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX vendors_name ON vendors(lower(name));

CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    name TEXT NOT NULL,
    sku TEXT NOT NULL,
    unit_cost_cents INTEGER NOT NULL,
    distributor_product_id TEXT,
    billing_term TEXT,
    commitment_term_id TEXT,
    qbo_item_id TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX products_vendor_sku ON products(vendor_id, lower(sku));

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contracts_company ON contracts(company_id, id);

CREATE TABLE contract_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts(id),
    product_id INTEGER REFERENCES products(id),
    description TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    activated_at TEXT,
    subscription_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX contract_lines_contract ON contract_lines(contract_id, id);
