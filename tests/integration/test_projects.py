"""Projects: ``crawlscope init``, and every command, the server and library code in a
project using the database its ``crawlscope.toml`` names, wherever in the project they run.

The example collection ``init`` writes crawls the real demo marketplace (run here on
127.0.0.1); the commands run as real subprocesses from a subfolder of the project.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.demo.faults import FaultConfig
from crawlscope.demo.session import DemoSite, running_demo_site
from crawlscope.monitor import Monitor
from crawlscope.project import ProjectError, find_project, load_project
from crawlscope.serving import serve_in_loop

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(PYTHONPATH=str(REPO / "src"), NO_COLOR="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "crawlscope.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
async def site() -> AsyncIterator[DemoSite]:
    async with running_demo_site(scale="tiny", seed=3, faults=FaultConfig.off()) as demo:
        yield demo


@pytest.fixture
def project(tmp_path: Path) -> Path:
    done = _cli("init", "shop", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "crawlscope run shop" in done.stdout
    project = tmp_path / "shop"
    assert sorted(p.name for p in project.iterdir()) == ["alerts", "crawlscope.toml", "shop.py"]
    checked = _cli("alerts", "check", "alerts/rules.yaml", cwd=project)
    assert checked.returncode == 0, checked.stderr
    assert "2 rules and 0 channels" in checked.stdout
    return project


async def test_init_run_from_a_subfolder_and_list_use_the_projects_database(
    project: Path, site: DemoSite
) -> None:
    again = _cli("init", "shop", cwd=project.parent)
    assert again.returncode == 2
    assert "not overwriting" in again.stderr

    deep = project / "notes" / "today"
    deep.mkdir(parents=True)
    done = await asyncio.to_thread(
        _cli, "run", "shop", "--param", f"base_url={site.url}", "--json", cwd=deep
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    database = project / "data" / "crawlscope.db"
    assert summary["database"] == str(database)
    assert f"watch it with `crawlscope serve --db {database}`" in done.stderr
    assert not (deep / "data").exists()  # not a second database where the command ran
    # Two phases: every product of the catalog is an item.
    assert summary["dataset_size"] == len(site.catalog.products)

    listed = _cli("runs", "list", "--json", cwd=project / "notes")
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)] == [summary["run_id"]]
    elsewhere = _cli("--project", str(project), "runs", "list", "--json", cwd=project.parent)
    assert [r["id"] for r in json.loads(elsewhere.stdout)] == [summary["run_id"]]


async def test_the_server_and_monitor_in_a_project_share_its_database_and_collections(
    project: Path,
    site: DemoSite,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    (project / "crawlscope.toml").write_text(
        (project / "crawlscope.toml").read_text().replace("port = 8000", "port = 8123")
    )
    monkeypatch.chdir(project)
    monkeypatch.delenv("CRAWLSCOPE_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.database_url == str(project / "data" / "crawlscope.db")
    assert settings.port == 8123
    monkeypatch.setenv("CRAWLSCOPE_PORT", "9001")
    assert Settings().port == 9001  # the environment wins over the file

    # A script in the project: Monitor() finds the project's database and says where to look.
    monkeypatch.syspath_prepend(str(project))  # as `python script.py` in the project would
    from shop import shop  # the example module, importable from the project folder

    async with Monitor() as monitor:
        run = monitor.new_run(shop, {"base_url": site.url})
        assert await run.execute() == "completed"
    assert f"run {run.run_id} of shop on" in capfd.readouterr().err

    app = create_app(Settings(port=8123))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        names = [c["name"] for c in (await client.get("/api/collections")).json()["collections"]]
        assert "shop" in names
        runs = (await client.get("/api/runs")).json()["runs"]
        assert [r["id"] for r in runs] == [run.run_id]
        started = await client.post(
            "/api/runs", json={"collection": "shop", "params": {"base_url": site.url}}
        )
        assert started.status_code == 201, started.text
        # The project's example alert rules are in force, with their file and line.
        rules = (await client.get("/api/alerts/rules")).json()["rules"]
        sources = {r["rule"]["name"]: r["rule"]["source"] for r in rules}
        assert sources["shop failing"].endswith("alerts/rules.yaml:15")
        assert "shop yield fell" in sources


def test_a_broken_project_file_is_an_error_naming_the_key(tmp_path: Path) -> None:
    file = tmp_path / "crawlscope.toml"
    file.write_text('[project]\nname = "x"\ncollections = ["a:b"]\n')
    with pytest.raises(ProjectError, match=r"project\.collections .*move it above"):
        load_project(file)
    file.write_text('collections = ["nocolon"]\n')
    done = _cli("run", "anything", cwd=tmp_path)
    assert done.returncode == 2
    assert "must look like 'package.module:name'" in done.stderr
    file.write_text("speed = 3\n")
    done = _cli("runs", "list", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown key 'speed'" in done.stderr
    assert "--project" in done.stderr
    with pytest.raises(ProjectError, match="no project file"):
        find_project(tmp_path / "missing")


async def test_the_projects_schedules_are_stored_when_the_server_starts(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = project / "crawlscope.toml"
    text = file.read_text()
    file.write_text(
        text + '\n[[schedules]]\nname = "nightly shop"\ncollection = "shop"\ncron = "0 3 * * *"\n'
        'timezone = "Europe/Berlin"\nparams = { base_url = "http://127.0.0.1:9" }\n'
    )
    monkeypatch.chdir(project)
    monkeypatch.delenv("CRAWLSCOPE_DATABASE_URL", raising=False)
    app = create_app(Settings(scheduler=False))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        listed = (await client.get("/api/schedules")).json()["schedules"]
    assert [(s["name"], s["cron"], s["timezone"], s["source"]) for s in listed] == [
        ("nightly shop", "0 3 * * *", "Europe/Berlin", "file")
    ]

    # Taken out of the file: the next start removes it.
    file.write_text(text)
    app = create_app(Settings(scheduler=False))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        assert (await client.get("/api/schedules")).json()["schedules"] == []

    # A bad entry stops `crawlscope serve` before it listens, naming the field.
    file.write_text(text + '\n[[schedules]]\nname = "x"\ncollection = "shop"\ncron = "nope"\n')
    done = _cli("serve", "--port", "0", cwd=project)
    assert done.returncode == 2
    assert "schedules[0].cron" in done.stderr
