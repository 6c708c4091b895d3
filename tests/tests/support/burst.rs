//! Order bursts on BigCommerce with some orders in statuses that are not sales, and what the
//! Blue Cherry sandbox's create log says about them, for the tests that run the real host.

use std::collections::BTreeMap;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::WebhookUpdate;
use selvedge_bluecherry::model::{Cents, SalesOrder, ShipTo};
use selvedge_bluecherry::sandbox::{CreateKind, CreateLogEntry, CreateOutcome};
use selvedge_connector_kit::RetryPolicy;

use super::{bc_sandbox, erp_sandbox};

/// The brand trading on BigCommerce against a Blue Cherry sandbox with `faults` armed: two
/// seeded styles, and the SKUs (first colour, up to `sizes` sizes) the bursts buy.
pub async fn brand_sandboxes(
    faults: selvedge_bluecherry::sandbox::faults::Faults,
    sizes: usize,
) -> (erp_sandbox::Sandbox, bc_sandbox::Sandbox, Vec<String>) {
    let erp = super::orders::start_erp().await;
    erp.set_faults(faults);
    let bc = super::b2c::start_bc(super::orders::Options::default().bc).await;
    let styles = super::b2c::seed_products(&erp, 2);
    bc.handle().seed(&styles).expect("seed the storefront");
    let skus = styles
        .iter()
        .flat_map(|p| {
            p.sizes
                .iter()
                .take(sizes)
                .map(|z| p.variant_sku(&p.colours[0], z))
        })
        .collect();
    (erp, bc, skus)
}

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

/// The ERP order of every sale placed is the b2c-apparel plugin's mapping of its storefront
/// order as BigCommerce has it, with the brand's `[rules]` (division 01, web customer WEB001)
/// and `warehouse` standing for its `shipping_warehouse` table: the warehouse by shipping
/// method, authorised when paid by card, `BC#<id>` as other reference, no PO, ship-via `GROUND`
/// (no `ship_via` table), the checkout's tax, its lines with their SKUs, quantities and prices
/// excluding tax, in order; terms are the customer's, and the order is at its first revision.
/// Blue Cherry's order header has no ship-to (nor freight), so those cannot be compared.
pub async fn assert_erp_orders_are_b2c_apparel_mappings(
    erp: &erp_sandbox::Sandbox,
    bc: &BigCommerceClient,
    placed: &[Placed],
    warehouse: impl Fn(&str) -> &'static str,
) {
    let web_terms = erp.with_state(|s| {
        s.customers
            .iter()
            .find(|c| c.customer == "WEB001")
            .map(|c| c.terms_code.clone())
            .expect("WEB001")
    });
    let books: BTreeMap<String, SalesOrder> = erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| (o.order.external_ref.clone(), o.order.clone()))
            .collect()
    });
    for p in placed.iter().filter(|p| p.is_sale()) {
        let r = p.external_ref();
        let so = books.get(&r).unwrap_or_else(|| panic!("{r}: no ERP order"));
        let order = bc.get_order(p.id).await.expect("order");
        let products = bc.order_products(p.id).await.expect("order products");
        let addresses = bc
            .order_shipping_addresses(p.id)
            .await
            .expect("shipping addresses");
        let method = addresses.first().map_or("", |a| a.shipping_method.as_str());
        // The host's payment kinds: card, PayPal and Stripe are cards; account and invoice
        // are not.
        let pm = order.payment_method.to_ascii_lowercase();
        let card = !pm.contains("account")
            && !pm.contains("invoice")
            && (pm.contains("card") || pm.contains("paypal") || pm.contains("stripe"));
        let header = (
            so.division.as_str(),
            so.warehouse.as_str(),
            so.customer.as_str(),
            so.terms.as_str(),
            so.authorised,
            so.other_reference.as_deref(),
            so.po_number.as_deref(),
            so.ship_via.as_deref(),
            so.tax_amount,
            so.revision,
        );
        let other_reference = format!("BC#{}", p.id);
        let expected = (
            "01",
            warehouse(method),
            "WEB001",
            web_terms.as_str(),
            card,
            Some(other_reference.as_str()),
            None,
            Some("GROUND"),
            Cents(order.total_tax.cents()),
            1,
        );
        assert_eq!(
            header, expected,
            "{r} ({method}, {}): division, warehouse, customer, terms, authorised, other \
             reference, PO, ship-via, tax, revision",
            order.payment_method
        );
        let lines: Vec<(&str, i64, Cents)> = so
            .lines
            .iter()
            .map(|l| (l.sku.as_str(), l.qty, l.unit_price))
            .collect();
        let expected: Vec<(&str, i64, Cents)> = products
            .iter()
            .map(|l| (l.sku.as_str(), l.quantity, Cents(l.price_ex_tax.cents())))
            .collect();
        assert_eq!(lines, expected, "{r}: lines (SKU, quantity, unit price)");
        let ship_to = addresses.first().map(|a| ShipTo {
            name: format!("{} {}", a.first_name, a.last_name)
                .trim()
                .to_string(),
            company: a.company.clone(),
            street1: a.street_1.clone(),
            street2: a.street_2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            zip: a.zip.clone(),
            country: a.country_iso2.clone(),
            phone: a.phone.clone(),
        });
        assert!(
            ship_to.is_some(),
            "{r}: the checkout had a shipping address"
        );
        assert_eq!(so.ship_to, ship_to, "{r}: ship-to");
    }
}
