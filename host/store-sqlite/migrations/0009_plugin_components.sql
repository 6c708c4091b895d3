-- Plugin builds by content digest: the desired version (the open plugin_versions period) is
-- loadable by any host, and survives a restart, without the file it came from.
CREATE TABLE plugin_components (
    digest     TEXT    NOT NULL PRIMARY KEY,
    plugin     TEXT    NOT NULL,
    bytes      BLOB    NOT NULL,
    source     TEXT    NOT NULL,
    stored_at  INTEGER NOT NULL
);
CREATE INDEX plugin_components_by_stored ON plugin_components (stored_at);
