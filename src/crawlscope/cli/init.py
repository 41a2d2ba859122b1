"""``crawlscope init`` (a new project with an example collection) and ``crawlscope
demo-site`` (the bundled demo marketplace, for the example to crawl)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawlscope.cli.choices import DemoFaults, DemoScale
from crawlscope.cli.common import console, fail

__all__ = ["demo_site", "init"]

_TEMPLATES = Path(__file__).with_name("templates")


def init(
    folder: Annotated[
        Path, typer.Argument(help="Where to create the project (created if missing).")
    ] = Path("."),
    name: Annotated[
        str | None, typer.Option(help="The project's name (default: the folder's).")
    ] = None,
) -> None:
    """Create a project: crawlscope.toml, an example collection (shop.py) and example
    alert rules (alerts/rules.yaml).

    The example crawls the demo marketplace (crawlscope demo-site) two phases deep.
    """
    from crawlscope.project import PROJECT_FILE

    target = folder.expanduser()
    files = {
        target / PROJECT_FILE: (_TEMPLATES / "crawlscope.toml.txt").read_text(),
        target / "shop.py": (_TEMPLATES / "shop.py.txt").read_text(),
        target / "alerts" / "rules.yaml": (_TEMPLATES / "alerts.yaml.txt").read_text(),
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise fail(f"not overwriting {', '.join(existing)} (argument FOLDER)", 2)
    try:
        target.mkdir(parents=True, exist_ok=True)
        project_name = name or target.resolve().name
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("{name}", project_name), encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot create the project in {target}: {exc} (argument FOLDER)", 2) from exc
    inside = "" if target.resolve() == Path.cwd().resolve() else f"cd {folder} && "
    console.print(
        f"created {target / PROJECT_FILE}, {target / 'shop.py'} and "
        f"{target / 'alerts' / 'rules.yaml'}\n"
        "next:\n"
        "  crawlscope demo-site &          # the demo marketplace on 127.0.0.1:8001\n"
        f"  {inside}crawlscope run shop      # crawl it: items go to data/crawlscope.db\n"
        f"  {inside}crawlscope serve         # watch it on http://127.0.0.1:8000",
        markup=False,
        highlight=False,
    )


def demo_site(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1.")] = 8001,
    scale: Annotated[
        DemoScale, typer.Option(case_sensitive=False, help="Size of the catalog.")
    ] = DemoScale.SMALL,
    seed: Annotated[int, typer.Option(help="Seed of the catalog.")] = 7,
    faults: Annotated[
        DemoFaults,
        typer.Option(case_sensitive=False, help="demo: misbehave on purpose; off: behave."),
    ] = DemoFaults.DEMO,
) -> None:
    """Serve the bundled demo marketplace on 127.0.0.1 until Ctrl-C.

    It is what the example project's collection crawls (crawlscope init).
    """
    import uvicorn

    from crawlscope.demo.catalog import build_catalog
    from crawlscope.demo.faults import FaultConfig
    from crawlscope.demo.target_site import create_site

    fault_config = FaultConfig.demo() if faults is DemoFaults.DEMO else FaultConfig.off()
    catalog = build_catalog(seed, scale.value)
    console.print(
        f"demo marketplace on http://127.0.0.1:{port} ({scale.value}, seed {seed}, faults "
        f"{faults.value}): {len(catalog.products)} products; Ctrl-C stops",
        markup=False,
        highlight=False,
    )
    try:
        uvicorn.run(
            create_site(catalog, fault_config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    except SystemExit as exc:  # uvicorn exits when it cannot bind
        raise fail(f"cannot serve on 127.0.0.1:{port} (option --port)", 2) from exc
