/**
 * The newest dataset items of the run (`GET /api/runs/{id}/items`). Items are scraped
 * data: every value is shown as text.
 */
import { useQuery } from "@tanstack/react-query";

import { ApiError, api } from "../lib/api";
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
