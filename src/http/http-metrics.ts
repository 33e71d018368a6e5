// Records http_request_duration_seconds by method, route template and final status.
import type { Context } from 'koa';
import type { Metrics } from '../metrics.ts';
import { routeOf } from './request-context.ts';

export function recordRequest(metrics: Metrics, ctx: Context, status: number, durationSeconds: number): void {
  metrics.httpRequestDuration.observe({ method: ctx.method, route: routeOf(ctx), status }, durationSeconds);
}
