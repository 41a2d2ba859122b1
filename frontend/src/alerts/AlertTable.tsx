/**
 * A table of alerts: state, severity, rule, summary with labels as chips, since when,
 * value, the run. Rows are memoised: TanStack Query keeps unchanged alerts the same
 * objects from poll to poll, so only alerts that changed re-render.
 */
import { memo } from "react";
import { Link } from "react-router-dom";

import { fmtDateTime } from "../lib/format";
import type { AlertRecord } from "../lib/types";
import { Icon } from "../shared/Icon";
import { Elapsed } from "../workers/Elapsed";
import { AlertStateBadge, SeverityBadge } from "./AlertBadges";
import { fmtValue, shownLabels, since } from "./alertText";

/** Which columns: the Alerts page shows all, the run page leaves out the run. */
export interface AlertTableProps {
  alerts: readonly AlertRecord[];
  showRun?: boolean;
  showLabels?: boolean;
  testId?: string;
}

export function LabelChips({ labels }: { labels: Record<string, string> }) {
  const shown = shownLabels(labels);
  if (shown.length === 0) return null;
  return (
    <span className="chips" data-testid="alert-labels">
      {shown.map(([k, v]) => (
        <span key={k} className="chip mono" title={`${k}=${v}`}>
          <span>
            {k}=<b>{v}</b>
          </span>
        </span>
      ))}
    </span>
  );
}

const AlertRow = memo(function AlertRow({
  alert,
  showRun,
  showLabels,
}: {
  alert: AlertRecord;
  showRun: boolean;
  showLabels: boolean;
}) {
  const at = since(alert);
  return (
    <tr
      data-testid="alert-row"
      data-rule={alert.rule}
      data-state={alert.state}
      data-alert={alert.id}
    >
      <td className="nowrap">
        <AlertStateBadge state={alert.state} />
      </td>
      <td className="nowrap">
        <SeverityBadge severity={alert.severity} />
      </td>
      <td className="alert-main">
        <div className="row">
          <b className="mono" data-testid="alert-rule">
            {alert.rule}
          </b>
          {alert.silenced_by ? (
            <span
              className="mark"
              title={`Notifications held back by silence ${alert.silenced_by}`}
              data-testid="alert-silenced"
            >
              <Icon name="mute" size={12} /> silenced by {alert.silenced_by}
            </span>
          ) : null}
          {alert.inhibited_by ? (
            <span
              className="mark"
              title="A firing alert of higher severity on the same run or site holds back its notifications"
              data-testid="alert-inhibited"
            >
              inhibited by {alert.inhibited_by}
            </span>
          ) : null}
        </div>
        {alert.summary ? (
          <div className="alert-summary" data-testid="alert-summary">
            {alert.summary}
          </div>
        ) : null}
        {showLabels ? <LabelChips labels={alert.labels} /> : null}
      </td>
      <td className="nowrap num" title={fmtDateTime(at)}>
        {alert.state === "resolved" ? (
          fmtDateTime(at)
        ) : at ? (
          <>
            <span className="subtle">for </span>
            <Elapsed since={at} testId="alert-since" />
          </>
        ) : (
          "–"
        )}
      </td>
      <td className="r num" data-testid="alert-value">
        {fmtValue(alert.value)}
      </td>
      {showRun ? (
        <td className="nowrap">
          {alert.run_id ? (
            <Link
              to={`/runs/${encodeURIComponent(alert.run_id)}`}
              className="mono"
              title={alert.run_id}
              data-testid="alert-run-link"
            >
              {alert.run_id.slice(0, 12)}
            </Link>
          ) : (
            <span className="subtle">–</span>
          )}
        </td>
      ) : null}
    </tr>
  );
});

export function AlertTable({
  alerts,
  showRun = true,
  showLabels = true,
  testId = "alert-table",
}: AlertTableProps) {
  return (
    <div className="table-wrap">
      <table className="table alert-table" data-testid={testId}>
        <thead>
          <tr>
            <th>state</th>
            <th>severity</th>
            <th>rule · summary</th>
            <th>since</th>
            <th className="r">value</th>
            {showRun ? <th>run</th> : null}
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <AlertRow key={a.id} alert={a} showRun={showRun} showLabels={showLabels} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

const CompactRow = memo(function CompactRow({
  alert,
  showRun,
}: {
  alert: AlertRecord;
  showRun: boolean;
}) {
  const at = since(alert);
  const subject = alert.labels.worker
    ? `worker ${alert.labels.worker}`
    : (alert.labels.site ?? alert.labels.schedule ?? "");
  return (
    <li
      className="alert-item"
      data-testid="alert-row"
      data-rule={alert.rule}
      data-state={alert.state}
      data-alert={alert.id}
    >
      <div className="row">
        <AlertStateBadge state={alert.state} />
        <SeverityBadge severity={alert.severity} />
        <b className="mono ellipsis" data-testid="alert-rule">
          {alert.rule}
        </b>
        {subject ? <span className="subtle small">{subject}</span> : null}
        <span className="spacer" />
        <span className="num small subtle" title={fmtDateTime(at)}>
          {alert.state === "resolved" ? fmtDateTime(at) : at ? <Elapsed since={at} /> : null}
        </span>
      </div>
      {alert.summary ? (
        <div className="alert-summary small ellipsis" title={alert.summary}>
          {alert.summary}
        </div>
      ) : null}
      <div className="row small">
        <span className="subtle">value</span>
        <span className="num" data-testid="alert-value">
          {fmtValue(alert.value)}
        </span>
        {alert.silenced_by ? (
          <span className="mark" data-testid="alert-silenced">
            <Icon name="mute" size={12} /> silenced
          </span>
        ) : null}
        {alert.inhibited_by ? <span className="mark">inhibited</span> : null}
        {showRun && alert.run_id ? (
          <Link
            to={`/runs/${encodeURIComponent(alert.run_id)}`}
            className="mono"
            title={alert.run_id}
            data-testid="alert-run-link"
          >
            {alert.run_id.slice(0, 12)}
          </Link>
        ) : null}
      </div>
    </li>
  );
});

/** The same alerts as a list, for narrow columns (overview, run page). */
export function CompactAlertList({
  alerts,
  showRun = true,
  testId,
}: {
  alerts: readonly AlertRecord[];
  showRun?: boolean;
  testId?: string;
}) {
  return (
    <ul className="alert-list" data-testid={testId}>
      {alerts.map((a) => (
        <CompactRow key={a.id} alert={a} showRun={showRun} />
      ))}
    </ul>
  );
}
