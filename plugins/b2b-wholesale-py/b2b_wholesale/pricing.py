"""ERP price levels -> Sparklayer price lists with quantity breaks."""

from __future__ import annotations

from selvedge_plugin_sdk.decisions import error, reason, warning
from selvedge_plugin_sdk.mapping import Table
from wit_world.exports.pricing import (
    ErpPrice,
    PriceEntry,
    PriceList,
    PriceTier,
    PricingDecision,
)
from wit_world.imports.types import Issue


def map_prices(prices: list[ErpPrice]) -> PricingDecision:
    lists_by_level = Table.load("price_level_list")
    lists: dict[str, PriceList] = {}
    issues: list[Issue] = []
    for i, price in enumerate(prices):
        slug = lists_by_level.get(price.level)
        if slug is None:
            issues.append(
                warning(
                    "unmapped-price-level",
                    f"prices[{i}].level",
                    f"price level {price.level} has no price list: {price.sku} skipped",
                )
            )
            continue
        # Sorted by quantity (stable), one tier per quantity: the first break given wins.
        tiers: list[PriceTier] = []
        for b in sorted(price.breaks, key=lambda b: max(b.min_quantity, 1)):
            quantity = max(b.min_quantity, 1)
            if not tiers or tiers[-1].quantity != quantity:
                tiers.append(PriceTier(quantity=quantity, price=b.price))
        if any(t.price <= 0 for t in tiers):
            issues.append(
                error(
                    "non-positive-price",
                    f"prices[{i}].breaks",
                    f"{price.sku} level {price.level} has a price of zero or less",
                )
            )
            continue
        if slug not in lists:
            lists[slug] = PriceList(
                slug=slug, name=f"Wholesale {price.level}", currency=price.currency, entries=[]
            )
        lists[slug].entries.append(PriceEntry(sku=price.sku, tiers=tiers))
    return PricingDecision(
        lists=[lists[slug] for slug in sorted(lists)],
        issues=issues,
        reasons=[reason("price-levels", "ERP levels mapped through price_level_list")],
    )
