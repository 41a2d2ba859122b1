/** Which latency lines the run's latency chart draws (see `latencyLines`). */
import { ALL_SITES, type FramePoint } from "./useFrameHistory";

const MAX_SITES = 3;

type Percentiles = FramePoint["latency"][string];

/**
 * The latency lines to draw. Seeded points (the server's series) have one p50/p95 over
 * every request (`ALL_SITES`); live frames have them per site. With a single site both
 * measure the same requests, so they make one continuous line. With several, the history
 * is its own "all sites" line and each site's line (at most `MAX_SITES`) starts where the
 * live frames do. A point without a value is a gap, not a zero.
 */
export function latencyLines(
  points: FramePoint[],
): { label: string; pick: (p: FramePoint) => Percentiles | undefined }[] {
  const sites = new Set<string>();
  let overall = false;
  for (const p of points) {
    for (const site of Object.keys(p.latency)) {
      if (site === ALL_SITES) overall = true;
      else sites.add(site);
    }
  }
  const shown = [...sites].slice(0, MAX_SITES);
  const only = shown[0];
  if (shown.length <= 1) {
    return [
      {
        label: "",
        pick: (p) => (only === undefined ? undefined : p.latency[only]) ?? p.latency[ALL_SITES],
      },
    ];
  }
  const lines = shown.map((site) => ({ label: site, pick: (p: FramePoint) => p.latency[site] }));
  return overall
    ? [{ label: ALL_SITES, pick: (p: FramePoint) => p.latency[ALL_SITES] }, ...lines]
    : lines;
}
