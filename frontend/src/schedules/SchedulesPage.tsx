/** Schedules: every schedule with its next and last run, a create form, and the runs each started. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../lib/api";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { ScheduleCard } from "./ScheduleCard";
import { ScheduleForm } from "./ScheduleForm";

export function SchedulesPage() {
  const [creating, setCreating] = useState(false);
  const query = useQuery({
    queryKey: ["schedules"],
    queryFn: api.schedules,
    // Runs appear within a couple of seconds of their slot.
    refetchInterval: 2000,
  });
  const schedules = query.data?.schedules ?? [];
  return (
    <div className="stack" data-testid="schedules-page">
      <div className="page-head">
        <h1>Schedules</h1>
        <span className="spacer" />
        <button
          type="button"
          className="btn primary"
          onClick={() => setCreating((open) => !open)}
          aria-expanded={creating}
          data-testid="schedule-new"
        >
          {creating ? "Close" : "New schedule"}
        </button>
      </div>
      {creating ? (
        <Panel title="New schedule" testId="schedule-create">
          <ScheduleForm onCreated={() => setCreating(false)} />
        </Panel>
      ) : null}
      <Panel title="Schedules" testId="schedules">
        {query.error ? (
          <ErrorNotice error={query.error} what="the schedules" />
        ) : !query.data ? (
          <Empty>Loading…</Empty>
        ) : schedules.length === 0 ? (
          <Empty>No schedules yet. Create one to start runs on an interval or a cron.</Empty>
        ) : (
          <ul className="schedule-list">
            {schedules.map((s) => (
              <ScheduleCard key={s.id} schedule={s} />
            ))}
          </ul>
        )}
      </Panel>
    </div>
  );
}
