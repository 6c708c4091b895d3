-- Plugin builds by content digest: the desired version (the open plugin_versions period) is
-- loadable by any host, and survives a restart, without the file it came from.
CREATE TABLE plugin_components (
    digest     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    plugin     TEXT COLLATE "C" NOT NULL,
    bytes      BYTEA  NOT NULL,
    source     TEXT COLLATE "C" NOT NULL,
    stored_at  BIGINT NOT NULL
);
CREATE INDEX plugin_components_by_stored ON plugin_components (stored_at);
