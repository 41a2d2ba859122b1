"""The collection registry: lookup, parameter validation with field paths, descriptions."""

from __future__ import annotations

import msgspec
import pytest

from crawlscope.registry import (
    MAX_PARAMS_BYTES,
    CollectionRegistry,
    InvalidParams,
    UnknownCollection,
)
from crawlscope.runner import Collection, ConfigError, Task, TaskContext


class Window(msgspec.Struct, forbid_unknown_fields=True):
    start: int
    end: int


class ShopParams(msgspec.Struct, forbid_unknown_fields=True):
    base_url: str
    pages: int = 3
    tags: list[str] = []
    window: Window | None = None

    def __post_init__(self) -> None:
        if self.pages > 100:
            raise ValueError("pages must be at most 100")
        if not self.base_url.startswith("http"):
            raise ValueError("base_url must be an http URL")


async def _handle(ctx: TaskContext, task: Task) -> None:
    return None


def _collection(name: str = "shop", params: type[msgspec.Struct] | None = ShopParams) -> Collection:
    collection = Collection(name, params=params)
    collection.seed(lambda params: [Task("home")])
    collection.add_phase("catalog", _handle, workers=4)
    collection.add_phase("details", _handle, workers=2)
    return collection


@pytest.fixture
def registry() -> CollectionRegistry:
    reg = CollectionRegistry()
    reg.register(_collection(), description="A shop", defaults={"base_url": "http://127.0.0.1:1"})
    reg.register(_collection("free", params=None))
    return reg


def test_register_validates_the_collection() -> None:
    broken = Collection("broken")  # no phases, no seed
    with pytest.raises(ConfigError, match="no phases"):
        CollectionRegistry().register(broken)


def test_unknown_collection_names_the_registered_ones(registry: CollectionRegistry) -> None:
    with pytest.raises(UnknownCollection) as info:
        registry.get("nope")
    # str() is a sentence, not KeyError's quoted repr
    assert str(info.value) == "no collection named 'nope' (registered: free, shop)"
    assert "shop" in registry
    assert "nope" not in registry
    assert [entry.name for entry in registry] == ["free", "shop"]


def test_unknown_collection_message_stays_short_for_huge_names(
    registry: CollectionRegistry,
) -> None:
    with pytest.raises(UnknownCollection) as info:
        registry.get("x" * 100_000)
    assert len(str(info.value)) < 200


def test_params_overlay_defaults_and_are_converted(registry: CollectionRegistry) -> None:
    entry = registry.get("shop")
    assert entry.check_params(None) == {
        "base_url": "http://127.0.0.1:1",
        "pages": 3,
        "tags": [],
        "window": None,
    }
    got = entry.check_params({"pages": 7, "base_url": "http://127.0.0.1:2", "tags": ["a"]})
    assert got["pages"] == 7
    assert got["base_url"] == "http://127.0.0.1:2"
    assert got["tags"] == ["a"]
    # a collection without a params type takes what it is given, defaults first
    assert registry.get("free").check_params({"x": 1}) == {"x": 1}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"pages": "many"}, "params.pages", "Expected `int`"),
        ({"tags": ["a", 5]}, "params.tags[1]", "Expected `str`"),
        ({"window": {"start": 1}}, "params.window.end", "missing required field"),
        ({"window": {"start": 1, "end": 2, "step": 1}}, "params.window.step", "unknown field"),
        ({"colour": "red"}, "params.colour", "unknown field"),
        ({"pages": 1000}, "params.pages", "at most 100"),
        ({"base_url": "ftp://x"}, "params.base_url", "http URL"),
    ],
)
def test_bad_params_name_the_field(
    registry: CollectionRegistry, params: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidParams) as info:
        registry.get("shop").check_params(params)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert words in str(info.value)
    assert isinstance(info.value, ConfigError)  # callers that catch ConfigError still work


def test_missing_required_param_is_named() -> None:
    reg = CollectionRegistry()
    reg.register(_collection())  # no default for base_url
    with pytest.raises(InvalidParams) as info:
        reg.get("shop").check_params({})
    assert info.value.field == "params.base_url"


def test_oversized_params_are_refused(registry: CollectionRegistry) -> None:
    with pytest.raises(InvalidParams) as info:
        registry.get("free").check_params({"blob": "x" * (MAX_PARAMS_BYTES + 1)})
    assert info.value.field == "params"
    assert "bytes" in str(info.value)


def test_workers_are_validated_and_do_not_change_the_registered_collection(
    registry: CollectionRegistry,
) -> None:
    entry = registry.get("shop")
    three = entry.prepared(3)
    assert [p.workers for p in three.phases] == [3, 3]
    assert [p.workers for p in entry.collection.phases] == [4, 2]
    assert entry.prepared(None) is entry.collection
    for bad in (0, -1, 100_000):
        with pytest.raises(InvalidParams) as info:
            entry.prepared(bad)
        assert info.value.field == "workers"


def test_info_describes_phases_params_and_defaults(registry: CollectionRegistry) -> None:
    info = registry.get("shop").info()
    assert info.name == "shop"
    assert info.description == "A shop"
    assert [(p.name, p.workers) for p in info.phases] == [("catalog", 4), ("details", 2)]
    assert info.defaults == {"base_url": "http://127.0.0.1:1"}
    schema = info.params_schema
    assert schema is not None
    # the top-level object is inlined; nested types stay resolvable under $defs
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"base_url", "pages", "tags", "window"}
    assert schema["required"] == ["base_url"]
    window_ref = schema["properties"]["window"]["anyOf"][0]["$ref"]
    assert window_ref == "#/$defs/Window"
    assert "Window" in schema["$defs"]
    assert registry.get("free").info().params_schema is None
