"""Settings from ``CRAWLSCOPE_*`` environment variables (pydantic-settings).

Command-line options override these; see docs/configuration.md for every setting.
"""

from __future__ import annotations

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
    redis_url: str | None = Field(default=None, description="Redis for scale-out (optional).")
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
