-- `q` on the PO list looks for a substring of search_text with LIKE,
-- which read every PO when few match (a PO number, a serial number). A
-- trigram index serves such a LIKE when `q` has three characters or more;
-- the planner still walks the id index newest-first when `q` is common.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the
-- database's owner can create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX po_search_trgm ON purchase_orders USING gin (search_text gin_trgm_ops);
