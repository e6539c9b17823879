-- Pax8 as it really answers:
-- - census: what the company's order list at Pax8 held just before a send
--   (its size and the ids at both ends), so that an unclear outcome is
--   settled by reading a page or two instead of every order;
-- - submitted_at and polls: when Pax8 took the order and how often its
--   subscriptions were read since (the poll backs off; pending past 24 h
--   opens a remediation entry);
-- - remediations.reason: why the entry is open (a refusal, a preflight,
--   a subscription still pending, waiting for details, cancelled), which
--   decides what Retry does;
-- - settings.pax8_preflight: validate with Pax8 (isMock) before the first send.
ALTER TABLE dispatches ADD COLUMN census TEXT;
ALTER TABLE dispatches ADD COLUMN submitted_at TEXT;
ALTER TABLE dispatches ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE remediations ADD COLUMN reason TEXT NOT NULL DEFAULT 'refused';
ALTER TABLE settings ADD COLUMN pax8_preflight INTEGER NOT NULL DEFAULT 1;
