// What every request gets, around the router: an id and one log line (request-context.ts), the security
// headers, a check of its head (request-head.ts: Host, Expect), its RED metrics (http-metrics.ts), any
// failure answered as a problem (problem.ts), and `Connection: close` when its body was left unread
// (connections.ts). A request the shutdown timeout abandoned (connections.ts) has had its 503 already.
// One middleware rather than one each: every Koa middleware adds an async frame and promises to every
// request (see the /status benchmark).
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { closeIfBodyUnread, refusedStatus, wasAbandoned } from './connections.ts';
import { recordRequest } from './http-metrics.ts';
import { renderProblem, reportAbandonedFailure, throwIfUnanswered } from './problem.ts';
import { logRequest, startRequestContext } from './request-context.ts';
import { assertAcceptableHead } from './request-head.ts';
import { securityHeaders } from './security-headers.ts';

const securityHeaderMap = new Map(Object.entries(securityHeaders));

export function requestEnvelope(logger: Logger, metrics: Metrics): Middleware {
  const inFlight = metrics.httpRequestsInFlight;
  return async function envelope(ctx, next) {
    const started = process.hrtime.bigint();
    // Straight on the Node response (nothing is sent yet): Koa's ctx.set allocates on every call.
    ctx.res.setHeaders(securityHeaderMap);
    const { requestId } = startRequestContext(ctx, logger);
    inFlight.count += 1;
    try {
      assertAcceptableHead(ctx.req);
      await next();
      throwIfUnanswered(ctx);
    } catch (error) {
      if (wasAbandoned(ctx.res)) reportAbandonedFailure(ctx, error);
      else renderProblem(ctx, error);
    } finally {
      inFlight.count -= 1;
      closeIfBodyUnread(ctx);
      // Node's HTTP layer cut this request's body short and answered for it (408 past HTTP_REQUEST_TIMEOUT_MS...).
      const refused = ctx.req.complete ? undefined : refusedStatus(ctx.req);
      if (refused !== undefined) ctx.status = refused;
      // Measured after the problem is rendered, so a 413 is counted and logged as a 413.
      const status = wasAbandoned(ctx.res) ? 503 : ctx.status;
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      recordRequest(metrics, ctx, status, durationSeconds);
      logRequest(logger, ctx, requestId, status, durationSeconds);
    }
  };
}
