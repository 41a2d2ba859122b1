import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { FeedStore } from "../lib/feed/feedStore";
import { event } from "../test/fixtures";
import { ActivityFeed, PipelineFeed } from "./Feeds";

describe("feeds of a run whose events were pruned", () => {
  it("say so above both feeds", () => {
    const feed = new FeedStore();
    render(
      <>
        <ActivityFeed feed={feed} workerIds={[1, 2]} prunedAt="2026-12-04T09:00:00.000Z" />
        <PipelineFeed feed={feed} prunedAt="2026-12-04T09:00:00.000Z" />
      </>,
    );
    const notices = screen.getAllByTestId("events-pruned");
    expect(notices).toHaveLength(2);
    expect(notices[0]?.textContent).toMatch(/events were pruned on .*retention/);
    expect(screen.getAllByText("Events pruned.")).toHaveLength(2);
  });

  it("say nothing of pruning while the events are kept", () => {
    const feed = new FeedStore();
    render(
      <>
        <ActivityFeed feed={feed} workerIds={[1]} prunedAt={null} />
        <PipelineFeed feed={feed} />
      </>,
    );
    expect(screen.queryByTestId("events-pruned")).toBeNull();
    expect(screen.getByText("No items written yet.")).toBeTruthy();
  });
});

describe("the activity feed between a change and its notification", () => {
  it("shows what the feed holds when it renders, not the size of its last notification", () => {
    const feed = new FeedStore();
    const view = render(<ActivityFeed feed={feed} workerIds={[1]} />);
    expect(screen.getByTestId("activity-held").textContent).toMatch(/showing 0 of the newest 0/);
    // History put before live events, then a render for another reason (a state frame)
    // before the feed's throttled notification.
    feed.seed([1, 2, 3].map((seq) => event({ seq, worker_id: 1 })));
    view.rerender(<ActivityFeed feed={feed} workerIds={[1, 2]} />);
    expect(screen.getByTestId("activity-held").textContent).toMatch(/showing 3 of the newest 3/);
    expect(screen.queryByText("No matching activity.")).toBeNull();
  });
});
