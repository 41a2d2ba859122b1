import { describe, expect, it } from "vitest";

import { timeAxis } from "./chartAxis";

describe("timeAxis", () => {
  it("shows at least a minute from the first point", () => {
    expect(timeAxis([1_000])).toMatchObject({ min: 1_000, max: 61_000 });
    expect(timeAxis([1_000, 20_000])).toMatchObject({ min: 1_000, max: 61_000 });
  });

  it("lets a longer run's axis follow its points", () => {
    const axis = timeAxis([0, 120_000]);
    expect(axis.min).toBeUndefined();
    expect(axis.max).toBeUndefined();
  });

  it("has no bounds without points", () => {
    expect(timeAxis([]).min).toBeUndefined();
  });
});
