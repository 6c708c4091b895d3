"""Guest SDK for Selvedge client rule plugins written in Python.

A client plugin is one WebAssembly component targeting the `selvedge:rules/client-rules@0.2.0`
world, built with componentize-py. With this package it is a `Rules` subclass (every method
has a default that declines the work, so a plugin writes only the rules its client needs)
marked `@export_rules`, in the module componentize-py is pointed at::

    from selvedge_plugin_sdk import Rules, export_rules
    from selvedge_plugin_sdk.ats import Buckets, Buffer, compute_columns

    @export_rules
    class Brand(Rules):
        def compute_ats(self, context, rows):
            return compute_columns(rows, Buckets.physical(), [Buffer.fixed(2)])

Build (see `scripts/build-python-plugins`)::

    componentize-py -d wit/since_v0.2.0 -w client-rules componentize app \\
        -p <plugin folder> -p plugins/sdk-python -o plugin.wasm

and test with `selvedge plugin test plugin.wasm fixtures`. The helpers mirror the Rust SDK
(`plugins/sdk`): `ats` (buckets, buffers, the row loops), `config` (`[rules]` values, log),
`decisions` (issues, reasons), `mapping` (`[mappings.*]` tables).
"""

from __future__ import annotations

import sys
from typing import TypeVar

from wit_world.exports.catalog import CatalogDecision, ErpStyle
from wit_world.exports.inventory import AtsRows, StockContext, StockRows
from wit_world.exports.orders import OrderDecision, StorefrontOrder
from wit_world.exports.pricing import ErpPrice, PricingDecision
from wit_world.exports.returns import Refund, RefundDecision
from wit_world.types import Err

from . import ats, config, decisions, mapping
from .decisions import error, reason
from .errors import RuleError

__all__ = ["Rules", "RuleError", "export_rules", "ats", "config", "decisions", "mapping"]


class Rules:
    """A client's rules. Every method has a default that declines the work with a clear issue."""

    def compute_ats(self, context: StockContext, rows: StockRows) -> AtsRows:
        """ATS for a whole ERP cycle (see `ats.compute`); raise `RuleError` to fail the cycle."""
        raise RuleError("this plugin has no inventory rules")

    def map_orders(self, orders: list[StorefrontOrder]) -> list[OrderDecision]:
        """Storefront orders -> sales orders, one decision per order."""
        return [
            OrderDecision(
                order_id=o.order_id,
                sales_order=None,
                issues=[error("no-order-rules", "", "this plugin has no order rules")],
                reasons=[],
            )
            for o in orders
        ]

    def map_styles(self, styles: list[ErpStyle]) -> list[CatalogDecision]:
        """ERP styles -> storefront products, one decision per style."""
        return [
            CatalogDecision(
                product=None,
                issues=[error("no-catalog-rules", "", "this plugin has no catalog rules")],
                reasons=[],
            )
            for _ in styles
        ]

    def map_refunds(self, refunds: list[Refund]) -> list[RefundDecision]:
        """Refunds -> credit memos and restock, one decision per refund."""
        return [
            RefundDecision(
                refund_id=r.refund_id,
                memo=None,
                restock=[],
                issues=[error("no-return-rules", "", "this plugin has no return rules")],
                reasons=[],
            )
            for r in refunds
        ]

    def map_prices(self, prices: list[ErpPrice]) -> PricingDecision:
        """ERP price levels -> B2B price lists. The default publishes no lists."""
        return PricingDecision(
            lists=[],
            issues=[],
            reasons=[reason("no-pricing-rules", "this plugin publishes no price lists")],
        )


R = TypeVar("R", bound=type[Rules])


def export_rules(cls: R) -> R:
    """Exports a `Rules` subclass as the plugin's component (a class decorator).

    componentize-py calls the classes `Inventory`, `Orders`, `Catalog`, `Returns` and
    `Pricing` of the app module; this defines them in the module that defines `cls`, each
    calling one instance of `cls` (the world's interfaces are stateless: a fresh instance of
    the component serves every host call).
    """
    rules = cls()
    module = sys.modules[cls.__module__]

    class Inventory:
        def compute_ats(self, context: StockContext, rows: StockRows) -> AtsRows:
            try:
                return rules.compute_ats(context, rows)
            except RuleError as e:
                raise Err(str(e)) from None

    class Orders:
        def map_orders(self, orders: list[StorefrontOrder]) -> list[OrderDecision]:
            return rules.map_orders(orders)

    class Catalog:
        def map_styles(self, styles: list[ErpStyle]) -> list[CatalogDecision]:
            return rules.map_styles(styles)

    class Returns:
        def map_refunds(self, refunds: list[Refund]) -> list[RefundDecision]:
            return rules.map_refunds(refunds)

    class Pricing:
        def map_prices(self, prices: list[ErpPrice]) -> PricingDecision:
            return rules.map_prices(prices)

    for export in (Inventory, Orders, Catalog, Returns, Pricing):
        export.__module__ = module.__name__
        export.__qualname__ = export.__name__
        setattr(module, export.__name__, export)
    return cls
