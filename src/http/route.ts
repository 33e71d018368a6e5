// A route is data: method, path, the schemas of its input and output, and a handler. The same objects
// register the Koa routes (validating input with those schemas) and produce the OpenAPI document.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { Access } from '../auth/caller.ts';
import { AppError, unknownField, validationError } from '../errors.ts';
import { authorize } from './authentication.ts';
import { inviteBody } from './expect-continue.ts';
import type { RequestState } from './request-context.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json when there is a schema. */
  readonly contentType?: string;
  readonly headers?: readonly string[];
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
}

/** No parameters at all: unknown ones are rejected, so typos and injected keys are never ignored. */
const none = z.strictObject({});
type None = typeof none;

/** How routes read a body: `parse` refuses one over `limitBytes`. */
export interface BodyReader {
  readonly parse: Middleware;
  readonly limitBytes: number;
}

/** `next` for a middleware run on its own, inside a route. */
const settled = () => Promise.resolve();

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: Method;
  /** Koa-style path: /v1/players/:nick, each :name a key of `params`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: { readonly schema: B; readonly contentTypes: readonly string[] };
  /** Request headers the operation reads, documented as parameters. */
  readonly headers?: readonly { readonly name: string; readonly description: string }[];
  /** Who may call it (enforced before the body is read and again after, documented as its security); none: no token is read. */
  readonly access?: Access;
  /**
   * For a write without entity tags: throws what the request would get without its preconditions, as far
   * as it is known before the write (a 404, 403 or 409). Checked only when If-Match lists tags: RFC 9110
   * §13.2.1 has such an answer take precedence over their 412.
   */
  readonly beforeWrite?: (ctx: Context, params: z.output<P>) => Promise<void>;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handle: (ctx: Context, input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<void> | void;
}

/** Type-checks a route's handler against its own schemas; the result is stored type-erased. */
export function defineRoute<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec;
}

/**
 * Registers every route. `bodyReader.parse` (a JSON body parser, refusing more than `limitBytes`) runs in the
 * route, after the media type check, so only routes that take a body parse one, and body errors are
 * labelled with their route.
 * `identifyCaller` runs first on routes that declare an `access`.
 */
export function registerRoutes(router: Router, routes: readonly RouteSpec[], bodyReader: BodyReader, identifyCaller: Middleware): void {
  for (const route of routes) {
    const { access } = route;
    const entityTagsRefused = refusesEntityTags(route);
    router[route.method](route.path, ...(access === undefined ? [] : [identifyCaller]), async (ctx) => {
      // A route without parameters skips validation when there are none to check, as on most requests.
      const params = route.params === undefined ? {} : parse(ctx, route.params, ctx.params, 'path');
      if (access !== undefined) authorize(ctx, access, params);
      const query = route.query === undefined && ctx.querystring === '' ? {} : parseQuery(ctx, route.query ?? none);
      // Before the body: a client waiting for 100 Continue is not asked to upload what would certainly get a 412.
      if (entityTagsRefused && listsEntityTags(ctx)) {
        // RFC 9110 §13.2.1: preconditions are ignored where the answer without them would not be a 2xx.
        await route.beforeWrite?.(ctx, params);
        throw new AppError(412, { detail: 'If-Match lists entity tags, but this resource has none, so none can match; send If-Match: * or no If-Match.' });
      }
      let body: unknown;
      if (route.body !== undefined) {
        assertMediaType(ctx, route.body.contentTypes);
        await readBody(ctx, bodyReader);
        // The token was checked before the body, which may take until the request timeout to arrive: a
        // token revoked meanwhile (password change, deleted profile) must not write with it.
        if (access !== undefined) {
          await identifyCaller(ctx, settled);
          authorize(ctx, access, params);
        }
        body = parse(ctx, route.body.schema, requestBody(ctx), 'body');
      }
      await route.handle(ctx, { params, query, body });
    });
  }
  answerOptions(router, routes);
}

/**
 * Whether the route is a write on a resource without entity tags (the player routes read If-Match
 * themselves): a client sending If-Match there must not have its write applied unconditionally.
 */
export const refusesEntityTags = (route: RouteSpec): boolean => route.method !== 'get' && route.headers?.some((header) => header.name === 'If-Match') !== true;

/**
 * RFC 9110 §13.1.1: a server must evaluate If-Match before acting. A resource without entity tags matches
 * none that a client lists, so only `*` (any current representation) lets the request through.
 */
function listsEntityTags(ctx: Context): boolean {
  const listed = ctx.req.headers['if-match']?.trim();
  return listed !== undefined && listed !== '' && listed !== '*';
}

/** The header naming the media types a method's body may have (RFC 5789 §3.1; W3C LDP §7.1). */
const acceptHeaders: Partial<Record<Method, string>> = { post: 'Accept-Post', patch: 'Accept-Patch' };

/**
 * OPTIONS on every path: 204 with Allow (its methods, OPTIONS included, as in the 405s the router answers
 * for the same path), and what its writes take: Accept-Patch (RFC 5789 §3.1), Accept-Post (W3C LDP).
 */
function answerOptions(router: Router, routes: readonly RouteSpec[]): void {
  for (const path of new Set(routes.map((route) => route.path))) {
    const onPath = routes.filter((route) => route.path === path);
    const allow = [...onPath.flatMap((route) => (route.method === 'get' ? ['HEAD', 'GET'] : [route.method.toUpperCase()])), 'OPTIONS'].join(', ');
    const accepted: Record<string, string> = {};
    for (const { method, body } of onPath) {
      const header = acceptHeaders[method];
      if (header !== undefined && body !== undefined) accepted[header] = body.contentTypes.join(', ');
    }
    router.options(path, (ctx) => {
      ctx.set({ Allow: allow, ...accepted });
      ctx.status = 204;
    });
  }
}

/** Koa hands a repeated parameter over as an array, which a schema would call a wrong type: none takes two values. */
function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  // Percent-encoded bytes that are not UTF-8 decode to U+FFFD without a word, as a body's would (requestBody).
  const undecodable = Object.entries(ctx.query).filter(([, value]) => [value].flat().some((text) => text !== undefined && decodedBadly(text)));
  if (undecodable.length > 0) {
    const detail = `not UTF-8: percent-encoded ${undecodableBytes}`;
    throw new AppError(400, { detail: 'The request query is invalid.', errors: undecodable.map(([name]) => ({ pointer: name, detail })) });
  }
  try {
    return parse(ctx, schema, ctx.query, 'query');
  } catch (error) {
    if (!(error instanceof AppError) || error.errors === undefined) throw error;
    const errors = error.errors.map((entry) => {
      const value = ctx.query[entry.pointer];
      return Array.isArray(value) && entry.detail !== unknownField ? { pointer: entry.pointer, detail: `given ${String(value.length)} times; give it once` } : entry;
    });
    throw new AppError(error.status, { detail: error.detail, errors, headers: error.headers });
  }
}

function parse<S extends z.ZodType>(ctx: Context, schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(value);
  } catch (error) {
    // A refinement or transform that throws on input it did not expect is still the input's fault: a 400,
    // logged because the schema should have said what was wrong.
    (ctx.state as RequestState).log.warn({ err: error, where }, 'validation threw');
    throw new AppError(400, { detail: `The request ${where} is invalid.`, errors: [{ pointer: wholeInput, detail: 'could not be validated' }] });
  }
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/** The content codings the body parser decodes (RFC 9110 §12.5.3: a 415 for a coding lists them). */
const acceptedEncodings = 'gzip, deflate, br';

/**
 * Reading the body fails only because of the body: too large (413), an unknown Content-Encoding (415),
 * not JSON, not decodable per its Content-Encoding, cut short. Everything but a parser fault is a 4xx.
 */
async function readBody(ctx: Context, { parse, limitBytes }: BodyReader): Promise<void> {
  // One declared over the limit is refused unread (by the parser, below): the client is not asked for it.
  if (!(Number(ctx.get('Content-Length')) > limitBytes)) inviteBody(ctx.req, ctx.res);
  // RFC 9110 §8.4.1: codings are case-insensitive, and x-gzip is gzip; the parser knows lower-case names only.
  const encoding = ctx.req.headers['content-encoding'];
  if (encoding !== undefined) ctx.req.headers['content-encoding'] = encoding.trim().toLowerCase().replace(/^x-gzip$/, 'gzip');
  try {
    await parse(ctx, settled);
  } catch (error) {
    throw bodyProblem(ctx, error);
  }
}

function bodyProblem(ctx: Context, error: unknown): unknown {
  const { status, message, limit, body } = error as { status?: unknown; message?: unknown; limit?: unknown; body?: unknown };
  const reason = String(message);
  // The parser gives a JSON error its text: only whitespace is an empty body, not a malformed one.
  if (error instanceof SyntaxError && typeof body === 'string' && body.trim() === '') return emptyBody();
  if (status === 413) return new AppError(413, { detail: `The request body is larger than ${String(limit)} bytes.` });
  // The route has checked the media type already: only the coding is left to be unsupported.
  if (status === 415) return new AppError(415, { detail: `${reason}.`, headers: { 'Accept-Encoding': acceptedEncodings } });
  if (typeof status === 'number' && status >= 500) return error;
  // Valid JSON, refused by the parser (@hapi/bourne) for the key alone: it would reach Object.prototype.
  if (error instanceof SyntaxError && reason === 'Object contains forbidden prototype property') {
    return unreadableBody('The request body has a "__proto__" key, which names no field and is never accepted.');
  }
  const encoding = ctx.get('Content-Encoding');
  const detail =
    error instanceof SyntaxError
      ? `The request body is not valid JSON: ${reason}`
      : encoding !== '' && encoding !== 'identity'
        ? `The request body does not match its Content-Encoding (${encoding}): ${reason}.`
        : `The request body could not be read: ${reason}.`;
  return unreadableBody(detail);
}

/** A 400 about the body as a whole, the one error it lists saying the same as the detail. */
function unreadableBody(detail: string): AppError {
  return new AppError(400, { detail, errors: [{ pointer: wholeInput, detail }] });
}

/** The JSON Pointer to the whole body (RFC 6901), for errors about the body as a whole. */
const wholeInput = '';

function assertMediaType(ctx: Context, contentTypes: readonly string[]): void {
  const matched = ctx.is(...contentTypes);
  // null: no body at all (neither Content-Length nor Transfer-Encoding), whatever the Content-Type says.
  if (matched === null) throw emptyBody();
  if (matched !== false) return;
  const accepted = contentTypes.join(', ');
  const advertised = acceptHeaders[ctx.method.toLowerCase() as Method];
  throw new AppError(415, {
    detail: `Send the body as ${accepted}${ctx.get('Content-Type') === '' ? '' : `, not ${ctx.get('Content-Type')}`}.`,
    headers: advertised === undefined ? {} : { [advertised]: accepted },
  });
}

/**
 * Text decoded from bytes that are not UTF-8 holds U+FFFD in their place; a client's own U+FFFD is refused
 * alike, as the two cannot be told apart.
 */
const decodedBadly = (text: string): boolean => text.includes('\uFFFD');
const undecodableBytes = 'bytes that do not decode (or U+FFFD, what they decode to)';

/** The parsed body; an empty one is an error, not the empty object the JSON parser makes of it. */
function requestBody(ctx: Context): unknown {
  const { rawBody, body } = ctx.request;
  if (rawBody === '') throw emptyBody();
  // The parser decodes bytes that are not UTF-8 to U+FFFD without a word; storing that would lose the
  // client's text for good (RFC 8259 §8.1: JSON is UTF-8).
  if (decodedBadly(rawBody)) throw unreadableBody(`The request body is not UTF-8: it has ${undecodableBytes}.`);
  // An escaped lone surrogate (`"\ud800"`) is valid JSON but no text: stored as UTF-8 it would become
  // U+FFFD, unlike what the response to this very write echoes.
  if (rawBody.includes('\\u') && hasLoneSurrogate(body)) {
    throw unreadableBody('The request body is not UTF-8: it has a \\u escape of half a surrogate pair (\\ud800-\\udfff alone), which stands for no character.');
  }
  return body;
}

/** Walked with a stack of its own: JSON nests deeper than the call stack (a 10 KB body of brackets). */
function hasLoneSurrogate(body: unknown): boolean {
  const pending = [body];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (!key.isWellFormed()) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

function emptyBody(): AppError {
  return unreadableBody('The request body is empty; send a JSON object.');
}

/** /v1/players/:nick → /v1/players/{nick} */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
