"""Alert rule files: YAML with rules, channels, grouping and the built-ins' settings.

```yaml
channels:
  ops-mail: "mailtos://user:pass@smtp.example.com?to=ops@example.com"
  hook: {url: "json://127.0.0.1:9000/alerts", send_resolved: false}
default_channels: [hook]          # for rules that name none (built-ins included)
grouping: {by: [rule, collection], group_wait: 10s, group_interval: 1m, repeat_interval: 4h}
builtin:
  disk_full: {enabled: false}     # switch one off, or change any of its fields
rules:
  - name: shop-errors
    condition: run.error_ratio_5m > 0.2 and run.requests_5m >= 50
    for: 2m
    severity: critical
    scope: {collection: shop}
    channels: [ops-mail]
    actions: [pause]
```

Every error names the file and line (``RuleError.where``); a server that reloads a bad
file keeps the rules it had.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import yaml

from crawlscope.alerts.builtin import BUILTIN_RULES
from crawlscope.alerts.channels import Channel, ChannelError, parse_channel
from crawlscope.alerts.model import Grouping, Rule, RuleError
from crawlscope.alerts.parsing import RULE_FIELDS, parse_duration, parse_rule

__all__ = [
    "RuleFile",
    "builtin_rules",
    "check_channel_names",
    "load_rule_file",
    "load_rule_files",
    "merge_rule_files",
    "parse_rule_text",
]

_LINE = "__line__"
_TOP_LEVEL = {"channels", "default_channels", "grouping", "builtin", "rules"}


class RuleFile(msgspec.Struct, kw_only=True):
    """What one rule file (or several, merged) declares."""

    rules: list[Rule] = []
    channels: dict[str, Channel] = {}
    default_channels: tuple[str, ...] = ()
    grouping: Grouping | None = None
    builtin: dict[str, dict[str, Any]] = {}
    """Overrides of built-in rules by name (any rule field; ``enabled: false`` to switch
    one off)."""


class _LineLoader(yaml.SafeLoader):
    """Safe YAML whose mappings remember the line they start on."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _where(name: str, data: Any, fallback: int = 1) -> str:
    line = data.get(_LINE, fallback) if isinstance(data, Mapping) else fallback
    return f"{name}:{line}"


def _channels(raw: Any, name: str, line: int) -> dict[str, Channel]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RuleError("channels must map names to Apprise URLs", where=f"{name}:{line}")
    channels: dict[str, Channel] = {}
    where = _where(name, raw, line)
    for channel_name, spec in raw.items():
        if channel_name == _LINE:
            continue
        if isinstance(spec, str):
            url, send_resolved = spec, True
        elif isinstance(spec, Mapping) and isinstance(spec.get("url"), str):
            where = _where(name, spec, line)
            url, send_resolved = spec["url"], bool(spec.get("send_resolved", True))
        else:
            raise RuleError(
                f"channel {channel_name!r} needs a URL (or {{url: ..., send_resolved: ...}})",
                where=where,
            )
        try:
            channels[str(channel_name)] = parse_channel(
                str(channel_name), url, send_resolved=send_resolved
            )
        except ChannelError as exc:
            raise RuleError(str(exc), where=where, field="channels") from None
    return channels


def _grouping(raw: Any, where: str) -> Grouping:
    if not isinstance(raw, Mapping):
        raise RuleError("grouping must be a mapping", where=where)
    unknown = set(raw) - {_LINE, "by", "group_wait", "group_interval", "repeat_interval"}
    if unknown:
        raise RuleError(f"unknown grouping setting {sorted(unknown)[0]!r}", where=where)
    by = raw.get("by", list(Grouping().by))
    if not isinstance(by, list) or not all(isinstance(label, str) for label in by):
        raise RuleError("grouping.by must be a list of label names", where=where)
    defaults = Grouping()
    try:
        return Grouping(
            by=tuple(by),
            group_wait_s=parse_duration(raw.get("group_wait", defaults.group_wait_s), "group_wait"),
            group_interval_s=parse_duration(
                raw.get("group_interval", defaults.group_interval_s), "group_interval"
            ),
            repeat_interval_s=parse_duration(
                raw.get("repeat_interval", defaults.repeat_interval_s), "repeat_interval"
            ),
        )
    except RuleError as exc:
        raise RuleError(str(exc), where=where, field=exc.field) from None


def parse_rule_text(text: str, name: str = "<rules>") -> RuleFile:
    """Parse the YAML ``text`` of a rule file called ``name``; ``RuleError`` on any fault."""
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"invalid YAML: {problem}", where=f"{name}:{line}") from None
    if document is None:
        return RuleFile()
    if not isinstance(document, Mapping):
        raise RuleError("a rule file is a mapping with a rules list", where=f"{name}:1")
    unknown = sorted(set(document) - _TOP_LEVEL - {_LINE})
    if unknown:
        raise RuleError(
            f"unknown section {unknown[0]!r} (known: {', '.join(sorted(_TOP_LEVEL))})",
            where=f"{name}:1",
        )
    channels = _channels(document.get("channels"), name, 1)
    rules: list[Rule] = []
    raw_rules = document.get("rules") or []
    if not isinstance(raw_rules, list):
        raise RuleError("rules must be a list", where=f"{name}:1")
    seen: set[str] = set()
    for entry in raw_rules:
        where = _where(name, entry)
        try:
            rule = parse_rule(_strip_lines(entry), source=where)
        except RuleError as exc:
            raise RuleError(str(exc), where=where, field=exc.field) from None
        if rule.name in seen:
            raise RuleError(f"two rules are named {rule.name!r}", where=where, field="name")
        seen.add(rule.name)
        rules.append(rule)
    defaults = document.get("default_channels") or []
    if isinstance(defaults, str):
        defaults = [defaults]
    if not isinstance(defaults, list) or not all(isinstance(c, str) for c in defaults):
        raise RuleError("default_channels must be a list of channel names", where=f"{name}:1")
    grouping = document.get("grouping")
    builtin = document.get("builtin") or {}
    if not isinstance(builtin, Mapping):
        raise RuleError("builtin must map built-in rule names to settings", where=f"{name}:1")
    overrides = _builtin_overrides(builtin, name)
    return RuleFile(
        rules=rules,
        channels=channels,
        default_channels=tuple(defaults),
        grouping=_grouping(grouping, _where(name, grouping)) if grouping is not None else None,
        builtin=overrides,
    )


def _builtin_overrides(raw: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    known = {rule["name"] for rule in BUILTIN_RULES}
    overrides: dict[str, dict[str, Any]] = {}
    for rule_name, settings in raw.items():
        if rule_name == _LINE:
            continue
        where = _where(name, settings, raw.get(_LINE, 1))
        if rule_name not in known:
            raise RuleError(
                f"no built-in rule {rule_name!r} (built-ins: {', '.join(sorted(known))})",
                where=where,
            )
        if settings is False:
            settings = {"enabled": False}
        if not isinstance(settings, Mapping):
            raise RuleError(f"builtin.{rule_name} must be a mapping or false", where=where)
        fields = _strip_lines(settings)
        bad = sorted(set(fields) - RULE_FIELDS - {"name"})
        if bad:
            raise RuleError(f"unknown field {bad[0]!r}", where=where, field=bad[0])
        overrides[rule_name] = fields
        # Checked now, so a bad override is reported with its line.
        builtin_rules({rule_name: fields}, where=where)
    return overrides


def check_channel_names(parsed: RuleFile, name: str) -> None:
    """Every channel a rule names, and every default channel, is declared (in any of the
    files merged into ``parsed``; ``name`` is where default channels are reported)."""
    for rule in parsed.rules:
        for channel in rule.channels:
            if channel not in parsed.channels:
                raise RuleError(
                    f"rule {rule.name!r} names channel {channel!r}, which is not declared",
                    where=rule.source,
                    field="channels",
                )
    for channel in parsed.default_channels:
        if channel not in parsed.channels:
            raise RuleError(f"default channel {channel!r} is not declared", where=f"{name}:1")


def builtin_rules(
    overrides: Mapping[str, Mapping[str, Any]] | None = None, *, where: str = "builtin"
) -> list[Rule]:
    """The built-in rules with ``overrides`` applied (switched-off ones included, with
    ``enabled=False``, so the dashboard can list them)."""
    rules = []
    for base in BUILTIN_RULES:
        settings = {**base, **(overrides or {}).get(base["name"], {}), "name": base["name"]}
        try:
            rules.append(parse_rule(settings, source="builtin", builtin=True))
        except RuleError as exc:
            raise RuleError(
                f"built-in rule {base['name']!r}: {exc}", where=where, field=exc.field
            ) from None
    return rules


def load_rule_file(path: Path) -> RuleFile:
    """Read and parse one rule file; a missing or unreadable file is a ``RuleError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read the rule file: {exc.strerror}", where=str(path)) from None
    return parse_rule_text(text, str(path))


def load_rule_files(paths: list[Path]) -> RuleFile:
    """Every rule file of a project, merged and checked (channel names may refer to
    channels declared in another of the files)."""
    merged = merge_rule_files([load_rule_file(path) for path in paths])
    check_channel_names(merged, str(paths[0]) if paths else "<rules>")
    return merged


def merge_rule_files(files: list[RuleFile]) -> RuleFile:
    """Several files as one; a rule or channel defined twice is an error."""
    merged = RuleFile()
    for parsed in files:
        for channel_name, channel in parsed.channels.items():
            if channel_name in merged.channels:
                raise RuleError(f"channel {channel_name!r} is declared twice")
            merged.channels[channel_name] = channel
        names = {rule.name for rule in merged.rules}
        for rule in parsed.rules:
            if rule.name in names:
                raise RuleError(f"two rules are named {rule.name!r}", where=rule.source)
            merged.rules.append(rule)
        merged.default_channels = merged.default_channels + parsed.default_channels
        merged.grouping = parsed.grouping or merged.grouping
        merged.builtin.update(parsed.builtin)
    return merged
