// Every failure leaves as RFC 9457 application/problem+json, with a message a client can act on and never
// a stack trace; 5xx are logged with the request id. The request envelope (envelope.ts) calls these.
import { STATUS_CODES } from 'node:http';
import type { Context } from 'koa';
import { z } from 'zod';
import { isDatabaseTimeout, isDatabaseUnavailable } from '../db/errors.ts';
import { AppError, maxReportedErrors } from '../errors.ts';
import { sendJson } from './json-response.ts';
import { isProbePath, probeQueryDetail } from './probes.ts';
import type { RequestState } from './request-context.ts';

export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'about:blank: the status code says it all' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional().meta({ description: 'The request path' }),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ pointer: z.string(), detail: z.string() }))
      .max(maxReportedErrors)
      .optional()
      .meta({ description: `One entry per invalid field, at most ${String(maxReportedErrors)}; when there were more, detail says how many` }),
  })
  .meta({ id: 'Problem' });

type Problem = z.infer<typeof problemSchema>;

/** A problem for answers written outside Koa (Node's refusals, the health port), where no request id exists. */
export function bareProblem(status: number, detail: string): string {
  return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail });
}

/** Koa leaves a request no route answered with an empty 404, 405 or 501: say why, as a problem. */
export function throwIfUnanswered(ctx: Context): void {
  if (ctx.body !== undefined && ctx.body !== null) return;
  const allowed = ctx.response.get('Allow');
  // The router's 501 for a method it does not know (TRACE, PROPFIND...) would count the client's mistake
  // as the server's: like any other method, it is not allowed where the path exists, and finds nothing elsewhere.
  const status = ctx.status === 501 ? (allowed === '' ? 404 : 405) : ctx.status;
  if (status === 404) ctx.remove('Allow');
  // The same answer as on HEALTH_PORT (lifecycle.ts), however many parameters there are.
  if (status === 404 && isProbePath(ctx.path)) throw new AppError(400, { detail: probeQueryDetail(ctx.path) });
  if (status === 404) throw new AppError(404, { detail: `Nothing is at ${ctx.method} ${ctx.path}.` });
  if (status === 405) throw new AppError(405, { detail: `${ctx.method} is not allowed here; allowed: ${allowed}.` });
}

/** Answers with the problem an error stands for; server-side failures (500, 503) are logged with their cause. */
export function renderProblem(ctx: Context, error: unknown): void {
  const appError = toAppError(error);
  // Our own 503s (a full hashing queue, a join undone) are answers we chose; database 503s and anything
  // unexpected are failures.
  if (appError.status >= 500 && !(error instanceof AppError)) {
    // During an outage every data request fails alike: its message, not a stack and the driver's whole
    // topology description on each line (readiness logs the outage itself).
    const cause = isDatabaseUnavailable(error) || isDatabaseTimeout(error) ? { reason: error instanceof Error ? error.message : String(error) } : { err: error };
    (ctx.state as RequestState).log.error(cause, 'request failed');
  }
  render(ctx, appError);
}

/**
 * A handler the shutdown timeout abandoned (its client has had a 503) fails as MongoDB closes under it:
 * only a failure of another kind is worth a line.
 */
export function reportAbandonedFailure(ctx: Context, error: unknown): void {
  if (error instanceof AppError || isDatabaseUnavailable(error) || isDatabaseTimeout(error)) return;
  (ctx.state as RequestState).log.warn({ err: error }, 'request failed after its 503 at the shutdown timeout');
}

function render(ctx: Context, error: AppError): void {
  const body: Problem = {
    type: 'about:blank',
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance: ctx.path,
    requestId: (ctx.state as RequestState).requestId,
    ...(error.errors === undefined ? {} : { errors: [...error.errors] }),
  };
  ctx.status = error.status;
  ctx.set(error.headers);
  sendJson(ctx, body, 'application/problem+json');
}

interface HttpError extends Error {
  status: number;
}

const isHttpError = (error: unknown): error is HttpError =>
  error instanceof Error && typeof (error as Partial<HttpError>).status === 'number';

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError(503, { detail: 'The database is unreachable; retry shortly.', headers: { 'Retry-After': '5' } });
  }
  if (isDatabaseTimeout(error)) {
    return new AppError(503, { detail: 'The database did not answer within its time limit; retry shortly.', headers: { 'Retry-After': '5' } });
  }
  // Errors raised by http-errors carry a status and a message written for clients. Body errors are
  // made AppErrors where the body is read (route.ts).
  if (isHttpError(error) && error.status >= 400 && error.status < 500) return new AppError(error.status, { detail: `${error.message}.` });
  return new AppError(500, { detail: 'An unexpected error occurred; it has been logged with the request id.' });
}
