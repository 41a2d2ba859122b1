/**
 * Alerts: firing and pending alerts (live), the history as a timeline, the rules with
 * their last evaluation (and the editor for API rules), silences, channels with a test
 * send and the recent delivery attempts. Viewers see all of it; changing needs the
 * operator role (the server is the judge, the page only hides what would be refused).
 * Also the overview's summary and the run page's panel.
 */
import { useMemo } from "react";
import { Link } from "react-router-dom";

import { fmtInt } from "../lib/format";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { AlertTable, CompactAlertList } from "./AlertTable";
import { AlertTimeline } from "./AlertTimeline";
import { alertingOff, sortOpen } from "./alertText";
import { ChannelsPanel } from "./ChannelsPanel";
import { RulesPanel } from "./RulesPanel";
import { SilencesPanel } from "./SilencesPanel";
import { useAlertList } from "./useAlerts";

/** How many open alerts the overview lists. */
export const SUMMARY_TOP = 5;

function OpenAlerts() {
  const query = useAlertList();
  const open = useMemo(() => sortOpen(query.data?.alerts ?? []), [query.data]);
  const counts = query.data?.counts;
  return (
    <Panel
      title={
        <>
          Firing and pending{" "}
          <span className="subtle num" data-testid="open-counts">
            ({fmtInt(counts?.firing)} firing, {fmtInt(counts?.pending)} pending)
          </span>
        </>
      }
      testId="open-alerts"
      flush
    >
      {query.error ? (
        <ErrorNotice error={query.error} what="the alerts" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : open.length === 0 ? (
        <Empty>Nothing is firing or pending.</Empty>
      ) : (
        <AlertTable alerts={open} testId="open-alert-table" />
      )}
    </Panel>
  );
}

/** The overview's panel: how many fire, and the top few. */
export function AlertsSummary() {
  const query = useAlertList();
  const open = useMemo(() => sortOpen(query.data?.alerts ?? []), [query.data]);
  const counts = query.data?.counts;
  return (
    <Panel
      title="Alerts"
      testId="alerts-summary"
      flush
      actions={<Link to="/alerts">all alerts</Link>}
    >
      {query.error ? (
        alertingOff(query.error) ? (
          <Empty>Alerting is switched off on this server.</Empty>
        ) : (
          <ErrorNotice error={query.error} what="the alerts" />
        )
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : (
        <>
          <div className="panel-body row alert-counts">
            <span
              className={`count-big${(counts?.firing ?? 0) > 0 ? " bad" : ""}`}
              data-testid="summary-firing"
            >
              {fmtInt(counts?.firing)}
            </span>
            <span className="muted">firing</span>
            <span className="count-big" data-testid="summary-pending">
              {fmtInt(counts?.pending)}
            </span>
            <span className="muted">pending</span>
          </div>
          {open.length === 0 ? (
            <Empty>Nothing is firing or pending.</Empty>
          ) : (
            <CompactAlertList alerts={open.slice(0, SUMMARY_TOP)} testId="summary-alert-list" />
          )}
        </>
      )}
    </Panel>
  );
}

export function AlertsPage() {
  const probe = useAlertList();
  return (
    <div className="stack" data-testid="alerts-page">
      <div className="page-head">
        <h1>Alerts</h1>
      </div>
      {alertingOff(probe.error) ? (
        <div className="notice warn" data-testid="alerts-disabled">
          Alerting is switched off on this server (setting{" "}
          <span className="mono">alerts_enabled</span>
          ).
        </div>
      ) : (
        <>
          <OpenAlerts />
          <RulesPanel />
          <div className="alerts-grid">
            <AlertTimeline />
            <div className="stack">
              <SilencesPanel />
              <ChannelsPanel />
            </div>
          </div>
        </>
      )}
    </div>
  );
}
