"""The rules in force: built-ins, rule files and API rules, compiled once.

A ``RuleBook`` is immutable; reloading a file or saving a rule builds a new one and the
evaluator swaps it in between ticks. A book that fails to build is never swapped in, so
a bad file leaves the rules that were in force (the error is reported where it was
loaded: ``crawlscope serve``, ``POST /api/alerts/rules``, the reload endpoint).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crawlscope.alerts.channels import Channel
from crawlscope.alerts.expressions import Condition, ValueProbe, compile_condition, compile_value
from crawlscope.alerts.model import Grouping, Rule, RuleError
from crawlscope.alerts.rule_files import RuleFile, builtin_rules

__all__ = ["CompiledRule", "RuleBook", "build_rulebook"]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its condition and value compiled."""

    rule: Rule
    condition: Condition
    value: ValueProbe | None


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every rule by name, the channels, the default channels and the grouping."""

    rules: dict[str, CompiledRule] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    default_channels: tuple[str, ...] = ()
    grouping: Grouping = field(default_factory=Grouping)

    def channels_of(self, rule: Rule) -> tuple[str, ...]:
        """Where a rule's alerts are sent: its own channels, else the defaults."""
        return rule.channels or self.default_channels

    @property
    def enabled(self) -> list[CompiledRule]:
        """The rules that are evaluated."""
        return [compiled for compiled in self.rules.values() if compiled.rule.enabled]

    def by_rule(self) -> Mapping[str, Rule]:
        """Rule name -> rule."""
        return {name: compiled.rule for name, compiled in self.rules.items()}


def _compiled(rule: Rule) -> CompiledRule:
    condition = compile_condition(rule.condition, rule.subject)
    return CompiledRule(rule, condition, compile_value(rule.value, condition, rule.subject))


def build_rulebook(
    files: RuleFile | None = None,
    api_rules: Iterable[Rule] = (),
    *,
    builtins_on: bool = True,
) -> RuleBook:
    """Built-ins (with the files' overrides), then the files' rules, then API rules; a
    name used twice is an error (``RuleError``), as is a channel that is not declared."""
    files = files or RuleFile()
    rules: dict[str, CompiledRule] = {}
    if builtins_on:
        for rule in builtin_rules(files.builtin):
            rules[rule.name] = _compiled(rule)
    for rule in [*files.rules, *api_rules]:
        if rule.name in rules:
            where = "a built-in rule" if rules[rule.name].rule.builtin else "another rule"
            raise RuleError(
                f"rule {rule.name!r} has the name of {where}", where=rule.source, field="name"
            )
        for channel in rule.channels:
            if channel not in files.channels:
                raise RuleError(
                    f"rule {rule.name!r} names channel {channel!r}, which no rule file declares",
                    where=rule.source,
                    field="channels",
                )
        rules[rule.name] = _compiled(rule)
    return RuleBook(
        rules=rules,
        channels=dict(files.channels),
        default_channels=files.default_channels,
        grouping=files.grouping or Grouping(),
    )
