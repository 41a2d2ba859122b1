/**
 * The machine a remote run reports from: CPU and memory as its runner sent them with its
 * batches. Nothing is shown for runs executed in the server (the overview charts that).
 */
import { useQuery } from "@tanstack/react-query";

import { api } from "../lib/api";
import { HostChart } from "../shared/HostChart";
import { Panel } from "../shared/Panel";

export function RunHostPanel({ runId, live }: { runId: string; live: boolean }) {
  const query = useQuery({
    queryKey: ["run-host", runId],
    queryFn: () => api.runHost(runId),
    refetchInterval: live ? 15_000 : false,
  });
  const history = query.data;
  if (!history || history.samples.length === 0) return null;
  return (
    <Panel title="Runner host" testId="run-host">
      <HostChart
        history={history}
        label="CPU and memory use of the machine this run reports from"
        testId="run-host-chart"
        span="samples"
      />
    </Panel>
  );
}
