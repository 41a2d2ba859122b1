"""Where ``crawlscope serve`` writes: its log handlers and the banner and run lines.

Text (the default): log records through rich above the live run lines on a terminal,
plain lines on stderr otherwise; the banner and run lines on stdout. JSON
(``--log-format json``): every line is a JSON object on stderr (``crawlscope.logs``),
the banner and run lines included (logger ``crawlscope.serve``, with their figures as
fields), so a log collector reads nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from crawlscope.cli.common import console

__all__ = ["ServeOutput", "configure_logging", "uvicorn_level"]

log = logging.getLogger("crawlscope.serve")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def uvicorn_level(level: str) -> int:
    """uvicorn's own start-up chatter is replaced by the banner unless debugging."""
    numeric: int = getattr(logging, level.upper())
    return numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)


def configure_logging(level: str, log_format: str) -> ServeOutput:
    """crawlscope's loggers at ``level`` and one handler on the root logger for the
    chosen format (uvicorn's loggers propagate to it: ``log_config=None``). The access
    log (``api.access_log``, only there with ``--access-log``) is written at info
    whatever the level: asking for it is asking to see it."""
    logging.getLogger("crawlscope").setLevel(getattr(logging, level.upper()))
    logging.getLogger("crawlscope.access").setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).setLevel(uvicorn_level(level))
    handler: logging.Handler
    json_lines = log_format == "json"
    if json_lines:
        from crawlscope.logs import JsonLineFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonLineFormatter())
    elif console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_path=False, markup=False)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    return ServeOutput(json_lines=json_lines)


class ServeOutput:
    """The banner and run lines: printed for people, or logged as JSON."""

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines

    @property
    def live_view(self) -> bool:
        """Whether to keep a live line per active run (text on a terminal only)."""
        return not self.json_lines and console.is_terminal

    def say(self, text: str, *, style: str = "", level: int = logging.INFO, **fields: Any) -> None:
        """One line; in JSON its ``fields`` go with it."""
        if self.json_lines:
            log.log(level, text, extra=fields)
        else:
            console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
