//! Purchases and customers.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::MAX_PURCHASES_LIMIT;
use crate::model::customer::{METAFIELD_NAMESPACE, NET_TERMS_DAYS, PAYMENT_ON_ACCOUNT_KEY};
use crate::model::purchase::PAY_ON_ACCOUNT;
use crate::model::{
    Customer, LookupBy, Metafield, PaymentOnAccount, Purchase, PurchaseIdentifiers,
};
use crate::sandbox::problem::{SandboxError, parse_body};
use crate::sandbox::state::{PurchaseRecord, SandboxState, Store};

type Answer<T> = Result<T, SandboxError>;

const PURCHASE_TYPES: [&str; 5] = [
    "cart",
    "quote",
    "awaiting_approval",
    "order_unconfirmed",
    "order",
];
const PACKAGE_TYPES: [&str; 3] = ["shipment", "return", "cancellation"];
pub(crate) const PAYMENT_METHODS: [&str; 3] = ["card", "invoice", PAY_ON_ACCOUNT];
/// Fields the API calculates: ignored when sent.
const CALCULATED: [&str; 3] = ["created_at", "updated_at", "total"];

fn identifiers(record: &PurchaseRecord) -> PurchaseIdentifiers {
    record
        .body
        .get("purchase_identifiers")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

pub(crate) fn find(store: &Store, lookup: LookupBy, identifier: &str) -> Option<usize> {
    store
        .purchases
        .iter()
        .position(|r| identifiers(r).get(lookup) == Some(identifier))
}

fn check_purchase(p: &Purchase) -> Answer<()> {
    if !PURCHASE_TYPES.contains(&p.purchase_type.as_str()) {
        return Err(SandboxError::validation(
            "type",
            format!("must be one of {PURCHASE_TYPES:?}"),
        ));
    }
    let mut ordered: HashMap<&str, u32> = HashMap::new();
    for (i, line) in p.line_items.iter().enumerate() {
        if line.sku.trim().is_empty() {
            return Err(SandboxError::validation(
                format!("line_items[{i}].sku"),
                "must not be empty",
            ));
        }
        if line.quantity == 0 {
            return Err(SandboxError::validation(
                format!("line_items[{i}].quantity"),
                "must be at least 1",
            ));
        }
        if line.price_cents < 0 {
            return Err(SandboxError::validation(
                format!("line_items[{i}].price"),
                "must not be negative",
            ));
        }
        *ordered.entry(&line.sku).or_default() += line.quantity;
    }
    let mut shipped: HashMap<&str, u32> = HashMap::new();
    for (i, package) in p.packages.iter().enumerate() {
        if !PACKAGE_TYPES.contains(&package.package_type.as_str()) {
            return Err(SandboxError::validation(
                format!("packages[{i}].type"),
                format!("must be one of {PACKAGE_TYPES:?}"),
            ));
        }
        for (j, line) in package.lines.iter().enumerate() {
            let Some(&max) = ordered.get(line.sku.as_str()) else {
                return Err(SandboxError::validation(
                    format!("packages[{i}].lines[{j}].sku"),
                    format!("{} is not on the purchase", line.sku),
                ));
            };
            let sent = shipped.entry(&line.sku).or_default();
            if package.package_type == "shipment" {
                *sent += line.quantity;
            }
            if line.quantity == 0 || *sent > max {
                return Err(SandboxError::validation(
                    format!("packages[{i}].lines[{j}].quantity"),
                    format!("ships more of {} than was ordered ({max})", line.sku),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn sparklayer_uuid(seq: u64) -> String {
    let salt = OffsetDateTime::now_utc().unix_timestamp_nanos() as u32;
    format!("{salt:08x}-0000-4000-8000-{seq:012x}")
}

pub(super) async fn put_purchase(
    State(state): State<SandboxState>,
    Path((lookup_by, identifier)): Path<(String, String)>,
    body: Bytes,
) -> Answer<(StatusCode, Json<Value>)> {
    let lookup = LookupBy::parse(&lookup_by).ok_or_else(|| {
        SandboxError::validation(
            "lookupBy",
            "must be sparklayer, platform, internal or visible",
        )
    })?;
    let purchase: Purchase = parse_body(&body)?;
    check_purchase(&purchase)?;
    if let Some(given) = purchase.purchase_identifiers.get(lookup)
        && given != identifier
    {
        return Err(SandboxError::validation(
            format!("purchase_identifiers.{lookup}"),
            format!("{given} does not match the {identifier} in the URL"),
        ));
    }
    let mut raw: Map<String, Value> = parse_body(&body)?;
    for key in CALCULATED {
        raw.remove(key);
    }
    let mut ids = purchase.purchase_identifiers.clone();
    ids.set(lookup, identifier.clone());
    let mut store = state.lock();
    let now = store.stamp();
    // A body that carries Sparklayer's id (the cart a checkout made) replaces that purchase,
    // whatever identifier the URL uses.
    let by_url = find(&store, lookup, &identifier);
    let by_body = ids
        .sparklayer
        .as_deref()
        .and_then(|id| find(&store, LookupBy::Sparklayer, id));
    if let (Some(a), Some(b)) = (by_url, by_body)
        && a != b
    {
        return Err(SandboxError::validation(
            "purchase_identifiers.sparklayer",
            "belongs to another purchase",
        ));
    }
    let existing = by_url.or(by_body);
    let (status, index) = match existing {
        Some(i) => {
            // Sparklayer's own id survives a replace that leaves it out.
            if ids.sparklayer.is_none() {
                ids.sparklayer = identifiers(&store.purchases[i]).sparklayer;
            }
            raw.insert("purchase_identifiers".into(), json_of(&ids)?);
            let record = &mut store.purchases[i];
            record.body = raw;
            record.updated_at = now;
            (StatusCode::OK, i)
        }
        None => {
            if ids.sparklayer.is_none() {
                let seq = store.next_seq();
                ids.sparklayer = Some(sparklayer_uuid(seq));
            }
            raw.insert("purchase_identifiers".into(), json_of(&ids)?);
            store.purchases.push(PurchaseRecord {
                body: raw,
                created_at: now,
                updated_at: now,
            });
            (StatusCode::CREATED, store.purchases.len() - 1)
        }
    };
    Ok((status, Json(store.purchases[index].render())))
}

pub(crate) fn json_of(value: &impl Serialize) -> Answer<Value> {
    serde_json::to_value(value).map_err(|e| SandboxError::invalid_request(e.to_string()))
}

pub(super) async fn get_purchase(
    State(state): State<SandboxState>,
    Path((lookup_by, identifier)): Path<(String, String)>,
) -> Answer<Json<Value>> {
    let lookup = LookupBy::parse(&lookup_by)
        .ok_or_else(|| SandboxError::not_found(format!("unknown lookup {lookup_by}")))?;
    let mut store = state.lock();
    let index = find(&store, lookup, &identifier).ok_or_else(|| {
        SandboxError::not_found(format!("no purchase with {lookup} {identifier}"))
    })?;
    let answer = store.purchases[index].render();
    write_after_read(&mut store, index)?;
    Ok(Json(answer))
}

/// The packages a test queued for after this read of purchase `index`, added now.
fn write_after_read(store: &mut Store, index: usize) -> Answer<()> {
    let queued = std::mem::take(&mut store.after_read);
    let (now, later): (Vec<_>, Vec<_>) = queued
        .into_iter()
        .partition(|(id, _)| find(store, LookupBy::Sparklayer, id) == Some(index));
    store.after_read = later;
    if now.is_empty() {
        return Ok(());
    }
    let stamp = store.stamp();
    let record = &mut store.purchases[index];
    let mut packages = match record.body.remove("packages") {
        Some(Value::Array(packages)) => packages,
        _ => Vec::new(),
    };
    for (_, package) in now {
        packages.push(json_of(&package)?);
    }
    record
        .body
        .insert("packages".into(), Value::Array(packages));
    record.updated_at = stamp;
    Ok(())
}

pub(super) async fn list_purchases(
    State(state): State<SandboxState>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer<Json<Value>> {
    let number = |key: &str, default: u32| -> Answer<u32> {
        query.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| SandboxError::validation(key, "must be a whole number"))
        })
    };
    let limit = number("limit", 50)?;
    let offset = number("offset", 0)?;
    if !(1..=MAX_PURCHASES_LIMIT).contains(&limit) {
        return Err(SandboxError::validation(
            "limit",
            "must be between 1 and 500",
        ));
    }
    let since = match query.get(crate::client::UPDATED_SINCE_PARAM) {
        Some(text) => Some(OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
            SandboxError::validation(
                crate::client::UPDATED_SINCE_PARAM,
                "must be an RFC 3339 time",
            )
        })?),
        None => None,
    };
    let store = state.lock();
    let mut records: Vec<&PurchaseRecord> = store
        .purchases
        .iter()
        .filter(|r| since.is_none_or(|s| r.updated_at >= s))
        .collect();
    records.sort_by_key(|r| r.updated_at);
    let data: Vec<Value> = records
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(PurchaseRecord::render)
        .collect();
    Ok(Json(serde_json::json!({ "data": data })))
}

pub(super) async fn list_customers(State(state): State<SandboxState>) -> Json<Vec<Customer>> {
    Json(state.lock().customers.values().cloned().collect())
}

pub(super) async fn get_customer(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
) -> Answer<Json<Customer>> {
    state
        .customer(&id)
        .map(Json)
        .ok_or_else(|| SandboxError::not_found(format!("no customer {id}")))
}

#[derive(Deserialize)]
struct CustomerPatch {
    #[serde(default)]
    metafields: Vec<Metafield>,
}

fn check_payment_on_account(value: &str, at: &str) -> Answer<PaymentOnAccount> {
    let mut de = serde_json::Deserializer::from_str(value);
    let terms: PaymentOnAccount = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        SandboxError::validation(format!("{at}.{}", e.path()), e.inner().to_string())
    })?;
    if terms.credit_limit_cents < 0 {
        return Err(SandboxError::validation(
            format!("{at}.credit_limit"),
            "must not be negative",
        ));
    }
    if let Some(days) = terms.net_terms_days
        && !NET_TERMS_DAYS.contains(&days)
    {
        return Err(SandboxError::validation(
            format!("{at}.net_terms"),
            "must be 7 to 90 days",
        ));
    }
    Ok(terms)
}

pub(crate) fn upsert_metafield(customer: &mut Customer, field: Metafield) {
    match customer
        .metafields
        .iter_mut()
        .find(|m| m.namespace == field.namespace && m.key == field.key)
    {
        Some(existing) => existing.value = field.value,
        None => customer.metafields.push(field),
    }
}

pub(super) async fn patch_customer(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer<Json<Customer>> {
    let patch: CustomerPatch = parse_body(&body)?;
    for (i, field) in patch.metafields.iter().enumerate() {
        if field.namespace.trim().is_empty() || field.key.trim().is_empty() {
            return Err(SandboxError::validation(
                format!("metafields[{i}]"),
                "namespace and key are required",
            ));
        }
        if field.namespace == METAFIELD_NAMESPACE && field.key == PAYMENT_ON_ACCOUNT_KEY {
            check_payment_on_account(&field.value, &format!("metafields[{i}].value"))?;
        }
    }
    let mut store = state.lock();
    let customer = store
        .customers
        .get_mut(&id)
        .ok_or_else(|| SandboxError::not_found(format!("no customer {id}")))?;
    for field in patch.metafields {
        upsert_metafield(customer, field);
    }
    Ok(Json(customer.clone()))
}
