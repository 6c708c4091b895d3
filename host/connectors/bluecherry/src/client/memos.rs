//! Credit memos (refunds): create once, look up by reference.

use super::BlueCherryClient;
use crate::error::Error;
use crate::model::{CreditMemo, CreditMemoRequest};

impl BlueCherryClient {
    /// Creates the memo; never retried (see [`Error::Ambiguous`]).
    pub async fn create_credit_memo(&self, memo: &CreditMemoRequest) -> Result<CreditMemo, Error> {
        self.create("/credit-memos", memo, &memo.external_ref).await
    }

    /// The memo carrying our `external_ref`, if any.
    pub async fn find_credit_memo(&self, external_ref: &str) -> Result<Option<CreditMemo>, Error> {
        self.find_one("/credit-memos", external_ref).await
    }
}
