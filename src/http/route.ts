// A route is data: method, path, the schemas of its input and output, and a handler. The same objects
// register the Koa routes (validating input with those schemas) and produce the OpenAPI document.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { AppError, validationError } from '../errors.ts';

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
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handle: (ctx: Context, input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<void> | void;
}

/** Type-checks a route's handler against its own schemas; the result is stored type-erased. */
export function defineRoute<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec;
}

/**
 * Registers every route. `parseBody` (a JSON body parser) runs inside the route, after the media type
 * check, so only routes that take a body parse one, and body errors are labelled with their route.
 */
export function registerRoutes(router: Router, routes: readonly RouteSpec[], parseBody: Middleware): void {
  for (const route of routes) {
    router[route.method](route.path, async (ctx) => {
      const params = parse(route.params ?? none, ctx.params, 'path');
      const query = parse(route.query ?? none, ctx.query, 'query');
      let body: unknown;
      if (route.body !== undefined) {
        assertMediaType(ctx, route.body.contentTypes);
        await parseBody(ctx, () => Promise.resolve());
        body = parse(route.body.schema, requestBody(ctx), 'body');
      }
      await route.handle(ctx, { params, query, body });
    });
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

function assertMediaType(ctx: Context, contentTypes: readonly string[]): void {
  // is() answers null when there is no body at all; that is as unsupported as the wrong type.
  if (ctx.is(...contentTypes)) return;
  const accepted = contentTypes.join(', ');
  const advertised: Partial<Record<string, Record<string, string>>> = { POST: { 'Accept-Post': accepted }, PATCH: { 'Accept-Patch': accepted } };
  throw new AppError(415, {
    detail: `Send the body as ${accepted}${ctx.get('Content-Type') === '' ? '' : `, not ${ctx.get('Content-Type')}`}.`,
    headers: advertised[ctx.method] ?? {},
  });
}

/** The parsed body; an empty one is an error, not the empty object the JSON parser makes of it. */
function requestBody(ctx: Context): unknown {
  const { rawBody, body } = ctx.request;
  if (rawBody.trim() === '') throw new AppError(400, { detail: 'The request body is empty; send a JSON object.' });
  return body;
}

/** /v1/players/:nick → /v1/players/{nick} */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
