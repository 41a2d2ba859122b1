import { describe, expect, it } from "vitest";

import { hostSeries } from "./hostSeries";

describe("hostSeries", () => {
  it("draws one line per figure the samples carry, in milliseconds", () => {
    const series = hostSeries([
      { at: 100, cpu_percent: 10, memory_percent: 40, disk_percent: null },
      { at: 110, cpu_percent: 30, memory_percent: 41, disk_percent: null },
    ]);
    expect(series.map((s) => s.name)).toEqual(["CPU", "memory"]);
    expect(series[0]?.data).toEqual([
      [100_000, 10],
      [110_000, 30],
    ]);
  });

  it("keeps the server's disk line", () => {
    const series = hostSeries([{ at: 1, cpu_percent: 1, memory_percent: 2, disk_percent: 70 }]);
    expect(series.find((s) => s.name === "disk")?.data).toEqual([[1000, 70]]);
  });
});
