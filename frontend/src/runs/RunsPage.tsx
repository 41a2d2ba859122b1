/** Runs: a filterable, paged table of stored runs and the dataset size after each run. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { api } from "../lib/api";
import { fmtDateTime, fmtDuration, fmtInt } from "../lib/format";
import { RUN_STATUSES, TERMINAL_STATUSES, type RunSummary } from "../lib/types";
import { RunStatusBadge } from "../shared/badges";
import { Chart, type ChartOption } from "../shared/Chart";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { NewRunButton } from "./NewRunButton";

export const PAGE_SIZE = 25;

export function RunTable({ runs, testId = "runs-table" }: { runs: RunSummary[]; testId?: string }) {
  if (runs.length === 0) return <Empty>No runs.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th>status</th>
            <th>run</th>
            <th>collection</th>
            <th>started</th>
            <th className="r">duration</th>
            <th className="r">items</th>
            <th className="r">new</th>
            <th className="r">errors</th>
            <th className="r">dataset size</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="run-row" data-run={run.id} data-status={run.status}>
              <td title={run.finish_reason ?? undefined} data-testid="run-finish-reason">
                <RunStatusBadge status={run.status} />
              </td>
              <td className="mono">
                <Link to={`/runs/${encodeURIComponent(run.id)}`} title={run.id}>
                  {run.id.length > 12 ? `${run.id.slice(0, 11)}…` : run.id}
                </Link>
              </td>
              <td>{run.collection ?? "–"}</td>
              <td className="nowrap">{fmtDateTime(run.started_at ?? run.created_at)}</td>
              <td className="r nowrap">{fmtDuration(run.duration_s)}</td>
              <td className="r">{fmtInt(run.totals?.items_found)}</td>
              <td className="r">{fmtInt(run.totals?.new_items)}</td>
              <td className="r">{fmtInt(run.totals?.errors)}</td>
              <td className="r">{fmtInt(run.dataset_size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Dataset size after each finished run (oldest first), one bar series per dataset. */
function DatasetHistory({ runs }: { runs: RunSummary[] }) {
  const finished = useMemo(
    () =>
      [...runs]
        .reverse()
        .filter(
          (r) =>
            TERMINAL_STATUSES.has(r.status) &&
            r.dataset_size !== null &&
            r.dataset_size !== undefined,
        ),
    [runs],
  );
  const option = useMemo<ChartOption>(() => {
    const datasets = [...new Set(finished.map((r) => r.dataset ?? r.collection ?? "dataset"))];
    return {
      grid: { left: 56, right: 16, top: 30, bottom: 40 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      xAxis: {
        type: "category",
        data: finished.map(
          (r) => `${fmtDateTime(r.ended_at ?? r.started_at ?? r.created_at)}\n${r.id.slice(0, 8)}`,
        ),
        // Two-line labels (time, run id) need an explicit line height, or ECharts draws
        // the second line over the first.
        axisLabel: { hideOverlap: true, lineHeight: 14 },
      },
      yAxis: { type: "value", min: 0 },
      series: datasets.map((name) => ({
        name,
        type: "bar",
        barMaxWidth: 28,
        data: finished.map((r) =>
          (r.dataset ?? r.collection ?? "dataset") === name ? r.dataset_size : null,
        ),
      })),
    };
  }, [finished]);
  return (
    <Panel title="Dataset size after each run" testId="dataset-history">
      {finished.length === 0 ? (
        <Empty>No finished runs with a dataset snapshot on this page.</Empty>
      ) : (
        <Chart option={option} height={220} label="Dataset size after each finished run" />
      )}
    </Panel>
  );
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const page = Math.max(0, Number(params.get("page") ?? "0") || 0);
  const query = useQuery({
    queryKey: ["runs", { status, page }],
    queryFn: () =>
      api.runs({ status: status || undefined, limit: PAGE_SIZE, offset: page * PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  });
  const update = (next: Record<string, string>) => {
    const merged = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) merged.set(k, v);
      else merged.delete(k);
    }
    setParams(merged);
  };
  const total = query.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="stack" data-testid="runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <span className="spacer" />
        <label className="field">
          Status
          <select
            value={status}
            onChange={(e) => update({ status: e.target.value, page: "" })}
            data-testid="runs-status-filter"
          >
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <NewRunButton />
      </div>
      {query.error ? <ErrorNotice error={query.error} what="runs" /> : null}
      <Panel
        title={`${fmtInt(total)} run${total === 1 ? "" : "s"}`}
        flush
        actions={
          <nav className="row" aria-label="Pages">
            <button
              type="button"
              className="btn small"
              disabled={page === 0}
              onClick={() => update({ page: String(page - 1) })}
              data-testid="runs-prev"
            >
              Previous
            </button>
            <span className="muted small" data-testid="runs-page-label">
              page {page + 1} of {pages}
            </span>
            <button
              type="button"
              className="btn small"
              disabled={page + 1 >= pages}
              onClick={() => update({ page: String(page + 1) })}
              data-testid="runs-next"
            >
              Next
            </button>
          </nav>
        }
      >
        {query.isPending ? <Empty>Loading…</Empty> : <RunTable runs={query.data?.runs ?? []} />}
      </Panel>
      <DatasetHistory runs={query.data?.runs ?? []} />
    </div>
  );
}
