/**
 * Status and state badges: colour *and* icon *and* label, so state never depends on colour
 * alone (colour-blind users, greyscale printouts, screen readers).
 */
import { humanize } from "../lib/format";
import { Icon, type IconName } from "./Icon";

const WORKER_ICONS: Record<string, IconName> = {
  idle: "circle",
  waiting: "clock",
  requesting: "arrow",
  processing: "gear",
  rate_limited: "hourglass",
  backing_off: "retry",
  error: "warn",
  paused: "pause",
  complete: "check",
};

const RUN_STYLE: Record<string, { icon: IconName; color: string }> = {
  pending: { icon: "clock", color: "var(--c-idle)" },
  running: { icon: "play", color: "var(--c-requesting)" },
  paused: { icon: "pause", color: "var(--c-warn)" },
  completed: { icon: "check", color: "var(--c-complete)" },
  completed_with_errors: { icon: "warn", color: "var(--c-warn)" },
  failed: { icon: "cross", color: "var(--c-bad)" },
  cancelled: { icon: "stop", color: "var(--c-paused)" },
  interrupted: { icon: "bolt", color: "var(--c-backing_off)" },
};

const BREAKER_STYLE: Record<string, { icon: IconName; color: string; label: string }> = {
  closed: { icon: "check", color: "var(--c-ok)", label: "closed" },
  open: { icon: "cross", color: "var(--c-bad)", label: "open" },
  half_open: { icon: "retry", color: "var(--c-warn)", label: "half open" },
};

export function WorkerStateBadge({ state }: { state: string }) {
  return (
    <span
      className="badge"
      style={{ ["--c" as string]: `var(--c-${state in WORKER_ICONS ? state : "idle"})` }}
      data-testid="worker-state"
      data-state={state}
    >
      <Icon name={WORKER_ICONS[state] ?? "dot"} size={12} />
      {humanize(state)}
    </span>
  );
}

export function RunStatusBadge({ status, large = false }: { status: string; large?: boolean }) {
  const style = RUN_STYLE[status] ?? { icon: "dot", color: "var(--c-idle)" };
  return (
    <span
      className={`badge${large ? " large" : ""}`}
      style={{ ["--c" as string]: style.color }}
      data-testid="run-status"
      data-status={status}
    >
      <Icon name={style.icon} size={large ? 14 : 12} />
      {humanize(status)}
    </span>
  );
}

export function BreakerBadge({ state }: { state: string }) {
  const style = BREAKER_STYLE[state] ?? {
    icon: "dot",
    color: "var(--c-idle)",
    label: humanize(state),
  };
  return (
    <span
      className="badge"
      style={{ ["--c" as string]: style.color }}
      data-testid="breaker-state"
      data-state={state}
    >
      <Icon name={style.icon} size={12} />
      {style.label}
    </span>
  );
}
