"""B2B order rules: location -> warehouse/division, pay on account with terms, PO number."""

from __future__ import annotations

from dataclasses import dataclass

from selvedge_plugin_sdk import config
from selvedge_plugin_sdk.decisions import eq_ignore_ascii_case, error, quote, reason, review
from selvedge_plugin_sdk.mapping import Table
from wit_world.exports.orders import (
    OrderDecision,
    PaymentKind,
    SalesOrder,
    SalesOrderLine,
    StorefrontOrder,
)
from wit_world.imports.types import Issue, Reason, Severity

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Settings:
    locations: Table
    po_field: str


def map_orders(orders: list[StorefrontOrder]) -> list[OrderDecision]:
    settings = Settings(
        locations=Table.load("location_warehouse"),
        po_field=config.string_or("po_field", "PO Number"),
    )
    return [map_one(o, settings) for o in orders]


def _declined(order_id: str, issues: list[Issue], reasons: list[Reason]) -> OrderDecision:
    return OrderDecision(order_id=order_id, sales_order=None, issues=issues, reasons=reasons)


def map_one(order: StorefrontOrder, s: Settings) -> OrderDecision:
    issues: list[Issue] = []
    reasons: list[Reason] = []
    if not order.lines:
        issues.append(error("no-lines", "lines", "the order has no lines"))
    location = order.location or ""
    found = s.locations.get_or_default(location)
    if found is None:
        issues.append(
            error(
                "unknown-location",
                "location",
                f"location {quote(location)} is not mapped and no default (`*`) is set",
            )
        )
        warehouse = division = ""
    else:
        value, mapped = found
        warehouse, slash, division = value.partition("/")
        if not slash:
            issues.append(
                error(
                    "bad-mapping",
                    "location",
                    f"location_warehouse entry {quote(value)} must be WAREHOUSE/DIVISION",
                )
            )
            return _declined(order.order_id, issues, reasons)
        if mapped:
            reasons.append(reason("warehouse-by-location", f"{location} -> {warehouse}/{division}"))
        else:
            issues.append(
                review(
                    "unknown-location",
                    "location",
                    f"location {quote(location)} is not mapped: "
                    f"default warehouse {warehouse} / division {division} used",
                )
            )
            reasons.append(
                reason("default-warehouse", f"{quote(location)} unmapped -> {warehouse}/{division}")
            )
    po = next(
        (v.strip() for k, v in order.attributes if eq_ignore_ascii_case(k, s.po_field)),
        None,
    )
    po = po or None
    on_account = order.payment == PaymentKind.PAY_ON_ACCOUNT
    terms = order.terms
    if on_account:
        if po is None:
            issues.append(
                error(
                    "missing-po-number",
                    f"attributes.{s.po_field}",
                    "pay-on-account orders need a PO number",
                )
            )
        if terms is None:
            issues.append(
                error(
                    "no-terms",
                    "terms",
                    f"customer {order.customer_id} has no payment terms in the ERP",
                )
            )
        elif min(max(terms.balance + order.total, I64_MIN), I64_MAX) > terms.credit_limit:
            issues.append(
                error(
                    "credit-limit-exceeded",
                    "total",
                    f"balance {terms.balance} + order {order.total} exceeds credit limit "
                    f"{terms.credit_limit} for {terms.customer}",
                )
            )
        else:
            reasons.append(reason("terms", f"{terms.terms_code} on account, {terms.net_days} days"))
    customer = order.erp_customer
    if customer is None and terms is not None:
        customer = terms.customer
    if customer is None:
        issues.append(error("no-erp-customer", "customer-id", "the buyer has no ERP customer account"))
    if any(i.severity == Severity.ERROR for i in issues):
        return _declined(order.order_id, issues, reasons)
    return OrderDecision(
        order_id=order.order_id,
        sales_order=SalesOrder(
            division=division,
            warehouse=warehouse,
            customer=customer or "",
            terms_code=terms.terms_code if terms is not None else None,
            authorised=on_account or order.payment == PaymentKind.CARD,
            po_number=po,
            other_reference=po,
            ship_via=order.shipping_method or "LTL",
            tax=order.tax,
            freight=order.shipping,
            ship_to=order.ship_to,
            lines=[
                SalesOrderLine(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price)
                for l in order.lines
            ],
            review=any(i.severity == Severity.REVIEW for i in issues),
        ),
        issues=issues,
        reasons=reasons,
    )
