-- What an approval fixes (issue 13):
-- - po_lines.catalog_unit_cost_cents: the catalog's unit cost when a catalog
--   line was saved; a different unit_cost_cents is a price override (shown,
--   recorded, and never approved automatically);
-- - purchase_orders.snapshot: JSON of what the PO orders, taken at
--   submission (per line product, SKU, distributor product id, terms,
--   provisioning details; the company's Pax8 id); dispatch sends it;
-- - purchase_orders.revision: JSON of the changes an edit-and-retry asked
--   for, waiting for approval; remediations.awaiting_approval marks the
--   entry whose dispatch resumes once the PO is approved again;
-- - two-level approval: settings.second_approval_limit_cents (0: off), the
--   approvals a PO needs (fixed at submission) and its first approval.
ALTER TABLE po_lines ADD COLUMN catalog_unit_cost_cents INTEGER;
ALTER TABLE purchase_orders ADD COLUMN snapshot TEXT;
ALTER TABLE purchase_orders ADD COLUMN revision TEXT;
ALTER TABLE purchase_orders ADD COLUMN approvals_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE purchase_orders ADD COLUMN first_approved_by INTEGER REFERENCES users(id);
ALTER TABLE purchase_orders ADD COLUMN first_approved_at TEXT;
ALTER TABLE purchase_orders ADD COLUMN first_signature_id INTEGER REFERENCES po_signatures(id);
ALTER TABLE remediations ADD COLUMN awaiting_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settings ADD COLUMN second_approval_limit_cents INTEGER NOT NULL DEFAULT 0;
