/** Every worker of the run, always visible; compact cards once there are many. */
import type { WorkerCard } from "../lib/types";
import { WorkerCardView } from "./WorkerCardView";

export const COMPACT_FROM = 17;

const NONE: ReadonlySet<string> = new Set();

export function WorkerGrid({
  workers,
  selected,
  onSelect,
  stalled = NONE,
}: {
  workers: WorkerCard[];
  selected: number | null;
  onSelect: (workerId: number) => void;
  /** Ids (as text) of workers with an open `worker_stalled` alert. */
  stalled?: ReadonlySet<string>;
}) {
  if (workers.length === 0) return <div className="empty">No workers yet.</div>;
  const compact = workers.length >= COMPACT_FROM;
  return (
    <div
      className={`worker-grid${compact ? " compact" : ""}`}
      data-testid="worker-grid"
      data-count={workers.length}
    >
      {workers.map((card) => (
        <WorkerCardView
          key={card.worker_id}
          card={card}
          selected={card.worker_id === selected}
          compact={compact}
          stalled={stalled.has(String(card.worker_id))}
          onSelect={onSelect}
        />
      ))}
    </div>
  );
}
