"""Creating and migrating a database from several processes at once."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from crawlscope.store import Database

_OPEN = """
import asyncio, sys
from crawlscope.store import Database

async def main() -> None:
    database = Database(sys.argv[1])
    await database.open()
    print(await database.migrations_current())
    await database.close()

asyncio.run(main())
"""


async def test_processes_racing_to_create_one_file_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _OPEN,
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(5)
    ]
    results = [await p.communicate() for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == "True"
    database = Database(str(path))
    await database.open()
    try:
        assert await database.migrations_current()
    finally:
        await database.close()
