-- Units sold per SKU, warehouse and UTC day, counted when an order is recorded as injected
-- (in the same transaction, so an order is counted exactly once). The inventory flow reads
-- the last seven days as each row's weekly sales: Blue Cherry's ATS report has no velocity.
CREATE TABLE units_sold (
    client    TEXT    NOT NULL,
    sku       TEXT    NOT NULL,
    location  TEXT    NOT NULL,
    -- Days since 1970-01-01 (UTC).
    day       INTEGER NOT NULL,
    units     INTEGER NOT NULL,
    PRIMARY KEY (client, sku, location, day)
) WITHOUT ROWID;
CREATE INDEX units_sold_by_day ON units_sold (client, day);
