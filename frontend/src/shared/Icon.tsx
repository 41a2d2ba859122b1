/**
 * Small inline SVG icons (no icon font: nothing to load, crisp at any size, and they
 * render the same in headless browsers without emoji fonts). Decorative: the label next
 * to an icon carries the meaning for screen readers.
 */
import type { ReactElement } from "react";

const PATHS = {
  circle: <circle cx="8" cy="8" r="5" fill="none" stroke="currentColor" strokeWidth="2" />,
  dot: <circle cx="8" cy="8" r="4" fill="currentColor" />,
  arrow: (
    <path
      d="M8 13V3M4 7l4-4 4 4"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  gear: (
    <g fill="none" stroke="currentColor" strokeWidth="2">
      <circle cx="8" cy="8" r="2.5" />
      <path
        d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4"
        strokeLinecap="round"
      />
    </g>
  ),
  hourglass: (
    <path
      d="M4 2h8M4 14h8M5 2c0 4 6 4 6 6s-6 2-6 6M11 2c0 4-6 4-6 6s6 2 6 6"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
    />
  ),
  retry: (
    <g
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M13 8a5 5 0 1 1-1.5-3.6" />
      <path d="M12 1.8v3h-3" />
    </g>
  ),
  cross: (
    <path
      d="M4 4l8 8M12 4l-8 8"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.2"
      strokeLinecap="round"
    />
  ),
  warn: (
    <g
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinejoin="round"
      strokeLinecap="round"
    >
      <path d="M8 2l6.5 11.5h-13z" />
      <path d="M8 6.5v3M8 11.6v.2" />
    </g>
  ),
  pause: (
    <g fill="currentColor">
      <rect x="3.5" y="3" width="3" height="10" rx="0.8" />
      <rect x="9.5" y="3" width="3" height="10" rx="0.8" />
    </g>
  ),
  play: <path d="M5 3l8 5-8 5z" fill="currentColor" />,
  check: (
    <path
      d="M3 8.5l3.2 3.2L13 5"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.2"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  stop: <rect x="4" y="4" width="8" height="8" rx="1" fill="currentColor" />,
  clock: (
    <g fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round">
      <circle cx="8" cy="8" r="6" />
      <path d="M8 4.5V8l2.5 1.5" />
    </g>
  ),
  bolt: <path d="M9 1.5L3.5 9H8l-1 5.5L12.5 7H8z" fill="currentColor" />,
  sun: (
    <g fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round">
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1v1.6M8 13.4V15M1 8h1.6M13.4 8H15M3 3l1.1 1.1M11.9 11.9L13 13M3 13l1.1-1.1M11.9 4.1L13 3" />
    </g>
  ),
  moon: (
    <path
      d="M13 10.2A5.5 5.5 0 0 1 5.8 3 5.6 5.6 0 1 0 13 10.2z"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.7"
      strokeLinejoin="round"
    />
  ),
  chevron: (
    <path
      d="M6 4l4 4-4 4"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  search: (
    <g fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="7" cy="7" r="4.5" />
      <path d="M10.5 10.5L14 14" />
    </g>
  ),
  download: (
    <path
      d="M8 3v8M4.5 7.5L8 11l3.5-3.5M3 13.5h10"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  upload: (
    <path
      d="M8 11V3M4.5 6.5L8 3l3.5 3.5M3 13.5h10"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  ),
  plus: (
    <path
      d="M8 3v10M3 8h10"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
    />
  ),
  equal: (
    <path
      d="M3.5 6h9M3.5 10h9"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
    />
  ),
  pencil: (
    <path
      d="M3 13l1-3.5L11 2.5 13.5 5 6.5 12zM9.5 4l2.5 2.5"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinejoin="round"
    />
  ),
  bell: (
    <g
      fill="none"
      stroke="currentColor"
      strokeWidth="1.7"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M4 11V7a4 4 0 0 1 8 0v4l1.2 1.5H2.8z" />
      <path d="M6.6 14.2a1.6 1.6 0 0 0 2.8 0" />
    </g>
  ),
  mute: (
    <g
      fill="none"
      stroke="currentColor"
      strokeWidth="1.7"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M2 6h2.5L8 3v10l-3.5-3H2z" />
      <path d="M10.5 6l4 4M14.5 6l-4 4" />
    </g>
  ),
} satisfies Record<string, ReactElement>;

/** A misspelt icon is a type error rather than a silent dot. */
export type IconName = keyof typeof PATHS;

export function Icon({
  name,
  size = 14,
  title,
}: {
  name: IconName;
  size?: number;
  title?: string;
}) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      aria-hidden={title ? undefined : true}
      role={title ? "img" : undefined}
      focusable="false"
    >
      {title ? <title>{title}</title> : null}
      {PATHS[name]}
    </svg>
  );
}
