/**
 * The services the server depends on (`GET /api/health/services`, checked every 2 s by the
 * server): the database and, with several API processes, Redis. Each shows whether it
 * answers, since when, and the last error; during an outage the panel says what waits and
 * what the operator can expect (docs/deployment.md, "When Redis or PostgreSQL goes away").
 */
import { useQuery } from "@tanstack/react-query";

import { api } from "../lib/api";
import { useNow } from "../lib/clock";
import { fmtAgo, fmtDateTime, fmtDuration, fmtInt } from "../lib/format";
import type { DatabaseHealth, RedisHealth } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Icon, type IconName } from "../shared/Icon";
import { Empty, Panel } from "../shared/Panel";

type Service = DatabaseHealth | RedisHealth;

const STATE_STYLE: Record<string, { icon: IconName; color: string; label: string }> = {
  up: { icon: "check", color: "var(--c-ok)", label: "up" },
  down: { icon: "cross", color: "var(--c-bad)", label: "down" },
  unknown: { icon: "dot", color: "var(--c-idle)", label: "not checked yet" },
};

function StateBadge({ state }: { state: string }) {
  const style = STATE_STYLE[state] ?? STATE_STYLE.unknown!;
  return (
    <span
      className="badge"
      style={{ ["--c" as string]: style.color }}
      data-testid="service-state"
      data-state={state}
    >
      <Icon name={style.icon} size={12} />
      {style.label}
    </span>
  );
}

function ServiceRow({
  name,
  service,
  waiting,
  now,
}: {
  name: string;
  service: Service;
  waiting: string;
  now: number;
}) {
  const down = service.state === "down";
  return (
    <div className="stack" data-testid="service" data-service={name} data-state={service.state}>
      <div className="row">
        <strong>{name}</strong>
        <StateBadge state={service.state} />
        <span className="spacer" style={{ flex: 1 }} />
        <span className="muted small" title={fmtDateTime(service.since)}>
          {down
            ? `for ${fmtDuration(service.down_for_s)}`
            : service.since
              ? `for ${fmtAgo(service.since, now).replace(/ ago$/, "")}`
              : ""}
        </span>
      </div>
      <div className="muted small mono ellipsis" title={service.url}>
        {service.url}
      </div>
      {down ? (
        <div className="notice error" role="alert" data-testid="service-outage">
          {service.last_error ?? "no answer"}. {waiting}
        </div>
      ) : service.last_error ? (
        <div className="muted small" data-testid="service-last-error">
          last outage ended {fmtAgo(service.since, now)} ({fmtInt(service.outages ?? 0)} since
          start): {service.last_error}
        </div>
      ) : null}
    </div>
  );
}

export function ServicesPanel() {
  const query = useQuery({
    queryKey: ["services-health"],
    queryFn: api.services,
    refetchInterval: 3000,
  });
  const now = useNow();
  const data = query.data;
  return (
    <Panel title="Services" testId="services-panel">
      {query.error && !data ? (
        <ErrorNotice error={query.error} what="service health" />
      ) : !data ? (
        <Empty>Loading…</Empty>
      ) : (
        <div className="stack">
          <ServiceRow
            name={`database (${data.database.backend})`}
            service={data.database}
            now={now}
            waiting={
              `${fmtInt(data.storage.unstored ?? 0)} events wait in memory to be stored; ` +
              "runners retry their batches and slow down when their buffers fill."
            }
          />
          {data.redis ? (
            <ServiceRow
              name="redis"
              service={data.redis}
              now={now}
              waiting={
                `Ingest answers 503 (runners buffer and retry); ${fmtInt(data.redis.waiting)} ` +
                "stored events wait to be shown live; live pages read the database meanwhile."
              }
            />
          ) : null}
        </div>
      )}
    </Panel>
  );
}
