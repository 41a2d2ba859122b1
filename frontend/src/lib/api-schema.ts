/**
 * GENERATED from the server's OpenAPI schema: do not edit by hand.
 * Regenerate with `make openapi-types` (scripts/openapi_schema.py, then
 * frontend/scripts/openapi-types.mjs); `make test` fails while this file is out of date.
 * Use the aliases in ./types.ts rather than these types directly.
 */
export interface paths {
    "/api/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Alerts
         * @description Open alerts (pending and firing, live), then resolved ones newest first.
         */
        get: operations["list_alerts_api_alerts_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Channels
         * @description The channels declared in the rule files (URLs with secrets hidden).
         */
        get: operations["list_channels_api_alerts_channels_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/counts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Alert Counts
         * @description How many alerts fire and are pending now (the navigation's badge).
         */
        get: operations["alert_counts_api_alerts_counts_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Deliveries
         * @description Every attempt to deliver a notification, newest first.
         */
        get: operations["deliveries_api_alerts_deliveries_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Rules
         * @description Every rule in force, with its last evaluation, value and open alerts.
         */
        get: operations["list_rules_api_alerts_rules_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/rules/reload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reload Rules
         * @description Read the project's rule files again; a bad file is a 400 naming the file and line,
         *     and the rules in force stay.
         */
        post: operations["reload_rules_api_alerts_rules_reload_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/rules/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Put Rule
         * @description Add or replace a rule kept in the database (with its history). Built-in rules and
         *     rules from files are changed in their files.
         */
        put: operations["put_rule_api_alerts_rules__name__put"];
        post?: never;
        /**
         * Delete Rule
         * @description Delete a rule kept in the database; its open alerts resolve.
         */
        delete: operations["delete_rule_api_alerts_rules__name__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/rules/{name}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Rule History
         * @description Every change of an API rule, newest first.
         */
        get: operations["rule_history_api_alerts_rules__name__history_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/silences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Silences
         * @description Silences, in force or not, newest first.
         */
        get: operations["list_silences_api_alerts_silences_get"];
        put?: never;
        /**
         * Add Silence
         * @description Hold back notifications of alerts matching every matcher until the end time.
         */
        post: operations["add_silence_api_alerts_silences_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/silences/{silence_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Expire Silence
         * @description End a silence now.
         */
        delete: operations["expire_silence_api_alerts_silences__silence_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send Test
         * @description Send a test notification to a declared channel (or an Apprise URL) now; the
         *     answer is the delivery attempt (502 if it could not be delivered).
         */
        post: operations["send_test_api_alerts_test_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/timeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Timeline
         * @description Every state change of alerts (pending, firing, resolved), newest first.
         */
        get: operations["timeline_api_alerts_timeline_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/variables": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Variables
         * @description Every variable rule conditions may use, with its type and meaning.
         */
        get: operations["variables_api_alerts_variables_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/compare": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Compare
         * @description Two runs of one collection side by side with `b - a` and `(b - a) / a`.
         */
        get: operations["compare_api_analytics_compare_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/costs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Costs
         * @description Each run's cost (requests, GB, hours at `cost_prices`) and cost per 1,000 items.
         */
        get: operations["costs_api_analytics_costs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/errors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Error Groups
         * @description Errors grouped by type, stage and message fingerprint, with counts over time.
         */
        get: operations["error_groups_api_analytics_errors_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/fields": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Fields
         * @description Dataset insights of one collection: per field, how many items have it, its most
         *     common values and, for numbers, min, max, mean, p50, p95 and a histogram, over the
         *     newest `sample` items of its dataset changed in the range.
         */
        get: operations["fields_api_analytics_fields_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/heatmap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Heatmap
         * @description Requests, items, errors and success rate per hour of day and weekday, in `tz`.
         */
        get: operations["heatmap_api_analytics_heatmap_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/insights": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Insights
         * @description Items found, new, updated and duplicate per run created in the range.
         */
        get: operations["insights_api_analytics_insights_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/sites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Sites
         * @description Each target site's requests, success rate, latency, errors and failures by type.
         */
        get: operations["sites_api_analytics_sites_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Summary
         * @description Runs, requests, success rate, p50/p95 latency, items, errors and cost over the range.
         */
        get: operations["summary_api_analytics_summary_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/analytics/trends": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Trends
         * @description Items per hour, success rate, response time and error rate per bucket.
         */
        get: operations["trends_api_analytics_trends_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Login
         * @description Trade a token for a session cookie (HttpOnly, SameSite=Strict).
         */
        post: operations["login_api_auth_login_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Logout
         * @description End the session (if any) and clear its cookie.
         */
        post: operations["logout_api_auth_logout_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Me
         * @description Who the server takes the caller for, and whether it requires authentication.
         */
        get: operations["me_api_auth_me_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/collections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Collections
         * @description Collections `POST /api/runs` can start: phases, parameter schema and defaults.
         */
        get: operations["collections_api_collections_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/datasets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Datasets
         * @description Datasets that hold items: `name`, `items` and `updated_at` (the latest change).
         */
        get: operations["list_datasets_api_datasets_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/datasets/{name}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export Dataset
         * @description The whole dataset as JSONL or CSV, ordered by dedupe key (docs/api.md, Exports).
         */
        get: operations["export_dataset_api_datasets__name__export_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/services": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Services Health
         * @description The database and Redis (reachable or not, since when, the last error; each checked
         *     every 2 s), the event bus, the recorder, storage, and each target site of the runs live
         *     here: its breaker and last success (``site_health``).
         */
        get: operations["services_health_api_health_services_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/sites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Sites Health
         * @description Each target site of the runs live in this server: the worst breaker state among
         *     the active runs using it, its last success, requests, and the runs.
         */
        get: operations["sites_health_api_health_sites_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/system": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * System Health
         * @description CPU, memory, disk, connections, active runs and workers of this server.
         */
        get: operations["system_health_api_health_system_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/system/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * System History
         * @description CPU, memory and disk use, RSS, connections, active runs and running workers of this
         *     server over the last ``hours``, averaged into at most ``points`` buckets (``every_s``
         *     says their width).
         */
        get: operations["system_history_api_health_system_history_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Workers Health
         * @description Each `crawlscope worker` process that said it is there within the last 15 s: its
         *     slots, the tasks it runs now, the runs it serves, what it did since it started. Empty,
         *     with `work_queue: "local"`, when runs started by the servers run their tasks in the
         *     server.
         */
        get: operations["workers_health_api_health_workers_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ingest a batch of events from a remote runner
         * @description Validate the whole batch, publish its new events, record acks, return commands.
         *
         *     Idempotent by event id: events already received are counted as `duplicates`. A
         *     rejected batch publishes nothing. The answer is sent once the events are stored.
         */
        post: operations["ingest_api_ingest_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ingest/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store a batch of a remote run's dataset items
         * @description Upsert the batch's items into the run's dataset by key and content hash.
         *
         *     Idempotent by `batch_id`: a batch stored before is answered with its first answer
         *     (`replayed: true`) and not written again, so a retry never doubles the dataset or its
         *     counts. The answer is sent once the items are stored.
         */
        post: operations["ingest_items_api_ingest_items_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Overview
         * @description Totals of the runs created today (UTC), the active runs and the 10 latest others.
         */
        get: operations["overview_api_overview_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Runs
         * @description Runs, newest first, with the number matching the filter.
         */
        get: operations["list_runs_api_runs_get"];
        put?: never;
        /**
         * Start Run
         * @description Start a registered collection with parameters (see `GET /api/collections`).
         *
         *     400 for an unknown collection (`field: collection`) or bad parameters
         *     (`field: params.<name>`, or `workers`); nothing is stored then.
         */
        post: operations["start_run_api_runs_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Run
         * @description The run's frame: status, params, totals, progress, throughput, ETA, workers, sites.
         *
         *     Live while this server aggregates the run (`live: true`), else its last stored frame.
         */
        get: operations["get_run_api_runs__run_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel Run
         * @description Cancel a pending, running or paused run. 409 if it has ended.
         */
        post: operations["cancel_run_api_runs__run_id__cancel_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Events
         * @description Stored events in seq order. Page with `after_seq=next_after_seq` until it is null.
         */
        get: operations["run_events_api_runs__run_id__events_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/host": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Host History
         * @description CPU and memory of the machine a remote run reports from, as its runner sent them
         *     with its batches (empty for runs executed in the server: see the server's own). By
         *     default over the run's life (a minute either side), at most a week.
         */
        get: operations["run_host_history_api_runs__run_id__host_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Items
         * @description Items the run inserted into its dataset or saw last, ordered by their dedupe key.
         */
        get: operations["run_items_api_runs__run_id__items_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/items/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export Run Items
         * @description The items of one run (those `GET /api/runs/{id}/items` lists) as JSONL or CSV.
         */
        get: operations["export_run_items_api_runs__run_id__items_export_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause Run
         * @description Pause a running run: workers stop before their next request. 409 if not running.
         */
        post: operations["pause_run_api_runs__run_id__pause_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume Run
         * @description Resume a paused run, or continue an interrupted one from its saved frontier (in this
         *     server, which must have its collection registered; only the tasks that were in flight
         *     when it stopped run again). 409 otherwise (e.g. completed), saying why.
         */
        post: operations["resume_run_api_runs__run_id__resume_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry Failed Tasks
         * @description Start a new run of this run's tasks that failed for good (same collection and
         *     params; its `run_started` names this run as `retry_of`). 409 when the run is still
         *     active, has no failed tasks, or its collection is not registered here.
         */
        post: operations["retry_failed_tasks_api_runs__run_id__retry_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/series": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Series
         * @description Requests/s, items/s, errors/s by type and p50/p95 latency over the whole run.
         *
         *     Computed from the stored events in buckets of whole seconds spanning the run's start
         *     to its end (or now); a bucket without a finished request has no latency keys.
         */
        get: operations["run_series_api_runs__run_id__series_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/sites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Sites
         * @description Per-site requests, errors by type, latency and circuit-breaker state.
         */
        get: operations["run_sites_api_runs__run_id__sites_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live stream of one run (SSE)
         * @description `activity` (id = seq), `state` (at most 4/s and on connect), `gap`, then final
         *     `state` and `end` when the run ends. Without a position the stream starts live.
         */
        get: operations["run_stream_api_runs__run_id__stream_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runs/{run_id}/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run Workers
         * @description Every worker's state and metrics; for finished runs, as stored at the end.
         */
        get: operations["run_workers_api_runs__run_id__workers_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Schedules
         * @description Every schedule with its next run (UTC and its zone), last run and recent slots.
         */
        get: operations["list_schedules_api_schedules_get"];
        put?: never;
        /**
         * Create Schedule
         * @description Create a schedule of a registered collection: an interval or a cron expression in
         *     a time zone, with its overlap and catch-up policies.
         */
        post: operations["create_schedule_api_schedules_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schedules/{schedule_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Schedule
         * @description One schedule with its next run, last run and the runs it started (newest first).
         */
        get: operations["get_schedule_api_schedules__schedule_id__get"];
        put?: never;
        post?: never;
        /**
         * Delete Schedule
         * @description Delete a schedule and its slot records; the runs it started are kept.
         */
        delete: operations["delete_schedule_api_schedules__schedule_id__delete"];
        options?: never;
        head?: never;
        /**
         * Update Schedule
         * @description Change some fields. A new timing (interval, cron, zone) counts from now.
         */
        patch: operations["update_schedule_api_schedules__schedule_id__patch"];
        trace?: never;
    };
    "/api/schedules/{schedule_id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause Schedule
         * @description Pause: no slot is taken until it is resumed. Pausing a paused schedule is a no-op.
         */
        post: operations["pause_schedule_api_schedules__schedule_id__pause_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schedules/{schedule_id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume Schedule
         * @description Resume: slots count from now; those that passed while paused are not caught up.
         */
        post: operations["resume_schedule_api_schedules__schedule_id__resume_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live stream of the whole installation (SSE)
         * @description Lifecycle events and states of every run, `system` every 5 s, and with `run_id`
         *     everything of that run as its own stream sends it (the stream stays open after its
         *     `end`).
         */
        get: operations["installation_stream_api_stream_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Tokens
         * @description Every token, revoked ones included.
         */
        get: operations["list_tokens_api_tokens_get"];
        put?: never;
        /**
         * Create Token
         * @description Create a token; its secret is in this response only.
         */
        post: operations["create_token_api_tokens_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/{token_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke Token
         * @description Revoke a token now: its requests and browser sessions are refused from here on,
         *     and its open live streams end.
         */
        delete: operations["revoke_token_api_tokens__token_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Healthz
         * @description The process is alive.
         */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics
         * @description Run, request, item, error, worker, alert and storage metrics, read at scrape time.
         *
         *     Needs the viewer role where authentication is on (Prometheus: ``authorization``
         *     with a viewer token).
         */
        get: operations["metrics_metrics_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readyz
         * @description Events can be stored (the last write worked and a database file is still in place),
         *     the database answers and its schema is current. 503 names what is wrong.
         */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Action
         * @description What an event says happened.
         * @enum {string}
         */
        Action: "fetching" | "found" | "error" | "rate_limited" | "retrying" | "waiting" | "skipped" | "complete" | "uploading" | "deduped" | "inserted" | "updated" | "run_started" | "run_progress" | "run_paused" | "run_resumed" | "run_cancelled" | "run_completed" | "run_failed" | "phase_started" | "phase_completed" | "breaker_opened" | "breaker_half_open" | "breaker_closed" | "alert_action";
        /**
         * ActionKind
         * @description What a firing rule may do to the run it fired on.
         * @enum {unknown}
         */
        ActionKind: "cancel" | "lower_concurrency" | "open_breaker" | "pause";
        /**
         * ActivityEvent
         * @description One thing that happened in a run (see docs/events.md for every field).
         *
         *     ``seq`` is assigned by the hub and is the SSE ``id``; ``id`` is globally unique and
         *     makes ingest idempotent. ``worker_id`` 0 is the system / data pipeline.
         */
        ActivityEvent: {
            action: components["schemas"]["Action"];
            /** @default null */
            attempt?: number | null;
            /** @default null */
            category?: string | null;
            /** @default null */
            duration_ms?: number | null;
            /** @default null */
            error_message?: string | null;
            /** @default null */
            error_stage?: string | null;
            /** @default null */
            error_type?: components["schemas"]["ErrorType"] | null;
            /** @default null */
            extra?: Record<string, unknown> | null;
            /** @default  */
            id?: string;
            /** @default null */
            item?: string | null;
            /** @default null */
            items_count?: number | null;
            /** @default null */
            method?: string | null;
            /** @default null */
            new_count?: number | null;
            /** @default null */
            operation_type?: string | null;
            /** @default null */
            params?: Record<string, unknown> | null;
            /** @default null */
            phase?: string | null;
            run_id: string;
            /** @default 0 */
            seq?: number;
            /** @default null */
            site?: string | null;
            /** @default null */
            source_worker_id?: number | null;
            /** @default null */
            started_at?: string | null;
            /** @default null */
            status_code?: number | null;
            /** @default null */
            task?: string | null;
            /** @default  */
            ts?: string;
            /** @default null */
            url?: string | null;
            /** @default 0 */
            worker_id?: number;
        };
        /**
         * AlertCounts
         * @description Open alerts by state (the navigation's badge).
         */
        AlertCounts: {
            /** @default 0 */
            firing?: number;
            /** @default 0 */
            pending?: number;
        };
        /**
         * AlertList
         * @description Alerts, open ones first, then history newest first.
         */
        AlertList: {
            alerts: components["schemas"]["AlertRecord"][];
            counts: components["schemas"]["AlertCounts"];
        };
        /**
         * AlertRecord
         * @description One alert: a rule on one subject, through its states (what the API lists).
         */
        AlertRecord: {
            /** @default {} */
            extra?: Record<string, unknown>;
            fingerprint: string;
            /** @default null */
            fired_at?: string | null;
            id: string;
            /** @default null */
            inhibited_by?: string | null;
            labels: {
                [key: string]: string;
            };
            /** @default null */
            pending_since?: string | null;
            /** @default null */
            resolved_at?: string | null;
            rule: string;
            /** @default null */
            run_id?: string | null;
            severity: components["schemas"]["Severity"];
            /** @default null */
            silenced_by?: string | null;
            state: components["schemas"]["AlertState"];
            /** @default  */
            summary?: string;
            /** @default null */
            updated_at?: string | null;
            /** @default null */
            value?: number | null;
        };
        /**
         * AlertState
         * @description Alertmanager's life of an alert: inactive -> pending (for ``for``) -> firing ->
         *     resolved. An inactive alert is not stored; a resolved one is history.
         * @enum {unknown}
         */
        AlertState: "firing" | "pending" | "resolved";
        /**
         * BusFigures
         * @description The event bus of this process.
         */
        BusFigures: {
            kind: string;
            subscribers: number;
        };
        /**
         * CatchUpPolicy
         * @description What happens to slots missed while no server ran (downtime, a clock jump).
         * @enum {unknown}
         */
        CatchUpPolicy: "once" | "skip";
        /**
         * ChannelInfo
         * @description A declared channel, its URL with secrets hidden.
         */
        ChannelInfo: {
            name: string;
            send_resolved: boolean;
            url: string;
        };
        /**
         * ChannelList
         * @description The channels declared in rule files, and the default ones.
         */
        ChannelList: {
            channels: components["schemas"]["ChannelInfo"][];
            default_channels: string[];
        };
        /**
         * CollectionInfo
         * @description What ``GET /api/collections`` shows about one registered collection.
         */
        CollectionInfo: {
            /** @default {} */
            defaults?: Record<string, unknown>;
            /** @default  */
            description?: string;
            name: string;
            /** @default null */
            params_schema?: Record<string, unknown> | null;
            /** @default [] */
            phases?: components["schemas"]["PhaseInfo"][];
        };
        /**
         * CollectionList
         * @description The collections this server can start.
         */
        CollectionList: {
            collections: components["schemas"]["CollectionInfo"][];
        };
        /**
         * ControlAnswer
         * @description What pause/resume/cancel did: ``outcome`` is paused, resumed, cancelled or queued
         *     (its runner has not answered yet); ``status`` is the run's status afterwards.
         */
        ControlAnswer: {
            /** @enum {unknown} */
            outcome: "cancelled" | "paused" | "queued" | "resumed";
            run_id: string;
            status: components["schemas"]["RunStatus"];
        };
        /**
         * ControlCommand
         * @description What an operator can ask of a running run.
         * @enum {unknown}
         */
        ControlCommand: "cancel" | "pause" | "resume";
        /**
         * CostReport
         * @description Runs' costs in a range, newest first, and their total.
         */
        CostReport: {
            cost: number;
            cost_per_1000_items: number | null;
            items_found: number;
            prices: {
                [key: string]: components["schemas"]["Prices"];
            };
            runs: components["schemas"]["RunCost"][];
            total_runs: number;
            window: components["schemas"]["Window"];
        };
        /**
         * DatabaseHealth
         * @description The database: where, which backend, and whether it answers (its probe's state).
         */
        DatabaseHealth: {
            backend: string;
            /** @default null */
            checked_at?: string | null;
            /** @default null */
            down_for_s?: number | null;
            /** @default null */
            last_error?: string | null;
            /** @default null */
            last_error_at?: string | null;
            /** @default 0 */
            outages?: number;
            reachable: boolean;
            /** @default null */
            since?: string | null;
            /** @enum {unknown} */
            state: "down" | "unknown" | "up";
            url: string;
        };
        /**
         * DatasetInfo
         * @description One dataset: its name, how many items it holds and when one last changed.
         */
        DatasetInfo: {
            items: number;
            name: string;
            updated_at: string;
        };
        /**
         * DatasetList
         * @description Every dataset with items, by name.
         */
        DatasetList: {
            datasets: components["schemas"]["DatasetInfo"][];
        };
        /**
         * DayTotals
         * @description Sums over the runs created since a moment (the overview's "today").
         */
        DayTotals: {
            /** @default 0 */
            errors?: number;
            /** @default 0 */
            items?: number;
            /** @default 0 */
            new_items?: number;
            /** @default 0 */
            requests?: number;
            /** @default 0 */
            runs?: number;
            since: string;
        };
        /**
         * DeliveryAttempt
         * @description One attempt to send one notification to one channel: delivered, or failed and why.
         */
        DeliveryAttempt: {
            at: string;
            attempt: number;
            channel: string;
            delivered: boolean;
            error: string | null;
            notification_key: string;
            status: string;
            url: string;
        };
        /**
         * DeliveryList
         * @description Delivery attempts, newest first.
         */
        DeliveryList: {
            deliveries: components["schemas"]["DeliveryAttempt"][];
        };
        /**
         * ErrorBody
         * @description Every error response: ``{"error": {"code", "message", "field"?}}``.
         */
        ErrorBody: {
            error: components["schemas"]["ErrorDetail"];
        };
        /**
         * ErrorDetail
         * @description What went wrong; ``field`` names the one input at fault, if there is one.
         */
        ErrorDetail: {
            code: string;
            /** @default null */
            field?: string | null;
            message: string;
        };
        /**
         * ErrorGroup
         * @description Errors of one type, stage and normalised message in one collection.
         */
        ErrorGroup: {
            collection: string;
            count: number;
            counts: [
                string,
                number
            ][];
            error_stage: string;
            error_type: string;
            example_event_id: string;
            example_message: string;
            example_run_id: string;
            fingerprint: string;
            first_seen: string;
            last_seen: string;
            pattern: string;
            total: number;
        };
        /**
         * ErrorReport
         * @description Error groups seen in a range, most frequent first.
         */
        ErrorReport: {
            bucket_s: number;
            groups: components["schemas"]["ErrorGroup"][];
            window: components["schemas"]["Window"];
        };
        /**
         * ErrorSummary
         * @description How often one kind of error happened and its latest message.
         */
        ErrorSummary: {
            /** @default 0 */
            count?: number;
            error_stage: string;
            error_type: string;
            /** @default null */
            last_message?: string | null;
            /** @default null */
            last_ts?: string | null;
            /** @default null */
            last_worker_id?: number | null;
        };
        /**
         * ErrorType
         * @description Why something failed; the exact HTTP status, if any, is in ``status_code``.
         * @enum {string}
         */
        ErrorType: "rate_limit" | "timeout" | "connection" | "http_4xx" | "http_5xx" | "parse_error" | "handler_error" | "api_error" | "cancelled";
        /**
         * EventPage
         * @description Stored events in seq order; ``next_after_seq`` is null when the page reached the end.
         */
        EventPage: {
            events: components["schemas"]["ActivityEvent"][];
            next_after_seq: number | null;
        };
        /**
         * ExportFormat
         * @description What an export is written as.
         * @enum {string}
         */
        ExportFormat: "jsonl" | "csv";
        /**
         * FieldInsight
         * @description One field over the sampled items.
         */
        FieldInsight: {
            distinct: number;
            field: string;
            /** @enum {unknown} */
            kind: "numeric" | "values";
            missing: number;
            /** @default null */
            numeric?: components["schemas"]["NumericSummary"] | null;
            present: number;
            top: components["schemas"]["ValueCount"][];
        };
        /**
         * FieldInsights
         * @description Per-field insights of a collection's dataset.
         */
        FieldInsights: {
            collection: string;
            dataset: string | null;
            fields: components["schemas"]["FieldInsight"][];
            /** @enum {unknown} */
            fields_from: "declared" | "items" | "request";
            sampled: number;
        };
        /**
         * FieldQuality
         * @description One quality field of a run: how many items had it, and had it wrong.
         */
        FieldQuality: {
            /** @default 0 */
            coverage?: number;
            /** @default 0 */
            errors?: number;
            field: string;
            /** @default 0 */
            present?: number;
        };
        /**
         * HeatCell
         * @description One hour of one weekday (in the heatmap's ``timezone``; Monday 0) summed over a
         *     range.
         */
        HeatCell: {
            errors: number;
            hour: number;
            items_found: number;
            requests: number;
            success_rate: number | null;
            weekday: number;
        };
        /**
         * Heatmap
         * @description The cells with any event in the range.
         */
        Heatmap: {
            cells: components["schemas"]["HeatCell"][];
            timezone: string;
            window: components["schemas"]["Window"];
        };
        /**
         * HistogramBin
         * @description ``[low, high)`` (the last bin includes ``high``) and its count.
         */
        HistogramBin: {
            count: number;
            high: number;
            low: number;
        };
        /** @description A JSON value without NUL characters in its strings or keys. */
        IngestJsonValue: (null | boolean | number) | string | unknown[] | {
            [key: string]: unknown;
        };
        /**
         * IngestResult
         * @description What ``POST /api/ingest`` answers.
         */
        IngestResult: {
            accepted: number;
            commands: components["schemas"]["PendingCommand"][];
            duplicates: number;
        };
        /**
         * ItemBatchResult
         * @description What ``POST /api/ingest/items`` answers: the keys by what happened to them.
         *
         *     ``replayed`` when the batch had been stored before (a retry after a lost answer): the
         *     lists are that first answer. ``dataset_size`` only when the request asked (``count``).
         */
        ItemBatchResult: {
            dataset: string;
            /** @default null */
            dataset_size?: number | null;
            /** @default [] */
            inserted?: string[];
            /** @default false */
            replayed?: boolean;
            /** @default [] */
            unchanged?: string[];
            /** @default [] */
            updated?: string[];
        };
        /**
         * ItemPage
         * @description Dataset items of a run (inserted by it or last seen by it), ordered by key.
         */
        ItemPage: {
            dataset: string | null;
            items: unknown[];
            run_id: string;
            total: number;
        };
        /**
         * LoginBody
         * @description A token to trade for a session cookie.
         */
        LoginBody: {
            /**
             * Token
             * @description The token's secret.
             */
            token: string;
        };
        /**
         * LoginResult
         * @description Who the session belongs to and when it expires.
         */
        LoginResult: {
            /**
             * Expires At
             * Format: date-time
             */
            expires_at: string;
            /** Name */
            name: string;
            role: components["schemas"]["Role"];
        };
        /**
         * Matcher
         * @description One label matcher of a silence: ``label = value`` (or ``!=``, ``=~``, ``!~``).
         */
        Matcher: {
            label: string;
            /** @default = */
            op?: string;
            value: string;
        };
        /**
         * Me
         * @description What the dashboard needs to know about the caller.
         */
        Me: {
            /**
             * Auth Required
             * @description Requests without credentials are refused.
             */
            auth_required: boolean;
            /**
             * Authenticated
             * @description The request carried valid credentials.
             */
            authenticated: boolean;
            /**
             * Name
             * @description Who the server takes the caller for.
             */
            name?: string | null;
            role?: components["schemas"]["Role"] | null;
        };
        /**
         * NumericSummary
         * @description The numeric values of a field (``count`` of them: a numeric field may hold a few
         *     values of other types, invalid items being stored too): range, mean, percentiles and
         *     a histogram.
         */
        NumericSummary: {
            bins: components["schemas"]["HistogramBin"][];
            count: number;
            max: number;
            mean: number;
            min: number;
            p50: number;
            p95: number;
        };
        /**
         * OverlapPolicy
         * @description What a slot does while the previous run of the same schedule is still active.
         * @enum {unknown}
         */
        OverlapPolicy: "allow" | "queue" | "skip";
        /**
         * OverviewBody
         * @description Today's totals (UTC day), active runs and the latest finished runs.
         */
        OverviewBody: {
            active: components["schemas"]["RunSummary"][];
            recent: components["schemas"]["RunSummary"][];
            today: components["schemas"]["DayTotals"];
        };
        /**
         * PendingCommand
         * @description A pause/resume/cancel request waiting for the runner of ``run_id``.
         */
        PendingCommand: {
            command: components["schemas"]["ControlCommand"];
            id: number;
            run_id: string;
        };
        /**
         * PhaseInfo
         * @description A phase of a registered collection and its default worker count.
         */
        PhaseInfo: {
            name: string;
            workers: number;
        };
        /**
         * Prices
         * @description What a collection's runs cost: per request, per GB received and per run-hour.
         */
        Prices: {
            /** @default 0 */
            per_gb?: number;
            /** @default 0 */
            per_hour?: number;
            /** @default 0 */
            per_request?: number;
        };
        /**
         * ProgressLevel
         * @description One level of hierarchical progress (for example categories, then products).
         */
        ProgressLevel: {
            done: number;
            /** @default null */
            eta_s?: number | null;
            level: string;
            /** @default false */
            open?: boolean;
            /** @default 0 */
            percent?: number;
            total: number;
        };
        /**
         * QualityCard
         * @description Live data quality: the run's items against its collection's item schema.
         */
        QualityCard: {
            /** @default 0 */
            checked?: number;
            /** @default [] */
            fields?: components["schemas"]["FieldQuality"][];
            /** @default 0 */
            invalid?: number;
            /** @default 0 */
            other_errors?: number;
            /** @default null */
            schema?: string | null;
        };
        /**
         * RecorderStats
         * @description What the recorder has done: stored, waiting, failed attempts, refused events.
         */
        RecorderStats: {
            backlog: number;
            duplicates: number;
            failures: number;
            rejected: number;
            written: number;
        };
        /**
         * RedisHealth
         * @description Redis (the event bus of several API processes): whether it answers, and the stored
         *     events waiting to be shown live until it does.
         */
        RedisHealth: {
            /** @default null */
            checked_at?: string | null;
            /** @default null */
            down_for_s?: number | null;
            /** @default null */
            last_error?: string | null;
            /** @default null */
            last_error_at?: string | null;
            not_shown: number;
            /** @default 0 */
            outages?: number;
            prefix: string;
            reachable: boolean;
            /** @default null */
            since?: string | null;
            /** @enum {unknown} */
            state: "down" | "unknown" | "up";
            url: string;
            waiting: number;
        };
        /**
         * Role
         * @description What a token may do (docs/api.md, Access control).
         * @enum {string}
         */
        Role: "viewer" | "operator" | "ingest" | "admin";
        /**
         * Rule
         * @description An alert rule: when ``condition`` holds for ``for_s`` seconds on a subject, an alert
         *     of ``severity`` fires, is sent to ``channels`` and takes ``actions``.
         *
         *     ``condition`` (and the optional ``value``, the number shown next to the rule) are CEL
         *     expressions over the variables of ``subject`` (docs/alerts.md). ``summary`` is a
         *     template: ``{{ run.collection }}`` is replaced by that variable's value.
         */
        Rule: {
            /** @default [] */
            actions?: components["schemas"]["RuleAction"][];
            /** @default false */
            builtin?: boolean;
            /** @default [] */
            channels?: string[];
            condition: string;
            /** @default  */
            description?: string;
            /** @default true */
            enabled?: boolean;
            /** @default 0 */
            for_s?: number;
            /** @default {} */
            labels?: {
                [key: string]: string;
            };
            name: string;
            /** @default {} */
            scope?: components["schemas"]["Scope"];
            /** @default warning */
            severity?: components["schemas"]["Severity"];
            /** @default api */
            source?: string;
            /** @default run */
            subject?: components["schemas"]["SubjectKind"];
            /** @default  */
            summary?: string;
            /** @default null */
            value?: string | null;
        };
        /**
         * RuleAction
         * @description One action of a rule, taken once when its alert starts firing.
         */
        RuleAction: {
            /** @default null */
            concurrency?: number | null;
            /** @default null */
            duration_s?: number | null;
            kind: components["schemas"]["ActionKind"];
        };
        /**
         * RuleBody
         * @description A rule as the API takes it: the fields of a rule file's entry (docs/alerts.md).
         */
        RuleBody: {
            /** Actions */
            actions?: unknown[] | null;
            /** Channels */
            channels?: string[] | null;
            /**
             * Condition
             * @description A CEL expression.
             */
            condition: string;
            /** Description */
            description?: string | null;
            /** Enabled */
            enabled?: boolean | null;
            /**
             * For
             * @description How long the condition must hold: 30s, 5m...
             */
            for?: string | number | null;
            /** Labels */
            labels?: {
                [key: string]: string;
            } | null;
            /** Name */
            name: string;
            /** Scope */
            scope?: {
                [key: string]: string;
            } | null;
            /**
             * Severity
             * @description info, warning or critical.
             */
            severity?: string | null;
            /**
             * Subject
             * @description run, site, worker, schedule or system; inferred if absent.
             */
            subject?: string | null;
            /** Summary */
            summary?: string | null;
            /** Value */
            value?: string | null;
        };
        /**
         * RuleInfo
         * @description A rule in force with how it did at its last evaluation.
         */
        RuleInfo: {
            /** @default null */
            error?: string | null;
            /** @default null */
            evaluated_at?: string | null;
            /** @default 0 */
            firing?: number;
            /** @default 0 */
            holding?: number;
            /** @default 0 */
            pending?: number;
            rule: components["schemas"]["Rule"];
            /** @default 0 */
            subjects?: number;
            /** @default null */
            value?: number | null;
        };
        /**
         * RuleList
         * @description Every rule (built-in, from files, from the API) and the rule files' last error.
         */
        RuleList: {
            /** @default null */
            file_error?: string | null;
            rules: components["schemas"]["RuleInfo"][];
        };
        /**
         * RunComparison
         * @description Two runs of one collection and ``b - a`` of each number (None where either is).
         */
        RunComparison: {
            a: components["schemas"]["RunFigures"];
            b: components["schemas"]["RunFigures"];
            change: {
                [key: string]: number | null;
            };
            difference: {
                [key: string]: number | null;
            };
        };
        /**
         * RunCost
         * @description A run's cost: requests, GB and hours at its collection's prices.
         */
        RunCost: {
            bytes: number;
            collection: string;
            cost: number;
            cost_per_1000_items: number | null;
            created_at: string;
            hours: number;
            items_found: number;
            request_cost: number;
            requests: number;
            run_id: string;
            time_cost: number;
            transfer_cost: number;
        };
        /**
         * RunDetail
         * @description A run's frame plus where it comes from (``GET /api/runs/{id}``, ``runs show``).
         *
         *     ``live`` is true while this process aggregates the run's events or executes the run
         *     (numbers are current); otherwise the frame is the last one stored on the run's row.
         */
        RunDetail: {
            /** @default false */
            auto_paused?: boolean;
            /** @default null */
            collection?: string | null;
            /** @default null */
            crawler_stats?: Record<string, unknown> | null;
            /** @default null */
            created_at?: string | null;
            /** @default null */
            dataset?: string | null;
            /** @default null */
            dataset_size?: number | null;
            /** @default null */
            duration_s?: number | null;
            /** @default null */
            ended_at?: string | null;
            /** @default null */
            error?: string | null;
            /** @default [] */
            errors?: components["schemas"]["ErrorSummary"][];
            /** @default null */
            eta_s?: number | null;
            /** @default null */
            events_pruned_at?: string | null;
            /** @default null */
            finish_reason?: string | null;
            /** @default 0 */
            last_seq?: number;
            /** @default false */
            live?: boolean;
            /** @default local */
            origin?: string;
            /** @default {} */
            params?: Record<string, unknown>;
            /** @default null */
            paused_reason?: string | null;
            /** @default null */
            phase?: string | null;
            /** @default [] */
            progress?: components["schemas"]["ProgressLevel"][];
            /** @default null */
            quality?: components["schemas"]["QualityCard"] | null;
            run_id: string;
            /** @default [] */
            sites?: components["schemas"]["SiteCard"][];
            /** @default null */
            started_at?: string | null;
            /** @default pending */
            status?: components["schemas"]["RunStatus"];
            throughput?: components["schemas"]["Throughput"];
            totals?: components["schemas"]["RunTotals"];
            /** @default [] */
            workers?: components["schemas"]["WorkerCard"][];
        };
        /**
         * RunFigures
         * @description One run's figures, as the run comparison shows them.
         */
        RunFigures: {
            bytes: number;
            collection: string;
            cost: number;
            created_at: string;
            duplicates: number;
            duration_s: number | null;
            errors: number;
            failures: number;
            items_found: number;
            new_items: number;
            p50_ms: number | null;
            p95_ms: number | null;
            requests: number;
            run_id: string;
            status: string;
            success_rate: number | null;
            successes: number;
            updated_items: number;
        };
        /**
         * RunInsight
         * @description One run's items (the dataset insights' points).
         */
        RunInsight: {
            collection: string;
            created_at: string;
            duplicates: number;
            items_found: number;
            new_items: number;
            requests: number;
            run_id: string;
            status: string;
            updated_items: number;
        };
        /**
         * RunInsights
         * @description Items per run over time, oldest first (at most ``limit`` newest runs).
         */
        RunInsights: {
            runs: components["schemas"]["RunInsight"][];
            total_runs: number;
            window: components["schemas"]["Window"];
        };
        /**
         * RunList
         * @description A page of runs, newest first, and how many match the filter in all.
         */
        RunList: {
            limit: number;
            offset: number;
            runs: components["schemas"]["RunSummary"][];
            total: number;
        };
        /**
         * RunSeries
         * @description ``GET /api/runs/{id}/series``: the whole run in buckets of ``bucket_s`` seconds.
         */
        RunSeries: {
            bucket_s: number;
            points: components["schemas"]["SeriesPoint"][];
            run_id: string;
        };
        /**
         * RunStatus
         * @description Where a run is in its life (docs/events.md, "Run status").
         * @enum {string}
         */
        RunStatus: "pending" | "running" | "paused" | "completed" | "completed_with_errors" | "failed" | "cancelled" | "interrupted";
        /**
         * RunSummary
         * @description One run in a list (``GET /api/runs``, the overview): the stored row without its frame.
         */
        RunSummary: {
            collection: string;
            created_at: string;
            /** @default null */
            dataset?: string | null;
            /** @default null */
            dataset_size?: number | null;
            /** @default null */
            duration_s?: number | null;
            /** @default null */
            ended_at?: string | null;
            /** @default null */
            error?: string | null;
            /** @default null */
            events_pruned_at?: string | null;
            /** @default null */
            finish_reason?: string | null;
            id: string;
            /** @default 0 */
            last_seq?: number;
            origin: string;
            params: Record<string, unknown>;
            /** @default null */
            paused_reason?: string | null;
            /** @default [] */
            progress?: components["schemas"]["ProgressLevel"][];
            /** @default null */
            started_at?: string | null;
            status: components["schemas"]["RunStatus"];
            totals?: components["schemas"]["RunTotals"];
        };
        /**
         * RunTotals
         * @description Counts over the whole run; each is defined by events (docs/events.md).
         */
        RunTotals: {
            /** @default 0 */
            duplicates?: number;
            /** @default 0 */
            errors?: number;
            /** @default {} */
            errors_by_stage?: {
                [key: string]: number;
            };
            /** @default {} */
            errors_by_type?: {
                [key: string]: number;
            };
            /** @default 0 */
            events?: number;
            /** @default 0 */
            failures?: number;
            /** @default {} */
            failures_by_type?: {
                [key: string]: number;
            };
            /** @default 0 */
            items_found?: number;
            /** @default 0 */
            new_items?: number;
            /** @default 0 */
            requests?: number;
            /** @default 0 */
            retries?: number;
            /** @default 0 */
            successes?: number;
            /** @default 0 */
            tasks_done?: number;
            /** @default 0 */
            tasks_failed?: number;
            /** @default 0 */
            tasks_requeued?: number;
            /** @default 0 */
            updated_items?: number;
        };
        /**
         * SampleHistory
         * @description A source's samples over a time range, at most ``points`` of them.
         */
        SampleHistory: {
            every_s: number;
            samples: components["schemas"]["SystemSample"][];
            since: number;
            source: string;
            until: number;
        };
        /**
         * ScheduleCreate
         * @description Body of ``POST /api/schedules``: exactly one of ``interval_s`` and ``cron``.
         */
        ScheduleCreate: {
            /**
             * Catch Up
             * @description Slots missed while no server ran: skip them, or start one run now (once).
             * @default skip
             * @enum {string}
             */
            catch_up?: "skip" | "once";
            /**
             * Collection
             * @description A registered collection's name.
             */
            collection: string;
            /**
             * Cron
             * @description A five-field cron expression (minute hour day month weekday).
             */
            cron?: string | null;
            /**
             * Enabled
             * @description False: created paused.
             * @default true
             */
            enabled?: boolean;
            /**
             * Interval S
             * @description Seconds between runs (at least the server's minimum).
             */
            interval_s?: number | null;
            /**
             * Name
             * @description Unique name.
             */
            name: string;
            /**
             * Overlap
             * @description While the previous run of the schedule is active: skip the slot, queue it (start it when that run ends) or allow (start anyway).
             * @default skip
             * @enum {string}
             */
            overlap?: "skip" | "queue" | "allow";
            /**
             * Params
             * @description Run parameters; validated against the collection's params_schema.
             */
            params?: {
                [key: string]: unknown;
            };
            /**
             * Timezone
             * @description IANA time zone the cron expression uses.
             * @default UTC
             */
            timezone?: string;
        };
        /**
         * ScheduleList
         * @description Every schedule, by name, with its next and last runs.
         */
        ScheduleList: {
            schedules: components["schemas"]["ScheduleView"][];
        };
        /**
         * ScheduleSource
         * @description Where a schedule was defined: through the API/CLI/dashboard, or a project file.
         * @enum {unknown}
         */
        ScheduleSource: "api" | "file";
        /**
         * ScheduleUpdate
         * @description Body of ``PATCH /api/schedules/{id}``: the fields to change. Giving ``interval_s``
         *     clears ``cron`` and the other way round (either may also be given as null).
         */
        ScheduleUpdate: {
            /**
             * Catch Up
             * @description Slots missed while no server ran: skip them, or start one run now (once).
             * @enum {string}
             */
            catch_up?: "skip" | "once";
            /** Collection */
            collection?: string;
            /** Cron */
            cron?: string | null;
            /** Enabled */
            enabled?: boolean;
            /** Interval S */
            interval_s?: number | null;
            /** Name */
            name?: string;
            /**
             * Overlap
             * @description While the previous run of the schedule is active: skip the slot, queue it (start it when that run ends) or allow (start anyway).
             * @enum {string}
             */
            overlap?: "skip" | "queue" | "allow";
            /** Params */
            params?: {
                [key: string]: unknown;
            };
            /** Timezone */
            timezone?: string;
        };
        /**
         * ScheduleView
         * @description A schedule as the API shows it.
         */
        ScheduleView: {
            catch_up: components["schemas"]["CatchUpPolicy"];
            collection: string;
            created_at: string;
            cron: string | null;
            enabled: boolean;
            id: number;
            interval_s: number | null;
            last_run: components["schemas"]["SlotView"] | null;
            last_slot: components["schemas"]["SlotView"] | null;
            name: string;
            next_run_at: string | null;
            next_run_local: string | null;
            overlap: components["schemas"]["OverlapPolicy"];
            params: Record<string, unknown>;
            slot_count: number;
            slots: components["schemas"]["SlotView"][];
            source: components["schemas"]["ScheduleSource"];
            /** @enum {unknown} */
            status: "active" | "paused";
            timezone: string;
            updated_at: string;
        };
        /**
         * Scope
         * @description Which subjects a rule looks at: only this collection, site or schedule (each
         *     optional; all given must match).
         */
        Scope: {
            /** @default null */
            collection?: string | null;
            /** @default null */
            schedule?: string | null;
            /** @default null */
            site?: string | null;
        };
        /**
         * SeriesPoint
         * @description One bucket: rates over it, and latency percentiles if any request ended in it.
         */
        SeriesPoint: {
            errors_per_s: {
                [key: string]: number;
            };
            items_per_s: number;
            /** @default null */
            p50_ms?: number | null;
            /** @default null */
            p95_ms?: number | null;
            requests_per_s: number;
            t: string;
        };
        /**
         * ServicesHealth
         * @description ``GET /api/health/services``.
         */
        ServicesHealth: {
            database: components["schemas"]["DatabaseHealth"];
            hub: components["schemas"]["BusFigures"];
            recorder: components["schemas"]["RecorderStats"];
            /** @default null */
            redis?: components["schemas"]["RedisHealth"] | null;
            sites: components["schemas"]["SiteHealth"][];
            storage: components["schemas"]["StorageStatus"];
        };
        /**
         * Severity
         * @description How bad: a firing ``critical`` alert inhibits ``warning`` and ``info`` alerts of the
         *     same run or site.
         * @enum {unknown}
         */
        Severity: "critical" | "info" | "warning";
        /**
         * Silence
         * @description Holds back notifications of every alert whose labels match all ``matchers`` until
         *     ``ends_at`` (alerts still change state and show, marked silenced).
         */
        Silence: {
            /** @default  */
            comment?: string;
            /** @default null */
            created_by?: string | null;
            ends_at: string;
            /** @default null */
            expired_at?: string | null;
            id: string;
            matchers: components["schemas"]["Matcher"][];
            starts_at: string;
        };
        /**
         * SilenceBody
         * @description ``POST /api/alerts/silences``: matchers and how long (or until when).
         */
        SilenceBody: {
            /**
             * Comment
             * @default
             */
            comment?: string;
            /**
             * Duration
             * @description 30m, 2h, 1d (default 1h).
             */
            duration?: string | null;
            /**
             * Ends At
             * @description ISO 8601 end, instead of duration.
             */
            ends_at?: string | null;
            /**
             * Matchers
             * @description label=value, label!=value, label=~regex...
             */
            matchers: string[];
        };
        /**
         * SilenceList
         * @description Silences, newest first.
         */
        SilenceList: {
            silences: components["schemas"]["Silence"][];
        };
        /**
         * SiteCard
         * @description One host: traffic, errors, latency and circuit-breaker state.
         */
        SiteCard: {
            /** @default 0 */
            avg_ms?: number;
            /** @default closed */
            breaker?: string;
            /** @default null */
            breaker_since?: string | null;
            /** @default {} */
            errors_by_type?: {
                [key: string]: number;
            };
            /** @default 0 */
            failures?: number;
            /** @default null */
            last_success_at?: string | null;
            /** @default 0 */
            p50_ms?: number;
            /** @default 0 */
            p95_ms?: number;
            /** @default 0 */
            requests?: number;
            site: string;
            /** @default 0 */
            successes?: number;
        };
        /**
         * SiteHealth
         * @description One target site as the live runs see it.
         */
        SiteHealth: {
            /** @default closed */
            breaker?: string;
            /** @default null */
            breaker_since?: string | null;
            /** @default null */
            last_success_at?: string | null;
            /** @default 0 */
            requests?: number;
            /** @default [] */
            runs?: string[];
            site: string;
        };
        /**
         * SiteList
         * @description Every site a run has sent requests to.
         */
        SiteList: {
            run_id: string;
            sites: components["schemas"]["SiteCard"][];
        };
        /**
         * SiteRow
         * @description One target site's figures over a range.
         */
        SiteRow: {
            bytes: number;
            errors: number;
            failures: number;
            failures_by_type: {
                [key: string]: number;
            };
            mean_ms: number | null;
            p50_ms: number | null;
            p95_ms: number | null;
            requests: number;
            site: string;
            success_rate: number | null;
            successes: number;
        };
        /**
         * SiteTable
         * @description Sites by requests, most first (events without a site are left out).
         */
        SiteTable: {
            sites: components["schemas"]["SiteRow"][];
            window: components["schemas"]["Window"];
        };
        /**
         * SlotOutcome
         * @description What became of a claimed slot (the ``schedule_slots`` row).
         * @enum {unknown}
         */
        SlotOutcome: "failed" | "missed" | "queued" | "skipped" | "started" | "starting";
        /**
         * SlotView
         * @description One slot a server claimed: the run it started (``run_id``, ``run_status``), or why
         *     none (``outcome`` skipped, missed, failed, with ``reason``). ``missed``: earlier slots
         *     that went unrun with it (a downtime).
         */
        SlotView: {
            claimed_at: string;
            claimed_by: string;
            /** @default 0 */
            missed?: number;
            outcome: components["schemas"]["SlotOutcome"];
            /** @default null */
            reason?: string | null;
            /** @default null */
            run_id?: string | null;
            /** @default null */
            run_status?: components["schemas"]["RunStatus"] | null;
            slot_at: string;
        };
        /**
         * StartRunRequest
         * @description Body of ``POST /api/runs``.
         */
        StartRunRequest: {
            /**
             * Collection
             * @description A registered collection's name.
             */
            collection: string;
            /**
             * Params
             * @description Run parameters; validated against the collection's params_schema.
             */
            params?: {
                [key: string]: unknown;
            };
            /**
             * Workers
             * @description Workers per phase (default: each phase's own).
             */
            workers?: number | null;
        };
        /**
         * StorageStatus
         * @description Whether events can be stored now, and if not why (``GET /api/health/services``,
         *     ``/readyz``, the dashboard's banner).
         */
        StorageStatus: {
            /** @default null */
            advice?: string | null;
            /** @default null */
            cause?: ("disk_full" | "error" | "file_gone" | "file_replaced" | "locked" | "read_only" | "unreachable") | null;
            /** @default null */
            failing_for_s?: number | null;
            /** @default null */
            message?: string | null;
            ok: boolean;
            /** @default 0 */
            unstored?: number;
        };
        /**
         * SubjectKind
         * @description What one alert of a rule is about: each subject of the kind is evaluated apart.
         *
         *     ``run``: every active run (and a run in the minute after it ended, so rules on its
         *     outcome see it); ``site``: every site of every active run; ``worker``: every worker of
         *     every active run; ``schedule``: every enabled schedule; ``system``: the server's host.
         * @enum {unknown}
         */
        SubjectKind: "run" | "schedule" | "site" | "system" | "worker";
        /**
         * Summary
         * @description Totals over a range (``GET /api/analytics/summary``).
         */
        Summary: {
            bytes: number;
            cost: number;
            cost_per_1000_items: number | null;
            errors: number;
            failures: number;
            items_found: number;
            items_new: number;
            items_updated: number;
            p50_ms: number | null;
            p95_ms: number | null;
            requests: number;
            runs: number;
            success_rate: number | null;
            successes: number;
            window: components["schemas"]["Window"];
        };
        /**
         * SystemSample
         * @description One sample (a point of the chart: the average over its bucket, peaks for RSS, runs
         *     and workers). Figures a source does not measure are None.
         */
        SystemSample: {
            /** @default null */
            active_runs?: number | null;
            at: number;
            cpu_percent: number;
            /** @default null */
            disk_percent?: number | null;
            memory_percent: number;
            /** @default null */
            open_connections?: number | null;
            /** @default null */
            process_rss_mb?: number | null;
            /** @default null */
            running_workers?: number | null;
        };
        /**
         * TargetSites
         * @description ``GET /api/health/sites``: every target site of the runs live here (``site_health``).
         */
        TargetSites: {
            sites: components["schemas"]["SiteHealth"][];
        };
        /**
         * TestBody
         * @description ``POST /api/alerts/test``: a declared channel's name, or an Apprise URL.
         */
        TestBody: {
            /** Channel */
            channel?: string | null;
            /** Url */
            url?: string | null;
        };
        /**
         * Throughput
         * @description Rates over the last minute.
         */
        Throughput: {
            /** @default 0 */
            items_per_min?: number;
            /** @default 0 */
            items_per_s?: number;
            /** @default 0 */
            requests_per_s?: number;
            /** @default 60 */
            window_s?: number;
        };
        /**
         * TimelineEntry
         * @description One state change of one alert.
         */
        TimelineEntry: {
            alert_id: string;
            at: string;
            /** @default {} */
            labels?: {
                [key: string]: string;
            };
            rule: string;
            state: string;
            /** @default  */
            summary?: string;
            /** @default null */
            value?: number | null;
        };
        /**
         * TimelineList
         * @description State changes, newest first.
         */
        TimelineList: {
            entries: components["schemas"]["TimelineEntry"][];
        };
        /**
         * TokenCreate
         * @description A token to create.
         */
        TokenCreate: {
            /**
             * Name
             * @description Surrounding whitespace is removed; the rest may not contain control, format (invisible) or separator characters other than spaces, and may not be only digits (numbers are token ids).
             */
            name: string & (unknown & unknown);
            role: components["schemas"]["Role"];
        };
        /**
         * TokenCreated
         * @description A new token with its secret: shown this once, only a hash is stored.
         */
        TokenCreated: {
            /** Active */
            active: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Id */
            id: number;
            /** Last Used At */
            last_used_at?: string | null;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description The first characters of the secret, to tell tokens apart.
             */
            prefix: string;
            /** Revoked At */
            revoked_at?: string | null;
            role: components["schemas"]["Role"];
            /** Token */
            token: string;
        };
        /**
         * TokenInfo
         * @description A token as listed (never its secret).
         */
        TokenInfo: {
            /** Active */
            active: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Id */
            id: number;
            /** Last Used At */
            last_used_at?: string | null;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description The first characters of the secret, to tell tokens apart.
             */
            prefix: string;
            /** Revoked At */
            revoked_at?: string | null;
            role: components["schemas"]["Role"];
        };
        /**
         * TokenList
         * @description All tokens, oldest first.
         */
        TokenList: {
            /** Tokens */
            tokens: components["schemas"]["TokenInfo"][];
        };
        /**
         * TokenRevoked
         * @description A revoked token and how many browser sessions ended with it.
         */
        TokenRevoked: {
            /** Active */
            active: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Id */
            id: number;
            /** Last Used At */
            last_used_at?: string | null;
            /** Name */
            name: string;
            /**
             * Prefix
             * @description The first characters of the secret, to tell tokens apart.
             */
            prefix: string;
            /** Revoked At */
            revoked_at?: string | null;
            role: components["schemas"]["Role"];
            /** Sessions Ended */
            sessions_ended: number;
        };
        /**
         * TrendPoint
         * @description One bucket of a trend: its start and what happened in it.
         */
        TrendPoint: {
            error_rate: number | null;
            errors: number;
            items_found: number;
            items_per_hour: number;
            mean_ms: number | null;
            requests: number;
            success_rate: number | null;
            successes: number;
            t: string;
        };
        /**
         * Trends
         * @description Buckets of one resolution over a range, empty buckets included.
         */
        Trends: {
            bucket_s: number;
            points: components["schemas"]["TrendPoint"][];
            resolution: string;
            window: components["schemas"]["Window"];
        };
        /**
         * ValueCount
         * @description A value (as text, cut at 100 characters) and how many sampled items have it.
         */
        ValueCount: {
            count: number;
            value: string;
        };
        /**
         * VariableInfo
         * @description One variable rule conditions may use.
         */
        VariableInfo: {
            doc: string;
            name: string;
            type: string;
        };
        /**
         * VariableList
         * @description Every variable, as ``root.name``.
         */
        VariableList: {
            variables: components["schemas"]["VariableInfo"][];
        };
        /**
         * Window
         * @description The range and filter an answer covers.
         */
        Window: {
            /** @default null */
            collection?: string | null;
            since: string;
            until: string;
        };
        /**
         * WorkerCard
         * @description Everything a worker card shows: where the worker is and what it has done.
         *
         *     Cards are sent several times a second for every worker, so fields at their default
         *     (``None``, zero counters, empty dicts) are left out of the JSON; readers treat a
         *     missing counter as 0. ``worker_id`` and ``state`` have no default and are always sent.
         */
        WorkerCard: {
            /** @default null */
            attempt?: number | null;
            /** @default 0 */
            avg_ms?: number;
            /** @default 0 */
            categories_done?: number;
            /** @default null */
            category?: string | null;
            /** @default 0 */
            errors?: number;
            /** @default {} */
            errors_by_stage?: {
                [key: string]: number;
            };
            /** @default {} */
            errors_by_type?: {
                [key: string]: number;
            };
            /** @default 0 */
            failures?: number;
            /** @default null */
            item?: string | null;
            /** @default 0 */
            items?: number;
            /** @default null */
            last_duration_ms?: number | null;
            /** @default null */
            last_error_message?: string | null;
            /** @default null */
            last_error_type?: string | null;
            /** @default null */
            last_status_code?: number | null;
            /** @default null */
            last_task_ms?: number | null;
            /** @default null */
            last_wait_ms?: number | null;
            /** @default null */
            method?: string | null;
            /** @default 0 */
            new_items?: number;
            /** @default 0 */
            p95_ms?: number;
            /** @default null */
            params?: Record<string, unknown> | null;
            /** @default null */
            phase?: string | null;
            /** @default null */
            request_started_at?: string | null;
            /** @default 0 */
            requests?: number;
            /** @default 0 */
            retries?: number;
            /** @default null */
            site?: string | null;
            state: string;
            /** @default null */
            state_since?: string | null;
            /** @default 0 */
            success_rate?: number;
            /** @default 0 */
            successes?: number;
            /** @default null */
            task?: string | null;
            /** @default 0 */
            tasks_done?: number;
            /** @default 0 */
            tasks_failed?: number;
            /** @default null */
            url?: string | null;
            /** @default 0 */
            wait_ms?: number;
            /** @default null */
            waiting_for?: string | null;
            worker_id: number;
        };
        /**
         * WorkerIdBlock
         * @description The worker ids a process took in one run: its slots are ``first``..``last``.
         */
        WorkerIdBlock: {
            first: number;
            last: number;
            run_id: string;
        };
        /**
         * WorkerList
         * @description Every worker card of a run.
         */
        WorkerList: {
            run_id: string;
            workers: components["schemas"]["WorkerCard"][];
        };
        /**
         * WorkerPresence
         * @description A ``crawlscope worker`` process, as it last said.
         */
        WorkerPresence: {
            /** @default [] */
            blocks?: components["schemas"]["WorkerIdBlock"][];
            busy: number;
            host: string;
            name: string;
            pid: number;
            runs: string[];
            seen_at: string;
            slots: number;
            started_at: string;
            taken_over: number;
            tasks_done: number;
        };
        /**
         * WorkerProcesses
         * @description ``GET /api/health/workers``: the worker processes of this installation.
         */
        WorkerProcesses: {
            lease_s: number;
            /** @enum {unknown} */
            work_queue: "local" | "redis";
            workers: components["schemas"]["WorkerPresence"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    list_alerts_api_alerts_get: {
        parameters: {
            query?: {
                run_id?: string | null;
                open?: boolean;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alerts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_channels_api_alerts_channels_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Channels */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    alert_counts_api_alerts_counts_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Open alerts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertCounts"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    deliveries_api_alerts_deliveries_get: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Delivery attempts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_rules_api_alerts_rules_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Rules */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reload_rules_api_alerts_rules_reload_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The rules now in force */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleList"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_rule_api_alerts_rules__name__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The rule's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RuleBody"];
            };
        };
        responses: {
            /** @description The rule as saved */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RuleInfo"];
                };
            };
            /** @description A bad rule: `error.field` names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The transition is not allowed in the run's current status */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_rule_api_alerts_rules__name__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The rule's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No API rule of that name */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    rule_history_api_alerts_rules__name__history_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The rule's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_silences_api_alerts_silences_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Silences */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SilenceList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    add_silence_api_alerts_silences_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SilenceBody"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    expire_silence_api_alerts_silences__silence_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                silence_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such silence */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    send_test_api_alerts_test_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TestBody"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Error */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    timeline_api_alerts_timeline_get: {
        parameters: {
            query?: {
                run_id?: string | null;
                /** @description ISO 8601 with a zone */
                since?: string | null;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description State changes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TimelineList"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    variables_api_alerts_variables_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Variables */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VariableList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    compare_api_analytics_compare_get: {
        parameters: {
            query: {
                /** @description The first run's id. */
                a: string;
                /** @description The second run's id. */
                b: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Two runs and their differences */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunComparison"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    costs_api_analytics_costs_get: {
        parameters: {
            query?: {
                /** @description Newest runs listed. */
                limit?: number;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cost per run and in total */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CostReport"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    error_groups_api_analytics_errors_get: {
        parameters: {
            query?: {
                /** @description Most groups returned. */
                limit?: number;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Error groups, most frequent first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorReport"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    fields_api_analytics_fields_get: {
        parameters: {
            query?: {
                /** @description Fields to describe (default: the declared ones). */
                field?: string[] | null;
                /** @description Newest items changed in the range read. */
                sample?: number;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Per-field value counts and distributions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FieldInsights"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    heatmap_api_analytics_heatmap_get: {
        parameters: {
            query?: {
                /** @description IANA time zone of the weekdays and hours (the dashboard sends the browser's), e.g. `Europe/Berlin`. */
                tz?: string;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hour x weekday cells */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Heatmap"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    insights_api_analytics_insights_get: {
        parameters: {
            query?: {
                /** @description Newest runs returned. */
                limit?: number;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Items per run, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunInsights"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    sites_api_analytics_sites_get: {
        parameters: {
            query?: {
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Sites, most requests first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SiteTable"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    summary_api_analytics_summary_get: {
        parameters: {
            query?: {
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Totals over the range */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Summary"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    trends_api_analytics_trends_get: {
        parameters: {
            query?: {
                /** @description Bucket length; default picked from the range (docs/api.md). */
                resolution?: ("1m" | "5m" | "1h" | "1d") | null;
                /** @description Start (ISO-8601; UTC if no offset). Not with `days`. */
                since?: string | null;
                /** @description End, exclusive (ISO-8601). Default: now. */
                until?: string | null;
                /** @description Days back from `until` (default 7). */
                days?: number | null;
                /** @description Only this collection. */
                collection?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Buckets over the range */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Trends"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    login_api_auth_login_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginBody"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginResult"];
                };
            };
            /** @description The body could not be read (not UTF-8, or not JSON) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Unknown or revoked token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    logout_api_auth_logout_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    me_api_auth_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    collections_api_collections_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Registered collections */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CollectionList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_datasets_api_datasets_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every dataset, its item count and latest change */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatasetList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    export_dataset_api_datasets__name__export_get: {
        parameters: {
            query?: {
                /** @description `jsonl` (one item per line) or `csv`. */
                format?: components["schemas"]["ExportFormat"];
                /** @description CSV only: the columns, comma-separated (default: every top-level field of the exported items, sorted). */
                fields?: string | null;
            };
            header?: never;
            path: {
                /** @description The dataset's name. */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export, streamed as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/x-ndjson": string;
                    "text/csv; charset=utf-8": string;
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No dataset with that name holds items */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    services_health_api_health_services_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The database, Redis, the bus, the recorder, sites */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServicesHealth"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    sites_health_api_health_sites_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every target site of the runs live here */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetSites"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    system_health_api_health_system_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    system_history_api_health_system_history_get: {
        parameters: {
            query?: {
                /** @description How far back, in hours (at most a week). */
                hours?: number;
                /** @description At most this many points. */
                points?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description This server's system samples */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SampleHistory"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    workers_health_api_health_workers_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The worker processes there now */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkerProcesses"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    ingest_api_ingest_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @default [] */
                    acks?: {
                        command_id: number;
                        outcome: string;
                    }[];
                    /** @default [] */
                    events?: ({
                        /**
                         * Action
                         * @description What an event says happened.
                         * @enum {unknown}
                         */
                        action: "alert_action" | "breaker_closed" | "breaker_half_open" | "breaker_opened" | "complete" | "deduped" | "error" | "fetching" | "found" | "inserted" | "phase_completed" | "phase_started" | "rate_limited" | "retrying" | "run_cancelled" | "run_completed" | "run_failed" | "run_paused" | "run_progress" | "run_resumed" | "run_started" | "skipped" | "updated" | "uploading" | "waiting";
                        attempt?: number | null;
                        category?: string | null;
                        duration_ms?: number | null;
                        error_message?: string | null;
                        error_stage?: string | null;
                        error_type?: ("api_error" | "cancelled" | "connection" | "handler_error" | "http_4xx" | "http_5xx" | "parse_error" | "rate_limit" | "timeout") | null;
                        extra?: {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        } | null;
                        id: string;
                        item?: string | null;
                        items_count?: number | null;
                        method?: string | null;
                        new_count?: number | null;
                        operation_type?: string | null;
                        params?: {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        } | null;
                        phase?: string | null;
                        run_id: string;
                        /** @default 0 */
                        seq?: number;
                        site?: string | null;
                        source_worker_id?: number | null;
                        started_at?: string | null;
                        status_code?: number | null;
                        task?: string | null;
                        ts: string;
                        url?: string | null;
                        /** @default 0 */
                        worker_id?: number;
                    } | {
                        /** @enum {unknown} */
                        action?: "run_started";
                        extra?: ({
                            collection?: string | null;
                            dataset?: string | null;
                            /**
                             * StartedQuality
                             * @description ``run_started``'s ``extra.quality``: the fields whose coverage the run reports.
                             */
                            quality?: {
                                /** @default [] */
                                fields?: string[];
                                schema?: string | null;
                            } & {
                                [key: string]: components["schemas"]["IngestJsonValue"];
                            };
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "run_paused";
                        extra?: ({
                            reason?: string | null;
                            /** @default 0 */
                            requeued?: number;
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "phase_started";
                        extra?: ({
                            /** @default 1 */
                            first_worker?: number;
                            /** @default 0 */
                            workers?: number;
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "run_completed" | "run_cancelled" | "run_failed";
                        extra?: ({
                            dataset_size?: number;
                            finish_reason?: string;
                            /** @enum {unknown} */
                            status?: "completed" | "completed_with_errors";
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "run_progress";
                        extra?: ({
                            /** @default [] */
                            progress?: ({
                                /** @default 0 */
                                done?: number;
                                level: string;
                                /** @default false */
                                open?: boolean;
                                /** @default 0 */
                                total?: number;
                            } & {
                                [key: string]: components["schemas"]["IngestJsonValue"];
                            })[];
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "uploading";
                        extra?: ({
                            /**
                             * BatchQuality
                             * @description ``uploading``'s ``extra.quality``: one batch's items validated, fields counted.
                             */
                            quality?: {
                                /** @default 0 */
                                checked?: number;
                                /** @default {} */
                                errors?: {
                                    [key: string]: number;
                                };
                                /** @default 0 */
                                invalid?: number;
                                /** @default {} */
                                present?: {
                                    [key: string]: number;
                                };
                            } & {
                                [key: string]: components["schemas"]["IngestJsonValue"];
                            };
                        } & {
                            [key: string]: components["schemas"]["IngestJsonValue"];
                        }) | null;
                    } | {
                        /** @enum {unknown} */
                        action?: "alert_action" | "breaker_closed" | "breaker_half_open" | "breaker_opened" | "complete" | "deduped" | "error" | "fetching" | "found" | "inserted" | "phase_completed" | "rate_limited" | "retrying" | "run_resumed" | "skipped" | "updated" | "waiting";
                    })[];
                    host?: {
                        cpu_percent: number;
                        hostname?: string | null;
                        memory_percent: number;
                        process_rss_mb?: number | null;
                    } | null;
                    /** @default [] */
                    runs?: string[];
                };
            };
        };
        responses: {
            /** @description Accepted; `commands` are pending requests for the runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IngestResult"];
                };
            };
            /** @description Content-Length is not a number */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An event names a run that is not a remote run */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The body or the number of events exceeds the limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid; `error.field` names the index and field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database or Redis is unavailable; send the batch again later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    ingest_items_api_ingest_items_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    batch_id?: string | null;
                    /** @default false */
                    count?: boolean;
                    dataset: string;
                    items?: {
                        data: unknown;
                        key: string;
                    }[];
                    run_id: string;
                };
            };
        };
        responses: {
            /** @description Stored; the keys by what happened to them */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemBatchResult"];
                };
            };
            /** @description Content-Length is not a number */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The run is unknown, not a remote run, or writes to another dataset; or `batch_id` was used before with other items */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The body or the number of items exceeds the limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid; `error.field` names the index and field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    overview_api_overview_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Today's totals, active and recent runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OverviewBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_runs_api_runs_get: {
        parameters: {
            query?: {
                /** @description Only runs in this status. */
                status?: components["schemas"]["RunStatus"] | null;
                /** @description Page size. */
                limit?: number;
                /** @description Runs to skip. */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Runs, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    start_run_api_runs_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartRunRequest"];
            };
        };
        responses: {
            /** @description The run was started */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description Bad request (unknown collection, bad parameters) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_run_api_runs__run_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    cancel_run_api_runs__run_id__cancel_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What the command did (`queued`: its runner has not answered yet) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlAnswer"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The transition is not allowed in the run's current status */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_events_api_runs__run_id__events_get: {
        parameters: {
            query?: {
                /** @description Only events with a greater seq. */
                after_seq?: number;
                /** @description Page size. */
                limit?: number;
                /** @description Events of this worker, or produced by it. */
                worker_id?: number | null;
                /** @description Only this action. */
                action?: components["schemas"]["Action"] | null;
                /** @description Only this error type. */
                error_type?: components["schemas"]["ErrorType"] | null;
            };
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of stored events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventPage"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_host_history_api_runs__run_id__host_get: {
        parameters: {
            query?: {
                /** @description How far back, in hours; default: the run's life. */
                hours?: number | null;
                /** @description At most this many points. */
                points?: number;
            };
            header?: never;
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run's host samples */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SampleHistory"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_items_api_runs__run_id__items_get: {
        parameters: {
            query?: {
                /** @description Page size. */
                limit?: number;
                /** @description Items to skip. */
                offset?: number;
            };
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the run's dataset items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemPage"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    export_run_items_api_runs__run_id__items_export_get: {
        parameters: {
            query?: {
                /** @description `jsonl` (one item per line) or `csv`. */
                format?: components["schemas"]["ExportFormat"];
                /** @description CSV only: the columns, comma-separated (default: every top-level field of the exported items, sorted). */
                fields?: string | null;
            };
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export, streamed as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/x-ndjson": string;
                    "text/csv; charset=utf-8": string;
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run, or the run has no dataset */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    pause_run_api_runs__run_id__pause_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What the command did (`queued`: its runner has not answered yet) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlAnswer"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The transition is not allowed in the run's current status */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    resume_run_api_runs__run_id__resume_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What the command did (`queued`: its runner has not answered yet) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlAnswer"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The transition is not allowed in the run's current status */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    retry_failed_tasks_api_runs__run_id__retry_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new run, of the failed tasks only */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunDetail"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The transition is not allowed in the run's current status */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_series_api_runs__run_id__series_get: {
        parameters: {
            query?: {
                /** @description At most this many buckets over the run. */
                points?: number;
            };
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run's chart series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunSeries"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_sites_api_runs__run_id__sites_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every site of the run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SiteList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_stream_api_runs__run_id__stream_get: {
        parameters: {
            query?: {
                /** @description Replay events after this seq */
                after_seq?: number | null;
            };
            header?: {
                /** @description Resume after this seq (`N`, or `RUN:N` on /api/stream); wins over `after_seq`. Browsers send it when EventSource reconnects. */
                "last-event-id"?: string | null;
            };
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A text/event-stream; see docs/api.md, Live streams. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description bad Last-Event-ID or after_seq */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    run_workers_api_runs__run_id__workers_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The run's id, as `GET /api/runs` lists it. */
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every worker card */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkerList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_schedules_api_schedules_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every schedule, by name */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_schedule_api_schedules_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleCreate"];
            };
        };
        responses: {
            /** @description The schedule was created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description Bad input, `error.field` names it: a bad cron expression, an unknown time zone or collection, refused parameters, an interval below the minimum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description A schedule with this name exists */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_schedule_api_schedules__schedule_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id, as `GET /api/schedules` lists it. */
                schedule_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such schedule */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_schedule_api_schedules__schedule_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id, as `GET /api/schedules` lists it. */
                schedule_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such schedule */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_schedule_api_schedules__schedule_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id, as `GET /api/schedules` lists it. */
                schedule_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleUpdate"];
            };
        };
        responses: {
            /** @description The changed schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description Bad input, `error.field` names it: a bad cron expression, an unknown time zone or collection, refused parameters, an interval below the minimum */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such schedule */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Name taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    pause_schedule_api_schedules__schedule_id__pause_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id, as `GET /api/schedules` lists it. */
                schedule_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such schedule */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    resume_schedule_api_schedules__schedule_id__resume_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The schedule's id, as `GET /api/schedules` lists it. */
                schedule_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such schedule */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    installation_stream_api_stream_get: {
        parameters: {
            query?: {
                /** @description The focused run (ids `RUN:seq`) */
                run_id?: string | null;
                /** @description Focused run: replay after */
                after_seq?: number | null;
            };
            header?: {
                /** @description Resume after this seq (`N`, or `RUN:N` on /api/stream); wins over `after_seq`. Browsers send it when EventSource reconnects. */
                "last-event-id"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A text/event-stream; see docs/api.md, Live streams. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description bad Last-Event-ID or after_seq */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_tokens_api_tokens_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_token_api_tokens_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenCreated"];
                };
            };
            /** @description The body could not be read (not UTF-8, or not JSON) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description An active token has this name */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    revoke_token_api_tokens__token_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The token's id. */
                token_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenRevoked"];
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description No such token */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Invalid input; `error.field` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: string;
                    };
                };
            };
        };
    };
    metrics_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in the Prometheus text format (OpenMetrics when the Accept header asks for it). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description No credentials, or a bad, revoked or expired token or session */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The caller's role is not enough, or a session cookie used cross-origin */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description The database is unavailable; retry later */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description events cannot be stored, database unreachable or not migrated */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
