"""The wheel ships the built dashboard, or is not built at all (hatch_build.py).

Each test builds from a copy of the project (pyproject.toml, hatch_build.py, README, src),
with hatchling from the dev environment: no build isolation, no network.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path("src/crawlscope/api/static")


def _project(tmp_path: Path, *, dashboard: bool) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md", ".gitignore"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "static")
    )
    if dashboard:
        (project / STATIC / "assets").mkdir(parents=True)
        (project / STATIC / "index.html").write_text("<!doctype html><title>crawlscope</title>")
        (project / STATIC / "assets" / "index.js").write_text("console.log('dashboard')\n")
    return project


def _build(project: Path, target: str = "wheel") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(project / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_wheel_without_the_dashboard_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, dashboard=False)
    done = _build(project)
    assert done.returncode != 0
    assert "the dashboard is not built" in done.stderr
    assert "make dashboard" in done.stderr
    assert not list((project / "dist").glob("*.whl"))


def test_a_wheel_with_the_dashboard_ships_it(tmp_path: Path) -> None:
    project = _project(tmp_path, dashboard=True)
    done = _build(project)
    assert done.returncode == 0, done.stderr
    (wheel,) = (project / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"crawlscope/api/static/index.html", "crawlscope/api/static/assets/index.js"} <= names
    assert "crawlscope/cli/__init__.py" in names


def test_the_sdist_carries_the_dashboard_for_its_wheel(tmp_path: Path) -> None:
    """``python -m build`` makes the wheel from the sdist: the git-ignored build must be in it."""
    project = _project(tmp_path, dashboard=True)
    done = _build(project, "sdist")
    assert done.returncode == 0, done.stderr
    (sdist,) = (project / "dist").glob("*.tar.gz")
    listing = subprocess.run(
        ["tar", "tzf", str(sdist)], capture_output=True, text=True, check=True
    ).stdout
    assert "crawlscope-0.1.0/src/crawlscope/api/static/index.html" in listing.split()


def test_editable_installs_need_no_dashboard(tmp_path: Path) -> None:
    """``pip install -e .`` (the Makefile, before ``make dashboard``) must keep working.

    Building an editable wheel needs the ``editables`` package, which pip installs in its
    isolated build environment; here the hook is asked directly.
    """
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project = _project(tmp_path, dashboard=False)

    def hook(target: str) -> Any:
        return module.DashboardBuildHook(str(project), {}, None, None, str(tmp_path), target)

    hook("wheel").initialize("editable", {})
    hook("sdist").initialize("standard", {})
    with pytest.raises(RuntimeError, match="make dashboard"):
        hook("wheel").initialize("standard", {})
