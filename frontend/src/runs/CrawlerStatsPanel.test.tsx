import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fmtStat } from "../lib/format";
import { CrawlerStatsPanel } from "./CrawlerStatsPanel";

describe("CrawlerStatsPanel", () => {
  it("is not shown for a run without crawler stats", () => {
    const { container } = render(<CrawlerStatsPanel stats={null} />);
    expect(container).toBeEmptyDOMElement();
  });

  it("lists every stat by key", () => {
    render(
      <CrawlerStatsPanel
        stats={{ "retry/count": 12, finish_reason: "finished", "downloader/request_count": 1234 }}
      />,
    );
    const keys = screen.getAllByRole("row").map((row) => row.firstElementChild?.textContent);
    expect(keys).toEqual(["downloader/request_count", "finish_reason", "retry/count"]);
    expect(screen.getByText("finished")).toBeInTheDocument();
  });

  it("formats values", () => {
    expect(fmtStat(1234)).toBe("1,234");
    expect(fmtStat("x")).toBe("x");
    expect(fmtStat({ a: 1 })).toBe('{"a":1}');
  });
});
