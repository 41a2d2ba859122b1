/** Hierarchical progress (for example categories -> products -> seller pages). */
import { fmtDuration, fmtInt, fmtPercent } from "../lib/format";
import type { ProgressLevel } from "../lib/types";

export function ProgressBars({
  levels,
  showEta = true,
}: {
  levels: ProgressLevel[];
  showEta?: boolean;
}) {
  if (levels.length === 0) return <div className="subtle">No progress reported yet.</div>;
  return (
    <div className="progress" data-testid="progress">
      {levels.map((level) => {
        // An open level's total still grows (a phase feeding it is running): caught up
        // is not finished.
        const open = level.open === true;
        const pct =
          level.total > 0 ? Math.min(open ? 99.9 : 100, (level.done / level.total) * 100) : 0;
        const done = !open && level.total > 0 && level.done >= level.total;
        return (
          <div
            key={level.level}
            style={{ display: "contents" }}
            data-testid="progress-level"
            data-level={level.level}
          >
            <div className="ellipsis" title={level.level}>
              {level.level}
            </div>
            <div
              className={`bar${done ? " done" : ""}`}
              role="progressbar"
              aria-label={level.level}
              aria-valuemin={0}
              aria-valuemax={level.total}
              aria-valuenow={level.done}
            >
              <span style={{ width: `${pct}%` }} />
            </div>
            <div className="num nowrap muted">
              {fmtInt(level.done)} / {fmtInt(level.total)}
              {open ? (
                <span title="still growing: a phase that finds this work is running">+</span>
              ) : null}
              {" · "}
              {fmtPercent(level.percent || pct)}
              {showEta && level.eta_s !== undefined && level.eta_s !== null && !done
                ? ` · ETA ${fmtDuration(level.eta_s)}`
                : ""}
            </div>
          </div>
        );
      })}
    </div>
  );
}
