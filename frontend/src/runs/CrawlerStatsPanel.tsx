/**
 * What the crawler itself counted, for a run another crawler made (Scrapy's stats, sent
 * with its last event): every key, sorted, numbers formatted. Not shown for other runs.
 */
import { memo } from "react";

import { fmtStat } from "../lib/format";
import { Panel } from "../shared/Panel";

function CrawlerStatsImpl({ stats }: { stats: Record<string, unknown> | null | undefined }) {
  if (!stats) return null;
  const keys = Object.keys(stats).sort();
  return (
    <Panel
      title={
        <>
          Crawler stats <span className="subtle small">{keys.length}</span>
        </>
      }
      testId="crawler-stats"
      flush
    >
      <details className="panel-body">
        <summary className="muted small">as the crawler counted them at its end</summary>
        <table className="table small stats-table">
          <tbody>
            {keys.map((key) => (
              <tr key={key}>
                <td className="mono">{key}</td>
                <td className="num">{fmtStat(stats[key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </Panel>
  );
}

export const CrawlerStatsPanel = memo(CrawlerStatsImpl);
