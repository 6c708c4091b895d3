use std::path::PathBuf;

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or refused a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The SQLite writer's direct connection refused a statement.
    #[cfg(feature = "rusqlite")]
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// Applying the schema migrations failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The database was migrated by a newer binary: this one does not know its schema and
    /// refuses to run on it (or to migrate it) rather than misread or damage its data.
    #[error(
        "database schema version {found} is newer than this binary knows ({known}); run a newer selvedge"
    )]
    SchemaTooNew {
        /// Highest migration version applied to the database.
        found: i64,
        /// Newest migration version embedded in this binary.
        known: i64,
    },

    /// The directory for the database file could not be created.
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        /// Directory that could not be created.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },

    /// A value read back from the database cannot be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),

    /// A JSON value could not be encoded for storage.
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// The record an operation refers to does not exist.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// Kind of record (`job`, `order`, ...).
        entity: &'static str,
        /// Its key, for the message.
        key: String,
    },

    /// The job was claimed again (its lease expired and another worker took it) since this
    /// lease was issued: the current holder finishes it.
    #[error(
        "job {job_id}: lease of attempt {attempt} was lost (job is now {state} at attempt {current_attempt})"
    )]
    LeaseLost {
        /// The job.
        job_id: i64,
        /// Attempt the caller's lease was issued for.
        attempt: u32,
        /// Attempt number now stored.
        current_attempt: u32,
        /// State now stored.
        state: String,
    },

    /// A ledger record already carries a different ERP document number.
    #[error("{entity} {key} is already recorded as ERP document {existing}; refusing {attempted}")]
    ConflictingErpNumber {
        /// `order` or `refund`.
        entity: &'static str,
        /// The order or refund key.
        key: String,
        /// Number already recorded.
        existing: String,
        /// Number the caller tried to record.
        attempted: String,
    },

    /// A ledger transition that the state machine does not allow.
    #[error("{entity} {key}: cannot go from {from} to {to}")]
    InvalidTransition {
        /// `order` or `refund`.
        entity: &'static str,
        /// The order or refund key.
        key: String,
        /// Current state.
        from: String,
        /// Requested state.
        to: String,
    },

    /// The store was closed (or its writer task stopped): nothing was written.
    #[error("the state store is closed")]
    Closed,

    /// A write's transaction could not be committed, so the write did not happen.
    #[error("write not committed: {0}")]
    WriteFailed(String),

    /// An argument is out of the range the store accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl StoreError {
    /// The check every backend makes before recording the ERP's number on a ledger record:
    /// `Ok(true)` when the record already holds `attempted`, `Ok(false)` when it holds none, and
    /// [`StoreError::ConflictingErpNumber`] naming both when it holds another.
    pub fn check_erp_number(
        entity: &'static str,
        key: impl std::fmt::Display,
        recorded: Option<&str>,
        attempted: &str,
    ) -> Result<bool, StoreError> {
        match recorded {
            Some(existing) if existing != attempted => Err(StoreError::ConflictingErpNumber {
                entity,
                key: key.to_string(),
                existing: existing.to_owned(),
                attempted: attempted.to_owned(),
            }),
            recorded => Ok(recorded.is_some()),
        }
    }
}
