/** A titled box: the building block of every page. */
import type { ReactNode } from "react";

export function Panel({
  title,
  actions,
  children,
  flush = false,
  testId,
  className,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  flush?: boolean;
  testId?: string;
  className?: string;
}) {
  return (
    <section className={`panel${className ? ` ${className}` : ""}`} data-testid={testId}>
      <header className="panel-head">
        <h2>{title}</h2>
        {actions}
      </header>
      <div className={`panel-body${flush ? " flush" : ""}`}>{children}</div>
    </section>
  );
}

export function Stat({
  label,
  value,
  hint,
  testId,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="label">{label}</div>
      <div className="value" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </div>
      {hint ? <div className="hint">{hint}</div> : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
