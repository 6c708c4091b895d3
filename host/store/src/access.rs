//! Admin API access: named tokens (stored as a digest, never the text) with a role and an
//! optional scope of clients and owner teams, and the audit log of every write.

use time::OffsetDateTime;

use crate::StoreFuture;

/// A named API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Unique name (who the audit log says acted).
    pub name: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// `metrics`, `viewer`, `operator` or `admin`.
    pub role: String,
    /// Clients it may see and act on; empty: all.
    pub clients: Vec<String>,
    /// Owner teams whose exceptions it may see and act on; empty: all.
    pub teams: Vec<String>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// After this it is refused.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked; refused from then on.
    pub revoked_at: Option<OffsetDateTime>,
}

/// One write through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The token's name.
    pub actor: String,
    /// What: method and route (`POST /api/clients/{client}/plugin/swap`).
    pub action: String,
    /// The client it was about, if any.
    pub client: Option<String>,
    /// The path as called.
    pub target: String,
    /// HTTP status answered.
    pub status: u16,
    /// When.
    pub at: OffsetDateTime,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Store-assigned id, increasing.
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Tokens and the audit log.
pub trait Access: Send + Sync {
    /// Stores a new token; a name already used is refused
    /// ([`crate::StoreError::InvalidArgument`]).
    fn create_token<'a>(&'a self, token: &'a ApiToken) -> StoreFuture<'a, ()>;

    /// Every token, revoked ones too, by name.
    fn api_tokens(&self) -> StoreFuture<'_, Vec<ApiToken>>;

    /// The token with this digest.
    fn token_by_hash<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<ApiToken>>;

    /// Revokes a token by name; false when there is none (or it was revoked already).
    fn revoke_token<'a>(&'a self, name: &'a str, at: OffsetDateTime) -> StoreFuture<'a, bool>;

    /// Appends to the audit log.
    fn record_audit<'a>(&'a self, entry: &'a AuditEntry) -> StoreFuture<'a, ()>;

    /// Audit entries with an id below `before`, newest first.
    fn audit_before(&self, before: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<AuditRecord>>;
}
