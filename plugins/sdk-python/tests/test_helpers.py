"""The SDK's pure helpers on plain CPython (the host imports are not called here)."""

from __future__ import annotations

import unittest

from selvedge_plugin_sdk import config
from selvedge_plugin_sdk.ats import (
    I32_MAX,
    I32_MIN,
    Buckets,
    Buffer,
    Decision,
    Reason,
    compute,
    compute_columns,
    index_of,
)
from selvedge_plugin_sdk.decisions import eq_ignore_ascii_case, quote
from selvedge_plugin_sdk.errors import RuleError
from selvedge_plugin_sdk.mapping import Table
from wit_world.exports.inventory import StockRows


def rows(n: int, extreme: bool = False) -> StockRows:
    def big(i: int, v: int) -> int:
        return (I32_MIN if i % 2 else I32_MAX) if extreme and i % 13 == 0 else v

    return StockRows(
        location=[i % 2 for i in range(n)],
        category=[i % 3 for i in range(n)],
        season=[i % 2 for i in range(n)],
        on_hand=[big(i, i * 7 % 120 - 10) for i in range(n)],
        picked=[big(i + 1, i % 5) for i in range(n)],
        open_orders=[i % 4 for i in range(n)],
        ship_to_wip=[0] * n,
        open_work_orders=[(i % 11) * 10 - 20 for i in range(n)],
        in_transit=[i % 3 for i in range(n)],
        weekly_sales=[i * 13 % 45 for i in range(n)],
        sku_buffer=[(i % 5) - 1 if i % 7 == 0 else -1 for i in range(n)],
    )


class ColumnsMatchRows(unittest.TestCase):
    def check(self, r: StockRows, buckets: Buckets, buffers: list[Buffer]) -> None:
        def decide(row):  # the per-row rule compute_columns promises to equal
            return buckets.available(row).with_sku_buffer_or(row, buffers[row.category])

        by_row = compute(r, decide)
        by_column = compute_columns(r, buckets, buffers, r.category)
        self.assertEqual(by_row, by_column)

    def test_percent_fixed_and_none_per_category(self) -> None:
        for extreme in (False, True):
            r = rows(500, extreme)
            self.check(r, Buckets.physical(), [Buffer.percent(10), Buffer.fixed(2), Buffer.none()])
            self.check(r, Buckets.physical().with_work_orders(True), [Buffer.percent(0)] * 3)
            self.check(
                r,
                Buckets(include_in_transit=True),
                [Buffer.percent(250), Buffer.units(3, Reason.LATENCY_BUFFER), Buffer.fixed(-4)],
            )

    def test_a_row_held_back_below_zero_is_clamped(self) -> None:
        r = rows(1)
        r.on_hand[0], r.picked[0], r.open_orders[0], r.sku_buffer[0] = 3, 0, 0, 5
        out = compute_columns(r, Buckets.physical(), [Buffer.none()])
        self.assertEqual((out.ats, out.buffer), ([0], [5]))
        self.assertEqual(out.reason[0], Reason.ON_HAND | Reason.PICKED | Reason.OPEN_ORDERS | Reason.SKU_BUFFER | Reason.CLAMPED)

    def test_percent_rounds_up(self) -> None:
        self.assertEqual(Buffer.percent(10).held(85), 9)
        self.assertEqual(Buffer.percent(10).held(0), 0)
        self.assertEqual(Decision(40).with_buffer(Buffer.percent(10)), Decision(40, 4, Reason.PERCENT_BUFFER))

    def test_columns_of_different_lengths_are_refused(self) -> None:
        r = rows(3)
        r.picked.pop()
        with self.assertRaisesRegex(RuleError, "column `picked` has 2 rows, `on-hand` has 3"):
            compute_columns(r, Buckets.physical(), [Buffer.none()])


class Text(unittest.TestCase):
    def test_quote_writes_strings_as_rust_debug_does(self) -> None:
        self.assertEqual(quote('popup "7"\n'), '"popup \\"7\\"\\n"')
        self.assertEqual(quote("it's"), '"it\'s"')
        self.assertEqual(quote("\x07"), '"\\u{7}"')

    def test_ascii_case(self) -> None:
        self.assertTrue(eq_ignore_ascii_case("PO Number", "po number"))
        self.assertFalse(eq_ignore_ascii_case("É", "é"))
        self.assertEqual(index_of(["SP25", "FA26"], "fa26"), 1)
        self.assertIsNone(index_of(["SP25"], "FA26"))

    def test_whole_numbers_parse_as_rust_does(self) -> None:
        self.assertEqual(config.u32("+12"), 12)
        for bad in ("1_0", "-1", " 1", "4294967296", "١٢", ""):
            with self.assertRaises(ValueError, msg=bad):
                config.u32(bad)
        self.assertEqual(config.i32("-2147483648"), I32_MIN)


class Tables(unittest.TestCase):
    def test_keys_are_case_insensitive_with_a_star_default(self) -> None:
        t = Table("location_warehouse", [(" East ", "NJ01/02"), ("*", "CA02/02")])
        self.assertEqual(t.get("EAST"), "NJ01/02")
        self.assertEqual(t.get_or_default("east"), ("NJ01/02", True))
        self.assertEqual(t.get_or_default("north"), ("CA02/02", False))
        self.assertIsNone(Table("empty").get_or_default("x"))
        self.assertEqual(len(t), 2)


if __name__ == "__main__":
    unittest.main()
