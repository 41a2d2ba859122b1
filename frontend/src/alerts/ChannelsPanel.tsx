/**
 * Channels (Apprise URLs, secrets hidden) with a "Send test" button each (operators), and
 * the recent delivery attempts: delivered, or failed with the error.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memo } from "react";

import { canControl, useMe } from "../auth/useAuth";
import { api } from "../lib/api";
import { fmtDateTime } from "../lib/format";
import type { ChannelInfo } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Icon } from "../shared/Icon";
import { Empty, Panel } from "../shared/Panel";
import { ALERT_KEYS, useAlertChannels, useDeliveries } from "./useAlerts";

const ChannelRow = memo(function ChannelRow({
  channel,
  isDefault,
  operator,
}: {
  channel: ChannelInfo;
  isDefault: boolean;
  operator: boolean;
}) {
  const client = useQueryClient();
  const test = useMutation({
    mutationFn: () => api.testAlertChannel(channel.name),
    onSettled: () => void client.invalidateQueries({ queryKey: ALERT_KEYS.deliveries }),
  });
  return (
    <tr data-testid="channel-row" data-channel={channel.name}>
      <td className="nowrap">
        <b>{channel.name}</b>
        {isDefault ? <span className="mark">default</span> : null}
      </td>
      <td className="mono small ellipsis channel-url" title={channel.url}>
        {channel.url}
      </td>
      <td className="nowrap small">{channel.send_resolved ? "yes" : "no"}</td>
      <td>
        <div className="row">
          {operator ? (
            <button
              type="button"
              className="btn small"
              disabled={test.isPending}
              onClick={() => test.mutate()}
              data-testid="channel-test"
            >
              <Icon name="bell" size={12} /> {test.isPending ? "Sending…" : "Send test"}
            </button>
          ) : null}
          {test.isSuccess ? (
            <span className="ok-text small" role="status" data-testid="channel-test-result">
              <Icon name="check" size={12} /> delivered (attempt {test.data.attempt})
            </span>
          ) : null}
          {test.error ? (
            <span className="err-text small" role="alert" data-testid="channel-test-error">
              {test.error.message}
            </span>
          ) : null}
        </div>
      </td>
    </tr>
  );
});

function Deliveries() {
  const query = useDeliveries();
  if (query.error) return <ErrorNotice error={query.error} what="the delivery attempts" />;
  const rows = query.data?.deliveries;
  if (!rows) return <Empty>Loading…</Empty>;
  if (rows.length === 0) return <Empty>No notification sent yet.</Empty>;
  return (
    <div className="table-wrap deliveries">
      <table className="table" data-testid="delivery-table">
        <thead>
          <tr>
            <th>at</th>
            <th>channel</th>
            <th>notification</th>
            <th className="r">attempt</th>
            <th>result</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr
              key={`${d.notification_key}/${d.channel}/${d.attempt}/${d.at}`}
              data-testid="delivery-row"
              data-delivered={d.delivered}
              data-status={d.status}
            >
              <td className="nowrap num">{fmtDateTime(d.at)}</td>
              <td className="nowrap">{d.channel}</td>
              <td className="nowrap">{d.status}</td>
              <td className="r num">{d.attempt}</td>
              <td>
                {d.delivered ? (
                  <span className="ok-text">
                    <Icon name="check" size={12} /> delivered
                  </span>
                ) : (
                  <span className="err-text">
                    <Icon name="cross" size={12} /> {d.error ?? "failed"}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ChannelsPanel() {
  const me = useMe();
  const operator = canControl(me.data);
  const query = useAlertChannels();
  const channels = query.data?.channels ?? [];
  const defaults = new Set(query.data?.default_channels ?? []);
  return (
    <Panel title="Channels and deliveries" testId="alert-channels" flush>
      {query.error ? (
        <ErrorNotice error={query.error} what="the channels" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : channels.length === 0 ? (
        <Empty>No channel is declared: add `channels:` to a rule file.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="channel-table">
            <thead>
              <tr>
                <th>channel</th>
                <th>URL</th>
                <th>resolved notices</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <ChannelRow
                  key={c.name}
                  channel={c}
                  isDefault={defaults.has(c.name)}
                  operator={operator}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="sub-head">Recent delivery attempts</h3>
      <Deliveries />
    </Panel>
  );
}
