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
    id BIGSERIAL PRIMARY KEY,
    po_id BIGINT NOT NULL REFERENCES purchase_orders(id),
    line_id BIGINT NOT NULL,
    at TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    cents BIGINT NOT NULL
);
CREATE INDEX po_receipts_po ON po_receipts(po_id);

CREATE TABLE spend_months (
    month TEXT NOT NULL,
    company_id BIGINT NOT NULL,
    vendor_id BIGINT NOT NULL,
    committed_cents BIGINT NOT NULL DEFAULT 0,
    po_count BIGINT NOT NULL DEFAULT 0,
    received_cents BIGINT NOT NULL DEFAULT 0,
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

-- Rows are touched old before new; a month's row is one row, so two
-- changes of one (month, company, vendor) queue on it rather than deadlock.
CREATE FUNCTION po_spend_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('approved', 'partially_received', 'received') THEN
        INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
        VALUES (substr(COALESCE(OLD.approved_at, OLD.updated_at), 1, 7), OLD.company_id, OLD.vendor_id, -OLD.total_cents, -1)
        ON CONFLICT (month, company_id, vendor_id) DO UPDATE
        SET committed_cents = spend_months.committed_cents + excluded.committed_cents, po_count = spend_months.po_count - 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('approved', 'partially_received', 'received') THEN
        INSERT INTO spend_months (month, company_id, vendor_id, committed_cents, po_count)
        VALUES (substr(COALESCE(NEW.approved_at, NEW.updated_at), 1, 7), NEW.company_id, NEW.vendor_id, NEW.total_cents, 1)
        ON CONFLICT (month, company_id, vendor_id) DO UPDATE
        SET committed_cents = spend_months.committed_cents + excluded.committed_cents, po_count = spend_months.po_count + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER po_spend AFTER INSERT OR DELETE OR UPDATE OF status, total_cents, company_id, vendor_id, approved_at
ON purchase_orders FOR EACH ROW EXECUTE FUNCTION po_spend_change();

CREATE FUNCTION po_receipt_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
        SELECT substr(OLD.at, 1, 7), p.company_id, p.vendor_id, -OLD.cents FROM purchase_orders p WHERE p.id = OLD.po_id
        ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = spend_months.received_cents + excluded.received_cents;
    END IF;
    INSERT INTO spend_months (month, company_id, vendor_id, received_cents)
    SELECT substr(NEW.at, 1, 7), p.company_id, p.vendor_id, NEW.cents FROM purchase_orders p WHERE p.id = NEW.po_id
    ON CONFLICT (month, company_id, vendor_id) DO UPDATE SET received_cents = spend_months.received_cents + excluded.received_cents;
    RETURN NULL;
END
$$;

CREATE TRIGGER po_receipt AFTER INSERT OR UPDATE OF at, cents ON po_receipts FOR EACH ROW EXECUTE FUNCTION po_receipt_change();
