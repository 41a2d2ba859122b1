"""Which alerts are held back: silences (label matchers until an end time) and
inhibition (a firing alert of higher severity on the same run or site).

Both only hold back notifications; the alerts still change state and show, marked with
what held them back (``silenced_by``, ``inhibited_by``), as in Alertmanager.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from crawlscope.alerts.model import AlertRecord, AlertState, Matcher, RuleError, Silence

__all__ = [
    "Inhibitors",
    "active_silences",
    "inhibitor_of",
    "matches",
    "parse_matcher",
    "silence_for",
]

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


def parse_matcher(text: str) -> Matcher:
    """``collection=shop``, ``severity!=info``, ``site=~".*example.*"`` -> a ``Matcher``."""
    match = _MATCHER.match(text)
    if match is None:
        raise RuleError(
            f"matcher {text!r} must look like label=value, label!=value, label=~regex "
            "or label!~regex",
            field="matchers",
        )
    label, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    matcher = Matcher(label=label, op=op, value=value)
    if op in ("=~", "!~"):
        try:
            _regex(value)
        except re.error as exc:
            raise RuleError(f"matcher {text!r}: invalid regex: {exc}", field="matchers") from None
    return matcher


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher accepts ``labels`` (a missing label reads as empty text)."""
    for matcher in matchers:
        value = labels.get(matcher.label, "")
        op = matcher.op
        if op == "=":
            ok = value == matcher.value
        elif op == "!=":
            ok = value != matcher.value
        elif op == "=~":
            ok = _regex(matcher.value).fullmatch(value) is not None
        else:
            ok = _regex(matcher.value).fullmatch(value) is None
        if not ok:
            return False
    return True


def active_silences(silences: Iterable[Silence], now: str) -> list[Silence]:
    """Silences in force at ``now`` (ISO text compares in time order: one format)."""
    return [s for s in silences if s.expired_at is None and s.starts_at <= now < s.ends_at]


def silence_for(labels: Mapping[str, str], silences: Iterable[Silence]) -> str | None:
    """The id of the first silence matching ``labels``, or None."""
    for silence in silences:
        if matches(silence.matchers, labels):
            return silence.id
    return None


def _same_target(a: AlertRecord, b: AlertRecord) -> bool:
    """Two alerts are about the same run, or the same site, or both about the system."""
    if a.run_id is not None and a.run_id == b.run_id:
        return True
    site = a.labels.get("site")
    return site is not None and site == b.labels.get("site")


def inhibitor_of(alert: AlertRecord, firing: Iterable[AlertRecord]) -> str | None:
    """The rule of a firing alert with a higher severity on the same run or site, if any."""
    for other in firing:
        if (
            other.state is AlertState.FIRING
            and other.fingerprint != alert.fingerprint
            and other.severity.rank > alert.severity.rank
            and _same_target(other, alert)
        ):
            return other.rule
    return None


class Inhibitors:
    """``inhibitor_of`` for many alerts against the same firing alerts, which are indexed
    by run and by site (the evaluator asks for every open alert on every tick: comparing
    each with every firing one grew with the square of the alerts)."""

    __slots__ = ("_by_run", "_by_site")

    def __init__(self, firing: Iterable[AlertRecord]) -> None:
        self._by_run: dict[str, list[tuple[int, AlertRecord]]] = {}
        self._by_site: dict[str, list[tuple[int, AlertRecord]]] = {}
        for index, other in enumerate(firing):
            if other.state is not AlertState.FIRING:
                continue
            if other.run_id is not None:
                self._by_run.setdefault(other.run_id, []).append((index, other))
            site = other.labels.get("site")
            if site is not None:
                self._by_site.setdefault(site, []).append((index, other))

    def of(self, alert: AlertRecord) -> str | None:
        """What ``inhibitor_of(alert, firing)`` says: the rule of the first firing alert
        (in the order given) of higher severity on the same run or site."""
        candidates: list[tuple[int, AlertRecord]] = []
        if alert.run_id is not None:
            candidates += self._by_run.get(alert.run_id, ())
        site = alert.labels.get("site")
        if site is not None:
            candidates += self._by_site.get(site, ())
        first: tuple[int, AlertRecord] | None = None
        for index, other in candidates:
            if (
                (first is None or index < first[0])
                and other.fingerprint != alert.fingerprint
                and other.severity.rank > alert.severity.rank
            ):
                first = (index, other)
        return None if first is None else first[1].rule
