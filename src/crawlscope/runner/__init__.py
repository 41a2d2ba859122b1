"""The runner: phases, workers, site policies, the task context and the data pipeline."""

from crawlscope.runner.aiohttp_transport import AiohttpTransport
from crawlscope.runner.auto_pause import AutoPause
from crawlscope.runner.breaker import BreakerState, CircuitBreaker
from crawlscope.runner.collection import Collection, Phase
from crawlscope.runner.context import TaskContext
from crawlscope.runner.errors import ConfigError, ParseError, RequestFailed, RobotsDisallowed
from crawlscope.runner.http import HttpClient, Response
from crawlscope.runner.links import LinkError
from crawlscope.runner.outcome import OutcomeRules
from crawlscope.runner.policy import SitePolicy
from crawlscope.runner.reporter import ControlSource, ItemSink, Reporter
from crawlscope.runner.run import Run, new_run_id
from crawlscope.runner.task import Task
from crawlscope.runner.transport import Outcome, Transport

__all__ = [
    "AiohttpTransport",
    "AutoPause",
    "BreakerState",
    "CircuitBreaker",
    "Collection",
    "ConfigError",
    "ControlSource",
    "HttpClient",
    "ItemSink",
    "LinkError",
    "Outcome",
    "OutcomeRules",
    "ParseError",
    "Phase",
    "Reporter",
    "RequestFailed",
    "Response",
    "RobotsDisallowed",
    "Run",
    "SitePolicy",
    "Task",
    "TaskContext",
    "Transport",
    "new_run_id",
]
