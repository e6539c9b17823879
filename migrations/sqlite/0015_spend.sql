-- Spend over time (issue 17): committed spend per month of approval, and
-- received value per month of receipt, per company and vendor, kept by
-- triggers so that a year's report reads a few rows per month whatever the
-- number of POs.
-- - po_receipts: each receipt of a line (when, how many, at what cost);
--   receive writes it, the trigger adds it to its month;
-- - spend_months: per (month, company, vendor): committed cents and POs
--   (approved, partially received or received, in the month of approval)
--   and received cents.
CREATE TABLE po_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    po_id INTEGER NOT NULL REFERENCES purchase_orders(id),
    line_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    cents INTEGER NOT NULL
);
CREATE INDEX po_receipts_po ON po_receipts(po_id);

CREATE TABLE spend_months (
    month TEXT NOT NULL,
    company_id INTEGER NOT NULL,
    vendor_id INTEGER NOT NULL,
    committed_cents INTEGER NOT NULL DEFAULT 0,
    po_count INTEGER NOT NULL DEFAULT 0,
    received_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, company_id, vendor_id)
);
CREATE INDEX spend_months_company ON spend_months(company_id, month);
CREATE INDEX spend_months_vendor ON spend_months(vendor_id, month);

-- What was received before receipts were kept: counted in the month the PO last changed.
INSERT INTO po_receipts (po_id, line_id, at, quantity, cents)
SELECT l.po_id, l.id, p.updated_at, l.received_quantity, l.received_quantity * l.unit_cost_cents
FROM po_lines l JOIN purchase_orders p ON p.id = l.po_id WHERE l.received_quantity > 0;

INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
SELECT substr(COALESCE(approved_at, updated_at), 1, 7), company_id, vendor_id, SUM(total_cents), COUNT(*)
FROM purchase_orders WHERE status IN ('approved', 'partially_received', 'received')
GROUP BY substr(COALESCE(approved_at, updated_at), 1, 7), company_id, vendor_id;

INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
SELECT substr(r.at, 1, 7), p.company_id, p.vendor_id, SUM(r.cents)
FROM po_receipts r JOIN purchase_orders p ON p.id = r.po_id
GROUP BY substr(r.at, 1, 7), p.company_id, p.vendor_id
ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = excluded.received_cents;

CREATE TRIGGER po_spend_insert AFTER INSERT ON purchase_orders
WHEN new.status IN ('approved', 'partially_received', 'received')
BEGIN
    INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
    VALUES (substr(COALESCE(new.approved_at, new.updated_at), 1, 7), new.company_id, new.vendor_id, new.total_cents, 1)
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents, po_count = po_count + 1;
END;

CREATE TRIGGER po_spend_delete AFTER DELETE ON purchase_orders
WHEN old.status IN ('approved', 'partially_received', 'received')
BEGIN
    INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
    VALUES (substr(COALESCE(old.approved_at, old.updated_at), 1, 7), old.company_id, old.vendor_id, -old.total_cents, -1)
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents, po_count = po_count - 1;
END;

CREATE TRIGGER po_spend_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, approved_at ON purchase_orders
BEGIN
    INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
    SELECT substr(COALESCE(old.approved_at, old.updated_at), 1, 7), old.company_id, old.vendor_id, -old.total_cents, -1
    WHERE old.status IN ('approved', 'partially_received', 'received')
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents, po_count = po_count - 1;
    INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
    SELECT substr(COALESCE(new.approved_at, new.updated_at), 1, 7), new.company_id, new.vendor_id, new.total_cents, 1
    WHERE new.status IN ('approved', 'partially_received', 'received')
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents, po_count = po_count + 1;
END;

CREATE TRIGGER po_receipt_insert AFTER INSERT ON po_receipts
BEGIN
    INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
    SELECT substr(new.at, 1, 7), p.company_id, p.vendor_id, new.cents FROM purchase_orders p WHERE p.id = new.po_id
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = received_cents + excluded.received_cents;
END;

CREATE TRIGGER po_receipt_update AFTER UPDATE OF at, cents ON po_receipts
BEGIN
    INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
    SELECT substr(old.at, 1, 7), p.company_id, p.vendor_id, -old.cents FROM purchase_orders p WHERE p.id = old.po_id
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = received_cents + excluded.received_cents;
    INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
    SELECT substr(new.at, 1, 7), p.company_id, p.vendor_id, new.cents FROM purchase_orders p WHERE p.id = new.po_id
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = received_cents + excluded.received_cents;
END;
