/** Time since `since`, ticking; only this text re-renders on each tick. */
import { useNow } from "../lib/clock";
import { fmtDuration, parseTs } from "../lib/format";

export function Elapsed({ since, testId }: { since: string; testId?: string }) {
  const now = useNow();
  const t = parseTs(since);
  if (Number.isNaN(t)) return null;
  const s = Math.max(0, (now - t) / 1000);
  return (
    <span className="num" data-testid={testId}>
      {s < 10 ? `${s.toFixed(1)}s` : fmtDuration(s)}
    </span>
  );
}
