/** "live / reconnecting / offline": the state of the tab's stream, always visible. */
import { useLiveStatus } from "../lib/stream/useLiveStream";

const LABELS: Record<string, { text: string; help: string }> = {
  connecting: { text: "connecting", help: "Opening the live stream." },
  live: { text: "live", help: "Receiving live updates from the server." },
  reconnecting: {
    text: "reconnecting",
    help: "The live stream dropped; resuming where it left off.",
  },
  offline: {
    text: "offline · polling",
    help: "No live stream; refreshing from the API every few seconds.",
  },
};

export function LiveIndicator() {
  const status = useLiveStatus();
  const label = LABELS[status] ?? { text: status, help: "" };
  return (
    <span
      className="live"
      data-status={status}
      data-testid="live-indicator"
      title={label.help}
      role="status"
      aria-live="polite"
    >
      <span className="dot" aria-hidden="true" />
      {label.text}
    </span>
  );
}
