/** Token -> session cookie (`POST /api/auth/login`), then back to where the user was going. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";

import { ApiError, api } from "../lib/api";
import { ME_KEY, needsLogin, useMe } from "./useAuth";

function safeNext(next: string | null): string {
  // Only same-site paths: never an open redirect to another origin.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [token, setToken] = useState("");
  const navigate = useNavigate();
  const client = useQueryClient();
  const me = useMe();
  const login = useMutation({
    mutationFn: (t: string) => api.login(t),
    onSuccess: async () => {
      await client.invalidateQueries();
      await client.refetchQueries({ queryKey: ME_KEY });
      await navigate(next, { replace: true });
    },
  });

  if (me.data && !needsLogin(me.data) && !login.isPending && me.data.auth_required === false) {
    return <Navigate to={next} replace />;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) login.mutate(token.trim());
  };
  const error = login.error;
  const message =
    error instanceof ApiError
      ? error.status === 401
        ? "That token is not valid (or it was revoked)."
        : error.message
      : error
        ? String(error)
        : null;

  return (
    <div className="login-wrap">
      <form className="panel login" onSubmit={submit} data-testid="login-form">
        <h1>Sign in to crawlscope</h1>
        <p className="muted">
          This server requires an access token. Ask an admin for one (`crawlscope tokens create`).
        </p>
        {me.data?.authenticated && me.data.name ? (
          <p className="notice">
            Signed in as <strong>{me.data.name}</strong> ({me.data.role}). A new token replaces this
            session.
          </p>
        ) : null}
        <label className="field">
          Access token
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="login-token"
            autoFocus
            required
          />
        </label>
        {message ? (
          <div className="notice error" role="alert" data-testid="login-error">
            {message}
          </div>
        ) : null}
        <button
          type="submit"
          className="btn primary"
          disabled={login.isPending}
          data-testid="login-submit"
        >
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
