import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import { ScheduleForm } from "./ScheduleForm";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** The server: two collections, and a 400 naming `cron` for any new schedule. */
function stubServer(sent: unknown[]) {
  vi.stubGlobal(
    "fetch",
    vi.fn((path: string, init?: RequestInit) => {
      if (path === "/api/collections") {
        return Promise.resolve(
          json(200, {
            collections: [
              { name: "demo", description: "", phases: [], params_schema: null, defaults: {} },
              { name: "shop", description: "", phases: [], params_schema: null, defaults: {} },
            ],
          }),
        );
      }
      sent.push(JSON.parse(init?.body as string));
      return Promise.resolve(
        json(400, {
          error: {
            code: "bad_request",
            message: "bad cron expression '61 * * * *': Bad minute",
            field: "cron",
          },
        }),
      );
    }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("ScheduleForm", () => {
  it("sends the schedule and shows the server's 400 next to the field it names", async () => {
    const sent: unknown[] = [];
    stubServer(sent);
    const user = userEvent.setup();
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <ScheduleForm onCreated={() => undefined} />
      </QueryClientProvider>,
    );
    const collection = await screen.findByTestId("schedule-collection");
    await within(collection).findByText("shop");
    await user.selectOptions(collection, "shop");
    await user.type(screen.getByTestId("schedule-name"), "nightly");
    await user.click(screen.getByTestId("kind-cron"));
    const cron = screen.getByTestId("schedule-cron");
    await user.clear(cron);
    await user.type(cron, "61 * * * *");
    await user.selectOptions(screen.getByTestId("schedule-overlap"), "queue");
    await user.click(screen.getByTestId("schedule-submit"));

    const error = await screen.findByTestId("error-cron");
    expect(error).toHaveTextContent("bad cron expression '61 * * * *': Bad minute");
    // inside the cron field's label, which is marked invalid
    const field = cron.closest("label");
    expect(field).toContainElement(error);
    expect(field).toHaveAttribute("data-invalid", "true");
    expect(sent).toEqual([
      {
        name: "nightly",
        collection: "shop",
        params: {},
        timezone: "UTC",
        overlap: "queue",
        catch_up: "skip",
        cron: "61 * * * *",
      },
    ]);
  });

  it("refuses parameters that are not a JSON object before sending", async () => {
    const sent: unknown[] = [];
    stubServer(sent);
    const user = userEvent.setup();
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <ScheduleForm onCreated={() => undefined} />
      </QueryClientProvider>,
    );
    await within(await screen.findByTestId("schedule-collection")).findByText("demo");
    const params = screen.getByTestId("schedule-params");
    await user.clear(params);
    await user.type(params, "[[1]");
    await user.click(screen.getByTestId("schedule-submit"));
    expect(await screen.findByTestId("error-params")).toHaveTextContent("JSON object");
    expect(sent).toEqual([]);
  });
});
