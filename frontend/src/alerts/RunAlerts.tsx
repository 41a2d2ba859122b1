/**
 * The run page's alerts: this run's open alerts, then its resolved ones (`GET
 * /api/alerts?run_id=`). The page fetches once and passes the list here and, as a set of
 * stalled worker ids, to the worker grid.
 */
import { memo, useMemo } from "react";
import { Link } from "react-router-dom";

import type { AlertRecord } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { CompactAlertList } from "./AlertTable";
import { alertingOff, sortOpen } from "./alertText";

/** Resolved alerts listed under the open ones. */
export const RUN_RESOLVED_SHOWN = 5;

export const RunAlerts = memo(function RunAlerts({
  alerts,
  error,
}: {
  alerts: readonly AlertRecord[] | undefined;
  error?: unknown;
}) {
  const [open, resolved] = useMemo(() => {
    const list = alerts ?? [];
    return [
      sortOpen(list),
      list.filter((a) => a.state === "resolved").slice(0, RUN_RESOLVED_SHOWN),
    ];
  }, [alerts]);
  const firing = open.filter((a) => a.state === "firing").length;
  return (
    <Panel
      title={`Alerts (${firing} firing)`}
      testId="run-alerts"
      flush
      actions={<Link to="/alerts">all alerts</Link>}
    >
      {error && !alerts ? (
        alertingOff(error) ? (
          <Empty>Alerting is switched off on this server.</Empty>
        ) : (
          <ErrorNotice error={error} what="the run's alerts" />
        )
      ) : !alerts ? (
        <Empty>Loading…</Empty>
      ) : open.length + resolved.length === 0 ? (
        <Empty>No alert for this run.</Empty>
      ) : (
        <CompactAlertList alerts={[...open, ...resolved]} showRun={false} testId="run-alert-list" />
      )}
    </Panel>
  );
});
