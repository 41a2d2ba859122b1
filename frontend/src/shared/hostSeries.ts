/** The lines of a `HostChart`: one per figure a machine's samples carry. */
import type { SystemSample } from "../lib/types";

type Pick = (s: SystemSample) => number | null | undefined;

const LINES: [string, Pick][] = [
  ["CPU", (s) => s.cpu_percent],
  ["memory", (s) => s.memory_percent],
  ["disk", (s) => s.disk_percent],
];

/** The chart's series: one per figure the samples carry (a runner sends no disk). */
export function hostSeries(samples: SystemSample[]): { name: string; data: [number, number][] }[] {
  return LINES.flatMap(([name, pick]) => {
    const data = samples.flatMap((s): [number, number][] => {
      const value = pick(s);
      return value === null || value === undefined ? [] : [[s.at * 1000, value]];
    });
    return data.length ? [{ name, data }] : [];
  });
}
