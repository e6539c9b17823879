-- The roll-up triggers do only the work that changed: an update of a PO
-- moves its committed total and its month's spend only when what it
-- contributes changes (it enters or leaves the committed statuses, or a
-- committed PO's total, company, vendor, ticket, project or month
-- changes). Before, every status change of a committed PO (a receipt) took
-- its figures out and put the same figures back, and every submission ran
-- the trigger for nothing.
-- PostgreSQL allows a WHEN with OLD and NEW only on an UPDATE trigger:
-- each trigger is split in two, the functions stay as they were.

DROP TRIGGER po_committed ON purchase_orders;
CREATE TRIGGER po_committed AFTER INSERT OR DELETE ON purchase_orders FOR EACH ROW EXECUTE FUNCTION po_committed_change();
CREATE TRIGGER po_committed_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, ticket_id, project_id ON purchase_orders
FOR EACH ROW
WHEN ((OLD.status IN ('approved', 'partially_received', 'received')) IS DISTINCT FROM (NEW.status IN ('approved', 'partially_received', 'received'))
  OR (NEW.status IN ('approved', 'partially_received', 'received') AND (OLD.total_cents <> NEW.total_cents OR OLD.company_id <> NEW.company_id
      OR OLD.vendor_id <> NEW.vendor_id OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id OR OLD.project_id IS DISTINCT FROM NEW.project_id)))
EXECUTE FUNCTION po_committed_change();

DROP TRIGGER po_spend ON purchase_orders;
CREATE TRIGGER po_spend AFTER INSERT OR DELETE ON purchase_orders FOR EACH ROW EXECUTE FUNCTION po_spend_change();
CREATE TRIGGER po_spend_update AFTER UPDATE OF status, total_cents, company_id, vendor_id, approved_at ON purchase_orders
FOR EACH ROW
WHEN ((OLD.status IN ('approved', 'partially_received', 'received')) IS DISTINCT FROM (NEW.status IN ('approved', 'partially_received', 'received'))
  OR (NEW.status IN ('approved', 'partially_received', 'received') AND (OLD.total_cents <> NEW.total_cents OR OLD.company_id <> NEW.company_id
      OR OLD.vendor_id <> NEW.vendor_id
      OR substr(COALESCE(OLD.approved_at, OLD.updated_at), 1, 7) IS DISTINCT FROM substr(COALESCE(NEW.approved_at, NEW.updated_at), 1, 7))))
EXECUTE FUNCTION po_spend_change();
