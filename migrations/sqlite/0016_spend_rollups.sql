-- Spend rolled up (issue 17): the report's common questions (every company
-- by vendor, every vendor by company) read one row per month and vendor, or
-- per month and company, instead of every (month, company, vendor) row: at
-- 200 companies and 12 vendors a year is 144 or 2,400 rows, not 28,800.
-- spend_months stays the source; its triggers carry each change into the
-- two roll-ups in the same statement, so they never disagree with it.
CREATE TABLE spend_vendor_months (
    month TEXT NOT NULL,
    vendor_id INTEGER NOT NULL,
    committed_cents INTEGER NOT NULL DEFAULT 0,
    po_count INTEGER NOT NULL DEFAULT 0,
    received_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, vendor_id)
);

CREATE TABLE spend_company_months (
    month TEXT NOT NULL,
    company_id INTEGER NOT NULL,
    committed_cents INTEGER NOT NULL DEFAULT 0,
    po_count INTEGER NOT NULL DEFAULT 0,
    received_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, company_id)
);
CREATE INDEX spend_company_months_company ON spend_company_months(company_id, month);

INSERT INTO spend_vendor_months (month, vendor_id, committed_cents, po_count, received_cents)
SELECT month, vendor_id, SUM(committed_cents), SUM(po_count), SUM(received_cents) FROM spend_months GROUP BY month, vendor_id;

INSERT INTO spend_company_months (month, company_id, committed_cents, po_count, received_cents)
SELECT month, company_id, SUM(committed_cents), SUM(po_count), SUM(received_cents) FROM spend_months GROUP BY month, company_id;

-- An upsert's DO UPDATE fires the UPDATE trigger, its insert the INSERT one.
CREATE TRIGGER spend_months_insert AFTER INSERT ON spend_months
BEGIN
    INSERT INTO spend_vendor_months (month, vendor_id, committed_cents, po_count, received_cents)
    VALUES (new.month, new.vendor_id, new.committed_cents, new.po_count, new.received_cents)
    ON CONFLICT (month, vendor_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents,
        po_count = po_count + excluded.po_count, received_cents = received_cents + excluded.received_cents;
    INSERT INTO spend_company_months (month, company_id, committed_cents, po_count, received_cents)
    VALUES (new.month, new.company_id, new.committed_cents, new.po_count, new.received_cents)
    ON CONFLICT (month, company_id) DO UPDATE SET committed_cents = committed_cents + excluded.committed_cents,
        po_count = po_count + excluded.po_count, received_cents = received_cents + excluded.received_cents;
END;

-- The key of a spend_months row never changes; only its sums do.
CREATE TRIGGER spend_months_update AFTER UPDATE OF committed_cents, po_count, received_cents ON spend_months
BEGIN
    UPDATE spend_vendor_months SET committed_cents = committed_cents + new.committed_cents - old.committed_cents,
        po_count = po_count + new.po_count - old.po_count, received_cents = received_cents + new.received_cents - old.received_cents
    WHERE month = new.month AND vendor_id = new.vendor_id;
    UPDATE spend_company_months SET committed_cents = committed_cents + new.committed_cents - old.committed_cents,
        po_count = po_count + new.po_count - old.po_count, received_cents = received_cents + new.received_cents - old.received_cents
    WHERE month = new.month AND company_id = new.company_id;
END;
