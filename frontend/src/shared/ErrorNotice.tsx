/** A failed request, explained: 401/403 say what to do, other errors show the server's message. */
import { Link } from "react-router-dom";

import { ApiError } from "../lib/api";

export function ErrorNotice({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError) {
    if (error.isUnauthorized) {
      return (
        <div className="notice error" role="alert" data-testid="error-401">
          Your session has ended. <Link to="/login">Sign in</Link> to see {what}.
        </div>
      );
    }
    if (error.isForbidden) {
      return (
        <div className="notice error" role="alert" data-testid="error-403">
          Your role may not see {what} (403: {error.message}).
        </div>
      );
    }
    if (error.isNotFound) {
      return (
        <div className="notice warn" role="alert" data-testid="error-404">
          {error.message}
        </div>
      );
    }
    return (
      <div className="notice error" role="alert" data-testid="error">
        Could not load {what}: {error.message}
      </div>
    );
  }
  return (
    <div className="notice error" role="alert" data-testid="error">
      Could not load {what}: {String(error)}
    </div>
  );
}
