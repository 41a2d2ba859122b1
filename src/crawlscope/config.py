"""Settings from ``CRAWLSCOPE_*`` environment variables and the project file (pydantic-settings).

Precedence, highest first: values given in code (command-line options), environment
variables, the project's ``crawlscope.toml`` (``[project] database`` and ``[settings]``,
see ``crawlscope.project``), the defaults. docs/configuration.md lists every setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = ["CostPrices", "Settings"]


class CostPrices(BaseModel):
    """What a collection's runs cost (any currency): per request, per GB received, per
    run-hour (proxies, compute). Analytics turn them into cost per run and per 1,000 items."""

    per_request: float = Field(default=0.0, ge=0)
    per_gb: float = Field(default=0.0, ge=0)
    per_hour: float = Field(default=0.0, ge=0)


class _ProjectSource(PydanticBaseSettingsSource):
    """The settings the project file in effect gives (none outside a project)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._values()

    def _values(self) -> dict[str, Any]:
        from crawlscope.project import find_project

        project = find_project()
        return project.settings_values() if project is not None else {}


class Settings(BaseSettings):
    """Installation-wide settings."""

    model_config = SettingsConfigDict(env_prefix="CRAWLSCOPE_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ProjectSource(settings_cls), dotenv_settings)

    database_url: str = Field(
        default="data/crawlscope.db",
        description="A SQLite file path, or a SQLAlchemy URL (sqlite:///…, postgresql://…).",
    )
    redis_url: str | None = Field(
        default=None,
        description="A redis:// URL: the live event bus goes through Redis Streams, so several "
        "server processes on one database show every run live (needs crawlscope[redis]). "
        "None: the in-process bus.",
    )
    redis_prefix: str = Field(
        default="crawlscope",
        min_length=1,
        description="Prefix of every Redis key (several installations on one Redis).",
    )
    redis_stream_maxlen: int = Field(
        default=10_000,
        ge=100,
        description="The last seqs kept per run stream in Redis (at most one stored batch "
        "more stays): how far back a reconnecting client is served from Redis; older events "
        "come from the database.",
    )
    work_queue: Literal["local", "redis"] = Field(
        default="local",
        description="Where runs started by the server run their tasks: `local`, in the "
        "server's own worker coroutines; `redis`, in `crawlscope worker` processes on any "
        "machine, through Redis Streams (needs redis_url).",
    )
    worker_lease_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="With work_queue `redis`: a task whose worker sent no heartbeat for this "
        "long is taken over by another worker.",
    )

    @field_validator("work_queue")
    @classmethod
    def _work_queue_needs_redis(cls, value: str, info: ValidationInfo) -> str:
        # redis_url is declared first, so it is validated (and in ``info.data``) by now.
        if value == "redis" and not info.data.get("redis_url"):
            raise ValueError(
                "'redis' needs redis_url (CRAWLSCOPE_REDIS_URL): the tasks go through Redis Streams"
            )
        return value

    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: readable lines (through rich on a terminal); json: one JSON object "
        "per line (timestamp, level, logger, message and the record's extra fields), for log "
        "collectors.",
    )
    access_log: bool = Field(
        default=False,
        description="Log one line per HTTP request and WebSocket (logger crawlscope.access, "
        "at info): client, method, path, status, duration. Off by default: a dashboard "
        "makes several requests a second and a reverse proxy usually logs them already.",
    )
    auth: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="auto: required unless the server listens on loopback only; on; off "
        "(refused for non-loopback addresses).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (none: CORS off)."
    )
    demo: bool = Field(default=False, description="Serve the demo site and start a demo run.")
    demo_scale: str = Field(default="small", description="Demo catalog size.")
    demo_repeat_s: float | None = Field(
        default=None,
        ge=0,
        description="With demo: start the next demo run this many seconds after one ends "
        "(none: one run only).",
    )
    ingest_max_events: int = Field(default=5000, ge=1, description="Events per ingest batch.")
    ingest_max_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Bytes per ingest request body."
    )
    ingest_max_items: int = Field(
        default=5000, ge=1, description="Items per POST /api/ingest/items batch."
    )
    ingest_store_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds an ingest request waits for its events to be stored before "
        "answering 503 (they are kept and stored once storage works again).",
    )
    shutdown_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds the server spends storing its last events when it stops; "
        "what storage cannot take by then is reported and dropped.",
    )
    max_unstored_events: int = Field(
        default=100_000,
        ge=1000,
        description="Events waiting to be stored above which runs in the server pause "
        "before their next task, until half of them are stored.",
    )
    stale_run_after_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds without an event or heartbeat after which an active run that "
        "does not execute in the server is marked interrupted.",
    )
    stream_auth_recheck_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between re-checks of the credentials of open live streams: a "
        "stream whose token was revoked or whose session ended elsewhere (the CLI, another "
        "server process) or expired is closed within this time.",
    )
    alerts_enabled: bool = Field(
        default=True,
        description="Evaluate alert rules in this server (docs/alerts.md). With several "
        "servers on one database, switch it on in one of them.",
    )
    alert_rules: list[str] = Field(
        default_factory=list,
        description="Alert rule files (YAML) besides those the project file lists; glob "
        "patterns allowed.",
    )
    alert_builtins: bool = Field(
        default=True,
        description="Evaluate the built-in rules (each can also be switched off in a rule "
        "file's builtin section).",
    )
    alert_history_days: float = Field(
        default=90.0,
        gt=0,
        description="Days resolved alerts, delivery attempts and ended silences are kept "
        "(pruned hourly); open alerts and rules are kept for ever.",
    )
    raw_event_days: float = Field(
        default=30.0,
        gt=0,
        description="Days a run's raw events are kept after it ended; then they are deleted "
        "(its summary, worker cards, charts and rollups stay). Pruned in the background.",
    )
    minute_rollup_days: float = Field(
        default=30.0,
        gt=0,
        description="Days per-minute rollups are kept; hour and day rollups are kept for ever.",
    )
    prune_interval_s: float = Field(
        default=600.0,
        gt=0,
        description="Seconds between two rounds of pruning in the server (raw events and "
        "minute rollups past their retention).",
    )
    prune_batch_rows: int = Field(
        default=5000,
        ge=100,
        description="Raw events deleted per transaction when pruning (short transactions "
        "let event writers in between).",
    )
    system_sample_interval_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Seconds between two samples of this server's CPU, memory, disk and load "
        "(stored for the overview's chart and read by alert rules as system.*).",
    )
    system_sample_days: float = Field(
        default=7.0,
        gt=0,
        description="Days system samples (the server's and remote runners' hosts') are kept.",
    )
    alert_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds between two evaluations of every alert rule.",
    )
    metrics_max_sites: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Target sites that get a label of their own in /metrics (the busiest, "
        'first come); the others are counted under site="other".',
    )
    metrics_max_collections: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Collections that get a label of their own in /metrics; the others are "
        'counted under collection="other".',
    )
    scheduler: bool = Field(
        default=True,
        description="Run the scheduler in this server: start the runs of due schedule slots. "
        "Any number of servers on one database may; each slot starts one run.",
    )
    schedule_min_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="The shortest interval a schedule may have (seconds).",
    )
    schedule_misfire_grace_s: float = Field(
        default=60.0,
        gt=0,
        description="How late (seconds) a schedule's slot may still start as on time; a slot "
        "found later (the server was down, the clock jumped) was missed and follows the "
        "schedule's catch-up policy.",
    )
    schedule_recheck_s: float = Field(
        default=30.0,
        gt=0,
        description="The scheduler sleeps until the next slot but at most this long (seconds), "
        "so schedules changed by another server or the CLI, and wall-clock jumps, are seen "
        "within this time.",
    )
    cost_prices: dict[str, CostPrices] = Field(
        default_factory=dict,
        description="Prices per collection for the analytics' cost figures, as "
        '{"collection": {"per_request": 0.0001, "per_gb": 0.5, "per_hour": 0.04}}; the '
        'key "*" prices collections not listed. Unpriced collections cost 0.',
    )
