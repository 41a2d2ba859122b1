"""The terminal view (terminal.py) says what a waiting worker waits for and why a run ended."""

from __future__ import annotations

from rich.console import Console

from crawlscope.aggregate import RunFrame, WorkerCard
from crawlscope.status import RunStatus
from crawlscope.terminal import STATE_STYLE, render_frame


def _text(frame: RunFrame) -> str:
    console = Console(record=True, width=160, color_system=None)
    console.print(render_frame(frame))
    return console.export_text()


def test_a_waiting_worker_and_the_finish_reason_show() -> None:
    frame = RunFrame(
        run_id="r1",
        status=RunStatus.COMPLETED_WITH_ERRORS,
        finish_reason="1 of 4 tasks failed (25%)",
        workers=[
            WorkerCard(worker_id=1, state="waiting", waiting_for="rate_limit", task="page 2"),
            WorkerCard(worker_id=2, state="idle"),
        ],
    )
    text = _text(frame)
    assert "◷ waiting (rate_limit)" in text
    assert "completed_with_errors: 1 of 4 tasks failed (25%)" in text
    assert "waiting" in STATE_STYLE


def test_an_exception_is_shown_once() -> None:
    frame = RunFrame(
        run_id="r1",
        status=RunStatus.FAILED,
        error="ValueError: boom",
        finish_reason="the seed raised ValueError: boom",
    )
    text = _text(frame)
    assert "failed: the seed raised ValueError: boom" in text
    assert "error: ValueError: boom" not in text
