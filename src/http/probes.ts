// The health checks' paths. terminus answers them in front of Koa (lifecycle.ts), on the exact URL only:
// one with a query string reaches the app, which must not call it missing.
export const probePaths = {
  '/healthz': 'Liveness: 200 while the process serves HTTP; never depends on MongoDB',
  '/readyz': 'Readiness: 200 when MongoDB answers a ping and indexes exist; 503 otherwise and from the start of shutdown',
} as const;

/** The `status` in the probes' JSON bodies, on PORT (terminus) and HEALTH_PORT (lifecycle.ts) alike. */
export const probeStatus = { healthy: 'ok', unhealthy: 'error' } as const;

export const isProbePath = (path: string): boolean => Object.hasOwn(probePaths, path);

/** The answer to a probe path with a query string, which no probe sends. */
export const probeQueryDetail = (path: string): string => `${path} is a health check and takes no query parameters.`;
