/**
 * Who is looking: `GET /api/auth/me`, and what their role may do.
 *
 * A server without the auth routes (older builds) answers 404: it has no access control,
 * so everything is shown and the server stays the judge (a refused action shows its 403).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

import { ApiError, api, onUnauthorized } from "../lib/api";
import type { Me, Role } from "../lib/types";

export const ME_KEY = ["auth", "me"] as const;

const NO_AUTH: Me = { authenticated: true, name: "local", role: "admin", auth_required: false };

async function fetchMe(): Promise<Me> {
  try {
    return await api.me();
  } catch (exc) {
    if (exc instanceof ApiError && exc.isNotFound) return NO_AUTH;
    throw exc;
  }
}

export function useMe() {
  const client = useQueryClient();
  useEffect(
    () =>
      // Any 401 means the session ended (expired, revoked): ask again who we are.
      onUnauthorized(() => {
        void client.invalidateQueries({ queryKey: ME_KEY });
      }),
    [client],
  );
  return useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000, retry: 1 });
}

const CONTROL_ROLES: ReadonlySet<Role> = new Set(["operator", "admin"]);

/** Whether `role` may start, pause, resume and cancel runs (docs/api.md, Access control). */
export function canControl(me: Me | undefined): boolean {
  if (!me) return false;
  if (!me.auth_required && !me.role) return true;
  return me.role !== null && me.role !== undefined && CONTROL_ROLES.has(me.role);
}

/** Whether the user must log in before seeing anything. */
export function needsLogin(me: Me | undefined): boolean {
  return !!me && me.auth_required && !me.authenticated;
}
