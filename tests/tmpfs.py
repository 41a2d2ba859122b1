"""A small tmpfs the storage fault tests mount, fill up and make read-only (needs root)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fill", "mount", "tmpfs"]


def mount(*args: str) -> None:
    """``mount ARGS``, failing loudly."""
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "8m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` at ``path`` (created), unmounted afterwards.

    Skips, saying why, when it cannot be mounted (not root); fails instead under CI
    (``CRAWLSCOPE_REQUIRE_SERVICES``), where these tests must run.
    """
    path.mkdir(parents=True, exist_ok=True)
    try:
        if os.geteuid() != 0:
            raise PermissionError("mounting a tmpfs needs root")
        mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = getattr(exc, "stderr", None) or str(exc)
        if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES"):
            pytest.fail(f"cannot mount a tmpfs for the storage fault tests: {reason}")
        pytest.skip(f"cannot mount a tmpfs for the storage fault tests: {reason}")
    try:
        yield path
    finally:
        # Lazy, twice: an overmount a test left behind, then the tmpfs itself.
        for _ in range(2):
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(directory: Path) -> Path:
    """Write zeros until the file system is full; the filler file (delete it to free)."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (256 * 1024, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return filler
