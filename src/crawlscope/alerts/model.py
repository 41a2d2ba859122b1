"""What an alert rule is, and the states and records an alert goes through.

Nothing here touches the store, the clock or the event loop: the same values serve rule
files, the API, the command line, the evaluator and the store. Names follow
Alertmanager's where the idea is the same (pending, firing, resolved, silences,
inhibition, group wait/interval, repeat interval), so people who know it know these.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

__all__ = [
    "ActionKind",
    "AlertRecord",
    "AlertState",
    "DeliveryAttempt",
    "Grouping",
    "Matcher",
    "Rule",
    "RuleAction",
    "RuleError",
    "Scope",
    "Severity",
    "Silence",
    "SubjectKind",
]


class RuleError(ValueError):
    """A rule (or rule file) that cannot be used; the message names where and why.

    ``where`` is ``file:line`` for rule files, the field name for the API, or the rule's
    name; ``field`` is the rule field at fault when known (``condition``, ``for``...).
    """

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        self.where = where
        self.field = field
        super().__init__(f"{where}: {message}" if where else message)


class Severity(enum.StrEnum):
    """How bad: a firing ``critical`` alert inhibits ``warning`` and ``info`` alerts of the
    same run or site."""

    __hash__ = str.__hash__

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical."""
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlertState(enum.StrEnum):
    """Alertmanager's life of an alert: inactive -> pending (for ``for``) -> firing ->
    resolved. An inactive alert is not stored; a resolved one is history."""

    __hash__ = str.__hash__

    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class SubjectKind(enum.StrEnum):
    """What one alert of a rule is about: each subject of the kind is evaluated apart.

    ``run``: every active run (and a run in the minute after it ended, so rules on its
    outcome see it); ``site``: every site of every active run; ``worker``: every worker of
    every active run; ``schedule``: every enabled schedule; ``system``: the server's host.
    """

    __hash__ = str.__hash__

    RUN = "run"
    SITE = "site"
    WORKER = "worker"
    SCHEDULE = "schedule"
    SYSTEM = "system"


class ActionKind(enum.StrEnum):
    """What a firing rule may do to the run it fired on."""

    __hash__ = str.__hash__

    PAUSE = "pause"
    CANCEL = "cancel"
    OPEN_BREAKER = "open_breaker"
    """Open the circuit breaker of the alert's site for ``duration_s``."""
    LOWER_CONCURRENCY = "lower_concurrency"
    """Set the concurrency of the alert's site to ``concurrency``."""


class RuleAction(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One action of a rule, taken once when its alert starts firing."""

    kind: ActionKind
    duration_s: float | None = None
    concurrency: int | None = None


class Scope(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Which subjects a rule looks at: only this collection, site or schedule (each
    optional; all given must match)."""

    collection: str | None = None
    site: str | None = None
    schedule: str | None = None


class Grouping(msgspec.Struct, frozen=True, kw_only=True):
    """How firing alerts are batched into notifications (Alertmanager's route settings).

    Alerts with equal values of the ``by`` labels form one group, sent as one
    notification: first after ``group_wait``, then at most every ``group_interval`` when
    the group changed, and again every ``repeat_interval`` while it keeps firing.
    """

    by: tuple[str, ...] = ("rule", "collection")
    group_wait_s: float = 10.0
    group_interval_s: float = 60.0
    repeat_interval_s: float = 4 * 3600.0


class Rule(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An alert rule: when ``condition`` holds for ``for_s`` seconds on a subject, an alert
    of ``severity`` fires, is sent to ``channels`` and takes ``actions``.

    ``condition`` (and the optional ``value``, the number shown next to the rule) are CEL
    expressions over the variables of ``subject`` (docs/alerts.md). ``summary`` is a
    template: ``{{ run.collection }}`` is replaced by that variable's value.
    """

    name: str
    condition: str
    subject: SubjectKind = SubjectKind.RUN
    for_s: float = 0.0
    severity: Severity = Severity.WARNING
    scope: Scope = Scope()
    labels: dict[str, str] = {}
    summary: str = ""
    description: str = ""
    value: str | None = None
    channels: tuple[str, ...] = ()
    actions: tuple[RuleAction, ...] = ()
    enabled: bool = True
    builtin: bool = False
    source: str = "api"
    """Where the rule was defined: ``builtin``, ``file:line`` of a rule file, or ``api``
    (the dashboard or the API; such rules keep their history in the database)."""


class Matcher(msgspec.Struct, frozen=True, kw_only=True):
    """One label matcher of a silence: ``label = value`` (or ``!=``, ``=~``, ``!~``)."""

    label: str
    value: str
    op: str = "="


class Silence(msgspec.Struct, kw_only=True):
    """Holds back notifications of every alert whose labels match all ``matchers`` until
    ``ends_at`` (alerts still change state and show, marked silenced)."""

    id: str
    matchers: list[Matcher]
    starts_at: str
    ends_at: str
    created_by: str | None = None
    comment: str = ""
    expired_at: str | None = None
    """Set when the silence was ended early."""


class AlertRecord(msgspec.Struct, kw_only=True):
    """One alert: a rule on one subject, through its states (what the API lists)."""

    id: str
    rule: str
    fingerprint: str
    """The rule's name plus the subject's labels, hashed: one alert per rule and subject
    at a time."""
    state: AlertState
    severity: Severity
    labels: dict[str, str]
    summary: str = ""
    value: float | None = None
    pending_since: str | None = None
    fired_at: str | None = None
    resolved_at: str | None = None
    updated_at: str | None = None
    silenced_by: str | None = None
    inhibited_by: str | None = None
    run_id: str | None = None
    extra: dict[str, Any] = {}


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One attempt to send one notification to one channel: delivered, or failed and why."""

    notification_key: str
    status: str
    """The notification's: ``firing``, ``resolved`` or ``test``."""
    channel: str
    url: str
    """The channel's URL with its secrets hidden."""
    attempt: int
    """1 for the first try."""
    delivered: bool
    error: str | None
    """Why it failed (Apprise's reason, a timeout, a cancellation); None when delivered."""
    at: str
    """When the attempt ended: ISO 8601 UTC with milliseconds and ``Z``."""
