-- The committed cost shown with a company's, vendor's, ticket's or project's
-- POs was summed from an index on every list call: a read that grows with
-- that company's POs (5,000 index entries for one company at a million
-- POs). These totals are kept by a trigger as POs enter and leave the
-- committed statuses (approved, partially received, received), so a list
-- filtered by one of them reads one row. The trigger sees every change,
-- whichever code makes it; rows are always touched in the same order
-- (company, vendor, ticket, project), so concurrent changes do not deadlock.
CREATE TABLE committed_totals (
    scope TEXT NOT NULL,
    scope_id BIGINT NOT NULL,
    cents BIGINT NOT NULL,
    PRIMARY KEY (scope, scope_id)
);

INSERT INTO committed_totals (scope, scope_id, cents)
SELECT x.scope, x.scope_id, SUM(p.total_cents)
FROM purchase_orders p
CROSS JOIN LATERAL (VALUES ('company', p.company_id), ('vendor', p.vendor_id), ('ticket', p.ticket_id), ('project', p.project_id)) AS x(scope, scope_id)
WHERE x.scope_id IS NOT NULL AND p.status IN ('approved', 'partially_received', 'received')
GROUP BY x.scope, x.scope_id;

CREATE FUNCTION po_committed_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('approved', 'partially_received', 'received') THEN
        INSERT INTO committed_totals (scope, scope_id, cents)
        SELECT x.s, x.i, -OLD.total_cents
        FROM (VALUES (1, 'company', OLD.company_id), (2, 'vendor', OLD.vendor_id), (3, 'ticket', OLD.ticket_id), (4, 'project', OLD.project_id)) AS x(n, s, i)
        WHERE x.i IS NOT NULL ORDER BY x.n
        ON CONFLICT (scope, scope_id) DO UPDATE SET cents = committed_totals.cents + excluded.cents;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('approved', 'partially_received', 'received') THEN
        INSERT INTO committed_totals (scope, scope_id, cents)
        SELECT x.s, x.i, NEW.total_cents
        FROM (VALUES (1, 'company', NEW.company_id), (2, 'vendor', NEW.vendor_id), (3, 'ticket', NEW.ticket_id), (4, 'project', NEW.project_id)) AS x(n, s, i)
        WHERE x.i IS NOT NULL ORDER BY x.n
        ON CONFLICT (scope, scope_id) DO UPDATE SET cents = committed_totals.cents + excluded.cents;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER po_committed AFTER INSERT OR DELETE OR UPDATE OF status, total_cents, company_id, vendor_id, ticket_id, project_id
ON purchase_orders FOR EACH ROW EXECUTE FUNCTION po_committed_change();
