-- Spend rolled up (issue 17): the report's common questions (every company
-- by vendor, every vendor by company) read one row per month and vendor, or
-- per month and company, instead of every (month, company, vendor) row: at
-- 200 companies and 12 vendors a year is 144 or 2,400 rows, not 28,800.
-- spend_months stays the source; its trigger carries each change into the
-- two roll-ups in the same statement, so they never disagree with it.
CREATE TABLE spend_vendor_months (
    month TEXT NOT NULL,
    vendor_id BIGINT NOT NULL,
    committed_cents BIGINT NOT NULL DEFAULT 0,
    po_count BIGINT NOT NULL DEFAULT 0,
    received_cents BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, vendor_id)
);

CREATE TABLE spend_company_months (
    month TEXT NOT NULL,
    company_id BIGINT NOT NULL,
    committed_cents BIGINT NOT NULL DEFAULT 0,
    po_count BIGINT NOT NULL DEFAULT 0,
    received_cents BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, company_id)
);
CREATE INDEX spend_company_months_company ON spend_company_months(company_id, month);

INSERT INTO spend_vendor_months (month, vendor_id, committed_cents, po_count, received_cents)
SELECT month, vendor_id, SUM(committed_cents), SUM(po_count), SUM(received_cents) FROM spend_months GROUP BY month, vendor_id;

INSERT INTO spend_company_months (month, company_id, committed_cents, po_count, received_cents)
SELECT month, company_id, SUM(committed_cents), SUM(po_count), SUM(received_cents) FROM spend_months GROUP BY month, company_id;

-- The key of a spend_months row never changes; only its sums do. A PO's
-- change touches its (month, company, vendor) row first, so two changes of
-- one roll-up row queue behind that row's lock in the same order.
CREATE FUNCTION spend_months_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dc BIGINT := NEW.committed_cents;
    dn BIGINT := NEW.po_count;
    dr BIGINT := NEW.received_cents;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        dc := dc - OLD.committed_cents;
        dn := dn - OLD.po_count;
        dr := dr - OLD.received_cents;
    END IF;
    INSERT INTO spend_vendor_months (month, vendor_id, committed_cents, po_count, received_cents)
    VALUES (NEW.month, NEW.vendor_id, dc, dn, dr)
    ON CONFLICT (month, vendor_id) DO UPDATE SET committed_cents = spend_vendor_months.committed_cents + excluded.committed_cents,
        po_count = spend_vendor_months.po_count + excluded.po_count, received_cents = spend_vendor_months.received_cents + excluded.received_cents;
    INSERT INTO spend_company_months (month, company_id, committed_cents, po_count, received_cents)
    VALUES (NEW.month, NEW.company_id, dc, dn, dr)
    ON CONFLICT (month, company_id) DO UPDATE SET committed_cents = spend_company_months.committed_cents + excluded.committed_cents,
        po_count = spend_company_months.po_count + excluded.po_count, received_cents = spend_company_months.received_cents + excluded.received_cents;
    RETURN NULL;
END
$$;
CREATE TRIGGER spend_months_rollup AFTER INSERT OR UPDATE OF committed_cents, po_count, received_cents
ON spend_months FOR EACH ROW EXECUTE FUNCTION spend_months_rollup();
