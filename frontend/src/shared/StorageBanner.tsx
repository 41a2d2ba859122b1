/**
 * A banner on every page while the server cannot store events (disk full, read-only, file
 * gone, database unreachable): the live feeds pause then, and the operator must act. It
 * follows the `system` message of the stream, which comes every few seconds.
 */
import { memo } from "react";

import { useSystemHealth } from "../lib/stream/useLiveStream";

const CAUSES: Record<string, string> = {
  disk_full: "the disk is full",
  read_only: "the database is read-only",
  file_gone: "the database file was deleted",
  file_replaced: "the database file was replaced",
  unreachable: "the database cannot be reached",
  locked: "the database is locked by another process",
};

export const StorageBanner = memo(function StorageBanner() {
  const storage = useSystemHealth()?.storage;
  if (!storage || storage.ok) return null;
  const cause = CAUSES[storage.cause ?? ""] ?? "writes fail";
  const waiting = storage.unstored ?? 0;
  return (
    <div className="notice error storage-banner" role="alert" data-testid="storage-banner">
      <strong>Events cannot be stored: {cause}.</strong>{" "}
      {storage.message ? `${storage.message.replace(/\.$/, "")}.` : ""}
      {storage.advice ? ` Fix: ${storage.advice}.` : ""}{" "}
      {waiting > 0
        ? `${waiting.toLocaleString()} events wait in memory; live feeds resume once they are stored.`
        : "Live feeds resume once storage works again."}
    </div>
  );
});
