import { describe, expect, it } from "vitest";

import {
  fmtBytes,
  fmtCost,
  fmtDifference,
  fmtMs,
  fmtRate,
  heatGrid,
  rangeParams,
} from "./analyticsText";

describe("rangeParams", () => {
  it("turns a picked range into days back", () => {
    expect(rangeParams("24h", "")).toEqual({ days: 1 });
    expect(rangeParams("30d", "demo")).toEqual({ days: 30, collection: "demo" });
    expect(rangeParams("1h", "").days).toBeCloseTo(1 / 24);
  });
});

describe("formatting", () => {
  it("writes rates as percentages and nothing counted as a dash", () => {
    expect(fmtRate(0.876)).toBe("87.6 %");
    expect(fmtRate(null)).toBe("–");
  });
  it("writes latencies in ms below a second and s above", () => {
    expect(fmtMs(12.4)).toBe("12 ms");
    expect(fmtMs(2500)).toBe("2.50 s");
    expect(fmtMs(null)).toBe("–");
  });
  it("keeps small costs readable", () => {
    expect(fmtCost(0)).toBe("0");
    expect(fmtCost(0.0012345)).toBe("0.00123");
    expect(fmtCost(12.345)).toBe("12.35");
    expect(fmtCost(null)).toBe("–");
  });
  it("writes sizes in decimal units", () => {
    expect(fmtBytes(999)).toBe("999 B");
    expect(fmtBytes(1_500_000)).toBe("1.5 MB");
  });
  it("signs differences and their relative change", () => {
    expect(fmtDifference(12, 0.08)).toBe("+12 (+8.0 %)");
    expect(fmtDifference(-0.5, -0.25)).toBe("-0.5 (-25.0 %)");
    expect(fmtDifference(3, null)).toBe("+3");
    expect(fmtDifference(null, null)).toBe("–");
  });
});

describe("heatGrid", () => {
  it("places cells by weekday and hour and finds the largest", () => {
    const { grid, max } = heatGrid([
      { weekday: 0, hour: 9, requests: 5, items_found: 0, errors: 0, success_rate: 1 },
      { weekday: 6, hour: 23, requests: 7, items_found: 0, errors: 0, success_rate: 1 },
    ]);
    expect(grid).toHaveLength(7);
    expect(grid[0]?.[9]).toBe(5);
    expect(grid[6]?.[23]).toBe(7);
    expect(grid[3]?.reduce((a, b) => a + b, 0)).toBe(0);
    expect(max).toBe(7);
  });
});
