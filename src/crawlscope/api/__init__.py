"""The HTTP service: REST, live streams, ingest, auth and the dashboard (FastAPI)."""

from crawlscope.api.app import create_app

__all__ = ["create_app"]
