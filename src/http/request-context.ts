// Every request gets an id (the caller's X-Request-Id when it is sane, else a new one), echoed back, and
// exactly one log line with method, route template, status and duration.
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { Logger } from '../logger.ts';

const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** ctx.state of every request: its id, and a logger that puts the id on every line. */
export interface RequestState {
  readonly requestId: string;
  readonly log: Logger;
}

class LazyRequestState implements RequestState {
  readonly requestId: string;
  readonly #logger: Logger;
  #log: Logger | undefined;

  constructor(requestId: string, logger: Logger) {
    this.requestId = requestId;
    this.#logger = logger;
  }

  /** Made on first use: most requests never log through it, and a pino child per request is not free. */
  get log(): Logger {
    return (this.#log ??= this.#logger.child({ requestId: this.requestId }));
  }
}

/** Puts a RequestState on ctx.state and echoes its id. */
export function startRequestContext(ctx: Context, logger: Logger): RequestState {
  const offered = ctx.req.headers['x-request-id'];
  const state = new LazyRequestState(typeof offered === 'string' && acceptableRequestId.test(offered) ? offered : randomUUID(), logger);
  ctx.state = state;
  ctx.res.setHeader('X-Request-Id', state.requestId);
  return state;
}

export function logRequest(logger: Logger, ctx: Context, requestId: string, status: number, durationSeconds: number): void {
  // Gathered only when the line will be written (not under LOG_LEVEL=warn and above).
  if (!logger.isLevelEnabled('info')) return;
  logger.info({ requestId, method: ctx.method, route: routeOf(ctx), path: ctx.path, status, durationMs: durationSeconds * 1000 }, 'request');
}

/** The matched route template, never the raw path, so labels and log fields stay bounded. */
export function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}
