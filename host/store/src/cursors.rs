//! Cursors: where each incremental read left off.

use time::OffsetDateTime;

use crate::StoreFuture;

/// Named cursors per client (e.g. `bluecherry.inventory.modified_since`).
///
/// Set-only-after-apply: a flow reads the cursor, fetches changes since it, applies them
/// (storefront writes, ledger rows), and only then calls [`Cursors::set_cursor`] with the
/// position the applied data covers. A crash in between re-reads the same window, so reads
/// must be inclusive and writes idempotent (upserts); never advance a cursor past data that
/// was not applied.
pub trait Cursors: Send + Sync {
    /// The saved value, if any.
    fn cursor<'a>(&'a self, client: &'a str, name: &'a str) -> StoreFuture<'a, Option<String>>;

    /// Saves a value, replacing the previous one.
    fn set_cursor<'a>(
        &'a self,
        client: &'a str,
        name: &'a str,
        value: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;
}
