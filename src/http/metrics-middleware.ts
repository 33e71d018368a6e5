// Records http_request_duration_seconds by method, route template and final status.
import type { Context, Next } from 'koa';
import type { Metrics } from '../metrics.ts';
import { routeOf } from './request-context.ts';

export function httpMetrics(metrics: Metrics) {
  return async function measure(ctx: Context, next: Next): Promise<void> {
    const stopTimer = metrics.httpRequestDuration.startTimer();
    metrics.httpRequestsInFlight.inc();
    try {
      await next();
    } finally {
      metrics.httpRequestsInFlight.dec();
      stopTimer({ method: ctx.method, route: routeOf(ctx), status: String(ctx.status) });
    }
  };
}
