import { describe, expect, it } from "vitest";

import type { AlertRecord, AlertRule, TimelineEntry } from "../lib/types";
import {
  bodyFromForm,
  EMPTY_RULE_FORM,
  fmtFor,
  fmtValue,
  FormError,
  formFromRule,
  groupByDay,
  parseActionLines,
  ruleFieldOf,
  ruleOrigin,
  shortSource,
  silenceActive,
  sinceFor,
  sortOpen,
  stalledWorkers,
  whereToChange,
} from "./alertText";

function alert(partial: Partial<AlertRecord> & { id: string }): AlertRecord {
  return {
    rule: "r",
    fingerprint: partial.id,
    state: "firing",
    severity: "warning",
    labels: {},
    summary: "",
    value: null,
    pending_since: "2026-11-22T09:00:00.000Z",
    fired_at: "2026-11-22T09:01:00.000Z",
    resolved_at: null,
    updated_at: null,
    silenced_by: null,
    inhibited_by: null,
    run_id: null,
    extra: {},
    ...partial,
  };
}

describe("the rule editor's form", () => {
  it("turns the typed text into the API's rule body", () => {
    const body = bodyFromForm({
      ...EMPTY_RULE_FORM,
      name: " shop-errors ",
      condition: "run.error_ratio_5m > 0.2 and run.requests_5m >= 50\n",
      for: "2m",
      severity: "critical",
      collection: "shop",
      labels: "team=data\n\n owner = ops ",
      summary: "{{ run.collection }} fails",
      channels: "mail, hook,",
      actions: "pause\nopen_breaker: 5m\nlower_concurrency 2",
    });
    expect(body).toEqual({
      name: "shop-errors",
      condition: "run.error_ratio_5m > 0.2 and run.requests_5m >= 50",
      for: "2m",
      severity: "critical",
      scope: { collection: "shop" },
      labels: { team: "data", owner: "ops" },
      summary: "{{ run.collection }} fails",
      channels: ["mail", "hook"],
      actions: ["pause", { open_breaker: "5m" }, { lower_concurrency: 2 }],
      enabled: true,
    });
    // no subject chosen: the server infers it
    expect(body).not.toHaveProperty("subject");
  });

  it("refuses a label line without '=' before asking the server", () => {
    expect(() => bodyFromForm({ ...EMPTY_RULE_FORM, labels: "team" })).toThrow(FormError);
  });

  it("shows a stored rule (omit_defaults: absent fields are defaults) and round-trips it", () => {
    const rule: AlertRule = {
      name: "slow",
      condition: "run.p95_ms_5m > 2000.0",
      for_s: 300,
      scope: { site: "example.com" },
      actions: [{ kind: "open_breaker", duration_s: 120 }, { kind: "cancel" }],
      enabled: false,
    };
    const form = formFromRule(rule);
    expect(form).toMatchObject({
      subject: "run",
      for: "5m",
      severity: "warning",
      site: "example.com",
      actions: "open_breaker 2m\ncancel",
      enabled: false,
    });
    expect(bodyFromForm(form)).toMatchObject({
      subject: "run",
      for: "5m",
      scope: { site: "example.com" },
      actions: [{ open_breaker: "2m" }, "cancel"],
      enabled: false,
    });
  });

  it("places a server 400 on the input its field names", () => {
    expect(ruleFieldOf("condition")).toBe("condition");
    expect(ruleFieldOf("for_")).toBe("for");
    expect(ruleFieldOf("scope.site")).toBe("scope");
    expect(ruleFieldOf("value")).toBe("form");
    expect(ruleFieldOf("url")).toBe("form");
    expect(ruleFieldOf(undefined)).toBe("form");
  });

  it("parses actions with or without a colon", () => {
    expect(parseActionLines("open_breaker 30s\n lower_concurrency: 3 \n\npause")).toEqual([
      { open_breaker: "30s" },
      { lower_concurrency: 3 },
      "pause",
    ]);
  });
});

describe("alert helpers", () => {
  it("formats durations the server reads back", () => {
    expect(fmtFor(undefined)).toBe("0s");
    expect(fmtFor(90)).toBe("90s");
    expect(fmtFor(300)).toBe("5m");
    expect(fmtFor(7200)).toBe("2h");
    expect(fmtFor(0.5)).toBe("0.5s");
  });

  it("formats values compactly", () => {
    expect(fmtValue(null)).toBe("–");
    expect(fmtValue(12)).toBe("12");
    expect(fmtValue(0.23456)).toBe("0.235");
    expect(fmtValue(1234.56)).toBe("1,234.6");
  });

  it("says where a read-only rule is changed", () => {
    const builtin: AlertRule = {
      name: "disk_full",
      condition: "x",
      builtin: true,
      source: "builtin",
    };
    const file: AlertRule = { name: "a", condition: "x", source: "alerts/shop.yaml:12" };
    const api: AlertRule = { name: "b", condition: "x" };
    expect(ruleOrigin(builtin)).toBe("builtin");
    expect(ruleOrigin(file)).toBe("file");
    expect(ruleOrigin(api)).toBe("api");
    expect(whereToChange(file)).toContain("alerts/shop.yaml:12");
    expect(shortSource(file)).toBe("shop.yaml:12");
    expect(shortSource(builtin)).toBe("built-in");
    expect(whereToChange(builtin)).toContain("builtin:");
  });

  it("lists firing before pending, critical first, and leaves resolved ones out", () => {
    const sorted = sortOpen([
      alert({ id: "p", state: "pending", severity: "critical" }),
      alert({ id: "w", severity: "warning" }),
      alert({ id: "c", severity: "critical" }),
      alert({ id: "r", state: "resolved" }),
    ]);
    expect(sorted.map((a) => a.id)).toEqual(["c", "w", "p"]);
  });

  it("finds the run's workers with an open worker_stalled alert", () => {
    const stalled = stalledWorkers(
      [
        alert({ id: "1", rule: "worker_stalled", labels: { run_id: "run1", worker: "3" } }),
        alert({
          id: "2",
          rule: "worker_stalled",
          state: "pending",
          labels: { run_id: "run1", worker: "5" },
        }),
        alert({
          id: "3",
          rule: "worker_stalled",
          state: "resolved",
          labels: { run_id: "run1", worker: "7" },
        }),
        alert({ id: "4", rule: "worker_stalled", labels: { run_id: "other", worker: "8" } }),
        alert({ id: "5", rule: "breaker_open", labels: { run_id: "run1", worker: "9" } }),
      ],
      "run1",
    );
    expect([...stalled].sort()).toEqual(["3", "5"]);
  });

  it("knows whether a silence is in force", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(silenceActive({ ends_at: "2026-11-22T11:00:00Z", expired_at: null }, now)).toBe(true);
    expect(silenceActive({ ends_at: "2026-11-22T09:00:00Z", expired_at: null }, now)).toBe(false);
    expect(
      silenceActive({ ends_at: "2026-11-22T11:00:00Z", expired_at: "2026-11-22T09:30:00Z" }, now),
    ).toBe(false);
  });

  it("asks for a range from the minute's start", () => {
    const now = Date.parse("2026-11-22T10:00:42.500Z");
    expect(sinceFor("1h", now)).toBe("2026-11-22T09:00:00.000Z");
    expect(sinceFor("7d", now)).toBe("2026-11-15T10:00:00.000Z");
  });

  it("groups state changes by day, keeping their order", () => {
    const at = (iso: string): TimelineEntry => ({
      alert_id: iso,
      rule: "r",
      state: "firing",
      at: iso,
      value: null,
      summary: "",
      labels: {},
    });
    // noon, so no time zone moves them to another day
    const days = groupByDay([
      at("2026-11-22T12:30:00Z"),
      at("2026-11-22T12:00:00Z"),
      at("2026-11-21T12:00:00Z"),
    ]);
    expect(days.map(([day, list]) => [day, list.length])).toEqual([
      ["2026-11-22", 2],
      ["2026-11-21", 1],
    ]);
  });
});
