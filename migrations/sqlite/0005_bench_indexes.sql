-- The committed cost shown with a company's or a vendor's POs sums the
-- totals of its approved and received POs on every list call. With only
-- (company_id, id) that read every such PO row: 5,000 rows for a company at
-- a million POs (20 ms). These covering indexes answer the sum from the
-- index alone. Ticket and project lists hold few POs and need none.
CREATE INDEX po_committed_company ON purchase_orders(company_id, status, total_cents);
CREATE INDEX po_committed_vendor ON purchase_orders(vendor_id, status, total_cents);
