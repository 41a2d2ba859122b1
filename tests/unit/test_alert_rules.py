"""Alert rules: CEL conditions, the checks on rules and rule files, built-ins."""

from __future__ import annotations

from pathlib import Path

import cel
import pytest

from crawlscope.alerts.expressions import (
    compile_condition,
    compile_value,
    fields_used,
    merge_fields,
    narrow,
    render_summary,
    to_cel,
)
from crawlscope.alerts.model import ActionKind, RuleError, Severity, SubjectKind
from crawlscope.alerts.parsing import infer_subject, parse_duration, parse_rule
from crawlscope.alerts.rule_files import (
    builtin_rules,
    load_rule_files,
    parse_rule_text,
)
from crawlscope.alerts.rulebook import build_rulebook
from crawlscope.alerts.variables import ROOTS_BY_SUBJECT, VARIABLES


def test_and_or_not_words_become_cel_operators_outside_strings() -> None:
    assert to_cel("a > 1 and b < 2 OR not c") == "a > 1 && b < 2 || ! c"
    assert to_cel("run.status == 'and or'") == "run.status == 'and or'"


def test_a_condition_holds_against_a_prepared_context() -> None:
    condition = compile_condition(
        "run.error_ratio_5m > 0.2 and run.status == 'running'", SubjectKind.RUN
    )
    assert condition.holds(cel.Context({"run": {"error_ratio_5m": 0.3, "status": "running"}}))
    assert not condition.holds(cel.Context({"run": {"error_ratio_5m": 0.1, "status": "running"}}))


def test_an_evaluation_error_is_text_not_an_exception() -> None:
    condition = compile_condition("run.requests > 1", SubjectKind.RUN)
    result = condition.holds(cel.Context({"run": {}}))
    assert isinstance(result, str)
    assert "requests" in result


def test_a_non_boolean_condition_is_reported() -> None:
    condition = compile_condition("run.requests + 1", SubjectKind.RUN)
    result = condition.holds(cel.Context({"run": {"requests": 1}}))
    assert isinstance(result, str)
    assert "not a boolean" in result


@pytest.mark.parametrize(
    ("text", "subject", "message"),
    [
        ("run.requests >", SubjectKind.RUN, "invalid condition"),
        ("run.eror_ratio_5m > 0.1", SubjectKind.RUN, "unknown variable run.eror_ratio_5m"),
        ("bogus > 1", SubjectKind.RUN, "unknown variable 'bogus'"),
        ("worker.stalled", SubjectKind.RUN, "not defined for rules on a run"),
        ("   ", SubjectKind.RUN, "empty"),
    ],
)
def test_bad_conditions_are_refused_naming_why(
    text: str, subject: SubjectKind, message: str
) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        compile_condition(text, subject)
    assert caught.value.field == "condition"


def test_the_value_defaults_to_the_first_left_side() -> None:
    condition = compile_condition(
        "run.error_ratio_5m > 0.2 && run.requests_5m >= 20", SubjectKind.RUN
    )
    probe = compile_value(None, condition, SubjectKind.RUN)
    assert probe is not None
    assert probe.read(cel.Context({"run": {"error_ratio_5m": 0.25, "requests_5m": 3}})) == 0.25


def test_summary_placeholders_are_filled() -> None:
    text = render_summary(
        "{{ run.collection }} at {{ run.error_ratio_5m }} ({{ run.nope }})",
        {"run": {"collection": "shop", "error_ratio_5m": 1 / 3}},
    )
    assert text == "shop at 0.333 ()"


@pytest.mark.parametrize(
    ("given", "seconds"), [("30s", 30), ("5m", 300), ("1.5h", 5400), ("250ms", 0.25), (12, 12)]
)
def test_durations(given: object, seconds: float) -> None:
    assert parse_duration(given, "for") == pytest.approx(seconds)


@pytest.mark.parametrize("given", ["soon", "-1s", True, "5 weeks"])
def test_bad_durations_name_the_field(given: object) -> None:
    with pytest.raises(RuleError) as caught:
        parse_duration(given, "for")
    assert caught.value.field == "for"


def test_the_subject_is_inferred_from_the_variables() -> None:
    assert infer_subject("worker.stalled") is SubjectKind.WORKER
    assert infer_subject("site.breaker == 'open' && run.requests > 0") is SubjectKind.SITE
    assert infer_subject("system.disk_percent > 90") is SubjectKind.SYSTEM
    assert infer_subject("run.failures > 0 && system.cpu_percent > 1") is SubjectKind.RUN


def test_a_full_rule_parses() -> None:
    rule = parse_rule(
        {
            "name": "shop errors",
            "condition": "run.error_ratio_5m > 0.2",
            "for": "2m",
            "severity": "critical",
            "scope": {"collection": "shop"},
            "labels": {"team": "data"},
            "summary": "{{ run.collection }} fails",
            "channels": ["ops"],
            "actions": ["pause", {"open_breaker": "5m"}, {"lower_concurrency": 2}],
        }
    )
    assert rule.for_s == 120
    assert rule.severity is Severity.CRITICAL
    assert rule.scope.collection == "shop"
    assert [a.kind for a in rule.actions] == [
        ActionKind.PAUSE,
        ActionKind.OPEN_BREAKER,
        ActionKind.LOWER_CONCURRENCY,
    ]
    assert rule.actions[1].duration_s == 300
    assert rule.actions[2].concurrency == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"condition": "run.requests > 1"}, "name"),
        ({"name": "x"}, "condition"),
        ({"name": "x", "condition": "run.requests > 1", "severity": "loud"}, "severity"),
        ({"name": "x", "condition": "run.requests > 1", "colour": "red"}, "colour"),
        ({"name": "x", "condition": "run.requests > 1", "actions": ["explode"]}, "actions"),
        ({"name": "x", "condition": "run.requests > 1", "summary": "{{ run.nope }}"}, "summary"),
        ({"name": "x", "condition": "run.requests > 1", "subject": "planet"}, "subject"),
    ],
)
def test_bad_rules_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(data)
    assert caught.value.field == field


RULES = """\
channels:
  hook: "json://127.0.0.1:9/alerts"
default_channels: [hook]
grouping: {by: [rule], group_wait: 1s, group_interval: 5s, repeat_interval: 1h}
builtin:
  disk_full: {enabled: false}
rules:
  - name: slow
    condition: run.p95_ms_5m > 2000
    for: 1m
  - name: many errors
    condition: run.errors > 10
    channels: [hook]
"""


def test_a_rule_file_with_channels_grouping_and_builtin_overrides() -> None:
    parsed = parse_rule_text(RULES, "rules.yaml")
    assert [r.name for r in parsed.rules] == ["slow", "many errors"]
    assert parsed.rules[0].source == "rules.yaml:8"
    assert parsed.channels["hook"].url == "json://127.0.0.1:9/alerts"
    assert parsed.grouping is not None
    assert parsed.grouping.group_wait_s == 1.0
    book = build_rulebook(parsed)
    assert not book.rules["disk_full"].rule.enabled
    assert book.rules["run_failed"].rule.builtin
    assert book.channels_of(book.rules["slow"].rule) == ("hook",)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("rules:\n  - name: a\n    condition: run.requests >\n", "f.yaml:2", "invalid condition"),
        ("rules: [\n", "f.yaml:2", "invalid YAML"),
        ("rules:\n  - name: a\n    condition: run.x > 1\n", "f.yaml:2", "unknown variable"),
        ("channels:\n  bad: 'nope://x'\n", "f.yaml:", "bad"),
        ("alarms: []\n", "f.yaml:1", "unknown section"),
        (
            "rules:\n  - {name: a, condition: 'run.errors > 1'}\n"
            "  - {name: a, condition: 'run.errors > 2'}\n",
            "f.yaml:3",
            "two rules",
        ),
        ("builtin:\n  nonsense: {enabled: false}\n", "f.yaml:", "no built-in rule"),
    ],
)
def test_bad_rule_files_name_file_and_line(text: str, where: str, message: str) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        parse_rule_text(text, "f.yaml")
    assert caught.value.where is not None
    assert caught.value.where.startswith(where)


def test_a_rule_naming_an_undeclared_channel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("rules:\n  - {name: a, condition: 'run.errors > 1', channels: [ghost]}\n")
    with pytest.raises(RuleError, match="ghost"):
        load_rule_files([path])


def test_channels_may_be_declared_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("channels:\n  hook: 'json://127.0.0.1:9/x'\n")
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - {name: a, condition: 'run.errors > 1', channels: [hook]}\n"
    )
    merged = load_rule_files([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert build_rulebook(merged).rules["a"].rule.channels == ("hook",)


def test_every_builtin_rule_compiles_and_can_be_overridden() -> None:
    rules = {r.name: r for r in builtin_rules({"error_ratio_high": {"for": "5m"}})}
    assert set(rules) >= {"run_failed", "worker_stalled", "yield_anomaly", "breaker_open"}
    assert rules["error_ratio_high"].for_s == 300
    assert all(rule.builtin for rule in rules.values())


def test_a_rule_named_like_a_builtin_is_refused() -> None:
    parsed = parse_rule_text("rules:\n  - {name: run_failed, condition: 'run.errors > 1'}\n")
    with pytest.raises(RuleError, match="built-in"):
        build_rulebook(parsed)


def test_the_fields_an_expression_reads() -> None:
    assert fields_used("run.error_ratio_5m > 0.2 && run . requests_5m >= 50") == {
        "run": frozenset({"error_ratio_5m", "requests_5m"})
    }
    assert fields_used("worker.stalled && system.cpu_percent > 9.0") == {
        "worker": frozenset({"stalled"}),
        "system": frozenset({"cpu_percent"}),
    }
    # Used other than as root.field: every field of the root.
    for text in ("size(run) > 2", "run['requests'] > 1", "run.?requests", "run.size() > 1"):
        assert fields_used(text) == {"run": None}, text
    assert fields_used("run.coverage['price'] < 0.9") == {"run": frozenset({"coverage"})}
    assert fields_used("'x' == 'run.status'") == {"run": frozenset({"status"})}  # harmless
    assert merge_fields([{"run": frozenset({"a"})}, {"run": frozenset({"b"}), "site": None}]) == {
        "run": frozenset({"a", "b"}),
        "site": None,
    }
    assert merge_fields([{"run": None}, {"run": frozenset({"b"})}]) == {"run": None}


_SAMPLE = {"int": 3, "double": 0.5, "string": "running", "bool": True}


def _variables(subject: SubjectKind) -> dict[str, dict[str, object]]:
    """A value of the right type for every variable of ``subject``."""
    return {
        root: {
            name: _SAMPLE.get(variable.type, {"price": 0.5, "url": 1.0})
            for name, variable in VARIABLES[root].items()
        }
        for root in ROOTS_BY_SUBJECT[subject]
    }


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        *((rule.condition, rule.subject) for rule in builtin_rules({})),
        ("run.error_ratio_5m > 0.2 and run.requests_5m >= 50", SubjectKind.RUN),
        ("run.items_checked >= 1 and run.coverage['price'] < 0.9", SubjectKind.RUN),
        ("run.coverage['missing'] < 0.9", SubjectKind.RUN),  # an evaluation error
        ("run.requests > 0.5", SubjectKind.RUN),
        ("run.requests > 'x'", SubjectKind.RUN),
        ("size(run) > 10", SubjectKind.RUN),
        ("run.requests + 1", SubjectKind.RUN),  # not a boolean
        ("worker.state_s > 1.0 and run.duration_s > 0.1", SubjectKind.WORKER),
        ("site.error_ratio > 0.1 or system.disk_percent > 0.1", SubjectKind.SITE),
    ],
)
def test_a_context_narrowed_to_what_is_read_gives_the_same_answer(
    text: str, subject: SubjectKind
) -> None:
    condition = compile_condition(text, subject)
    value = compile_value(None, condition, subject)
    variables = _variables(subject)
    full = cel.Context(variables)
    fields = merge_fields([condition.fields, value.fields if value else {}])
    narrowed = cel.Context(narrow(variables, fields))
    assert condition.holds(narrowed) == condition.holds(full)
    if value is not None:
        assert value.read(narrowed) == value.read(full)


def test_names_bound_by_macros_are_not_unknown_variables() -> None:
    condition = compile_condition(
        "run.items_checked > 0 and run.coverage.exists(f, run.coverage[f] < 0.9)",
        SubjectKind.RUN,
    )
    context = cel.Context({"run": {"items_checked": 5, "coverage": {"price": 0.5, "x": 1.0}}})
    assert condition.holds(context) is True
    with pytest.raises(RuleError, match="unknown variable 'g'"):
        compile_condition("run.coverage.exists(f, g > 1)", SubjectKind.RUN)
