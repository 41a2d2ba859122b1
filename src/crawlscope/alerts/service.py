"""Alerting as the server runs it: rule files and API rules into one rule book, the
evaluator's loop, silences, test notifications and reads for the API and CLI.

Every change of rules (a file reloaded, a rule saved through the API) builds a complete
new rule book first; only a book that builds replaces the one in force, so a bad rule is
refused with its error and the server keeps evaluating what it had.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from crawlscope.alerts.channels import Channel, parse_channel, redact
from crawlscope.alerts.evaluator import AlertEvaluator, RuleStatus
from crawlscope.alerts.model import (
    AlertRecord,
    DeliveryAttempt,
    Matcher,
    Rule,
    RuleError,
    Silence,
)
from crawlscope.alerts.notifier import Notification
from crawlscope.alerts.rule_files import RuleFile, load_rule_files
from crawlscope.alerts.rulebook import RuleBook, build_rulebook
from crawlscope.alerts.silencing import parse_matcher
from crawlscope.store.repositories import AlertRepository
from crawlscope.timestamps import format_ts, utc_now

__all__ = ["AlertService", "RuleView", "rule_files_of"]

log = logging.getLogger("crawlscope.alerts")


def rule_files_of(root: Path, patterns: Sequence[str]) -> list[Path]:
    """The rule files a project lists (glob patterns relative to its folder), sorted."""
    files: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matched = glob.glob(full)
        if not matched and not glob.has_magic(pattern):
            raise RuleError("the rule file does not exist", where=full)
        files.update(Path(path) for path in matched)
    return sorted(files)


@dataclass(frozen=True, slots=True)
class RuleView:
    """A rule with how it did at its last evaluation and its firing/pending alerts."""

    rule: Rule
    status: RuleStatus
    firing: int
    pending: int
    version: int | None = None


class AlertService:
    """Owns the rule book and the evaluator of one server."""

    def __init__(
        self,
        evaluator: AlertEvaluator,
        store: AlertRepository,
        *,
        rule_files: Sequence[Path] = (),
        builtins_on: bool = True,
        history_days: float = 90.0,
    ) -> None:
        self.evaluator = evaluator
        self.store = store
        self.rule_files = list(rule_files)
        self.builtins_on = builtins_on
        self.history_days = history_days
        self.files = RuleFile()
        self.file_error: str | None = None
        self._pruning: asyncio.Task[None] | None = None

    @property
    def book(self) -> RuleBook:
        """The rules in force."""
        return self.evaluator.book

    async def start(self) -> None:
        """Load rule files and API rules (a bad file is an error here, at startup), take
        back open alerts and silences, and start evaluating."""
        self.files = load_rule_files(self.rule_files) if self.rule_files else RuleFile()
        await self._rebuild()
        self.evaluator.restore(await self.store.open_alerts())
        await self.refresh_silences()
        self.evaluator.start()
        self._pruning = asyncio.create_task(self._prune_forever(), name="crawlscope-alert-prune")

    async def stop(self) -> None:
        """Stop evaluating; pending notifications get a moment to go out."""
        if self._pruning is not None:
            self._pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruning
        await self.evaluator.stop()

    async def prune(self) -> int:
        """Forget resolved alerts, delivery attempts and silences that ended more than
        ``history_days`` ago (open alerts and rules stay); rows deleted."""
        return await self.store.prune(before=utc_now() - timedelta(days=self.history_days))

    async def _prune_forever(self, every_s: float = 3600.0) -> None:
        while True:
            try:
                deleted = await self.prune()
                if deleted:
                    log.info(
                        "alert history: %d rows older than %g days deleted",
                        deleted,
                        self.history_days,
                    )
            except Exception:  # the database may be failing; try again later
                log.exception("could not prune the alert history")
            await asyncio.sleep(every_s)

    async def _rebuild(self, files: RuleFile | None = None) -> RuleBook:
        stored = await self.store.list_rules()
        book = build_rulebook(
            files or self.files,
            [entry.rule for entry in stored],
            builtins_on=self.builtins_on,
        )
        self.evaluator.use(book)
        return book

    async def reload_files(self) -> RuleBook:
        """Read the rule files again; on any error the rules in force stay."""
        try:
            files = load_rule_files(self.rule_files) if self.rule_files else RuleFile()
            book = await self._rebuild(files)
        except RuleError as exc:
            self.file_error = str(exc)
            raise
        self.files = files
        self.file_error = None
        return book

    # -- rules -----------------------------------------------------------------------------

    def rules(self) -> list[RuleView]:
        """Every rule in force (enabled or not) with its status."""
        counts: dict[str, list[int]] = {}
        for alert in self.evaluator.tracker.open.values():
            entry = counts.setdefault(alert.rule, [0, 0])
            entry[0 if alert.state == "firing" else 1] += 1
        return [
            RuleView(
                rule=compiled.rule,
                status=self.evaluator.status.get(name, RuleStatus()),
                firing=counts.get(name, [0, 0])[0],
                pending=counts.get(name, [0, 0])[1],
            )
            for name, compiled in sorted(self.book.rules.items())
        ]

    async def save_rule(self, rule: Rule, *, by: str | None) -> Rule:
        """Add or change an API rule; ``RuleError`` if it would not build (nothing saved).

        Rules from files and built-ins are changed in their files, not here."""
        existing = self.book.rules.get(rule.name)
        if existing is not None and existing.rule.source != "api":
            where = "a built-in rule" if existing.rule.builtin else f"in {existing.rule.source}"
            raise RuleError(f"rule {rule.name!r} is {where}; change it there", field="name")
        stored = [
            entry.rule for entry in await self.store.list_rules() if entry.rule.name != rule.name
        ]
        # Build first: a rule that does not fit (an unknown channel) is refused unsaved.
        build_rulebook(self.files, [*stored, rule], builtins_on=self.builtins_on)
        await self.store.save_rule(rule, by=by)
        await self._rebuild()
        return rule

    async def delete_rule(self, name: str, *, by: str | None) -> bool:
        """Delete an API rule (its open alerts resolve at the next tick)."""
        existing = self.book.rules.get(name)
        if existing is not None and existing.rule.source != "api":
            raise RuleError(f"rule {name!r} is not an API rule; change it where it is defined")
        deleted = await self.store.delete_rule(name, by=by)
        if deleted:
            await self._rebuild()
        return deleted

    # -- silences --------------------------------------------------------------------------

    async def refresh_silences(self) -> None:
        """Read the silences in force (others' changes included) into the evaluator."""
        self.evaluator.silences = await self.store.list_silences(
            active_at=utc_now(), include_expired=False
        )

    async def add_silence(
        self,
        matchers: Sequence[str],
        *,
        duration: timedelta | None = None,
        ends_at: datetime | None = None,
        comment: str = "",
        by: str | None = None,
    ) -> Silence:
        """Silence alerts matching every matcher (``collection=shop``) until ``ends_at``
        (or for ``duration``)."""
        if not matchers:
            raise RuleError("a silence needs at least one matcher", field="matchers")
        parsed: list[Matcher] = [parse_matcher(text) for text in matchers]
        now = utc_now()
        end = ends_at if ends_at is not None else now + (duration or timedelta(hours=1))
        if end <= now:
            raise RuleError("the silence must end in the future", field="ends_at")
        silence = Silence(
            id=uuid.uuid4().hex[:12],
            matchers=parsed,
            starts_at=format_ts(now),
            ends_at=format_ts(end),
            created_by=by,
            comment=comment,
        )
        await self.store.add_silence(silence)
        await self.refresh_silences()
        return silence

    async def expire_silence(self, silence_id: str) -> Silence | None:
        """End a silence now."""
        silence = await self.store.expire_silence(silence_id, utc_now())
        await self.refresh_silences()
        return silence

    # -- notifications ---------------------------------------------------------------------

    def channel(self, name: str | None, url: str | None) -> Channel:
        """A declared channel by name, or an ad-hoc one from a URL (checked)."""
        if url:
            return parse_channel(name or "test", url)
        if name and name in self.book.channels:
            return self.book.channels[name]
        known = ", ".join(sorted(self.book.channels)) or "none declared"
        raise RuleError(f"no channel {name!r} (channels: {known})", field="channel")

    async def send_test(self, channel: Channel, *, by: str | None) -> DeliveryAttempt | None:
        """Send a test notification now; the last attempt's record."""
        key = f"test:{uuid.uuid4().hex[:8]}"
        notification = Notification(
            key=key,
            status="test",
            severity="info",
            title="crawlscope test notification",
            body=f"A test from crawlscope ({by or 'someone'}) to channel {channel.name} "
            f"({redact(channel.url)}). If you read this, the channel works.",
        )
        await self.evaluator.notifier.deliver(channel, notification)
        attempts = await self.store.deliveries(notification_key=key, limit=1)
        return attempts[0] if attempts else None

    # -- reads -----------------------------------------------------------------------------

    async def alerts(
        self, *, run_id: str | None = None, open_only: bool = False, limit: int = 200
    ) -> list[AlertRecord]:
        """Open alerts (live, from the evaluator) and, unless ``open_only``, stored ones."""
        live = [
            a for a in self.evaluator.tracker.open.values() if run_id is None or a.run_id == run_id
        ]
        if open_only:
            return live
        ids = {a.id for a in live}
        stored = await self.store.list_alerts(run_id=run_id, limit=limit)
        return live + [a for a in stored if a.id not in ids][: max(0, limit - len(live))]


def check_rule_files(paths: Sequence[Path]) -> RuleFile:
    """Load and check rule files as ``crawlscope alerts check`` does."""
    files = load_rule_files(list(paths))  # channel names checked while loading
    build_rulebook(files)
    return files
