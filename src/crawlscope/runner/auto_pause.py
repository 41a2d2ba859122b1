"""When a run pauses itself: say so, say how to go on, and do what its owner asked.

After ``max_consecutive_failures`` failed tasks in a row a run pauses itself (the streak's
tasks go back on their queues). ``AutoPause`` is what ``Run.wait()`` / ``execute()`` do
then; ``SelfPause`` logs the pause (WARNING, with the reason and how to resume) and
carries it out.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable

from crawlscope.runner.control import RunControl
from crawlscope.runner.errors import ConfigError
from crawlscope.status import RunStatus

__all__ = ["AutoPause", "SelfPause"]

log = logging.getLogger(__name__)


class AutoPause(enum.StrEnum):
    """What ``Run.wait()`` / ``execute()`` do when the run pauses itself (after
    ``max_consecutive_failures`` failed tasks in a row).

    The pause is logged (WARNING) with its reason and how to resume in every case.
    """

    RETURN = "return"
    """Return ``paused``; the run stays paused and intact: ``resume()`` then ``wait()``
    again, or ``cancel()``. The library default: a script is never left hanging, and the
    failed tasks are kept for a retry rather than thrown away."""
    WAIT = "wait"
    """Keep waiting until someone resumes or cancels it (the dashboard, the API,
    ``crawlscope runs resume``). What the server and the command line use."""
    CANCEL = "cancel"
    """Cancel the run: it ends ``cancelled``, its finish reason says why."""


class SelfPause:
    """One run's handling of its automatic pauses (``Run`` owns one).

    ``hint(run_id)`` says how to resume the run from outside this process (the
    reporter's ``resume_hint``: a command, a URL), or is None.
    """

    def __init__(
        self,
        mode: AutoPause | str,
        run_id: str,
        control: RunControl,
        hint: Callable[[str], str | None] | None = None,
    ) -> None:
        try:
            self.mode = AutoPause(mode)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in AutoPause)
            raise ConfigError(f"on_auto_pause must be one of {choices}, got {mode!r}") from None
        self.run_id = run_id
        self.control = control
        self.hint = hint
        # Set while the run is paused by itself and the mode is "return".
        self._paused = asyncio.Event()

    def paused(self, reason: str, requeued: int) -> None:
        """The run paused itself: log it, then return, keep waiting or cancel."""
        if self.mode is AutoPause.CANCEL:
            log.warning(
                "run %s paused itself: %s; cancelling it (on_auto_pause='cancel')",
                self.run_id,
                reason,
            )
            self.control.cancel(f"cancelled after pausing itself: {reason}")
            return
        where = self.hint(self.run_id) if self.hint is not None else None
        kept = f" {requeued + 1} failed tasks are back on their queues." if requeued else ""
        then = (
            "execute() returns 'paused' now (on_auto_pause='return')"
            if self.mode is AutoPause.RETURN
            else "it waits until resumed or cancelled (on_auto_pause='wait')"
        )
        log.warning(
            "run %s paused itself: %s.%s Resume it with run.resume()%s, or cancel it; %s.",
            self.run_id,
            reason,
            kept,
            f" or {where}" if where else "",
            then,
        )
        if self.mode is AutoPause.RETURN:
            self._paused.set()

    def over(self) -> None:
        """Resumed or cancelled: the next ``wait`` waits for the next pause or the end."""
        self._paused.clear()

    async def wait(self, main: asyncio.Task[RunStatus]) -> RunStatus:
        """``main``'s result, or ``paused`` if the run pauses itself first (mode "return").

        Neither the run nor the pause is cancelled when the caller is.
        """
        if self.mode is not AutoPause.RETURN:
            return await asyncio.shield(main)
        paused = asyncio.ensure_future(self._paused.wait())
        try:
            await asyncio.wait({main, paused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            paused.cancel()
        if main.done():
            return main.result()
        return RunStatus.PAUSED
