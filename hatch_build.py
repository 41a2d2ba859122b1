"""Build hook: no wheel without the dashboard.

The dashboard (frontend/, React + Vite) is built by ``make dashboard`` into the git-ignored
``src/crawlscope/api/static/``, and the wheel ships it (``artifacts`` in pyproject.toml). A
wheel built before that step would install a server whose every page says the dashboard is
not built, so the build stops here instead. Editable installs (``pip install -e .``, what
the Makefile does before building the dashboard) read the source tree and are let through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DASHBOARD = Path("src/crawlscope/api/static/index.html")


class DashboardBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if not (Path(self.root) / DASHBOARD).is_file():
            raise RuntimeError(
                f"the dashboard is not built: {DASHBOARD} is missing. Run `make dashboard` "
                "(needs Node 20+ and npm) before building a wheel, so the wheel ships it."
            )
