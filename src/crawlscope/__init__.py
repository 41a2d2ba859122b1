"""crawlscope: run parallel data-collection jobs and watch every worker live.

The names a collector author needs are importable from here::

    from crawlscope import Collection, Task, TaskContext, SitePolicy, Monitor
"""

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType
from crawlscope.monitor import Monitor
from crawlscope.runner import (
    Collection,
    ConfigError,
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
    "Collection",
    "ConfigError",
    "ErrorStage",
    "ErrorType",
    "Monitor",
    "ParseError",
    "RequestFailed",
    "Run",
    "SitePolicy",
    "Task",
    "TaskContext",
    "__version__",
]
