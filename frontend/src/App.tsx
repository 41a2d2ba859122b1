/** The app shell: providers, top bar (navigation, live indicator, theme, user) and routes. */
import { QueryClientProvider, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { BrowserRouter, NavLink, Route, Routes, useNavigate } from "react-router-dom";

import { AlertsNavBadge } from "./alerts/AlertsNavBadge";
import { AlertsPage } from "./alerts/AlertsPage";
import { AnalyticsPage } from "./analytics/AnalyticsPage";
import { LoginPage } from "./auth/LoginPage";
import { RequireAuth } from "./auth/RequireAuth";
import { needsLogin, useMe } from "./auth/useAuth";
import { api } from "./lib/api";
import { makeQueryClient } from "./lib/queryClient";
import { LiveStreamProvider } from "./lib/stream/LiveStreamProvider";
import { useTheme } from "./lib/theme";
import { OverviewPage } from "./overview/OverviewPage";
import { NewRunPage } from "./runs/NewRunPage";
import { RunDetailPage } from "./runs/RunDetailPage";
import { RunsPage } from "./runs/RunsPage";
import { SchedulesPage } from "./schedules/SchedulesPage";
import { Icon } from "./shared/Icon";
import { LiveIndicator } from "./shared/LiveIndicator";
import { StorageBanner } from "./shared/StorageBanner";

/** The tab's live stream, connected only once the server lets this user in. */
function AuthedStream({ children }: { children: ReactNode }) {
  const me = useMe();
  return (
    <LiveStreamProvider enabled={!!me.data && !needsLogin(me.data)}>{children}</LiveStreamProvider>
  );
}

function ThemeToggle() {
  const { theme, toggle } = useTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="btn ghost small"
      onClick={toggle}
      aria-label={`Switch to ${next} mode`}
      title={`Switch to ${next} mode`}
      data-testid="theme-toggle"
    >
      <Icon name={theme === "dark" ? "sun" : "moon"} size={16} />
    </button>
  );
}

function UserMenu() {
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: api.logout,
    onSettled: () => {
      client.clear();
      // Signed out whatever the server answered; the router reports its own failures.
      void navigate("/login");
    },
  });
  if (!me.data?.auth_required || !me.data.authenticated) return null;
  return (
    <span className="row" data-testid="user-menu">
      <span className="muted" data-testid="user-role">
        {me.data.name} · {me.data.role}
      </span>
      <button
        type="button"
        className="btn small"
        onClick={() => logout.mutate()}
        data-testid="logout"
      >
        Sign out
      </button>
    </span>
  );
}

function Shell() {
  return (
    <div className="shell">
      <a href="#main" className="sr-only">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="crawlscope home">
          <img src="/favicon.svg" width={20} height={20} alt="" />
          <span className="brand-name">crawlscope</span>
        </NavLink>
        <nav className="nav" aria-label="Main">
          <NavLink to="/" end>
            Overview
          </NavLink>
          <NavLink to="/runs">Runs</NavLink>
          <NavLink to="/schedules">Schedules</NavLink>
          <NavLink to="/analytics">Analytics</NavLink>
          <NavLink to="/alerts" data-testid="nav-alerts">
            Alerts <AlertsNavBadge />
          </NavLink>
        </nav>
        <div className="topbar-right">
          <LiveIndicator />
          <ThemeToggle />
          <UserMenu />
        </div>
      </header>
      <main className="main" id="main">
        <StorageBanner />
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route
            path="*"
            element={
              <RequireAuth>
                <Routes>
                  <Route path="/" element={<OverviewPage />} />
                  <Route path="/runs" element={<RunsPage />} />
                  <Route path="/runs/new" element={<NewRunPage />} />
                  <Route path="/runs/:runId" element={<RunDetailPage />} />
                  <Route path="/schedules" element={<SchedulesPage />} />
                  <Route path="/analytics" element={<AnalyticsPage />} />
                  <Route path="/alerts" element={<AlertsPage />} />
                  <Route path="*" element={<div className="notice warn">No such page.</div>} />
                </Routes>
              </RequireAuth>
            }
          />
        </Routes>
      </main>
    </div>
  );
}

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <AuthedStream>
          <Shell />
        </AuthedStream>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
