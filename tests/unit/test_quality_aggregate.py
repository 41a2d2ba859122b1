"""Live data quality folded into the run's frame (aggregate/quality.py): declared fields in
order from ``run_started``, batch counts from ``uploading``, nothing else read."""

from __future__ import annotations

from typing import Any

import msgspec

from crawlscope.aggregate import FieldQuality, QualityCard, RunAggregate, RunFrame
from crawlscope.events import Action, ActivityEvent, decode_events, encode_events


def _ev(action: str, **fields: Any) -> ActivityEvent:
    return ActivityEvent(run_id="r", action=Action(action), worker_id=0, **fields)


def _batch(worker: int, count: int, quality: dict[str, Any] | None) -> ActivityEvent:
    extra: dict[str, Any] = {"dataset": "d"}
    if quality is not None:
        extra["quality"] = quality
    return _ev(
        "uploading",
        source_worker_id=worker,
        items_count=count,
        operation_type="item_batch",
        extra=extra,
    )


def _script() -> list[ActivityEvent]:
    return [
        _ev(
            "run_started",
            extra={
                "collection": "c",
                "dataset": "d",
                "quality": {"fields": ["name", "price", "stock"], "schema": "msgspec"},
            },
        ),
        _batch(
            1,
            4,
            {
                "checked": 4,
                "invalid": 1,
                "present": {"name": 4, "price": 3, "stock": 0},
                "errors": {"price": 1},
            },
        ),
        _batch(
            2,
            6,
            {
                "checked": 6,
                "invalid": 3,
                "present": {"name": 5, "price": 6, "stock": 1},
                "errors": {"price": 2, "$": 1},
            },
        ),
        _ev("inserted", source_worker_id=1, items_count=4, new_count=4),
    ]


def _fold(events: list[ActivityEvent]) -> RunFrame:
    aggregate = RunAggregate("r")
    for seq, event in enumerate(events, 1):
        event.seq = seq
        aggregate.apply(event)
    return aggregate.frame()


def test_batches_fold_into_the_quality_card() -> None:
    frame = _fold(_script())
    assert frame.totals.items_found == 10
    assert frame.quality == QualityCard(
        checked=10,
        invalid=4,
        schema="msgspec",
        fields=[
            FieldQuality(field="name", present=9, coverage=0.9, errors=0),
            FieldQuality(field="price", present=9, coverage=0.9, errors=3),
            FieldQuality(field="stock", present=1, coverage=0.1, errors=0),
        ],
        other_errors=1,
    )


def test_declared_fields_show_before_any_item_in_declared_order() -> None:
    frame = _fold(_script()[:1])
    assert frame.quality is not None
    assert [(f.field, f.present, f.coverage) for f in frame.quality.fields] == [
        ("name", 0, 0.0),
        ("price", 0, 0.0),
        ("stock", 0, 0.0),
    ]
    assert frame.quality.checked == 0


def test_no_schema_no_card() -> None:
    events = [_ev("run_started", extra={"collection": "c", "dataset": "d"}), _batch(1, 3, None)]
    frame = _fold(events)
    assert frame.quality is None
    assert msgspec.json.decode(msgspec.json.encode(frame))["quality"] is None


def test_the_card_is_rebuilt_from_stored_events_and_survives_the_stored_frame() -> None:
    live = _fold(_script())
    # Stored events are encoded and decoded (a restart, or a remote runner's ingest).
    rebuilt = _fold(decode_events(encode_events(_script())))
    assert rebuilt.quality == live.quality
    # The frame stored on the run's row keeps the card (ended runs show it).
    stored = msgspec.json.decode(msgspec.json.encode(live), type=RunFrame)
    assert stored.quality == live.quality
    # A frame stored before quality existed reads as no card.
    legacy = msgspec.json.decode(b'{"run_id": "old"}', type=RunFrame)
    assert legacy.quality is None


def test_fields_a_batch_names_without_declaring_them_are_shown_after_the_declared_ones() -> None:
    events = [
        _ev("run_started", extra={"quality": {"fields": ["a"]}}),
        _batch(1, 2, {"checked": 2, "invalid": 0, "present": {"b": 1, "a": 2}, "errors": {}}),
    ]
    frame = _fold(events)
    assert frame.quality is not None
    assert [(f.field, f.coverage) for f in frame.quality.fields] == [("a", 1.0), ("b", 0.5)]
