// Every metric the service exports, on a registry owned by one app instance (never prom-client's global
// one), so two apps can live in one process, as they do in tests.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** RED metrics per route template; seconds, as Prometheus expects. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Requests being served now: counted per request as a plain number, read by a gauge when scraped. */
  readonly httpRequestsInFlight: { count: number };
  /** Requests Node's HTTP layer answered before the app saw them (malformed, headers too large or too slow). */
  readonly httpRequestsRefused: Counter<'status'>;
  /** Connections closed unanswered at accept: HTTP_MAX_CONNECTIONS were open. */
  readonly httpConnectionsDropped: Counter;
  readonly mongoCommandDuration: Histogram<'command'>;
  readonly mongoCommandFailures: Counter<'command'>;
  /** Pool usage from the driver's monitoring events: state is "checked_out" or "total". */
  readonly mongoPoolConnections: Gauge<'state'>;
  readonly playersRegistered: Counter;
  /** Password checks (logins and password changes): outcome is success, failure or throttled. */
  readonly logins: Counter<'outcome'>;
  readonly lfgPostsCreated: Counter;
  /** Attempts to join a looking-for-group post, by outcome (joined, full, already_member, …). */
  readonly lfgJoins: Counter<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpRequestsInFlight = { count: 0 };
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served now',
    registers,
    collect() {
      this.set(httpRequestsInFlight.count);
    },
  });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    httpRequestsInFlight,
    httpRequestsRefused: new Counter({
      name: 'http_requests_refused_total',
      help: 'Requests refused by the HTTP layer before the app saw them (malformed, headers too large or too slow), by status',
      labelNames: ['status'],
      registers,
    }),
    httpConnectionsDropped: new Counter({
      name: 'http_connections_dropped_total',
      help: 'Connections closed unanswered because HTTP_MAX_CONNECTIONS were open',
      registers,
    }),
    mongoCommandDuration: new Histogram({
      name: 'mongodb_command_duration_seconds',
      help: 'MongoDB command duration by command name (successful and failed)',
      labelNames: ['command'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    mongoCommandFailures: new Counter({
      name: 'mongodb_command_failures_total',
      help: 'MongoDB commands that failed, by command name',
      labelNames: ['command'],
      registers,
    }),
    mongoPoolConnections: new Gauge({
      name: 'mongodb_pool_connections',
      help: 'MongoDB driver pool connections: checked_out (in use) and total (open)',
      labelNames: ['state'],
      registers,
    }),
    playersRegistered: new Counter({
      name: 'playerfinder_players_registered_total',
      help: 'Players registered through this instance since it started',
      registers,
    }),
    logins: new Counter({
      name: 'playerfinder_logins_total',
      help: 'Password checks (logins and password changes) by outcome: success, failure, throttled',
      labelNames: ['outcome'],
      registers,
    }),
    lfgPostsCreated: new Counter({
      name: 'playerfinder_lfg_posts_created_total',
      help: 'Looking-for-group posts published through this instance since it started',
      registers,
    }),
    lfgJoins: new Counter({
      name: 'playerfinder_lfg_joins_total',
      help: 'Attempts to join a looking-for-group post, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
