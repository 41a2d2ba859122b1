import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ProgressBars } from "./ProgressBars";

describe("ProgressBars", () => {
  it("does not show an open level that caught up as finished", () => {
    render(
      <ProgressBars
        levels={[
          { level: "listings", done: 4, total: 4, percent: 100, eta_s: 0, open: false },
          { level: "products", done: 30, total: 30, percent: 99.9, eta_s: null, open: true },
        ]}
      />,
    );
    const bars = screen.getAllByRole("progressbar");
    expect(bars[0]?.className).toContain("done");
    // Its total still grows while the phase that finds products runs.
    expect(bars[1]?.className).not.toContain("done");
    const row = screen.getAllByTestId("progress-level")[1]?.textContent ?? "";
    expect(row).toContain("30 / 30+");
    expect(row).toContain("99.9");
    expect(row).not.toContain("ETA");
    expect(screen.getByTitle(/still growing/)).toBeTruthy();
  });
});
