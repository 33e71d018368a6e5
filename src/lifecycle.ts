// Health endpoints and graceful shutdown, with @godaddy/terminus in front of the Koa handler.
//
// On SIGTERM/SIGINT: /readyz fails at once; the server keeps serving for shutdownDelayMs so load
// balancers and Kubernetes endpoints drop the pod; then every response says `Connection: close`, the
// server stops accepting, closes idle keep-alive sockets, gives in-flight requests up to shutdownTimeoutMs
// (those still running then get a 503 before their connections are cut), and once the last handler has
// finished (or that time is up) closes MongoDB and exits 0.
// With HEALTH_PORT, the same checks also answer on a listener of their own (see serveHealthChecks), which
// stays open until the end.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTerminus } from '@godaddy/terminus';
import { failureLog } from './failure-log.ts';
import type { ConnectionDrain } from './http/connections.ts';
import { bareProblem } from './http/problem.ts';
import { isProbePath, probeQueryDetail, probeStatus } from './http/probes.ts';
import { securityHeaders } from './http/security-headers.ts';
import type { Logger } from './logger.ts';

/** After the shutdown delay, how long responses say `Connection: close` before idle connections are closed. */
const lastCallMs = 500;
/** How long before the shutdown timeout cuts connections the requests still running get their 503, to reach the client first. */
const abandonLeadMs = 250;
/** Handlers abandoned at the timeout fail as MongoDB closes under them: the time they get to log their 503. */
const abandonedSettleMs = 500;

export interface LifecycleOptions {
  /** Serves the same health checks, and nothing else; closed once shutdown is complete. */
  readonly healthServer: Server | undefined;
  readonly readiness: () => Promise<void>;
  /** Runs once no handler runs any more (or shutdownTimeoutMs after draining began). */
  readonly onShutdown: () => Promise<void>;
  readonly connections: ConnectionDrain;
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Signals that start shutdown; tests that embed several servers in one process pass none. */
  readonly signals: readonly NodeJS.Signals[];
}

export function attachLifecycle(server: Server, options: LifecycleOptions): void {
  const { logger } = options;
  let shuttingDown = false;
  let drainDeadline = 0;
  // Taken from the shutdown timeout, so the whole shutdown still fits delay + timeout.
  const lastCall = Math.min(lastCallMs, options.shutdownTimeoutMs / 2);
  const unready = failureLog(logger, 'not ready');
  const healthChecks: HealthChecks = {
    '/healthz': () => Promise.resolve(),
    '/readyz': async () => {
      if (shuttingDown) throw new Error('shutting down');
      try {
        await options.readiness();
      } catch (error) {
        unready.failed(error);
        throw error;
      }
      unready.recovered();
    },
  };
  if (options.healthServer !== undefined) serveHealthChecks(options.healthServer, healthChecks);
  createTerminus(server, {
    healthChecks: { ...healthChecks, verbatim: true },
    statusOkResponse: { status: probeStatus.healthy },
    statusErrorResponse: { status: probeStatus.unhealthy },
    headers: { ...securityHeaders },
    // Not terminus's blanket 503 on every health route: liveness stays 200 while the process serves.
    sendFailuresDuringShutdown: false,
    signals: [...options.signals],
    beforeShutdown: async () => {
      shuttingDown = true;
      logger.info({ delayMs: options.shutdownDelayMs }, 'shutdown started; readiness failing, still serving');
      await sleep(options.shutdownDelayMs);
      drainDeadline = Date.now() + options.shutdownTimeoutMs;
      options.connections.drain();
      setTimeout(() => {
        const abandoned = options.connections.abandon();
        if (abandoned > 0) logger.warn({ requests: abandoned }, 'shutdown timeout: answering 503 to requests still running');
      }, options.shutdownTimeoutMs - Math.min(abandonLeadMs, lastCall / 2)).unref();
      logger.info('draining: every response now says Connection: close');
      // A keep-alive connection that looks idle may have its next request waiting unread in the socket
      // buffer; closing it now would cut that request off. Busy clients get one more response first, and
      // it tells them to close.
      await sleep(lastCall);
      logger.info({ timeoutMs: options.shutdownTimeoutMs }, 'no longer accepting connections; draining');
    },
    // stoppable's grace period: the default 1 s would cut slow requests short.
    timeout: options.shutdownTimeoutMs - lastCall,
    // The server has closed its connections, but a handler whose client went away may still be running.
    onSignal: async () => {
      const idle = await options.connections.idle(Math.max(0, drainDeadline - Date.now()));
      if (!idle) logger.warn('shutdown timeout: closing MongoDB while requests still run');
      await options.onShutdown();
      if (!idle) await options.connections.idle(abandonedSettleMs);
    },
    onShutdown: () => {
      options.healthServer?.close();
      options.healthServer?.closeAllConnections();
      logger.info('shutdown complete');
      return Promise.resolve();
    },
    // Without this terminus re-raises the signal and the process ends 143, which Kubernetes reports as Error.
    useExit0: true,
    logger: (message, error) => {
      // A failed probe is already logged above, once per cause.
      if (message !== 'healthcheck failed') logger.warn({ err: error }, message);
    },
  });
}

/** Path → check: resolves when healthy. */
type HealthChecks = Readonly<Record<string, () => Promise<void>>>;

/** HEALTH_PORT: the checks terminus serves on PORT, with its answers, and a 404 problem for anything else. */
function serveHealthChecks(server: Server, checks: HealthChecks): void {
  const answer = (response: ServerResponse, status: number, contentType: string, body: string) => {
    response.writeHead(status, { ...securityHeaders, 'Content-Type': contentType }).end(body);
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '';
    const check = checks[url];
    if (check === undefined) {
      const path = url.split('?', 1)[0] ?? '';
      if (isProbePath(path)) answer(response, 400, 'application/problem+json', bareProblem(400, probeQueryDetail(path)));
      else answer(response, 404, 'application/problem+json', bareProblem(404, 'This port serves /healthz and /readyz only.'));
      return;
    }
    check().then(
      () => { answer(response, 200, 'application/json', JSON.stringify({ status: probeStatus.healthy })); },
      () => { answer(response, 503, 'application/json', JSON.stringify({ status: probeStatus.unhealthy })); },
    );
  });
}
