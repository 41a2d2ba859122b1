"""The rules bench/alert_eval.py evaluates: a mix of user rules, the "subjects only" rules
and the latency triggers."""

from __future__ import annotations

import random
from typing import Any

from alert_runs import COLLECTIONS
from crawlscope.alerts.channels import parse_channel
from crawlscope.alerts.model import Grouping, Rule
from crawlscope.alerts.parsing import parse_rule
from crawlscope.alerts.rule_files import RuleFile
from crawlscope.alerts.rulebook import RuleBook, build_rulebook

TRIGGER = "bench trigger"
TRIGGER_FOR_S = 5.0

_RUN_RULES = (
    ("run.error_ratio_5m > {r} and run.requests_5m >= {n}", "{{ run.error_ratio_5m }} failed"),
    ("run.error_ratio_1m > {r} or run.failures_15m > {big}", "{{ run.failures_15m }} failures"),
    ("run.status == 'running' and run.items_per_min_5m < {ipm}", "{{ run.items_per_min_5m }}/min"),
    ("run.p95_ms_5m > {ms}", "p95 {{ run.p95_ms_5m }} ms"),
    ("run.p95_ms_15m > {ms} and run.requests_15m > {n}", "p95 {{ run.p95_ms_15m }} ms"),
    ("run.requests_per_s_1m < {rps} and run.duration_s > 60.0", "{{ run.requests_per_s_1m }}/s"),
    ("run.seconds_since_item > {s}", "no item for {{ run.seconds_since_item }} s"),
    ("run.workers_busy < {w} and run.status == 'running'", "{{ run.workers_busy }} busy"),
    ("run.progress_percent < 50.0 and run.eta_s > {eta}", "eta {{ run.eta_s }} s"),
    ("run.retries > {n} or run.tasks_failed > {big}", "{{ run.tasks_failed }} tasks failed"),
    (
        "run.items_checked >= {n} and run.validation_error_ratio > 0.01",
        "{{ run.validation_error_ratio }} invalid",
    ),
    (
        "run.items_checked >= {n} and run.coverage['price'] < {cov}",
        "price coverage fell ({{ run.items_checked }} checked)",
    ),
    ("run.breakers_open > 0 and run.successes_5m < {n}", "{{ run.breakers_open }} breakers"),
    ("run.failures_1m >= {n} and run.error_ratio_15m > {r}", "{{ run.failures_1m }} failures"),
)
_SITE_RULES = (
    ("site.error_ratio > {r} and site.requests >= {n}", "{{ site.name }}: {{ site.error_ratio }}"),
    ("site.p95_ms > {ms}", "{{ site.name }} p95 {{ site.p95_ms }} ms"),
    ("site.breaker == 'half_open'", "{{ site.name }} half open"),
    ("site.failures > {big} and run.status == 'running'", "{{ site.name }}: {{ site.failures }}"),
)
_WORKER_RULES = (
    ("worker.state == 'backing_off' and worker.state_s > {s}", "worker {{ worker.id }} backs off"),
    (
        "worker.state_s > {s} and worker.state != 'idle'",
        "worker {{ worker.id }} {{ worker.state }}",
    ),
    ("worker.tasks_done == 0 and run.duration_s > {s}", "worker {{ worker.id }} did nothing"),
    ("worker.median_task_s > {mt}", "worker {{ worker.id }}: {{ worker.median_task_s }} s/task"),
)


def user_rules(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` rules: 60 % run rules, 25 % site rules, 15 % worker rules, thresholds
    varied, a third scoped to one collection, ``for`` between 0 and 5 minutes."""
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for index in range(count):
        share = index / count
        if share < 0.6:
            condition, summary = _RUN_RULES[index % len(_RUN_RULES)]
        elif share < 0.85:
            condition, summary = _SITE_RULES[index % len(_SITE_RULES)]
        else:
            condition, summary = _WORKER_RULES[index % len(_WORKER_RULES)]
        values = {
            "r": f"{rng.choice([0.1, 0.2, 0.3, 0.5]):.2f}",
            "n": rng.choice([10, 20, 50, 100]),
            "big": rng.choice([100, 500, 2000]),
            "ipm": f"{rng.choice([1.0, 10.0, 60.0]):.1f}",
            "ms": f"{rng.choice([2000.0, 3000.0, 5000.0]):.1f}",
            "rps": f"{rng.choice([0.5, 1.0, 3.0]):.1f}",
            "s": f"{rng.choice([30.0, 60.0, 120.0, 600.0]):.1f}",
            "w": rng.choice([1, 2, 4]),
            "eta": f"{rng.choice([3600.0, 86400.0]):.1f}",
            "cov": f"{rng.choice([0.9, 0.95]):.2f}",
            "mt": f"{rng.choice([1.0, 2.0, 5.0]):.1f}",
        }
        rule: dict[str, Any] = {
            "name": f"rule-{index:03d}",
            "condition": condition.format(**values),
            "for": rng.choice(["0s", "30s", "1m", "2m", "5m"]),
            "severity": rng.choice(["info", "warning", "warning", "critical"]),
            "labels": {"team": rng.choice(["data", "ops"])},
            "summary": "{{ run.collection }} " + summary,
        }
        if index % 3 == 0:
            rule["scope"] = {"collection": COLLECTIONS[index % len(COLLECTIONS)]}
        rules.append(rule)
    return rules


def book_of(
    rules: list[dict[str, Any]], hook_url: str, grouping: Grouping, *, builtins: bool
) -> RuleBook:
    parsed: list[Rule] = [parse_rule(data, source="bench") for data in rules]
    files = RuleFile(
        rules=parsed,
        channels={"hook": parse_channel("hook", hook_url)},
        default_channels=("hook",),
        grouping=grouping,
    )
    return build_rulebook(files, builtins_on=builtins)


NOWHERE = "no-such-collection"
SUBJECTS_ONLY = [
    {"name": "only-runs", "condition": "run.requests < 0", "scope": {"collection": NOWHERE}},
    {"name": "only-sites", "condition": "site.requests < 0", "scope": {"collection": NOWHERE}},
    {"name": "only-workers", "condition": "worker.id < 0", "scope": {"collection": NOWHERE}},
]
WINDOWS_ONLY = SUBJECTS_ONLY[:1]


def trigger_rules(tag: str) -> list[dict[str, Any]]:
    """The latency rules: the same condition with ``for: 0`` and ``for: 5s``."""
    condition = f"run.paused_reason == '{TRIGGER}'"
    summary = "bench trigger on {{ run.id }}"
    # Critical, so no firing alert of the run can inhibit them.
    common = {"condition": condition, "summary": summary, "severity": "critical"}
    return [
        {"name": f"trigger-0s-{tag}", **common},
        {"name": f"trigger-5s-{tag}", "for": f"{TRIGGER_FOR_S:g}s", **common},
    ]
