"""Bodies and answers of the alert endpoints (``routers/alerts.py``)."""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from crawlscope.alerts.model import AlertRecord, DeliveryAttempt, Rule, Silence

__all__ = [
    "AlertCounts",
    "AlertList",
    "ChannelInfo",
    "ChannelList",
    "DeliveryList",
    "RuleBody",
    "RuleInfo",
    "RuleList",
    "SilenceBody",
    "SilenceList",
    "TestBody",
    "TimelineEntry",
    "TimelineList",
    "VariableInfo",
    "VariableList",
]


class RuleBody(BaseModel):
    """A rule as the API takes it: the fields of a rule file's entry (docs/alerts.md)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=100)
    condition: str = Field(min_length=1, max_length=4000, description="A CEL expression.")
    subject: str | None = Field(
        default=None, description="run, site, worker, schedule or system; inferred if absent."
    )
    for_: str | float | None = Field(
        default=None, alias="for", description="How long the condition must hold: 30s, 5m..."
    )
    severity: str | None = Field(default=None, description="info, warning or critical.")
    scope: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    summary: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=4000)
    value: str | None = Field(default=None, max_length=4000)
    channels: list[str] | None = None
    actions: list[Any] | None = None
    enabled: bool | None = None

    def mapping(self) -> dict[str, Any]:
        """The fields given, as ``parsing.parse_rule`` reads them."""
        return self.model_dump(by_alias=True, exclude_none=True)


class RuleInfo(msgspec.Struct, kw_only=True):
    """A rule in force with how it did at its last evaluation."""

    rule: Rule
    evaluated_at: str | None = None
    subjects: int = 0
    holding: int = 0
    value: float | None = None
    error: str | None = None
    firing: int = 0
    pending: int = 0


class RuleList(msgspec.Struct, kw_only=True):
    """Every rule (built-in, from files, from the API) and the rule files' last error."""

    rules: list[RuleInfo]
    file_error: str | None = None


class AlertCounts(msgspec.Struct, kw_only=True):
    """Open alerts by state (the navigation's badge)."""

    firing: int = 0
    pending: int = 0


class AlertList(msgspec.Struct, kw_only=True):
    """Alerts, open ones first, then history newest first."""

    alerts: list[AlertRecord]
    counts: AlertCounts


class TimelineEntry(msgspec.Struct, kw_only=True):
    """One state change of one alert."""

    alert_id: str
    rule: str
    state: str
    at: str
    value: float | None = None
    summary: str = ""
    labels: dict[str, str] = {}


class TimelineList(msgspec.Struct, kw_only=True):
    """State changes, newest first."""

    entries: list[TimelineEntry]


class SilenceBody(BaseModel):
    """``POST /api/alerts/silences``: matchers and how long (or until when)."""

    model_config = ConfigDict(extra="forbid")

    matchers: list[str] = Field(
        min_length=1, max_length=20, description="label=value, label!=value, label=~regex..."
    )
    duration: str | None = Field(default=None, description="30m, 2h, 1d (default 1h).")
    ends_at: str | None = Field(default=None, description="ISO 8601 end, instead of duration.")
    comment: str = Field(default="", max_length=1000)


class SilenceList(msgspec.Struct, kw_only=True):
    """Silences, newest first."""

    silences: list[Silence]


class ChannelInfo(msgspec.Struct, kw_only=True):
    """A declared channel, its URL with secrets hidden."""

    name: str
    url: str
    send_resolved: bool


class ChannelList(msgspec.Struct, kw_only=True):
    """The channels declared in rule files, and the default ones."""

    channels: list[ChannelInfo]
    default_channels: list[str]


class TestBody(BaseModel):
    """``POST /api/alerts/test``: a declared channel's name, or an Apprise URL."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)


class DeliveryList(msgspec.Struct, kw_only=True):
    """Delivery attempts, newest first."""

    deliveries: list[DeliveryAttempt]


class VariableInfo(msgspec.Struct, kw_only=True):
    """One variable rule conditions may use."""

    name: str
    type: str
    doc: str


class VariableList(msgspec.Struct, kw_only=True):
    """Every variable, as ``root.name``."""

    variables: list[VariableInfo]
