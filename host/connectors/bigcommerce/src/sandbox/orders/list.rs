//! `GET /v2/orders` and `GET /v2/orders/count`: every documented filter the sandbox can answer
//! truthfully is applied; `cart_id`, `external_order_id`, `include` and `consignment_structure`
//! (carts, consignments and fees are not modelled) are refused by name.

use std::cmp::Ordering;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::super::query::{Params, Refusal};
use super::super::state::OrderRec;
use super::super::{SandboxHandle, json_response};
use super::info::{STATUS_ORDER, status_info};
use super::{Q, shown};
use crate::model::{Money, OrderCount, StatusCount};

/// Filters both operations apply.
const FILTERS: &[&str] = &[
    "min_id",
    "max_id",
    "min_total",
    "max_total",
    "customer_id",
    "email",
    "status_id",
    "payment_method",
    "min_date_created",
    "max_date_created",
    "min_date_modified",
    "max_date_modified",
    "channel_id",
];

/// The parsed filters; `None` = not filtered on.
struct Filter<'a> {
    min_id: Option<i64>,
    max_id: Option<i64>,
    min_total: Option<Money>,
    max_total: Option<Money>,
    customer_id: Option<i64>,
    email: Option<&'a str>,
    status_id: Option<i64>,
    payment_method: Option<&'a str>,
    created: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    modified: (Option<OffsetDateTime>, Option<OffsetDateTime>),
    channel_id: Option<i64>,
}

fn money(p: &Params<'_>, name: &str) -> Result<Option<Money>, Refusal> {
    p.number(name)?
        .map(|n| {
            Money::from_f64(n).map_err(|e| Refusal::new(name, format!("is not an amount: {e}")))
        })
        .transpose()
}

impl<'a> Filter<'a> {
    fn parse(p: &Params<'a>) -> Result<Self, Refusal> {
        Ok(Self {
            min_id: p.int("min_id")?,
            max_id: p.int("max_id")?,
            min_total: money(p, "min_total")?,
            max_total: money(p, "max_total")?,
            customer_id: p.int("customer_id")?,
            email: p.str("email"),
            status_id: p.int("status_id")?,
            payment_method: p.str("payment_method"),
            created: (p.date("min_date_created")?, p.date("max_date_created")?),
            modified: (p.date("min_date_modified")?, p.date("max_date_modified")?),
            channel_id: p.int("channel_id")?,
        })
    }

    fn keeps(&self, rec: &OrderRec) -> bool {
        let o = &rec.order;
        type Range = (Option<OffsetDateTime>, Option<OffsetDateTime>);
        let within = |t: OffsetDateTime, (min, max): Range| {
            min.is_none_or(|m| t >= m) && max.is_none_or(|m| t <= m)
        };
        self.min_id.is_none_or(|v| o.id >= v)
            && self.max_id.is_none_or(|v| o.id <= v)
            && self.min_total.is_none_or(|v| o.total_inc_tax >= v)
            && self.max_total.is_none_or(|v| o.total_inc_tax <= v)
            && self.customer_id.is_none_or(|v| o.customer_id == v)
            && self
                .email
                .is_none_or(|v| o.billing_address.email.eq_ignore_ascii_case(v))
            && self.status_id.is_none_or(|v| o.status_id == v)
            && self
                .payment_method
                .is_none_or(|v| o.payment_method.eq_ignore_ascii_case(v))
            && within(rec.created, self.created)
            && within(rec.modified, self.modified)
            && self.channel_id.is_none_or(|v| o.channel_id == v)
    }
}

/// Sort keys the spec's `sort` enum lists.
fn compare(field: &str, a: &OrderRec, b: &OrderRec) -> Option<Ordering> {
    let (x, y) = (&a.order, &b.order);
    Some(match field {
        "id" => x.id.cmp(&y.id),
        "customer_id" => x.customer_id.cmp(&y.customer_id),
        "date_created" => a.created.cmp(&b.created),
        "date_modified" => a.modified.cmp(&b.modified),
        "status_id" => x.status_id.cmp(&y.status_id),
        "channel_id" => x.channel_id.cmp(&y.channel_id),
        "external_id" => x.external_id.cmp(&y.external_id),
        _ => return None,
    })
}

/// `field` or `field:asc|desc` as (field, descending).
fn sort_of(p: &Params<'_>) -> Result<(&'static str, bool), Refusal> {
    let Some(raw) = p.str("sort") else {
        // The spec: "The default sort is by order id, from lowest to highest."
        return Ok(("id", false));
    };
    let (field, dir) = raw.split_once(':').unwrap_or((raw, "asc"));
    let known = [
        "id",
        "customer_id",
        "date_created",
        "date_modified",
        "status_id",
        "channel_id",
        "external_id",
    ];
    let field = known
        .into_iter()
        .find(|k| *k == field)
        .ok_or_else(|| Refusal::new("sort", format!("`{field}` is not a sort field")))?;
    match dir {
        "asc" => Ok((field, false)),
        "desc" => Ok((field, true)),
        _ => Err(Refusal::new("sort", format!("`{dir}` is not asc or desc"))),
    }
}

/// The matching orders, unsorted.
fn matching<'s>(
    orders: impl Iterator<Item = &'s OrderRec>,
    p: &Params<'_>,
) -> Result<Vec<&'s OrderRec>, Refusal> {
    let filter = Filter::parse(p)?;
    Ok(orders.filter(|o| filter.keeps(o)).collect())
}

pub(super) async fn list(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let applied: Vec<&str> = FILTERS
        .iter()
        .copied()
        .chain(["page", "limit", "sort"])
        .collect();
    let s = h.store();
    let page = Params::strict(&q, &applied).and_then(|p| {
        let (page, limit) = p.page_limit(250)?;
        let (field, desc) = sort_of(&p)?;
        let mut found = matching(s.orders.values(), &p)?;
        found.sort_by(|a, b| {
            let ord = compare(field, a, b)
                .unwrap_or(Ordering::Equal)
                .then(a.order.id.cmp(&b.order.id));
            if desc { ord.reverse() } else { ord }
        });
        Ok(found
            .into_iter()
            .skip((page - 1) * limit)
            .take(limit)
            .map(|o| shown(&h, o))
            .collect::<Vec<_>>())
    });
    match page {
        // The spec declares only 200 here, so an empty result is `[]`.
        Ok(orders) => json_response(StatusCode::OK, json!(orders)),
        Err(r) => r.v2(),
    }
}

pub(super) async fn count(State(h): State<SandboxHandle>, Query(q): Q) -> Response {
    let s = h.store();
    let found = Params::strict(&q, FILTERS).and_then(|p| matching(s.orders.values(), &p));
    let found = match found {
        Ok(f) => f,
        Err(r) => return r.v2(),
    };
    let statuses = STATUS_ORDER
        .iter()
        .enumerate()
        .map(|(sort_order, id)| StatusCount {
            status: status_info(*id),
            count: found.iter().filter(|o| o.order.status_id == *id).count() as i64,
            sort_order: sort_order as i64,
        })
        .collect();
    let body = OrderCount {
        statuses,
        count: found.len() as i64,
    };
    json_response(StatusCode::OK, json!(body))
}
