"""``crawlscope alerts ...``: rule files checked offline with file and line; silences,
rules and alerts through a real server, as real subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(PYTHONPATH=str(REPO / "src"), NO_COLOR="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "crawlscope.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(_cli, *args)


GOOD = """\
channels:
  hook: "json://127.0.0.1:9/alerts"
rules:
  - name: errors
    condition: run.errors > 10
    channels: [hook]
"""


def test_check_accepts_good_files_and_names_file_and_line_of_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    done = _cli("alerts", "check", str(good))
    assert done.returncode == 0, done.stderr
    assert "1 rules and 1 channels in 1 file(s): OK" in done.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("run.errors > 10", "run.erors > 10"))
    done = _cli("alerts", "check", str(bad))
    assert done.returncode == 1
    assert f"{bad}:4" in done.stderr
    assert "unknown variable run.erors" in done.stderr


async def test_silences_rules_and_alerts_through_the_server(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(GOOD)
    settings = Settings(database_url=str(tmp_path / "s.db"), alert_rules=[str(rules)])
    async with serve_in_loop(create_app(settings)) as url:
        done = await _run(
            "alerts",
            "silence",
            "add",
            "collection=shop",
            "--for",
            "2h",
            "--comment",
            "maintenance",
            "--server",
            url,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("silence ")
        silence_id = done.stdout.split()[1]

        listed = await _run("alerts", "silence", "list", "--json", "--server", url)
        [silence] = json.loads(listed.stdout)["silences"]
        assert silence["id"] == silence_id
        assert silence["matchers"] == [{"label": "collection", "value": "shop", "op": "="}]
        assert silence["comment"] == "maintenance"

        ended = await _run("alerts", "silence", "expire", silence_id, "--server", url)
        assert ended.returncode == 0, ended.stderr
        listed = await _run("alerts", "silence", "list", "--json", "--server", url)
        assert json.loads(listed.stdout)["silences"][0]["expired_at"] is not None

        bad = await _run("alerts", "silence", "add", "collection", "--server", url)
        assert bad.returncode == 1
        assert "label=value" in bad.stderr

        shown = await _run("alerts", "rules", "--server", url)
        assert shown.returncode == 0, shown.stderr
        assert "errors" in shown.stdout
        assert "run_failed" in shown.stdout

        alerts = await _run("alerts", "list", "--server", url)
        assert alerts.returncode == 0, alerts.stderr
        assert alerts.stdout.strip() == "no alerts"

        test = await _run("alerts", "test", "--server", url)
        assert test.returncode == 2
        assert "--channel" in test.stderr
