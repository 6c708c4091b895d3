-- The ERP reference of an order or refund is the host's (issue 15): computed once, stored
-- before the first ERP call, fixed for the life of the storefront order or refund.
ALTER TABLE orders ADD COLUMN erp_ref TEXT;
ALTER TABLE refunds ADD COLUMN erp_ref TEXT;
CREATE INDEX orders_by_erp_ref ON orders (client, erp_ref);

-- Before this version two storefront orders could be recorded against one ERP order (a
-- Duplicate answer was taken as success). Keep the first; the others go to `exception` so a
-- person sees them, and the unique index below can hold.
UPDATE orders SET state = 'exception',
    last_error = 'shares ERP order ' || erp_order_no || ' with another storefront order (found when upgrading)'
WHERE state = 'injected' AND erp_order_no IS NOT NULL
  AND rowid NOT IN (SELECT MIN(rowid) FROM orders WHERE state = 'injected' AND erp_order_no IS NOT NULL
                    GROUP BY client, erp_order_no);

-- One live ledger record per ERP document; superseded revisions (cancelled) share the number.
CREATE UNIQUE INDEX orders_one_per_erp_order ON orders (client, erp_order_no)
    WHERE erp_order_no IS NOT NULL AND state = 'injected';
