/**
 * Dataset insights of one collection: per field, how many sampled items have it, its most
 * common values with bars, and for numbers their range, median, p95 and a histogram.
 */
import { memo } from "react";

import { fmtInt, fmtNum } from "../lib/format";
import type { FieldInsight, FieldInsights } from "../lib/types";
import { Empty } from "../shared/Panel";

function Bars({ rows }: { rows: { label: string; count: number }[] }) {
  const most = Math.max(1, ...rows.map((r) => r.count));
  return (
    <ul className="field-bars">
      {rows.map((r) => (
        <li key={r.label}>
          <span className="field-bar-label mono" title={r.label}>
            {r.label}
          </span>
          <span className="field-bar" style={{ width: `${(r.count / most) * 100}%` }} />
          <span className="num small">{fmtInt(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}

function FieldCard({ field }: { field: FieldInsight }) {
  const n = field.numeric;
  return (
    <div className="field-card" data-testid="field-insight" data-field={field.field}>
      <div className="row">
        <b className="mono">{field.field}</b>
        <span className="subtle small">
          {fmtInt(field.present)} present · {fmtInt(field.missing)} missing ·{" "}
          {fmtInt(field.distinct)} distinct
        </span>
      </div>
      {n ? (
        <>
          <div className="subtle small">
            min {fmtNum(n.min)} · median {fmtNum(n.p50)} · p95 {fmtNum(n.p95)} · max {fmtNum(n.max)}{" "}
            · mean {fmtNum(n.mean)}
          </div>
          <Bars
            rows={n.bins.map((b) => ({
              label: `${fmtNum(b.low)} – ${fmtNum(b.high)}`,
              count: b.count,
            }))}
          />
        </>
      ) : (
        <Bars rows={(field.top ?? []).map((v) => ({ label: v.value, count: v.count }))} />
      )}
    </div>
  );
}

function FieldInsightsImpl({ insights }: { insights: FieldInsights | undefined }) {
  if (!insights) return <Empty>Pick a collection to see its fields.</Empty>;
  if (insights.sampled === 0)
    return <Empty>No item of this collection changed in this range.</Empty>;
  const source = {
    declared: "its declared quality fields",
    request: "the fields asked for",
    items: "its items' most common keys",
  }[insights.fields_from];
  return (
    <>
      <p className="subtle small">
        {fmtInt(insights.sampled)} newest items of <span className="mono">{insights.dataset}</span>{" "}
        changed in this range; {source}.
      </p>
      <div className="field-grid">
        {insights.fields.map((f) => (
          <FieldCard key={f.field} field={f} />
        ))}
      </div>
    </>
  );
}

export const FieldInsightsPanel = memo(FieldInsightsImpl);
