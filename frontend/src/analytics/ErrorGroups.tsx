/** Errors grouped by type, stage and message pattern; a row opens to its example. */
import { memo, useState } from "react";
import { Link } from "react-router-dom";

import type { ErrorGroup } from "../lib/types";
import { fmtCount } from "./analyticsText";

function Sparkline({ counts }: { counts: [string, number][] }) {
  const max = Math.max(1, ...counts.map(([, n]) => n));
  return (
    <span className="spark" aria-hidden="true">
      {counts.slice(-48).map(([t, n]) => (
        <span key={t} style={{ height: `${Math.max(8, (n / max) * 100)}%` }} />
      ))}
    </span>
  );
}

const GroupRow = memo(function GroupRow({ g }: { g: ErrorGroup }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr data-testid="error-group">
        <td>
          <button
            type="button"
            className="btn small ghost"
            aria-expanded={open}
            onClick={() => setOpen((v) => !v)}
          >
            {open ? "▾" : "▸"}
          </button>
        </td>
        <td className="mono">{g.error_type}</td>
        <td className="mono">{g.error_stage}</td>
        <td className="ellipsis" title={g.pattern}>
          {g.pattern || "(no message)"}
        </td>
        <td className="r num">{fmtCount(g.count)}</td>
        <td>
          <Sparkline counts={g.counts} />
        </td>
        <td className="nowrap muted">{g.first_seen.slice(0, 16).replace("T", " ")}</td>
        <td className="nowrap muted">{g.last_seen.slice(0, 16).replace("T", " ")}</td>
      </tr>
      {open ? (
        <tr data-testid="error-example">
          <td />
          <td colSpan={7}>
            <div className="mono">{g.example_message}</div>
            <div className="muted">
              {g.collection} · {fmtCount(g.total)} ever · example from run{" "}
              <Link to={`/runs/${encodeURIComponent(g.example_run_id)}`}>{g.example_run_id}</Link>
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
});

export const ErrorGroups = memo(function ErrorGroups({ groups }: { groups: ErrorGroup[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="errors-table">
        <thead>
          <tr>
            <th />
            <th>Type</th>
            <th>Stage</th>
            <th>Message pattern</th>
            <th className="r">Count</th>
            <th>Over time</th>
            <th>First seen</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <GroupRow key={`${g.collection}/${g.fingerprint}`} g={g} />
          ))}
        </tbody>
      </table>
    </div>
  );
});
