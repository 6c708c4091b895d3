//! The Blue Cherry side: the ERP sandbox, and what tests write straight into it.

use selvedge_bluecherry::model::{
    Cents, SalesOrder, SalesOrderLineRequest, SalesOrderRequest, Style,
};
use time::OffsetDateTime;

use super::Harness;
use super::erp_sandbox::{Sandbox, SandboxConfig, SandboxState};

/// A Blue Cherry sandbox seeded with `styles` styles.
pub async fn start(styles: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        styles,
        ..Default::default()
    })
    .await
    .expect("ERP sandbox")
}

/// The ERP's styles without a fit dimension: their SKUs are style-colour-size, as the
/// BigCommerce sandbox's seed builds them.
pub fn plain_styles(s: &SandboxState) -> impl Iterator<Item = &Style> {
    s.styles.iter().filter(|st| st.dimensions.is_empty())
}

/// A web order of `WEB001` from NJ01 (division 01) at $28 a unit, not authorised: the shape
/// the brand's orders reach Blue Cherry in.
pub fn web_order(external_ref: &str, lines: &[(&str, i64)]) -> SalesOrderRequest {
    SalesOrderRequest {
        external_ref: external_ref.into(),
        division: Some("01".into()),
        warehouse: Some("NJ01".into()),
        customer: "WEB001".into(),
        terms: None,
        po_number: None,
        other_reference: None,
        ship_via: None,
        order_date: OffsetDateTime::now_utc().date(),
        ship_date: None,
        cancel_date: None,
        authorised: false,
        tax_amount: Cents(0),
        ship_to: None,
        lines: lines
            .iter()
            .map(|(sku, qty)| SalesOrderLineRequest {
                sku: Some(sku.to_string()),
                upc: None,
                qty: *qty,
                unit_price: Cents(2_800),
            })
            .collect(),
    }
}

impl Harness {
    /// Opens extra ERP warehouses stocked like `NJ01` (quantities shifted by the warehouse
    /// number), so one SKU has stock at several locations.
    pub fn add_erp_warehouses(&self, codes: &[&str]) {
        self.erp.with_state(|s| {
            let nj: Vec<_> = s
                .stock
                .iter()
                .filter(|((w, _), _)| w == "NJ01")
                .map(|((_, k), b)| (k.clone(), *b))
                .collect();
            for (n, code) in codes.iter().enumerate() {
                s.warehouses.insert(code.to_string(), "01".into());
                for (sku, b) in &nj {
                    let mut b = *b;
                    b.total_qoh += n as i64 + 1;
                    s.stock.insert((code.to_string(), sku.clone()), b);
                }
            }
        });
    }
}

/// The sales order the ERP holds under `external_ref`, if any.
pub fn order_by_ref(erp: &Sandbox, external_ref: &str) -> Option<SalesOrder> {
    erp.with_state(|s| {
        s.orders
            .iter()
            .find(|o| o.order.external_ref == external_ref)
            .map(|o| o.order.clone())
    })
}
