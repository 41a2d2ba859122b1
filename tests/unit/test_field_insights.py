"""Per-field dataset insights (store/field_insights.py): numbers get a distribution, text
its most common values; missing and null count as missing."""

from __future__ import annotations

import msgspec

from crawlscope.store.field_insights import summarize_fields


def _rows(items: list[dict[str, object]]) -> list[bytes]:
    return [msgspec.json.encode(item) for item in items]


def test_numbers_get_a_distribution() -> None:
    items = [{"price": float(i)} for i in range(1, 101)] + [{"price": None}, {}]
    [price] = summarize_fields(_rows(items), ["price"])
    assert (price.present, price.missing, price.kind) == (100, 2, "numeric")
    assert price.numeric is not None
    assert (price.numeric.min, price.numeric.max, price.numeric.mean) == (1.0, 100.0, 50.5)
    assert price.numeric.p50 == 50.5
    assert [b.count for b in price.numeric.bins] == [10] * 10
    assert price.distinct == 100


def test_text_gets_its_most_common_values() -> None:
    items = [{"country": c} for c in ["DE", "DE", "DE", "FR", "FR", "IT"]] + [{"country": 4}]
    [country] = summarize_fields(_rows(items), ["country"])
    assert country.kind == "values"
    assert country.numeric is None
    assert [(v.value, v.count) for v in country.top] == [("DE", 3), ("FR", 2), ("IT", 1), ("4", 1)]
    assert country.distinct == 4


def test_mostly_numbers_are_numeric_and_one_value_is_one_bin() -> None:
    items = [{"n": 7}] * 9 + [{"n": "n/a"}]
    [n] = summarize_fields(_rows(items), ["n"])
    assert n.kind == "numeric"
    assert n.numeric is not None
    assert [(b.low, b.high, b.count) for b in n.numeric.bins] == [(7.0, 7.0, 9)]
    assert (n.present, n.numeric.count) == (10, 9)


def test_without_fields_the_common_keys_are_described() -> None:
    items = [{"a": 1, "b": "x"}, {"a": 2}, {"a": 3, "c": True}]
    described = summarize_fields(_rows(items), None)
    assert described[0].field == "a"  # the commonest key first
    assert {f.field for f in described} == {"a", "b", "c"}
    booleans = next(f for f in described if f.field == "c")
    assert booleans.kind == "values"  # true/false are not numbers
