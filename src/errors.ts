// One error model: everything the API reports to a client is an AppError, rendered as RFC 9457
// application/problem+json by http/problem.ts.
import type { z } from 'zod';

export interface FieldError {
  /** JSON Pointer to the offending value, e.g. /games/0/hoursPerWeek, or the query parameter name. */
  readonly pointer: string;
  readonly detail: string;
}

export interface ProblemOptions {
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly headers?: Readonly<Record<string, string>>;
}

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly detail: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, options: ProblemOptions) {
    super(options.detail);
    this.status = status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  get title(): string {
    return titles[this.status] ?? 'Error';
  }
}

export const notFound = (detail: string) => new AppError(404, { detail });

/** The realm of every bearer-token challenge (RFC 6750 §3). */
export const bearerRealm = 'realm="playerfinder"';

/** RFC 6750 §3.1: the bearer token stands for no one (any more); the description says why. */
export function invalidToken(description: string): AppError {
  return new AppError(401, {
    detail: description,
    headers: { 'WWW-Authenticate': `Bearer ${bearerRealm}, error="invalid_token", error_description="${description.replaceAll('"', '\'')}"` },
  });
}

/** RFC 6750 §3.1: the token is valid, but its holder may not do this; the description says who may. */
export function insufficientScope(detail: string, description: string): AppError {
  return new AppError(403, { detail, headers: { 'WWW-Authenticate': `Bearer ${bearerRealm}, error="insufficient_scope", error_description="${description}"` } });
}

/** Why a token of a deleted profile, or issued before a password change, is refused. */
export const tokenRevoked = 'The token was revoked by a password change or account deletion.';

/**
 * A problem lists at most this many field errors: their number is bounded by the request size, and
 * listing all of them let a small body buy a response thousands of times its size.
 */
export const maxReportedErrors = 20;

/** The detail of a field or parameter that no schema names. */
export const unknownField = 'unknown field';

/** 400 with one entry per invalid field (the first maxReportedErrors), from a zod validation failure. */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'path'): AppError {
  const errors: FieldError[] = [];
  let total = 0;
  for (const issue of error.issues) {
    const entries = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => ({ path: [...issue.path, key], detail: unknownField })) : [{ path: issue.path, detail: issue.message }];
    total += entries.length;
    for (const entry of entries.slice(0, maxReportedErrors - errors.length)) errors.push({ pointer: fieldPointer(where, entry.path), detail: entry.detail });
  }
  const listed = total > errors.length ? ` (${total.toLocaleString('en')} errors; the first ${String(errors.length)} are listed)` : '';
  return new AppError(400, { detail: `The request ${where} is invalid${listed}.`, errors });
}

/** A JSON Pointer into the body ("" is the whole body), or the dotted parameter name for path and query. */
function fieldPointer(where: string, path: readonly PropertyKey[]): string {
  const segments = path.map(String);
  if (where === 'body') return segments.map((segment) => '/' + segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('');
  return segments.join('.');
}
