// Gives every request an id (the caller's X-Request-Id when it is sane, else a new one), echoes it, and
// writes exactly one log line per request with method, route template, status and duration.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../logger.ts';

/** What requestContext puts on ctx.state for the rest of the chain. */
export interface RequestState {
  log: Logger;
  requestId: string;
}

const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestContext(logger: Logger) {
  return async function withRequestContext(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const offered = ctx.get('X-Request-Id');
    const requestId = acceptableRequestId.test(offered) ? offered : randomUUID();
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    // Made on first use: most requests never log through it, and a pino child per request is not free.
    let log: Logger | undefined;
    Object.defineProperty(state, 'log', { get: () => (log ??= logger.child({ requestId })), enumerable: true });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      // Gathered only when the line will be written (not under LOG_LEVEL=warn and above).
      if (logger.isLevelEnabled('info')) {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info({ requestId, method: ctx.method, route: routeOf(ctx), path: ctx.path, status: ctx.status, durationMs }, 'request');
      }
    }
  };
}

/** The matched route template, never the raw path, so labels and log fields stay bounded. */
export function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}
