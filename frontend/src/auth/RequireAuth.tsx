/** Gate for every page: sends the user to /login when the server requires a session. */
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";

import { ErrorNotice } from "../shared/ErrorNotice";
import { needsLogin, useMe } from "./useAuth";

export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <div className="empty">Checking access…</div>;
  if (me.isError) return <ErrorNotice error={me.error} what="your session" />;
  if (needsLogin(me.data)) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
