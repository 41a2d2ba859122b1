"""The demo: a local marketplace that misbehaves on purpose and a collection that crawls it."""

from crawlscope.demo.catalog import Catalog, build_catalog
from crawlscope.demo.collection import DemoParams, demo_collection
from crawlscope.demo.faults import FaultConfig
from crawlscope.demo.target_site import TargetSite, create_site, serve_site

__all__ = [
    "Catalog",
    "DemoParams",
    "FaultConfig",
    "TargetSite",
    "build_catalog",
    "create_site",
    "demo_collection",
    "serve_site",
]
