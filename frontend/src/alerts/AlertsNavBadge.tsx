/** The count of firing alerts next to "Alerts" in the navigation (polled every few seconds). */
import { needsLogin, useMe } from "../auth/useAuth";
import { useAlertCounts } from "./useAlerts";

export function AlertsNavBadge() {
  const me = useMe();
  // Asked only once signed in: a 401 every few seconds would keep re-asking who we are.
  const counts = useAlertCounts(!!me.data && !needsLogin(me.data));
  const firing = counts.data?.firing ?? 0;
  const pending = counts.data?.pending ?? 0;
  if (firing === 0) {
    return pending > 0 ? (
      <span
        className="nav-count pending"
        title={`${pending} pending`}
        data-testid="nav-alerts-pending"
      >
        {pending}
      </span>
    ) : null;
  }
  return (
    <span
      className="nav-count"
      title={`${firing} firing${pending ? `, ${pending} pending` : ""}`}
      aria-label={`${firing} firing`}
      data-testid="nav-alerts-count"
    >
      {firing}
    </span>
  );
}
