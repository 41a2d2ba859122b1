/**
 * Target sites of the runs live in the server (`GET /api/health/sites`): each site's
 * circuit breaker (the worst among the active runs using it) and its last success.
 * Open and half-open breakers come first, then the busiest sites.
 */
import { useQuery } from "@tanstack/react-query";

import { api } from "../lib/api";
import { useNow } from "../lib/clock";
import { fmtAgo, fmtDateTime, fmtInt } from "../lib/format";
import type { SiteHealth } from "../lib/types";
import { BreakerBadge } from "../shared/badges";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";

const SHOWN = 12;
const BREAKER_RANK: Record<string, number> = { open: 0, half_open: 1, closed: 2 };

function ordered(sites: SiteHealth[]): SiteHealth[] {
  return [...sites].sort(
    (a, b) =>
      (BREAKER_RANK[a.breaker] ?? 2) - (BREAKER_RANK[b.breaker] ?? 2) ||
      b.requests - a.requests ||
      a.site.localeCompare(b.site),
  );
}

export function TargetSitesPanel() {
  const query = useQuery({
    queryKey: ["target-sites"],
    queryFn: api.targetSites,
    refetchInterval: 5000,
  });
  const sites = ordered(query.data?.sites ?? []);
  const now = useNow();
  return (
    <Panel title="Target sites" testId="target-sites" flush>
      {query.error ? (
        <ErrorNotice error={query.error} what="target sites" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : sites.length === 0 ? (
        <Empty>No live run has sent a request.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>site · breaker</th>
                <th className="r nowrap">last success</th>
                <th className="r">req</th>
              </tr>
            </thead>
            <tbody>
              {sites.slice(0, SHOWN).map((s) => (
                <tr key={s.site} data-testid="target-site" data-site={s.site}>
                  <td style={{ maxWidth: 190 }}>
                    <div className="mono ellipsis" title={s.site}>
                      {s.site}
                    </div>
                    <span
                      title={s.breaker_since ? `since ${fmtDateTime(s.breaker_since)}` : undefined}
                    >
                      <BreakerBadge state={s.breaker} />
                    </span>
                  </td>
                  <td
                    className="r nowrap"
                    data-testid="last-success"
                    title={s.last_success_at ? fmtDateTime(s.last_success_at) : "no success yet"}
                  >
                    {s.last_success_at ? fmtAgo(s.last_success_at, now) : "never"}
                  </td>
                  <td className="r">{fmtInt(s.requests)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {sites.length > SHOWN ? (
            <div className="muted small" style={{ padding: "6px 12px" }}>
              and {fmtInt(sites.length - SHOWN)} more
            </div>
          ) : null}
        </div>
      )}
    </Panel>
  );
}
