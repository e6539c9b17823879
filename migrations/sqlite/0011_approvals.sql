-- Approvals (issue 13):
-- - settings.allow_self_approval: an approver may approve or reject a PO they
--   raised (one-person teams); off by default (segregation of duties);
-- - purchase_orders.self_approved: the PO's current approval was given by the
--   person who raised it (only possible with the setting on).
ALTER TABLE settings ADD COLUMN allow_self_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE purchase_orders ADD COLUMN self_approved INTEGER NOT NULL DEFAULT 0;
