-- `q` on the PO list looked for a substring of search_text with LIKE,
-- which reads every PO when few match (a PO number, a serial number):
-- 170 ms at a million POs. A trigram index (FTS5, kept in step by the
-- triggers below) finds the POs holding every three-character piece of
-- `q`, newest first; LIKE then confirms each. detail=none keeps the index
-- small: it holds which POs have a piece, not where.
CREATE VIRTUAL TABLE po_search USING fts5(
    search_text,
    content = 'purchase_orders',
    content_rowid = 'id',
    tokenize = 'trigram',
    detail = 'none'
);
INSERT INTO po_search (po_search) VALUES ('rebuild');

CREATE TRIGGER po_search_insert AFTER INSERT ON purchase_orders BEGIN
    INSERT INTO po_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER po_search_delete AFTER DELETE ON purchase_orders BEGIN
    INSERT INTO po_search (po_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER po_search_update AFTER UPDATE OF search_text ON purchase_orders BEGIN
    INSERT INTO po_search (po_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO po_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
