"""crawlscope: run parallel data-collection jobs and watch every worker live.

The names a collector author needs are importable from here::

    from crawlscope import Collection, Task, TaskContext, SitePolicy, Monitor

An existing asyncio script is watched with ``crawlscope.track`` (docs/integrations/
asyncio.md), a Scrapy project with its add-on (``crawlscope.integrations.scrapy``).

They are loaded on first use (PEP 562): ``import crawlscope`` alone (the command line's
``--help``, ``crawlscope.__version__``) does not pull in the runner, the store, SQLAlchemy,
Alembic and aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType
    from crawlscope.integrations.track import track
    from crawlscope.monitor import Monitor
    from crawlscope.runner import (
        AutoPause,
        Collection,
        ConfigError,
        OutcomeRules,
        ParseError,
        RequestFailed,
        Run,
        SitePolicy,
        Task,
        TaskContext,
    )

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ActivityEvent",
    "AutoPause",
    "Collection",
    "ConfigError",
    "ErrorStage",
    "ErrorType",
    "Monitor",
    "OutcomeRules",
    "ParseError",
    "RequestFailed",
    "Run",
    "SitePolicy",
    "Task",
    "TaskContext",
    "__version__",
    "track",
]

# Public name -> the module that defines it.
_LAZY = {
    "Action": "crawlscope.events",
    "ActivityEvent": "crawlscope.events",
    "ErrorStage": "crawlscope.events",
    "ErrorType": "crawlscope.events",
    "Monitor": "crawlscope.monitor",
    "AutoPause": "crawlscope.runner",
    "Collection": "crawlscope.runner",
    "ConfigError": "crawlscope.runner",
    "OutcomeRules": "crawlscope.runner",
    "ParseError": "crawlscope.runner",
    "RequestFailed": "crawlscope.runner",
    "Run": "crawlscope.runner",
    "SitePolicy": "crawlscope.runner",
    "Task": "crawlscope.runner",
    "TaskContext": "crawlscope.runner",
    "track": "crawlscope.integrations.track",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
