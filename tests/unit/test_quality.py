"""Item schemas and per-batch quality counts (runner/quality.py): each schema kind, field
coverage, error fields, and bad schemas refused as a ConfigError naming the setting."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pydantic
import pytest

from crawlscope.runner import Collection, ConfigError, Task
from crawlscope.runner.quality import ITEM, MAX_QUALITY_FIELDS, compile_quality


class Seller(msgspec.Struct):
    seller_id: int
    name: Annotated[str, msgspec.Meta(min_length=1)]
    country: str | None = None
    rating: Annotated[float, msgspec.Meta(ge=1, le=5)] | None = None


class SellerModel(pydantic.BaseModel):
    seller_id: int
    name: str = pydantic.Field(min_length=1)
    country: str | None = None
    rating: float | None = pydantic.Field(default=None, ge=1, le=5)


SELLER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "seller_id": {"type": "integer"},
        "name": {"type": "string", "minLength": 1},
        "country": {"type": ["string", "null"]},
        "rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
    },
    "required": ["seller_id", "name"],
}


class Offer(msgspec.Struct):
    price: float


class Listing(msgspec.Struct):
    offer: Offer


FIELDS = ("seller_id", "name", "country", "rating")

ITEMS: list[dict[str, Any]] = [
    {"seller_id": 1, "name": "Acme", "country": "DE", "rating": 4.5},  # valid, complete
    {"seller_id": 2, "name": "Bolt", "country": None},  # valid: country null, no rating
    {"seller_id": 3, "name": "", "country": "", "rating": 0},  # name and rating invalid
    {"seller_id": 4, "name": "Kite", "rating": "n/a"},  # rating invalid (present)
    {"name": "Orbit", "country": "FR"},  # seller_id missing
]


@pytest.mark.parametrize(
    ("schema", "kind"),
    [(Seller, "msgspec"), (SellerModel, "pydantic"), (SELLER_SCHEMA, "jsonschema")],
)
def test_each_schema_kind_counts_the_same(schema: object, kind: str) -> None:
    quality = compile_quality(schema, None)
    assert quality is not None
    assert quality.kind == kind
    assert quality.fields == FIELDS  # required and optional, in declared order
    counts = quality.check(ITEMS)
    assert counts.checked == 5
    assert counts.invalid == 3
    # Present = not missing, not null, not "": 0 is a value.
    assert counts.present == {"seller_id": 4, "name": 4, "country": 2, "rating": 3}
    if kind == "msgspec":
        # msgspec stops at an item's first error: item 3 reports only its name.
        assert counts.errors == {"name": 1, "rating": 1, "seller_id": 1}
    else:
        assert counts.errors == {"name": 1, "rating": 2, "seller_id": 1}


def test_quality_fields_choose_and_order_the_fields() -> None:
    quality = compile_quality(SELLER_SCHEMA, ["rating", "seller_id", "rating"])
    assert quality is not None
    assert quality.fields == ("rating", "seller_id")
    counts = quality.check(ITEMS)
    assert counts.present == {"rating": 3, "seller_id": 4}
    # Errors outside the quality fields (name) count under "$".
    assert counts.errors == {"rating": 2, "seller_id": 1, ITEM: 1}


def test_coverage_without_a_schema() -> None:
    quality = compile_quality(None, ["country"])
    assert quality is not None
    assert quality.kind == "none"
    counts = quality.check(ITEMS)
    assert (counts.checked, counts.invalid, counts.present, counts.errors) == (
        5,
        0,
        {"country": 2},
        {},
    )
    assert compile_quality(None, None) is None


def test_errors_about_the_item_as_a_whole_count_under_the_item_key() -> None:
    closed = dict(SELLER_SCHEMA, additionalProperties=False)
    quality = compile_quality(closed, None)
    assert quality is not None
    counts = quality.check([{"seller_id": 1, "name": "x", "extra": True}])
    assert counts.errors == {ITEM: 1}

    class Strict(msgspec.Struct, forbid_unknown_fields=True):
        seller_id: int

    strict = compile_quality(Strict, None)
    assert strict is not None
    assert strict.check([{"seller_id": 1, "extra": 2}]).errors == {ITEM: 1}
    assert strict.check([{}]).errors == {"seller_id": 1}


def test_nested_errors_count_under_their_top_level_field() -> None:
    schema = {
        "type": "object",
        "properties": {
            "offer": {
                "type": "object",
                "properties": {"price": {"type": "number"}},
                "required": ["price"],
            }
        },
    }
    quality = compile_quality(schema, None)
    assert quality is not None
    counts = quality.check([{"offer": {"price": "cheap"}}, {"offer": {}}, {"offer": {"price": 1}}])
    assert counts.errors == {"offer": 2}

    nested = compile_quality(Listing, None)
    assert nested is not None
    assert nested.check([{"offer": {"price": "x"}}, {"offer": {}}]).errors == {"offer": 2}


def test_renamed_and_aliased_fields_are_read_by_their_item_names() -> None:
    class Renamed(msgspec.Struct, rename="camel"):
        seller_id: int

    class Aliased(pydantic.BaseModel):
        seller_id: int = pydantic.Field(alias="sellerId")

    for schema in (Renamed, Aliased):
        quality = compile_quality(schema, None)
        assert quality is not None
        assert quality.fields == ("sellerId",)
        counts = quality.check([{"sellerId": 1}, {"sellerId": "x"}])
        assert (counts.present, counts.errors) == ({"sellerId": 2}, {"sellerId": 1})


def test_json_schema_formats_are_checked() -> None:
    schema = {"type": "object", "properties": {"listed": {"type": "string", "format": "date"}}}
    quality = compile_quality(schema, None)
    assert quality is not None
    counts = quality.check([{"listed": "2026-11-22"}, {"listed": "yesterday"}])
    assert counts.errors == {"listed": 1}


@pytest.mark.parametrize(
    ("schema", "fields", "message"),
    [
        ({"type": "nope"}, None, "item_schema is not a valid JSON Schema"),
        (
            {"properties": {"price": {"minimum": "0"}}},
            None,
            "item_schema is not a valid JSON Schema: '0' is not of type 'number' "
            "(at properties/price/minimum)",
        ),
        (42, None, "item_schema must be a msgspec.Struct type, a pydantic model class"),
        (dict, None, "item_schema must be a msgspec.Struct type"),
        (Seller, "name", "quality_fields must be a list of field names"),
        (Seller, ["name", ""], "quality_fields must be a list of field names"),
        (None, [f"f{i}" for i in range(MAX_QUALITY_FIELDS + 1)], "quality_fields: at most"),
        (None, ["x" * 101], "quality_fields: field names are at most 100 characters"),
    ],
)
def test_bad_schemas_are_refused_when_the_collection_is_created(
    schema: object, fields: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match="^" + _literal(message)):
        Collection(
            "shop", dataset="sellers", key="seller_id", item_schema=schema, quality_fields=fields
        )


def test_a_struct_msgspec_cannot_use_is_refused() -> None:
    class Broken(msgspec.Struct):
        when: Unknown  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ConfigError, match="item_schema: msgspec cannot use Broken: NameError"):
        compile_quality(Broken, None)


def test_a_schema_needs_a_dataset() -> None:
    collection = Collection("shop", item_schema=Seller)

    async def handler(ctx: Any, task: Task) -> None:
        return None

    collection.add_phase("p", handler)
    collection.seed(lambda params: [])
    with pytest.raises(ConfigError, match="item_schema and quality_fields need a dataset"):
        collection.validate()


def test_a_copy_of_a_collection_keeps_its_quality() -> None:
    collection = Collection("shop", dataset="d", key="seller_id", item_schema=Seller)

    async def handler(ctx: Any, task: Task) -> None:
        return None

    collection.add_phase("p", handler)
    copy = collection.with_workers(3)
    assert copy.quality is not None
    assert copy.quality.fields == FIELDS


def _literal(text: str) -> str:
    import re

    return re.escape(text)
