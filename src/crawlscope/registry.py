"""Collections a server can start by name (``POST /api/runs``, the dashboard's start form)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from crawlscope.runner import Collection

__all__ = ["CollectionRegistry", "RegisteredCollection", "UnknownCollection"]


class UnknownCollection(KeyError):
    """No collection is registered under that name."""


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
        """JSON Schema of the collection's parameters, if it declares them."""
        if self.collection.params is None:
            return None
        schema: dict[str, Any] = msgspec.json.schema(self.collection.params)
        return schema


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
            raise UnknownCollection(f"no collection named {name!r} (registered: {known})")
        return entry

    def __iter__(self) -> Any:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)
