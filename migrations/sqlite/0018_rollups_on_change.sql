-- The roll-up triggers do only the work that changed: an update of a PO
-- moves its committed total and its month's spend only when what it
-- contributes changes (it enters or leaves the committed statuses, or a
-- committed PO's total, company, vendor, ticket, project or month
-- changes). Before, every status change of a committed PO (a receipt) took
-- its figures out and put the same figures back, and every submission ran
-- the trigger for nothing.

DROP TRIGGER po_committed_update;
CREATE TRIGGER po_committed_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, ticket_id, project_id ON purchase_orders
WHEN (old.status IN ('approved', 'partially_received', 'received')) <> (new.status IN ('approved', 'partially_received', 'received'))
  OR (new.status IN ('approved', 'partially_received', 'received') AND (old.total_cents <> new.total_cents OR old.company_id <> new.company_id
      OR old.vendor_id <> new.vendor_id OR old.ticket_id IS NOT new.ticket_id OR old.project_id IS NOT new.project_id))
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

DROP TRIGGER po_spend_update;
CREATE TRIGGER po_spend_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, approved_at ON purchase_orders
WHEN (old.status IN ('approved', 'partially_received', 'received')) <> (new.status IN ('approved', 'partially_received', 'received'))
  OR (new.status IN ('approved', 'partially_received', 'received') AND (old.total_cents <> new.total_cents OR old.company_id <> new.company_id
      OR old.vendor_id <> new.vendor_id
      OR substr(COALESCE(old.approved_at, old.updated_at), 1, 7) IS NOT substr(COALESCE(new.approved_at, new.updated_at), 1, 7)))
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
