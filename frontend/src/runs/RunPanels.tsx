/**
 * The right-hand panels of the run page: run metrics, error breakdown and sites. Every
 * figure is read from the state frame (server aggregates), never counted here.
 */
import { fmtAgo, fmtInt, fmtMs, fmtRatio, humanize, truncate } from "../lib/format";
import type { ErrorSummary, RunFrame, SiteCard } from "../lib/types";
import { BreakerBadge } from "../shared/badges";
import { MESSAGE_LIMIT } from "../shared/EventRow";
import { Empty, Panel } from "../shared/Panel";

export function RunMetrics({ frame }: { frame: RunFrame }) {
  const t = frame.totals;
  const successRate = t.requests > 0 ? t.successes / t.requests : null;
  const rows: [string, string, string][] = [
    ["requests", fmtInt(t.requests), "requests"],
    ["successes", `${fmtInt(t.successes)} (${fmtRatio(successRate)})`, "successes"],
    ["failures", fmtInt(t.failures), "failures"],
    ["retries", fmtInt(t.retries), "retries"],
    ["errors", fmtInt(t.errors), "errors"],
    ["items found", fmtInt(t.items_found), "items_found"],
    ["new items", fmtInt(t.new_items), "new_items"],
    ["updated items", fmtInt(t.updated_items), "updated_items"],
    ["duplicates", fmtInt(t.duplicates), "duplicates"],
    ["tasks done", fmtInt(t.tasks_done), "tasks_done"],
    ["tasks failed", fmtInt(t.tasks_failed), "tasks_failed"],
    ["tasks requeued", fmtInt(t.tasks_requeued), "tasks_requeued"],
    ["events", fmtInt(t.events), "events"],
    ["dataset size", fmtInt(frame.dataset_size), "dataset_size"],
  ];
  return (
    <Panel title="Run metrics" testId="run-metrics">
      <dl className="kv">
        {rows.map(([label, value, key]) => (
          <div key={key} style={{ display: "contents" }}>
            <dt>{label}</dt>
            <dd data-testid={`total-${key}`}>{value}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}

function Chips({ counts, testId }: { counts: Record<string, number>; testId: string }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <span className="subtle">none</span>;
  return (
    <span className="chips" data-testid={testId}>
      {entries.map(([k, v]) => (
        <span key={k} className="chip">
          {humanize(k)} <b className="num">{fmtInt(v)}</b>
        </span>
      ))}
    </span>
  );
}

export function ErrorBreakdown({ frame }: { frame: RunFrame }) {
  const errors: ErrorSummary[] = [...(frame.errors ?? [])].sort((a, b) => b.count - a.count);
  return (
    <Panel title={`Errors (${fmtInt(frame.totals.errors)})`} testId="error-breakdown" flush>
      <div className="panel-body stack">
        <div className="row">
          <span className="muted">by type</span>
          <Chips counts={frame.totals.errors_by_type} testId="errors-by-type" />
        </div>
        <div className="row">
          <span className="muted">by stage</span>
          <Chips counts={frame.totals.errors_by_stage} testId="errors-by-stage" />
        </div>
      </div>
      {errors.length === 0 ? (
        <Empty>No errors.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>type</th>
                <th>stage</th>
                <th className="r">count</th>
                <th>latest</th>
              </tr>
            </thead>
            <tbody>
              {errors.map((e) => (
                <tr
                  key={`${e.error_type}/${e.error_stage}`}
                  data-testid="error-row"
                  data-type={e.error_type}
                  data-stage={e.error_stage}
                >
                  <td className="nowrap">{humanize(e.error_type)}</td>
                  <td className="nowrap">{e.error_stage}</td>
                  <td className="r">{fmtInt(e.count)}</td>
                  <td className="err-msg">
                    {e.last_message ? (
                      <span title={e.last_message} data-testid="error-message">
                        {truncate(e.last_message, MESSAGE_LIMIT)}
                      </span>
                    ) : (
                      <span className="subtle">–</span>
                    )}
                    <span className="subtle small">
                      {e.last_worker_id ? ` W${e.last_worker_id}` : ""}
                      {e.last_ts ? ` · ${fmtAgo(e.last_ts)}` : ""}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

export function SiteTable({ sites }: { sites: SiteCard[] }) {
  return (
    <Panel title="Sites" testId="site-table" flush>
      {sites.length === 0 ? (
        <Empty>No requests yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>site · breaker</th>
                <th className="r">req</th>
                <th className="r">ok</th>
                <th className="r nowrap">p50 / p95</th>
              </tr>
            </thead>
            <tbody>
              {sites.map((s) => (
                <tr key={s.site} data-testid="site-row" data-site={s.site}>
                  <td style={{ maxWidth: 170 }}>
                    <div className="mono ellipsis" title={s.site}>
                      {s.site}
                    </div>
                    <BreakerBadge state={s.breaker} />
                  </td>
                  <td className="r">{fmtInt(s.requests)}</td>
                  <td className="r">
                    {fmtRatio(s.requests > 0 ? s.successes / s.requests : null)}
                  </td>
                  <td
                    className="r nowrap"
                    title={`p50 ${fmtMs(s.p50_ms)}, p95 ${fmtMs(s.p95_ms)}, average ${fmtMs(s.avg_ms)}`}
                  >
                    {fmtMs(s.p50_ms)} / {fmtMs(s.p95_ms)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
