-- QuickBooks Online: the account mapping, OAuth states awaiting Intuit's
-- callback, and per-PO push bookkeeping (the requestid reused until QBO
-- gives a definite answer, and automatic retries of transient failures).
-- The connection itself (realm, tokens) is sealed in `integrations` as 'qbo'.

ALTER TABLE settings ADD COLUMN qbo_ap_account_id TEXT;
ALTER TABLE settings ADD COLUMN qbo_expense_account_id TEXT;

CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    environment TEXT NOT NULL,
    created_at TEXT NOT NULL
);

ALTER TABLE purchase_orders ADD COLUMN qbo_request_id TEXT;
ALTER TABLE purchase_orders ADD COLUMN qbo_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE purchase_orders ADD COLUMN qbo_retry_at TEXT;
CREATE INDEX purchase_orders_qbo_retry ON purchase_orders (qbo_retry_at) WHERE qbo_retry_at IS NOT NULL;
