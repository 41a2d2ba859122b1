"""Print the server's OpenAPI schema as JSON, without starting the server.

The dashboard's types (frontend/src/lib/api-schema.ts) are generated from this output, and
`make test` regenerates them to check the committed file still matches the server, so the
output must only change when the schema does: keys are sorted, the text is ASCII and ends
with a newline.

    .venv/bin/python scripts/openapi_schema.py                  # to stdout
    .venv/bin/python scripts/openapi_schema.py --output FILE    # to FILE

The app is only built, never started: its database, hub and workers open in the lifespan,
which ``app.openapi()`` does not enter, so this needs neither a database nor a network.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def openapi_schema() -> dict[str, Any]:
    """The schema ``GET /openapi.json`` serves, built from the default settings."""
    # The caller's CRAWLSCOPE_* variables must not change the types that get committed
    # (and an unsafe CRAWLSCOPE_AUTH would make create_app refuse to build at all).
    for name in [n for n in os.environ if n.startswith("CRAWLSCOPE_")]:
        del os.environ[name]
    from crawlscope.api.app import create_app
    from crawlscope.config import Settings

    return create_app(Settings()).openapi()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="write here instead of to stdout")
    args = parser.parse_args(argv)
    text = render(openapi_schema())
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="ascii")
    return 0


if __name__ == "__main__":
    sys.exit(main())
