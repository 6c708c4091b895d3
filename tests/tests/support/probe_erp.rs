//! An ERP gateway in front of the sandbox that counts creates and fails credit memos on
//! demand: what the exactly-once, pacing and refund tests measure with.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use selvedge_bluecherry::model::{
    AtsSnapshot, CreditMemo, CreditMemoRequest, Customer, CycleStatus, PriceLevel, SalesOrder,
    SalesOrderRequest, ShipmentPage, Style,
};
use selvedge_bluecherry::{ErpGateway, GatewayFuture};

/// The ERP as it is, counting creates; the first `memo_failures` credit-memo creates meet a
/// 503 from the sandbox (armed over HTTP just before each create, so only creates fail).
pub struct ProbeErp {
    inner: Arc<dyn ErpGateway>,
    faults_url: String,
    /// Credit-memo creates still to fail.
    pub memo_failures: AtomicU32,
    /// Sales-order creates sent.
    pub order_creates: AtomicU32,
    /// Credit-memo creates sent.
    pub memo_creates: AtomicU32,
    /// When each sales-order create was sent.
    pub order_create_times: std::sync::Mutex<Vec<Instant>>,
}

impl ProbeErp {
    pub fn new(inner: Arc<dyn ErpGateway>, erp_base_url: &str) -> Arc<Self> {
        Arc::new(Self {
            inner,
            faults_url: format!("{erp_base_url}/sandbox/faults"),
            memo_failures: AtomicU32::new(0),
            order_creates: AtomicU32::new(0),
            memo_creates: AtomicU32::new(0),
            order_create_times: std::sync::Mutex::default(),
        })
    }
}

impl ErpGateway for ProbeErp {
    fn list_styles(&self, since: Option<time::OffsetDateTime>) -> GatewayFuture<'_, Vec<Style>> {
        self.inner.list_styles(since)
    }
    fn cycle_status(&self) -> GatewayFuture<'_, CycleStatus> {
        self.inner.cycle_status()
    }
    fn ats_snapshot(&self, cycle_id: u64) -> GatewayFuture<'_, AtsSnapshot> {
        self.inner.ats_snapshot(cycle_id)
    }
    fn create_sales_order<'a>(&'a self, o: &'a SalesOrderRequest) -> GatewayFuture<'a, SalesOrder> {
        self.order_creates.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut times) = self.order_create_times.lock() {
            times.push(Instant::now());
        }
        self.inner.create_sales_order(o)
    }
    fn find_sales_order<'a>(&'a self, r: &'a str) -> GatewayFuture<'a, Option<SalesOrder>> {
        self.inner.find_sales_order(r)
    }
    fn get_sales_order<'a>(&'a self, n: &'a str) -> GatewayFuture<'a, SalesOrder> {
        self.inner.get_sales_order(n)
    }
    fn revise_sales_order<'a>(
        &'a self,
        n: &'a str,
        revision: u32,
        o: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        self.inner.revise_sales_order(n, revision, o)
    }
    fn list_shipments<'a>(
        &'a self,
        c: Option<&'a str>,
        l: usize,
    ) -> GatewayFuture<'a, ShipmentPage> {
        self.inner.list_shipments(c, l)
    }
    fn create_credit_memo<'a>(&'a self, m: &'a CreditMemoRequest) -> GatewayFuture<'a, CreditMemo> {
        Box::pin(async move {
            self.memo_creates.fetch_add(1, Ordering::SeqCst);
            let fail = self
                .memo_failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                let body = serde_json::json!({ "fail_next": 1, "fail_status": 503 });
                let http = reqwest::Client::new();
                http.put(&self.faults_url)
                    .json(&body)
                    .send()
                    .await
                    .expect("faults armed");
            }
            self.inner.create_credit_memo(m).await
        })
    }
    fn find_credit_memo<'a>(&'a self, r: &'a str) -> GatewayFuture<'a, Option<CreditMemo>> {
        self.inner.find_credit_memo(r)
    }
    fn list_customers(&self) -> GatewayFuture<'_, Vec<Customer>> {
        self.inner.list_customers()
    }
    fn list_price_levels<'a>(&'a self, l: Option<&'a str>) -> GatewayFuture<'a, Vec<PriceLevel>> {
        self.inner.list_price_levels(l)
    }
}
