/** Severity and alert-state badges: colour, icon and label, as every badge here. */
import { Icon, type IconName } from "../shared/Icon";

const SEVERITY: Record<string, { icon: IconName; color: string }> = {
  critical: { icon: "bolt", color: "var(--c-bad)" },
  warning: { icon: "warn", color: "var(--c-warn)" },
  info: { icon: "dot", color: "var(--c-requesting)" },
};

const STATE: Record<string, { icon: IconName; color: string }> = {
  firing: { icon: "bell", color: "var(--c-bad)" },
  pending: { icon: "hourglass", color: "var(--c-warn)" },
  resolved: { icon: "check", color: "var(--c-ok)" },
};

export function SeverityBadge({ severity }: { severity: string }) {
  const style = SEVERITY[severity] ?? { icon: "dot", color: "var(--c-idle)" };
  return (
    <span
      className="badge"
      style={{ ["--c" as string]: style.color }}
      data-testid="alert-severity"
      data-severity={severity}
    >
      <Icon name={style.icon} size={12} />
      {severity}
    </span>
  );
}

export function AlertStateBadge({ state }: { state: string }) {
  const style = STATE[state] ?? { icon: "dot", color: "var(--c-idle)" };
  return (
    <span
      className="badge"
      style={{ ["--c" as string]: style.color }}
      data-testid="alert-state"
      data-state={state}
    >
      <Icon name={style.icon} size={12} />
      {state}
    </span>
  );
}
