// Every metric name the service exports on /metrics, in one place: the Grafana dashboard test checks its
// PromQL against this list, and a live-scrape test proves the list against the running service.
export const exportedMetricNames: readonly string[] = [
  // HTTP (src/metrics.ts): route label is the route template, or `unmatched`.
  'http_request_duration_seconds',
  'http_requests_in_flight',
  // MongoDB driver events (monitorCommands + pool events).
  'mongodb_command_duration_seconds',
  'mongodb_command_failures_total',
  'mongodb_pool_connections',
  // Domain counter.
  'playerfinder_players_registered_total',
  'playerfinder_logins_total',
  'playerfinder_lfg_posts_created_total',
  'playerfinder_lfg_joins_total',
  // prom-client default metrics used by the dashboard.
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_seconds',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_heap_size_used_bytes',
];
