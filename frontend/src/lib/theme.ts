/**
 * Light / dark / follow-the-system theme. The choice is stored in localStorage; the theme
 * in effect (the choice, or the system's) is always `html[data-theme]`, set before first
 * paint by public/theme-init.js and kept current here, also when the system's changes.
 */
import { useCallback, useEffect, useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

const KEY = "crawlscope.theme";
const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

function systemTheme(): Theme {
  return typeof matchMedia !== "undefined" && matchMedia("(prefers-color-scheme: dark)").matches
    ? "dark"
    : "light";
}

export function resolvedTheme(): Theme {
  const choice = readChoice();
  return choice === "system" ? systemTheme() : choice;
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    /* storage disabled: the choice lasts for this page only */
  }
  applyTheme();
  listeners.forEach((fn) => fn());
}

function applyTheme(): void {
  document.documentElement.dataset.theme = resolvedTheme();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  const mq = typeof matchMedia !== "undefined" ? matchMedia("(prefers-color-scheme: dark)") : null;
  mq?.addEventListener?.("change", fn);
  return () => {
    listeners.delete(fn);
    mq?.removeEventListener?.("change", fn);
  };
}

/** The theme in effect and a toggle between light and dark. */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const theme = useSyncExternalStore<Theme>(subscribe, resolvedTheme, () => "light");
  useEffect(() => {
    applyTheme();
    return subscribe(applyTheme); // "system": follow the system's changes
  }, []);
  const toggle = useCallback(
    () => setThemeChoice(resolvedTheme() === "dark" ? "light" : "dark"),
    [],
  );
  return { theme, toggle };
}
