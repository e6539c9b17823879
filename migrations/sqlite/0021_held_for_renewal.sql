-- A change order Pax8 allows only after the commitment renews (fewer seats
-- mid-term) waits: dispatches.held_until is the commitment end it waits
-- for; the change is sent in the window after the renewal.
ALTER TABLE dispatches ADD COLUMN held_until TEXT;
