/**
 * Live data quality of a run: items checked against the collection's item schema, and per
 * quality field its coverage (items that have it), with a small bar, and its validation
 * errors. Every figure comes from the frame's `quality` card (folded by the server from
 * the batches' `extra.quality`); the panel is not shown for a run without a schema.
 */
import { fmtInt, fmtRatio } from "../lib/format";
import type { QualityCard } from "../lib/types";
import { Panel } from "../shared/Panel";

/** Below this coverage a field's bar is drawn as a warning. */
export const LOW_COVERAGE = 0.8;

export function QualityPanel({ quality }: { quality: QualityCard | null | undefined }) {
  if (!quality) return null;
  const fields = quality.fields ?? [];
  const title = (
    <>
      Data quality <span className="subtle small">{quality.schema ?? ""}</span>
    </>
  );
  return (
    <Panel title={title} testId="quality-panel" flush>
      <div className="panel-body row">
        <span>
          <span className="muted">checked</span>{" "}
          <b className="num" data-testid="quality-checked">
            {fmtInt(quality.checked)}
          </b>
        </span>
        <span>
          <span className="muted">invalid</span>{" "}
          <b
            className={`num${quality.invalid > 0 ? " err-text" : ""}`}
            data-testid="quality-invalid"
          >
            {fmtInt(quality.invalid)}
          </b>{" "}
          <span className="subtle small">
            ({fmtRatio(quality.checked > 0 ? quality.invalid / quality.checked : null)})
          </span>
        </span>
      </div>
      <div className="table-wrap">
        <table className="table" aria-label="Field coverage">
          <thead>
            <tr>
              <th>field</th>
              <th>coverage</th>
              <th className="r">present</th>
              <th className="r">errors</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => {
              const low = quality.checked > 0 && f.coverage < LOW_COVERAGE;
              return (
                <tr key={f.field} data-testid="quality-row" data-field={f.field}>
                  <td className="mono ellipsis" style={{ maxWidth: 120 }} title={f.field}>
                    {f.field}
                  </td>
                  <td className="nowrap">
                    <div className="coverage">
                      <div
                        className={`bar${low ? " low" : ""}`}
                        role="meter"
                        aria-label={`${f.field} coverage`}
                        aria-valuemin={0}
                        aria-valuemax={1}
                        aria-valuenow={f.coverage}
                      >
                        <span style={{ width: `${Math.min(100, f.coverage * 100)}%` }} />
                      </div>
                      <span className="num" data-testid="quality-coverage">
                        {quality.checked > 0 ? fmtRatio(f.coverage) : "–"}
                      </span>
                    </div>
                  </td>
                  <td className="r" data-testid="quality-present">
                    {fmtInt(f.present)}
                  </td>
                  <td
                    className={`r${f.errors > 0 ? " err-text" : ""}`}
                    data-testid="quality-errors"
                  >
                    {fmtInt(f.errors)}
                  </td>
                </tr>
              );
            })}
            {quality.other_errors > 0 ? (
              <tr data-testid="quality-row" data-field="$">
                <td className="subtle" colSpan={3} title="errors outside these fields">
                  other fields / whole item
                </td>
                <td className="r err-text" data-testid="quality-errors">
                  {fmtInt(quality.other_errors)}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
