"""Alert rules, evaluation, notifications, silences and actions (docs/alerts.md)."""
