/**
 * The time axis of a run's live charts. ECharts stretches an axis over a single point (or
 * a few seconds of them) across days; a run's charts show at least a minute instead,
 * from the first point, so a run that just started, or lasted a second, reads at a glance.
 */
const MIN_SPAN_MS = 60_000;

export interface TimeAxis {
  type: "time";
  axisLabel: { hideOverlap: boolean };
  min?: number;
  max?: number;
}

export function timeAxis(times: number[]): TimeAxis {
  const axis: TimeAxis = { type: "time", axisLabel: { hideOverlap: true } };
  if (times.length === 0) return axis;
  const first = Math.min(...times);
  const last = Math.max(...times);
  return last - first < MIN_SPAN_MS ? { ...axis, min: first, max: first + MIN_SPAN_MS } : axis;
}
