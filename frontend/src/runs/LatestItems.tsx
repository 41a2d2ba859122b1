/**
 * The newest dataset items of the run (`GET /api/runs/{id}/items`), and links to download
 * all of them (`GET /api/runs/{id}/items/export`). Items are scraped data: every value is
 * shown as text.
 */
import { memo } from "react";
import { useQuery } from "@tanstack/react-query";

import { ApiError, api } from "../lib/api";
import { Icon } from "../shared/Icon";
import { Empty, Panel } from "../shared/Panel";

/** An item's fields by name; an item that is not a JSON object shows as one `value`. */
function fields(item: unknown): Record<string, unknown> {
  return item !== null && typeof item === "object" && !Array.isArray(item)
    ? (item as Record<string, unknown>)
    : { value: item };
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Plain links, not fetches: the browser streams the file to disk whatever its size, and
 * sends the session cookie (same origin) or nothing when auth is off.
 */
const Downloads = memo(function Downloads({ runId }: { runId: string }) {
  return (
    <div className="row" data-testid="item-downloads">
      {(["jsonl", "csv"] as const).map((format) => (
        <a
          key={format}
          className="btn small"
          href={api.itemsExportUrl(runId, format)}
          download
          data-testid={`download-${format}`}
          title={`Download every item of this run as ${format.toUpperCase()}`}
        >
          <Icon name="download" /> {format.toUpperCase()}
        </a>
      ))}
    </div>
  );
});

export function LatestItems({ runId, live }: { runId: string; live: boolean }) {
  const query = useQuery({
    queryKey: ["items", runId],
    queryFn: () => api.items(runId, 20),
    // Stop asking a server that has no such endpoint (or refused): errors do not heal by polling.
    refetchInterval: (q) => (live && !q.state.error ? 3000 : false),
    retry: false,
  });
  if (
    query.error instanceof ApiError &&
    query.error.isNotFound &&
    query.error.message.startsWith("no such endpoint")
  ) {
    return null; // this server has no items endpoint
  }
  const items = (query.data?.items ?? []).map(fields);
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))].slice(0, 4);
  return (
    <Panel
      title={`Items${query.data?.dataset ? ` in ${query.data.dataset}` : ""}`}
      testId="latest-items"
      actions={query.data?.dataset ? <Downloads runId={runId} /> : undefined}
      flush
    >
      {items.length === 0 ? (
        <Empty>{query.isPending ? "Loading…" : "No items yet."}</Empty>
      ) : (
        <div className="table-wrap" style={{ maxHeight: 260 }}>
          <table className="table">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((item, i) => (
                <tr key={i} data-testid="item-row">
                  {columns.map((c) => (
                    <td
                      key={c}
                      className="ellipsis"
                      style={{ maxWidth: 200 }}
                      title={text(item[c])}
                    >
                      {text(item[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
