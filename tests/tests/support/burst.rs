//! Order bursts on BigCommerce with some orders in statuses that are not sales, and what the
//! Blue Cherry sandbox's create log says about them, for the tests that run the real host.

use std::collections::BTreeMap;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::WebhookUpdate;
use selvedge_bluecherry::sandbox::{CreateKind, CreateLogEntry, CreateOutcome};
use selvedge_connector_kit::RetryPolicy;

use super::{bc_sandbox, erp_sandbox};

/// BigCommerce statuses an order must never reach the ERP in: (status id, name).
pub const NOT_SALES: [(i64, &str); 3] = [(6, "Declined"), (0, "Incomplete"), (5, "Cancelled")];

/// A checkout placed on BigCommerce.
#[derive(Debug, Clone)]
pub struct Placed {
    /// BigCommerce order id.
    pub id: i64,
    /// Status it was created in (`None`: the sandbox's default, Awaiting Fulfillment).
    pub status_id: Option<i64>,
}

impl Placed {
    /// Whether the order is a sale the ERP must get exactly once.
    pub fn is_sale(&self) -> bool {
        !self
            .status_id
            .is_some_and(|s| NOT_SALES.iter().any(|(id, _)| *id == s))
    }

    /// The ERP reference the host builds for it.
    pub fn external_ref(&self) -> String {
        format!("brand:bc:{}", self.id)
    }

    /// Its status's name, for failure messages.
    pub fn status_name(&self) -> &'static str {
        self.status_id
            .and_then(|s| NOT_SALES.iter().find(|(id, _)| *id == s))
            .map_or("a sale", |(_, name)| name)
    }
}

/// A BigCommerce client on the sandbox with fast retries.
pub fn bc_client(bc: &bc_sandbox::Sandbox) -> BigCommerceClient {
    let mut config = bc.client_config();
    config.retry = RetryPolicy::fast();
    BigCommerceClient::new(config).expect("BigCommerce client")
}

/// Pauses (`false`) or resumes (`true`) the `store/order/created` hooks the host registered:
/// while paused, new orders reach the host only through its scheduled sweep. Returns how many
/// hooks were changed.
pub async fn set_order_created_hooks(bc: &BigCommerceClient, active: bool) -> usize {
    let hooks = bc.list_webhooks().await.expect("hooks listed");
    let mut changed = 0;
    for hook in hooks.iter().filter(|h| h.scope == "store/order/created") {
        let update = WebhookUpdate {
            scope: None,
            destination: None,
            is_active: Some(active),
            headers: None,
        };
        bc.update_webhook(hook.id, &update)
            .await
            .expect("hook updated");
        changed += 1;
    }
    changed
}

/// The documents the ERP created (outcome `Created`) of `kind`, by external reference, from
/// its create log.
pub fn created_by_ref(
    erp: &erp_sandbox::Sandbox,
    kind: CreateKind,
) -> BTreeMap<String, Vec<CreateLogEntry>> {
    let mut by_ref: BTreeMap<String, Vec<CreateLogEntry>> = BTreeMap::new();
    for entry in erp.creates() {
        if entry.kind == kind && entry.outcome == CreateOutcome::Created {
            by_ref
                .entry(entry.external_ref.clone())
                .or_default()
                .push(entry);
        }
    }
    by_ref
}

/// No order in a status that is not a sale has an ERP sales order, nor was one ever created
/// for it (the create log also sees a document removed later).
pub fn assert_no_non_sale_reached_the_erp(erp: &erp_sandbox::Sandbox, placed: &[Placed]) {
    let created = created_by_ref(erp, CreateKind::SalesOrder);
    let in_books: Vec<String> = erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| o.order.external_ref.clone())
            .collect()
    });
    let reached: Vec<String> = placed
        .iter()
        .filter(|p| !p.is_sale())
        .filter(|p| {
            let r = p.external_ref();
            created.contains_key(&r) || in_books.contains(&r)
        })
        .map(|p| format!("{} ({})", p.id, p.status_name()))
        .collect();
    assert!(
        reached.is_empty(),
        "orders that are not sales reached the ERP: {reached:?}"
    );
}

/// Sales placed that have not exactly one ERP sales order in the create log and in the books:
/// (reference, creates logged, orders in the books).
pub fn sales_not_exactly_once(
    erp: &erp_sandbox::Sandbox,
    placed: &[Placed],
) -> Vec<(String, usize, usize)> {
    let created = created_by_ref(erp, CreateKind::SalesOrder);
    let mut in_books: BTreeMap<String, usize> = BTreeMap::new();
    erp.with_state(|s| {
        for o in &s.orders {
            *in_books.entry(o.order.external_ref.clone()).or_default() += 1;
        }
    });
    placed
        .iter()
        .filter(|p| p.is_sale())
        .map(|p| {
            let r = p.external_ref();
            let logged = created.get(&r).map_or(0, Vec::len);
            let books = in_books.get(&r).copied().unwrap_or(0);
            (r, logged, books)
        })
        .filter(|(_, logged, books)| (*logged, *books) != (1, 1))
        .collect()
}
