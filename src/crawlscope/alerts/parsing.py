"""User input to rules: durations, actions, scopes, and a whole rule from a mapping.

The same checks serve rule files (``rule_files``), the API and the dashboard's editor, so
a bad rule gets the same message everywhere; each failure is a ``RuleError`` naming the
field. A rule is only accepted once its condition, value and summary compile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crawlscope.alerts.expressions import check_summary, compile_condition, compile_value
from crawlscope.alerts.model import (
    ActionKind,
    Rule,
    RuleAction,
    RuleError,
    Scope,
    Severity,
    SubjectKind,
)

__all__ = ["RULE_FIELDS", "infer_subject", "parse_duration", "parse_rule"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,99}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

RULE_FIELDS = frozenset(
    {
        "name",
        "condition",
        "subject",
        "for",
        "severity",
        "scope",
        "labels",
        "summary",
        "description",
        "value",
        "channels",
        "actions",
        "enabled",
    }
)
"""The keys a rule mapping may have (anything else is refused, so typos are caught)."""


def parse_duration(value: Any, field: str) -> float:
    """``30s``, ``5m``, ``1.5h``, ``2d``, ``250ms`` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise RuleError(f"{field} must be a duration like 30s, 5m or 1h", field=field)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise RuleError(
            f"{field} must be a duration like 30s, 5m or 1h, not {value!r}", field=field
        )
    if seconds < 0 or seconds > 366 * 86400:
        raise RuleError(f"{field} must be between 0 and 366 days", field=field)
    return seconds


def infer_subject(condition: str) -> SubjectKind:
    """What a rule without ``subject`` is about, from the roots its condition uses."""
    for root, kind in (
        ("worker", SubjectKind.WORKER),
        ("site", SubjectKind.SITE),
        ("schedule", SubjectKind.SCHEDULE),
        ("run", SubjectKind.RUN),
    ):
        if re.search(rf"(?<![\w.]){root}\.", condition):
            return kind
    if re.search(r"(?<![\w.])system\.", condition):
        return SubjectKind.SYSTEM
    return SubjectKind.RUN


def _action(entry: Any) -> RuleAction:
    field = "actions"
    if isinstance(entry, str):
        kind, argument = entry, None
    elif isinstance(entry, Mapping) and len(entry) == 1:
        ((kind, argument),) = entry.items()
    else:
        raise RuleError(
            "each action is pause, cancel, {open_breaker: 2m} or {lower_concurrency: 2}",
            field=field,
        )
    try:
        action = ActionKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in ActionKind)
        raise RuleError(f"unknown action {kind!r} (known: {known})", field=field) from None
    if action is ActionKind.OPEN_BREAKER:
        duration = parse_duration(argument if argument is not None else "2m", field)
        return RuleAction(kind=action, duration_s=duration)
    if action is ActionKind.LOWER_CONCURRENCY:
        if not isinstance(argument, int) or isinstance(argument, bool) or argument < 1:
            raise RuleError("lower_concurrency needs a whole number of at least 1", field=field)
        return RuleAction(kind=action, concurrency=argument)
    if argument not in (None, {}, True):
        raise RuleError(f"{kind} takes no argument", field=field)
    return RuleAction(kind=action)


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RuleError(f"{field} must be a mapping of names to text", field=field)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _LABEL.match(key):
            raise RuleError(f"{field}: {key!r} is not a valid label name", field=field)
        if not isinstance(item, str | int | float | bool):
            raise RuleError(f"{field}.{key} must be text", field=field)
        result[key] = str(item)
    return result


def _text(data: Mapping[str, Any], field: str, default: str = "") -> str:
    value = data.get(field, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RuleError(f"{field} must be text", field=field)
    return value


def parse_rule(data: Any, *, source: str = "api", builtin: bool = False) -> Rule:
    """Check a rule given as a mapping (a rule file's entry, an API body) and compile its
    expressions; ``RuleError(field=...)`` names the first thing wrong."""
    if not isinstance(data, Mapping):
        raise RuleError("a rule must be a mapping with at least name and condition")
    unknown = sorted(str(key) for key in data if key not in RULE_FIELDS)
    if unknown:
        raise RuleError(f"unknown field {unknown[0]!r}", field=unknown[0])
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RuleError("name is required: 1-100 letters, digits, spaces or . _ : -", field="name")
    condition = data.get("condition")
    if not isinstance(condition, str):
        raise RuleError("condition is required (a CEL expression)", field="condition")
    try:
        subject = SubjectKind(data["subject"]) if "subject" in data else infer_subject(condition)
    except ValueError:
        known = ", ".join(k.value for k in SubjectKind)
        raise RuleError(f"subject must be one of {known}", field="subject") from None
    try:
        severity = Severity(data.get("severity", Severity.WARNING))
    except ValueError:
        raise RuleError("severity must be info, warning or critical", field="severity") from None
    scope_data = data.get("scope") or {}
    if not isinstance(scope_data, Mapping) or set(scope_data) - {
        "collection",
        "site",
        "schedule",
    }:
        raise RuleError("scope may name a collection, a site and a schedule", field="scope")
    scope = Scope(**{key: str(value) for key, value in scope_data.items() if value is not None})
    channels = data.get("channels") or []
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise RuleError("channels must be a list of channel names", field="channels")
    actions = data.get("actions") or []
    if not isinstance(actions, list):
        actions = [actions]
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError("enabled must be true or false", field="enabled")
    value = data.get("value")
    if value is not None and not isinstance(value, str):
        raise RuleError("value must be a CEL expression", field="value")
    rule = Rule(
        name=name,
        condition=condition,
        subject=subject,
        for_s=parse_duration(data.get("for", 0), "for"),
        severity=severity,
        scope=scope,
        labels=_string_map(data.get("labels"), "labels"),
        summary=_text(data, "summary"),
        description=_text(data, "description"),
        value=value,
        channels=tuple(channels),
        actions=tuple(_action(entry) for entry in actions),
        enabled=enabled,
        builtin=builtin,
        source=source,
    )
    compiled = compile_condition(rule.condition, rule.subject)
    compile_value(rule.value, compiled, rule.subject)
    check_summary(rule.summary, rule.subject)
    return rule


def rule_to_mapping(rule: Rule) -> dict[str, Any]:
    """The rule as it would be written in a rule file or sent to the API."""
    data: dict[str, Any] = {
        "name": rule.name,
        "condition": rule.condition,
        "subject": rule.subject.value,
        "for": f"{rule.for_s:g}s",
        "severity": rule.severity.value,
    }
    scope = {
        key: value
        for key, value in (
            ("collection", rule.scope.collection),
            ("site", rule.scope.site),
            ("schedule", rule.scope.schedule),
        )
        if value is not None
    }
    if scope:
        data["scope"] = scope
    for key, value in (
        ("labels", rule.labels),
        ("summary", rule.summary),
        ("description", rule.description),
        ("value", rule.value),
        ("channels", list(rule.channels)),
    ):
        if value:
            data[key] = value
    if rule.actions:
        data["actions"] = [_action_mapping(action) for action in rule.actions]
    if not rule.enabled:
        data["enabled"] = False
    return data


def _action_mapping(action: RuleAction) -> str | dict[str, Any]:
    if action.kind is ActionKind.OPEN_BREAKER:
        return {"open_breaker": f"{action.duration_s:g}s"}
    if action.kind is ActionKind.LOWER_CONCURRENCY:
        return {"lower_concurrency": action.concurrency}
    return action.kind.value
