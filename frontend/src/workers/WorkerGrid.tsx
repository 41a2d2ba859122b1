/**
 * Every worker of the run, always visible; compact cards once there are many. With worker
 * processes (distributed runs) each card names its process, or says it is gone.
 */
import type { WorkerCard } from "../lib/types";
import { blockOf, isGone, type RunProcesses } from "./processBlocks";
import { WorkerCardView } from "./WorkerCardView";

export const COMPACT_FROM = 17;

const NONE: ReadonlySet<string> = new Set();

export function WorkerGrid({
  workers,
  selected,
  onSelect,
  stalled = NONE,
  processes,
  active = false,
}: {
  workers: WorkerCard[];
  selected: number | null;
  onSelect: (workerId: number) => void;
  /** Ids (as text) of workers with an open `worker_stalled` alert. */
  stalled?: ReadonlySet<string>;
  /** The run's worker processes (`useRunProcesses`); undefined for local runs. */
  processes?: RunProcesses;
  /** The run is still going (only then can a card's process be gone). */
  active?: boolean;
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
          process={processes ? blockOf(processes, card.worker_id)?.name : undefined}
          gone={processes ? isGone(card, processes, active) : false}
          onSelect={onSelect}
        />
      ))}
    </div>
  );
}
