"""Distributed work: a run's tasks on Redis Streams consumer groups, taken by
``crawlscope worker`` processes on any machine (see docs/architecture.md, "Distributed
workers").

The run's own process (the *coordinator*, a server or ``crawlscope run``) keeps what it
kept before: the queues' dedupe and numbering, the frontier, the progress, the outcome,
the dataset and the event numbering. Only the handlers move: ``RedisWorkQueue`` sends
each task to the phase's stream and applies each task's result once; ``WorkerProcess``
runs handlers under site limits shared through Redis (``SharedSiteRegistry``).
"""

from crawlscope.workqueue.dispatcher import RedisWorkQueue
from crawlscope.workqueue.worker import WorkerProcess

__all__ = ["RedisWorkQueue", "WorkerProcess"]
