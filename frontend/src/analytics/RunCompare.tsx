/** Two runs of one collection side by side: pick them, see each figure and the change. */
import { memo, useState } from "react";

import type { RunInsight } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty } from "../shared/Panel";
import { COMPARED, fmtDifference } from "./analyticsText";
import { useRunComparison } from "./useAnalytics";

function label(r: RunInsight): string {
  return `${r.created_at.slice(0, 16).replace("T", " ")} · ${r.collection} · ${r.run_id.slice(0, 8)}`;
}

export const RunCompare = memo(function RunCompare({ runs }: { runs: RunInsight[] }) {
  const newest = [...runs].reverse();
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const first = a || newest[1]?.run_id || "";
  const second = b || newest[0]?.run_id || "";
  const query = useRunComparison(first, second);
  if (runs.length < 2) return <Empty>Two runs in the range are needed to compare.</Empty>;
  const result = query.data;
  return (
    <div className="stack" data-testid="run-compare">
      <div className="row">
        <label>
          A{" "}
          <select value={first} onChange={(e) => setA(e.target.value)} data-testid="compare-a">
            {newest.map((r) => (
              <option key={r.run_id} value={r.run_id}>
                {label(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          B{" "}
          <select value={second} onChange={(e) => setB(e.target.value)} data-testid="compare-b">
            {newest.map((r) => (
              <option key={r.run_id} value={r.run_id}>
                {label(r)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {query.error ? <ErrorNotice error={query.error} what="the comparison" /> : null}
      {result ? (
        <table className="table" data-testid="compare-table">
          <thead>
            <tr>
              <th />
              <th className="r">A</th>
              <th className="r">B</th>
              <th className="r">B − A</th>
            </tr>
          </thead>
          <tbody>
            {COMPARED.map(({ label: name, field, fmt }) => {
              const x = result.a[field];
              const y = result.b[field];
              return (
                <tr key={field}>
                  <td>{name}</td>
                  <td className="r num">{typeof x === "number" ? fmt(x) : "–"}</td>
                  <td className="r num">{typeof y === "number" ? fmt(y) : "–"}</td>
                  <td className="r num">
                    {fmtDifference(result.difference[field] ?? null, result.change[field] ?? null)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
});
