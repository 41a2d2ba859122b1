"""What is wrong with storage, in words an operator can act on.

Writes fail for a handful of reasons that need different fixes: the disk is full, the
database (or its folder, or the file system) became read-only, the file was deleted or
replaced, the database server cannot be reached, another process holds the lock. The
recorder keeps the last failure; ``storage_status`` names its cause, which readiness,
``/api/health/services``, the ``system`` stream message and the ingest 503 all repeat.
"""

from __future__ import annotations

import errno
from typing import Final, Literal

import msgspec
import sqlalchemy as sa

__all__ = ["Cause", "StorageStatus", "classify"]

Cause = Literal[
    "disk_full", "read_only", "file_gone", "file_replaced", "unreachable", "locked", "error"
]

_ADVICE: Final[dict[str, str]] = {
    "disk_full": "free space on the database's disk",
    "read_only": "make the database file and its folder writable again",
    "file_gone": "restore the database file (the server never creates a new one under itself)",
    "file_replaced": "put the original database file back, or restart the server",
    "unreachable": "check that the database server is up and reachable",
    "locked": "another process holds the database's write lock",
    "error": "see the server log",
}


class StorageStatus(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Whether events can be stored now, and if not why (``GET /api/health/services``,
    ``/readyz``, the dashboard's banner)."""

    ok: bool
    unstored: int = 0
    """Events received and kept in memory, waiting to be stored."""
    cause: Cause | None = None
    message: str | None = None
    advice: str | None = None
    failing_for_s: float | None = None

    @classmethod
    def failing(
        cls, cause: Cause, message: str, *, unstored: int, failing_for_s: float | None
    ) -> StorageStatus:
        """A failure with the operator's next step for its cause."""
        return cls(
            ok=False,
            unstored=unstored,
            cause=cause,
            message=message,
            advice=_ADVICE[cause],
            failing_for_s=None if failing_for_s is None else round(failing_for_s, 1),
        )

    def sentence(self) -> str:
        """One line for logs and error bodies: ``disk_full: database or disk is full``."""
        if self.ok:
            return "storage works"
        return f"{self.cause}: {self.message}"


_TEXTS: Final[list[tuple[tuple[str, ...], Cause]]] = [
    (("disk is full", "no space left", "disk full", "file too large"), "disk_full"),
    (("was deleted", "no such file"), "file_gone"),
    (("readonly database", "read-only", "read only", "permission denied"), "read_only"),
    (("was replaced",), "file_replaced"),
    (("database is locked", "database table is locked"), "locked"),
    (("connection refused", "connect call failed", "could not connect"), "unreachable"),
]
_ERRNOS: Final[dict[int, Cause]] = {
    errno.ENOSPC: "disk_full",
    errno.EFBIG: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
    errno.ENOENT: "file_gone",
    errno.ECONNREFUSED: "unreachable",
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "unreachable",
    errno.ETIMEDOUT: "unreachable",
}


def classify(exc: BaseException) -> tuple[Cause, str]:
    """The cause of a failed write and a one-line message."""
    inner: BaseException = exc
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        inner = exc.orig
    message = str(inner).strip().splitlines()[0] if str(inner).strip() else repr(inner)
    cause = getattr(exc, "cause", None)  # EventWriterError and friends may know already
    if cause in _ADVICE:
        return cause, message
    if isinstance(inner, OSError) and inner.errno in _ERRNOS:
        return _ERRNOS[inner.errno], message
    lowered = message.lower()
    for needles, found in _TEXTS:
        if any(needle in lowered for needle in needles):
            return found, message
    if isinstance(inner, ConnectionError | TimeoutError):
        return "unreachable", message
    return "error", message
