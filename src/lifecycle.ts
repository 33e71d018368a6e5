// Health endpoints and graceful shutdown, with @godaddy/terminus in front of the Koa handler.
//
// On SIGTERM/SIGINT: /readyz fails at once; the server keeps serving for shutdownDelayMs so load
// balancers and Kubernetes endpoints drop the pod; then it stops accepting, closes idle keep-alive
// sockets, gives in-flight requests up to shutdownTimeoutMs, closes MongoDB, and exits 0.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTerminus } from '@godaddy/terminus';
import type { Logger } from './logger.ts';

export interface LifecycleOptions {
  readonly readiness: () => Promise<void>;
  readonly onShutdown: () => Promise<void>;
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Signals that start shutdown; tests that embed several servers in one process pass none. */
  readonly signals: readonly NodeJS.Signals[];
}

export function attachLifecycle(server: Server, options: LifecycleOptions): void {
  const { logger } = options;
  let shuttingDown = false;
  createTerminus(server, {
    healthChecks: {
      '/healthz': () => Promise.resolve(),
      '/readyz': async () => {
        if (shuttingDown) throw new Error('shutting down');
        await options.readiness();
      },
      verbatim: true,
    },
    // Not terminus's blanket 503 on every health route: liveness stays 200 while the process serves.
    sendFailuresDuringShutdown: false,
    signals: [...options.signals],
    beforeShutdown: async () => {
      shuttingDown = true;
      logger.info({ delayMs: options.shutdownDelayMs }, 'shutdown started; readiness failing, still serving');
      await sleep(options.shutdownDelayMs);
      logger.info({ timeoutMs: options.shutdownTimeoutMs }, 'no longer accepting connections; draining');
    },
    // stoppable's grace period: the default 1 s would cut slow requests short.
    timeout: options.shutdownTimeoutMs,
    onSignal: options.onShutdown,
    onShutdown: () => {
      logger.info('shutdown complete');
      return Promise.resolve();
    },
    // Without this terminus re-raises the signal and the process ends 143, which Kubernetes reports as Error.
    useExit0: true,
    logger: (message, error) => {
      logger.warn({ err: error }, message);
    },
  });
}
