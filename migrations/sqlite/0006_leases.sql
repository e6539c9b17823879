-- Named leases for slow work that must run once at a time across server
-- instances without holding a transaction open (the QuickBooks token
-- refresh waits on Intuit; a transaction held over it would stall every
-- other write on SQLite). A lease past `lease_until` is free to take.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
