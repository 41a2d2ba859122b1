/** "New run": a link to the start form, shown only to roles that may start runs. */
import { Link } from "react-router-dom";

import { canControl, useMe } from "../auth/useAuth";
import { Icon } from "../shared/Icon";

export function NewRunButton() {
  const me = useMe();
  // The server stays the judge (a viewer's POST is a 403); this only hides a dead end.
  if (!canControl(me.data)) return null;
  return (
    <Link to="/runs/new" className="btn primary" data-testid="new-run">
      <Icon name="plus" /> New run
    </Link>
  );
}
