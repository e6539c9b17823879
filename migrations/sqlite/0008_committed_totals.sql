-- The committed cost shown with a company's, vendor's, ticket's or project's
-- POs was summed from an index on every list call: a read that grows with
-- that company's POs (5,000 index entries for one company at a million
-- POs). These totals are kept by triggers as POs enter and leave the
-- committed statuses (approved, partially received, received), so a list
-- filtered by one of them reads one row. The triggers see every change,
-- whichever code makes it.
CREATE TABLE committed_totals (
    scope TEXT NOT NULL,
    scope_id INTEGER NOT NULL,
    cents INTEGER NOT NULL,
    PRIMARY KEY (scope, scope_id)
);

INSERT INTO committed_totals (scope, scope_id, cents)
SELECT 'company', company_id, SUM(total_cents) FROM purchase_orders
WHERE status IN ('approved', 'partially_received', 'received') GROUP BY company_id;
INSERT INTO committed_totals (scope, scope_id, cents)
SELECT 'vendor', vendor_id, SUM(total_cents) FROM purchase_orders
WHERE status IN ('approved', 'partially_received', 'received') GROUP BY vendor_id;
INSERT INTO committed_totals (scope, scope_id, cents)
SELECT 'ticket', ticket_id, SUM(total_cents) FROM purchase_orders
WHERE ticket_id IS NOT NULL AND status IN ('approved', 'partially_received', 'received') GROUP BY ticket_id;
INSERT INTO committed_totals (scope, scope_id, cents)
SELECT 'project', project_id, SUM(total_cents) FROM purchase_orders
WHERE project_id IS NOT NULL AND status IN ('approved', 'partially_received', 'received') GROUP BY project_id;

CREATE TRIGGER po_committed_insert AFTER INSERT ON purchase_orders
WHEN new.status IN ('approved', 'partially_received', 'received')
BEGIN
    INSERT INTO committed_totals (scope, scope_id, cents)
    SELECT s, i, new.total_cents FROM (
        SELECT 'company' AS s, new.company_id AS i UNION ALL SELECT 'vendor', new.vendor_id
        UNION ALL SELECT 'ticket', new.ticket_id UNION ALL SELECT 'project', new.project_id
    ) WHERE i IS NOT NULL
    ON CONFLICT (scope, scope_id) DO UPDATE SET cents = cents + excluded.cents;
END;

CREATE TRIGGER po_committed_delete AFTER DELETE ON purchase_orders
WHEN old.status IN ('approved', 'partially_received', 'received')
BEGIN
    INSERT INTO committed_totals (scope, scope_id, cents)
    SELECT s, i, -old.total_cents FROM (
        SELECT 'company' AS s, old.company_id AS i UNION ALL SELECT 'vendor', old.vendor_id
        UNION ALL SELECT 'ticket', old.ticket_id UNION ALL SELECT 'project', old.project_id
    ) WHERE i IS NOT NULL
    ON CONFLICT (scope, scope_id) DO UPDATE SET cents = cents + excluded.cents;
END;

CREATE TRIGGER po_committed_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, ticket_id, project_id ON purchase_orders
BEGIN
    INSERT INTO committed_totals (scope, scope_id, cents)
    SELECT s, i, -old.total_cents FROM (
        SELECT 'company' AS s, old.company_id AS i UNION ALL SELECT 'vendor', old.vendor_id
        UNION ALL SELECT 'ticket', old.ticket_id UNION ALL SELECT 'project', old.project_id
    ) WHERE i IS NOT NULL AND old.status IN ('approved', 'partially_received', 'received')
    ON CONFLICT (scope, scope_id) DO UPDATE SET cents = cents + excluded.cents;
    INSERT INTO committed_totals (scope, scope_id, cents)
    SELECT s, i, new.total_cents FROM (
        SELECT 'company' AS s, new.company_id AS i UNION ALL SELECT 'vendor', new.vendor_id
        UNION ALL SELECT 'ticket', new.ticket_id UNION ALL SELECT 'project', new.project_id
    ) WHERE i IS NOT NULL AND new.status IN ('approved', 'partially_received', 'received')
    ON CONFLICT (scope, scope_id) DO UPDATE SET cents = cents + excluded.cents;
END;
