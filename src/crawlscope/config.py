"""Settings from ``CRAWLSCOPE_*`` environment variables (pydantic-settings).

Command-line options override these; docs/configuration.md lists every setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Installation-wide settings."""

    model_config = SettingsConfigDict(env_prefix="CRAWLSCOPE_", extra="ignore")

    database_url: str = Field(
        default="data/crawlscope.db",
        description="A SQLite file path, or a SQLAlchemy URL (sqlite:///…, postgresql://…).",
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
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
