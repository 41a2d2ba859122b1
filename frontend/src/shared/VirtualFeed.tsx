/**
 * A virtualised list: only the rows in view (plus a few) exist in the DOM, so a feed of
 * thousands of entries costs the same as one of twenty. Rows have a fixed height, which
 * keeps scrolling cheap and stable while entries arrive.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, type ReactNode } from "react";

import type { ListSource } from "./listSource";

export function VirtualFeed<T>({
  source,
  rowHeight = 40,
  height = 360,
  render,
  getKey,
  label,
  testId,
  empty,
}: {
  source: ListSource<T>;
  rowHeight?: number;
  height?: number;
  render: (item: T, index: number) => ReactNode;
  getKey: (item: T, index: number) => string;
  label: string;
  testId?: string;
  empty?: ReactNode;
}) {
  const parent = useRef<HTMLDivElement>(null);
  // The warning is for the React Compiler, which this build does not use: it would skip
  // memoising this component because the virtualizer's functions change identity.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: source.size,
    getScrollElement: () => parent.current,
    estimateSize: () => rowHeight,
    overscan: 6,
    getItemKey: (i) => {
      const item = source.newest(i);
      return item === undefined ? `missing-${i}` : getKey(item, i);
    },
    // jsdom and first paint have no layout: still render a first screenful.
    initialRect: { width: 600, height },
  });
  if (source.size === 0) {
    return (
      <div className="empty" data-testid={testId} data-count={0}>
        {empty ?? "Nothing yet."}
      </div>
    );
  }
  return (
    <div
      ref={parent}
      className="feed"
      style={{ height, overflowY: "auto", position: "relative" }}
      role="log"
      aria-label={label}
      tabIndex={0}
      data-testid={testId}
      data-count={source.size}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((row) => {
          const item = source.newest(row.index);
          return item === undefined ? null : (
            <div
              key={row.key}
              className="feed-row"
              data-index={row.index}
              style={{
                position: "absolute",
                top: 0,
                left: 0,
                right: 0,
                height: rowHeight,
                transform: `translateY(${row.start}px)`,
              }}
            >
              {render(item, row.index)}
            </div>
          );
        })}
      </div>
    </div>
  );
}
