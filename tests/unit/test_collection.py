"""Collection configuration (runner/collection.py): every bad setting is a ConfigError naming it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from crawlscope.demo.collection import DemoParams, demo_collection
from crawlscope.runner import Collection, ConfigError, Run, SitePolicy, Task, TaskContext


async def _handler(ctx: TaskContext, task: Task) -> None:
    return None


def _valid(**overrides: Any) -> Collection:
    settings: dict[str, Any] = {"name": "shop", "dataset": "sellers", "key": "seller_id"}
    collection = Collection(**{**settings, **overrides})
    collection.add_phase("catalog", _handler, workers=2)
    collection.seed(lambda params: [Task("home")])
    return collection


class _NullReporter:
    def emit(self, event: object) -> None:
        raise AssertionError("nothing may be emitted for an invalid run")

    async def open_run(self, *args: object) -> None:
        raise AssertionError("an invalid run must not be opened")

    async def flush(self) -> None:
        return None


def test_a_valid_collection_passes() -> None:
    collection = _valid()
    collection.validate()
    assert collection.phase_names == ["catalog"]


def test_phase_decorator_keeps_declaration_order() -> None:
    collection = Collection("c")

    @collection.phase("one", workers=3)
    async def one(ctx: TaskContext, task: Task) -> None:
        return None

    @collection.phase("two")
    async def two(ctx: TaskContext, task: Task) -> None:
        return None

    collection.seed(lambda params: [])
    collection.validate()
    assert [(p.name, p.workers) for p in collection.phases] == [("one", 3), ("two", 5)]


def _no_phases() -> Collection:
    collection = Collection("c")
    collection.seed(lambda params: [])
    return collection


def _twice() -> Collection:
    collection = _valid()
    collection.add_phase("catalog", _handler)
    return collection


def _sync_handler() -> Collection:
    collection = _valid()
    collection.add_phase("sync", lambda ctx, task: None)  # type: ignore[arg-type,return-value]
    return collection


def _no_seed() -> Collection:
    collection = Collection("c")
    collection.add_phase("p", _handler)
    return collection


def _workers(value: object) -> Callable[[], Collection]:
    def make() -> Collection:
        collection = Collection("c")
        collection.add_phase("p", _handler, workers=value)  # type: ignore[arg-type]
        collection.seed(lambda params: [])
        return collection

    return make


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: _valid(name="bad/name"), "collection name"),
        (lambda: _valid(name=""), "collection name"),
        (_no_phases, "no phases"),
        (_twice, "'catalog' is declared twice"),
        (_sync_handler, "handler of phase 'sync'"),
        (_no_seed, "no seed"),
        (_workers(0), "workers of phase 'p'"),
        (_workers(1001), "workers of phase 'p'"),
        (_workers(2.5), "workers of phase 'p'"),
        (_workers(True), "workers of phase 'p'"),
        (lambda: _valid(key=None), "dataset and key"),
        (lambda: _valid(site_policy={"timeout": 1}), "site_policy"),
        (lambda: _valid(sites={"example.com": {"timeout": 1}}), "sites['example.com']"),
        (lambda: _valid(max_consecutive_failures=-1), "max_consecutive_failures"),
        (lambda: _valid(max_consecutive_failures=2.0), "max_consecutive_failures"),
        (lambda: _valid(task_attempts=0), "task_attempts"),
        (lambda: _valid(task_retry_delay=-1), "task_retry_delay"),
        (lambda: _valid(task_retry_delay="1"), "task_retry_delay"),
        (lambda: _valid(retry_handler_errors=1), "retry_handler_errors"),
        (lambda: _valid(outcome={"fail_above_share": 0.5}), "outcome must be an OutcomeRules"),
    ],
)
def test_invalid_collection_names_the_setting(make: Callable[[], Collection], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        make().validate()
    assert named in str(info.value)


def test_bad_phase_name_is_named() -> None:
    collection = Collection("c")
    collection.add_phase("bad/phase", _handler)
    collection.seed(lambda params: [])
    with pytest.raises(ConfigError, match="phase name 'bad/phase'"):
        collection.validate()


def test_with_workers_validates() -> None:
    collection = _valid()
    assert collection.with_workers(7).phases[0].workers == 7
    assert collection.phases[0].workers == 2  # a copy, the original is unchanged
    with pytest.raises(ConfigError, match="workers of phase 'catalog'"):
        collection.with_workers(0, phase="catalog")
    with pytest.raises(ConfigError, match="unknown phase 'nope'"):
        collection.with_workers(3, phase="nope")


def test_a_run_validates_before_anything_is_reported() -> None:
    collection = _valid(task_attempts=0)
    with pytest.raises(ConfigError, match="task_attempts"):
        Run(collection, _NullReporter())


def test_params_are_validated_and_errors_name_the_field() -> None:
    collection = demo_collection()
    assert collection.check_params({"base_url": "http://127.0.0.1:8001"}) == {
        "base_url": "http://127.0.0.1:8001",
        "max_categories": None,
    }
    with pytest.raises(ConfigError, match=r"base_url"):
        collection.check_params({"base_url": "http://example.com"})
    with pytest.raises(ConfigError, match=r"\$\.base_url"):
        collection.check_params({"base_url": 5})
    with pytest.raises(ConfigError, match=r"max_categories"):
        collection.check_params({"base_url": "http://127.0.0.1:1", "max_categories": 0})
    with pytest.raises(ConfigError, match=r"base_url"):
        collection.check_params({})
    with pytest.raises(ConfigError, match=r"surprise"):
        collection.check_params({"base_url": "http://127.0.0.1:1", "surprise": 1})


def test_invalid_run_params_fail_at_run_creation() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        Run(demo_collection(), _NullReporter(), params={"base_url": "ftp://127.0.0.1"})


def test_key_of_reads_a_field_or_calls_a_function() -> None:
    assert _valid().key_of({"seller_id": 12}) == "12"
    by_fn = _valid(key=lambda item: f"{item['a']}-{item['b']}")
    assert by_fn.key_of({"a": 1, "b": 2}) == "1-2"
    with pytest.raises(KeyError):
        _valid().key_of({"name": "no id"})
    with pytest.raises(KeyError):
        _valid().key_of({"seller_id": ""})


def test_dataset_without_sink_is_refused() -> None:
    with pytest.raises(ValueError, match="no sink"):
        Run(_valid(), _NullReporter())


def test_demo_params_struct_is_strict() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"base_url": "http://10.0.0.1"}, DemoParams)


def test_site_policy_overrides_must_be_policies() -> None:
    collection = _valid(sites={"127.0.0.1": SitePolicy(timeout=1.0)})
    collection.validate()


def test_a_run_refuses_an_unknown_on_auto_pause() -> None:
    collection = _valid(dataset=None, key=None)
    with pytest.raises(ConfigError, match="on_auto_pause must be one of 'return', 'wait'"):
        Run(collection, _NullReporter(), on_auto_pause="ignore")
    assert Run(collection, _NullReporter()).on_auto_pause == "return"
    assert Run(collection, _NullReporter(), on_auto_pause="wait").on_auto_pause == "wait"
