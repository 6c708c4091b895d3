"""Example client: a B2B wholesaler selling through Sparklayer (the Python port of
`plugins/b2b-wholesale`, deciding the same as the Rust plugin on the same fixtures).

- ATS: physical stock only (never work orders or in-transit); a percentage buffer
  (`buffer_percent`, per category from the `category_buffer_percent` table when set).
- Orders: storefront location -> warehouse + division (`location_warehouse` table, values
  `WAREHOUSE/DIVISION`, `*` = default, used with a review flag); pay-on-account orders land
  authorised with the customer's terms and must carry a PO number (checkout field named by
  `po_field`), which goes to the ERP's other-reference field; credit limit checked.
- Returns: a credit memo with every line restocked.
- Pricing: ERP price levels -> Sparklayer price lists (`price_level_list` table), quantity
  breaks as tiers.
"""

from __future__ import annotations

from selvedge_plugin_sdk import RuleError, Rules, config, export_rules
from selvedge_plugin_sdk.ats import Buckets, Buffer, compute_columns
from selvedge_plugin_sdk.decisions import quote, reason
from selvedge_plugin_sdk.mapping import Table
from wit_world.exports.inventory import AtsRows, StockContext, StockRows
from wit_world.exports.orders import OrderDecision, StorefrontOrder
from wit_world.exports.pricing import ErpPrice, PricingDecision
from wit_world.exports.returns import CreditMemo, MemoLine, Refund, RefundDecision, Restock

from . import orders, pricing


@export_rules
class Wholesaler(Rules):
    def compute_ats(self, context: StockContext, rows: StockRows) -> AtsRows:
        default_percent = config.parse_or("buffer_percent", 10, config.u32)
        by_category = Table.load("category_buffer_percent")
        # One buffer per category (resolved once, not per row); rows pick theirs by index.
        buffers = []
        for category in context.categories:
            value = by_category.get(category)
            if value is None:
                percent = default_percent
            else:
                try:
                    percent = config.u32(value)
                except ValueError:
                    raise RuleError(
                        f"category_buffer_percent.{category} = {quote(value)} is not a whole number"
                    ) from None
            buffers.append(Buffer.percent(percent))
        # A row whose category index is outside the context takes the default percentage.
        buffers.append(Buffer.percent(default_percent))
        outside = len(context.categories)
        if rows.category and max(rows.category) >= outside:
            buffer_of = [c if c < outside else outside for c in rows.category]
        else:
            buffer_of = rows.category
        return compute_columns(rows, Buckets.physical(), buffers, buffer_of)

    def map_orders(self, orders_in: list[StorefrontOrder]) -> list[OrderDecision]:
        return orders.map_orders(orders_in)

    def map_refunds(self, refunds: list[Refund]) -> list[RefundDecision]:
        return [_refund(r) for r in refunds]

    def map_prices(self, prices: list[ErpPrice]) -> PricingDecision:
        return pricing.map_prices(prices)


def _refund(r: Refund) -> RefundDecision:
    lines = [MemoLine(sku=l.sku, quantity=l.quantity, amount=l.amount, restock=True) for l in r.lines]
    return RefundDecision(
        refund_id=r.refund_id,
        memo=CreditMemo(
            customer=r.customer,
            sales_order=r.sales_order,
            warehouse=r.warehouse,
            division=r.division,
            lines=lines,
            freight=r.shipping,
            tax=r.tax,
            total=r.total,
            reason_code="RET",
        ),
        restock=[Restock(sku=l.sku, warehouse=r.warehouse, quantity=l.quantity) for l in lines],
        issues=[],
        reasons=[reason("restock", "wholesale returns always go back to stock")],
    )
