"""Who is calling: roles and the ``require(role)`` dependency used by every route.

PLACEHOLDER until the access-control work lands: every caller is treated as ``admin``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Principal", "Role", "require"]


class Role(enum.StrEnum):
    """What a token may do (docs/api.md, Access control)."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    INGEST = "ingest"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    name: str
    role: Role


def require(role: Role) -> Callable[[], Principal]:
    """Dependency factory: the caller must hold ``role`` (or one that includes it)."""

    def dependency() -> Principal:
        return Principal("local", Role.ADMIN)

    return dependency
