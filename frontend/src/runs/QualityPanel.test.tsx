import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { QualityCard } from "../lib/types";
import { QualityPanel } from "./QualityPanel";

function quality(partial: Partial<QualityCard> = {}): QualityCard {
  return {
    checked: 200,
    invalid: 9,
    schema: "msgspec",
    fields: [
      { field: "seller_id", present: 200, coverage: 1, errors: 0 },
      { field: "name", present: 200, coverage: 1, errors: 0 },
      { field: "country", present: 171, coverage: 0.855, errors: 0 },
      { field: "rating", present: 140, coverage: 0.7, errors: 9 },
    ],
    other_errors: 0,
    ...partial,
  };
}

function row(field: string) {
  const found = screen
    .getAllByTestId("quality-row")
    .find((r) => r.getAttribute("data-field") === field);
  if (!found) throw new Error(`no row for ${field}`);
  return within(found);
}

describe("QualityPanel", () => {
  it("is not shown for a run without an item schema", () => {
    const { container } = render(<QualityPanel quality={null} />);
    expect(container).toBeEmptyDOMElement();
    render(<QualityPanel quality={undefined} />);
    expect(screen.queryByTestId("quality-panel")).toBeNull();
  });

  it("shows the totals and one row per field, in declared order", () => {
    render(<QualityPanel quality={quality()} />);
    const panel = screen.getByTestId("quality-panel");
    expect(within(panel).getByRole("heading")).toHaveTextContent("Data quality msgspec");
    expect(screen.getByTestId("quality-checked")).toHaveTextContent("200");
    expect(screen.getByTestId("quality-invalid")).toHaveTextContent("9");
    expect(panel).toHaveTextContent("(4.5%)");
    expect(screen.getAllByTestId("quality-row").map((r) => r.getAttribute("data-field"))).toEqual([
      "seller_id",
      "name",
      "country",
      "rating",
    ]);

    const rating = row("rating");
    expect(rating.getByTestId("quality-coverage")).toHaveTextContent("70%");
    expect(rating.getByTestId("quality-present")).toHaveTextContent("140");
    expect(rating.getByTestId("quality-errors")).toHaveTextContent("9");
    expect(rating.getByTestId("quality-errors")).toHaveClass("err-text");
    const bar = rating.getByRole("meter", { name: "rating coverage" });
    expect(bar).toHaveAttribute("aria-valuenow", "0.7");
    expect(bar).toHaveClass("low");
    expect(bar.querySelector("span")).toHaveStyle({ width: "70%" });

    const country = row("country");
    expect(country.getByTestId("quality-coverage")).toHaveTextContent("85.5%");
    expect(country.getByRole("meter")).not.toHaveClass("low");
    expect(row("name").getByTestId("quality-errors")).not.toHaveClass("err-text");
  });

  it("shows no coverage before any item was checked", () => {
    render(
      <QualityPanel
        quality={quality({
          checked: 0,
          invalid: 0,
          fields: [{ field: "name", present: 0, coverage: 0, errors: 0 }],
        })}
      />,
    );
    expect(row("name").getByTestId("quality-coverage")).toHaveTextContent("–");
    expect(row("name").getByRole("meter")).not.toHaveClass("low");
    expect(screen.getByTestId("quality-panel")).toHaveTextContent("(–)");
  });

  it("counts errors outside the quality fields on a row of their own", () => {
    render(<QualityPanel quality={quality({ other_errors: 3 })} />);
    const other = row("$");
    expect(other.getByText("other fields / whole item")).toBeInTheDocument();
    expect(other.getByTestId("quality-errors")).toHaveTextContent("3");
  });

  it("shows field names as text", () => {
    const name = "<img src=x onerror=alert(1)>";
    render(
      <QualityPanel
        quality={quality({ fields: [{ field: name, present: 1, coverage: 0.5, errors: 0 }] })}
      />,
    );
    expect(row(name).getByText(name)).toBeInTheDocument();
    expect(document.querySelector("img")).toBeNull();
  });
});
