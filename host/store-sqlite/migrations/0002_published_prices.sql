-- Price tier sets last published to a storefront price list, by content hash, so the B2B
-- flow sends only changed tier sets. They used to borrow `pushed_stock` rows under the
-- storefront key 'sparklayer.price-tiers' with a 63-bit fingerprint as the quantity; those
-- rows are dropped (the next run publishes every tier set once and records its hash here).
CREATE TABLE published_prices (
    client        TEXT    NOT NULL,
    storefront    TEXT    NOT NULL,
    price_list    TEXT    NOT NULL,
    sku           TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    PRIMARY KEY (client, storefront, price_list, sku)
) WITHOUT ROWID;

DELETE FROM pushed_stock WHERE storefront = 'sparklayer.price-tiers';
