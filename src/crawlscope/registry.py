"""Collections a server can start by name (``POST /api/runs``, the dashboard's start form)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from crawlscope.runner import Collection, ConfigError

__all__ = [
    "CollectionInfo",
    "CollectionRegistry",
    "InvalidParams",
    "PhaseInfo",
    "RegisteredCollection",
    "UnknownCollection",
]

MAX_PARAMS_BYTES = 64 * 1024
"""Parameters are stored with the run; a start request's params encode to at most this."""

# msgspec puts the location at the end of its messages: "... - at `$.a.b[0]`".
_AT = re.compile(r"\s+- at `\$(?P<path>[^`]*)`$")
# ... and names the field in "missing required field `x`" / "unknown field `x`".
_NAMED = re.compile(r"(?:missing required|contains unknown) field `(?P<name>[^`]+)`")


class UnknownCollection(KeyError):
    """No collection is registered under that name."""

    def __str__(self) -> str:
        # KeyError's str() quotes its argument; this one is a sentence for the user.
        return str(self.args[0]) if self.args else "unknown collection"


class InvalidParams(ConfigError):
    """Run parameters (or the worker count) do not fit the collection.

    ``field`` locates the culprit as the API reports it: ``params.max_categories``,
    ``params.filters[2]``, ``params`` (the object as a whole) or ``workers``.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class PhaseInfo(msgspec.Struct, kw_only=True):
    """A phase of a registered collection and its default worker count."""

    name: str
    workers: int


class CollectionInfo(msgspec.Struct, kw_only=True):
    """What ``GET /api/collections`` shows about one registered collection."""

    name: str
    description: str = ""
    phases: list[PhaseInfo] = []
    params_schema: dict[str, Any] | None = None
    defaults: dict[str, Any] = {}


def _params_field(message: str, params_type: type[msgspec.Struct] | None) -> tuple[str, str]:
    """Split a msgspec validation message into (field path, message without location)."""
    path = ""
    at = _AT.search(message)
    if at:
        path = at.group("path")
        message = message[: at.start()]
    named = _NAMED.search(message)
    if named:
        path += f".{named.group('name')}"
    elif not path and params_type is not None:
        # Errors raised in __post_init__ carry no location; ours start with the field name.
        first = message.split(" ", 1)[0]
        if first in params_type.__struct_fields__:
            path = f".{first}"
    return f"params{path}", message


@dataclass(frozen=True)
class RegisteredCollection:
    """A collection plus what a server fills in when it is started by name.

    ``defaults`` are parameters used when the request leaves them out (the demo's
    ``base_url`` points at the demo site this server started).
    """

    collection: Collection
    description: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The collection's name."""
        return self.collection.name

    def params_schema(self) -> dict[str, Any] | None:
        """JSON Schema of the collection's parameters, if it declares them.

        The top-level object is inlined (msgspec puts it under ``$defs``), so a form can
        read ``properties`` directly; nested types stay under ``$defs``.
        """
        params = self.collection.params
        if params is None:
            return None
        schema: dict[str, Any] = msgspec.json.schema(params)
        defs: dict[str, Any] = schema.get("$defs", {})
        top = defs.pop(params.__name__, None)
        if top is None or schema.get("$ref") != f"#/$defs/{params.__name__}":
            return schema
        if defs:
            top["$defs"] = defs
        return dict(top)

    def check_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The defaults overlaid with ``params``, validated; ``InvalidParams`` names the field."""
        given = dict(params or {})
        try:
            size = len(msgspec.json.encode(given))
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidParams(f"params cannot be stored as JSON: {exc}", "params") from exc
        if size > MAX_PARAMS_BYTES:
            raise InvalidParams(
                f"params encode to {size:,} bytes; at most {MAX_PARAMS_BYTES:,} are allowed",
                "params",
            )
        merged = {**self.defaults, **given}
        params_type = self.collection.params
        if params_type is None:
            return merged
        try:
            value = msgspec.convert(merged, params_type, strict=False)
        except msgspec.ValidationError as exc:
            path, message = _params_field(str(exc), params_type)
            raise InvalidParams(f"{path}: {message}", path) from exc
        result: dict[str, Any] = msgspec.to_builtins(value)
        return result

    def prepared(self, workers: int | None = None) -> Collection:
        """The collection to run: with ``workers`` per phase if given (validated)."""
        if workers is None:
            return self.collection
        try:
            return self.collection.with_workers(workers)
        except ConfigError as exc:
            raise InvalidParams(str(exc), "workers") from exc

    def info(self) -> CollectionInfo:
        """The public description (``GET /api/collections``)."""
        return CollectionInfo(
            name=self.name,
            description=self.description,
            phases=[PhaseInfo(name=p.name, workers=p.workers) for p in self.collection.phases],
            params_schema=self.params_schema(),
            defaults=dict(self.defaults),
        )


class CollectionRegistry:
    """Name -> collection. Registration validates the collection at once."""

    def __init__(self) -> None:
        self._entries: dict[str, RegisteredCollection] = {}

    def register(
        self,
        collection: Collection,
        *,
        description: str = "",
        defaults: Mapping[str, Any] | None = None,
    ) -> RegisteredCollection:
        """Add (or replace) ``collection`` under its name."""
        collection.validate()
        entry = RegisteredCollection(collection, description, dict(defaults or {}))
        self._entries[collection.name] = entry
        return entry

    def get(self, name: str) -> RegisteredCollection:
        """The entry for ``name``; ``UnknownCollection`` names the known ones."""
        entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(sorted(self._entries)) or "none"
            shown = name if len(name) <= 100 else name[:100] + "…"
            raise UnknownCollection(f"no collection named {shown!r} (registered: {known})")
        return entry

    def __iter__(self) -> Iterator[RegisteredCollection]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries
