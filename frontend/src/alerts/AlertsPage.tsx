/**
 * Alerts. The server's alert API (rules, firing, history, silences) arrives with its own
 * issue; until then this page says so instead of showing empty tables that look healthy.
 */
import { Panel } from "../shared/Panel";

export function AlertsSummary() {
  return (
    <Panel title="Alerts" testId="alerts-summary">
      <div className="subtle">Alert rules are not available on this server yet.</div>
    </Panel>
  );
}

export function AlertsPage() {
  return (
    <div className="stack" data-testid="alerts-page">
      <div className="page-head">
        <h1>Alerts</h1>
      </div>
      <div className="notice">
        Alert rules, firing alerts, history and silences will appear here once the server provides
        the alerts API.
      </div>
    </div>
  );
}
