"""Projects: a folder with ``crawlscope.toml`` that says where the data lives and what runs.

Every command run in the project folder (or below it), the server, and library code using
``Monitor()`` without a database read the same file, so they all use the same database::

    # crawlscope.toml (top-level keys first: TOML puts keys after [project] into it)
    collections = ["shop:catalog"]       # MODULE:COLLECTION, importable from this folder
    alerts = ["alerts/*.yaml"]           # rule files (read by the alerts feature)

    [project]
    name = "shop"
    database = "data/crawlscope.db"      # relative to this file; or a URL

    # or, with a description and default parameters for runs started by name:
    # [[collections]]
    # target = "shop:catalog"
    # defaults = { base_url = "http://127.0.0.1:8001" }

    [[schedules]]                        # recurring runs (read by the schedules feature)
    name = "nightly"
    collection = "catalog"
    cron = "0 3 * * *"

    [settings]                           # any server setting (docs/configuration.md)
    port = 8000

The file is found in the current folder or one of its parents, or given with
``--project`` / ``CRAWLSCOPE_PROJECT`` (a file or its folder). Collections packaged
elsewhere register themselves under the ``crawlscope.collections`` entry-point group.
Environment variables and command-line options override the file.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawlscope.registry import CollectionRegistry
    from crawlscope.runner import Collection
    from crawlscope.schedules.model import ScheduleSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_ENV",
    "PROJECT_FILE",
    "CollectionEntry",
    "Project",
    "ProjectError",
    "find_project",
    "load_collection",
    "load_project",
    "project_collection",
]

PROJECT_FILE = "crawlscope.toml"
PROJECT_ENV = "CRAWLSCOPE_PROJECT"
ENTRY_POINT_GROUP = "crawlscope.collections"

_SECTIONS = {"project", "collections", "schedules", "alerts", "settings"}


class ProjectError(ValueError):
    """The project file is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class CollectionEntry:
    """A collection the project declares: where it is, and how runs by name start."""

    target: str
    """``MODULE:COLLECTION``."""
    description: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """A loaded ``crawlscope.toml``."""

    file: Path
    name: str
    database: str | None
    """The database URL or absolute SQLite path; None: the default."""
    collections: tuple[CollectionEntry, ...]
    schedules: tuple[dict[str, Any], ...]
    alerts: tuple[str, ...]
    settings: dict[str, Any]

    @property
    def root(self) -> Path:
        """The project's folder (relative paths in the file are relative to it)."""
        return self.file.parent

    def settings_values(self) -> dict[str, Any]:
        """What the file sets of ``crawlscope.config.Settings``."""
        values = dict(self.settings)
        if self.database is not None:
            values["database_url"] = self.database
        return values

    def schedule_specs(self) -> list[ScheduleSpec]:
        """The ``[[schedules]]`` as checked specs (``ProjectError`` names the bad field).

        Whether each collection exists is checked later, by ``sync_declared`` with the
        server's registry (the demo's collection is registered only when it starts).
        """
        import msgspec

        from crawlscope.schedules.model import ScheduleError, ScheduleSpec, check_spec

        specs: list[ScheduleSpec] = []
        for index, item in enumerate(self.schedules):
            where = f"{self.file}: schedules[{index}]"
            try:
                spec = msgspec.convert(item, ScheduleSpec)
                specs.append(check_spec(spec, min_interval_s=0))
            except msgspec.ValidationError as exc:
                # msgspec's "at `$.cron`" names the key; say it the way the file does.
                raise ProjectError(f"{where}: {str(exc).replace('`$.', '`')}") from exc
            except ScheduleError as exc:
                raise ProjectError(f"{where}.{exc.field}: {exc}") from exc
        return specs

    def registry(self) -> CollectionRegistry:
        """The project's collections (and the packaged ones), ready to start by name."""
        from crawlscope.registry import CollectionRegistry

        registry = CollectionRegistry()
        for entry in packaged_collections():
            registry.register(load_collection(entry.target), description=entry.description)
        for entry in self.collections:
            collection = load_collection(entry.target, root=self.root, source=str(self.file))
            registry.register(collection, description=entry.description, defaults=entry.defaults)
        return registry


def project_collection(name: str) -> Collection | None:
    """The collection called ``name`` in the project in effect (or a packaged one)."""
    project = find_project()
    if project is not None:
        registry = project.registry()
    else:
        from crawlscope.registry import CollectionRegistry

        registry = CollectionRegistry()
        for entry in packaged_collections():
            registry.register(load_collection(entry.target), description=entry.description)
    return registry.get(name).collection if name in registry else None


def find_project(explicit: str | os.PathLike[str] | None = None) -> Project | None:
    """The project in effect: ``explicit`` (a file or folder), else ``CRAWLSCOPE_PROJECT``,
    else ``crawlscope.toml`` in the current folder or the nearest parent; None if none.

    An explicit project that does not exist is a ``ProjectError``.
    """
    given = explicit if explicit is not None else os.environ.get(PROJECT_ENV) or None
    if given is not None:
        path = Path(given).expanduser()
        file = path / PROJECT_FILE if path.is_dir() else path
        if not file.is_file():
            raise ProjectError(f"no project file at {file}")
        return load_project(file)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        file = folder / PROJECT_FILE
        if file.is_file():
            return load_project(file)
    return None


def load_project(file: str | os.PathLike[str]) -> Project:
    """Read and check a project file (``ProjectError`` names what is wrong)."""
    path = Path(file).expanduser().resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise ProjectError(
            f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_SECTIONS))})"
        )
    project = _table(data, "project", path)
    misplaced = sorted(set(project) - {"name", "database"})
    if misplaced:
        hint = (
            " (a top-level key written after [project] belongs to it: move it above)"
            if misplaced[0] in _SECTIONS
            else ""
        )
        raise ProjectError(f"{path}: unknown key project.{misplaced[0]}{hint}")
    database = project.get("database")
    if database is not None and not isinstance(database, str):
        raise ProjectError(f"{path}: project.database must be a path or URL string")
    settings = _table(data, "settings", path)
    if "database_url" in settings:
        raise ProjectError(f"{path}: set the database with project.database, not in settings")
    return Project(
        file=path,
        name=str(project.get("name") or path.parent.name),
        database=_database(database, path.parent) if database else None,
        collections=tuple(_collections(data.get("collections", []), path)),
        schedules=tuple(_schedules(data.get("schedules", []), path)),
        alerts=tuple(_strings(data.get("alerts", []), "alerts", path)),
        settings=settings,
    )


def load_collection(target: str, *, root: Path | None = None, source: str = "") -> Collection:
    """Import ``MODULE:COLLECTION`` (``root`` first on the import path) and check it."""
    from crawlscope.runner import Collection, ConfigError

    where = f"{source}: " if source else ""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ProjectError(f"{where}collection {target!r} must look like 'package.module:name'")
    folder = str(root) if root is not None else os.getcwd()
    if folder not in sys.path:
        # Like `python -m`: a collection next to the project file is importable.
        sys.path.insert(0, folder)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProjectError(
            f"{where}collection {target!r}: cannot import {module_name!r}: {exc}"
        ) from exc
    except Exception as exc:
        raise ProjectError(
            f"{where}collection {target!r}: importing {module_name!r} failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ProjectError(f"{where}collection {target!r}: no attribute {attr!r}") from None
    if not isinstance(obj, Collection):
        raise ProjectError(
            f"{where}collection {target!r} is a {type(obj).__name__}, not a crawlscope Collection"
        )
    try:
        obj.validate()
    except ConfigError as exc:
        raise ProjectError(f"{where}collection {target!r}: {exc}") from exc
    return obj


def packaged_collections() -> list[CollectionEntry]:
    """Collections installed packages declare in the ``crawlscope.collections`` group."""
    return [
        CollectionEntry(target=entry.value, description=f"from the package of {entry.value}")
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    ]


# -- reading the file ------------------------------------------------------------------


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ProjectError(f"{path}: {key} must be a table ([{key}])")
    return value


def _database(value: str, root: Path) -> str:
    if "://" in value:
        return value
    return str((root / Path(value).expanduser()).resolve())


def _strings(value: Any, key: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProjectError(f"{path}: {key} must be a list of strings")
    return value


def _collections(value: Any, path: Path) -> list[CollectionEntry]:
    if not isinstance(value, list):
        raise ProjectError(f"{path}: collections must be a list (of 'module:name' or tables)")
    out: list[CollectionEntry] = []
    for index, item in enumerate(value):
        where = f"{path}: collections[{index}]"
        if isinstance(item, str):
            out.append(CollectionEntry(target=item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("target"), str):
            raise ProjectError(f"{where} must be 'module:name' or a table with target")
        extra = sorted(set(item) - {"target", "description", "defaults"})
        if extra:
            raise ProjectError(f"{where}: unknown key {extra[0]!r}")
        defaults = item.get("defaults", {})
        if not isinstance(defaults, dict):
            raise ProjectError(f"{where}.defaults must be a table")
        out.append(
            CollectionEntry(
                target=item["target"],
                description=str(item.get("description", "")),
                defaults=dict(defaults),
            )
        )
    return out


def _schedules(value: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ProjectError(f"{path}: schedules must be a list of tables ([[schedules]])")
    for index, item in enumerate(value):
        if not isinstance(item.get("name"), str):
            raise ProjectError(f"{path}: schedules[{index}].name is required")
    return [dict(item) for item in value]
