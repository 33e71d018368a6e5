// A route is data: method, path, the schemas of its input and output, and a handler. The same objects
// register the Koa routes (validating input with those schemas) and produce the OpenAPI document.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import { AppError, validationError } from '../errors.ts';
import { nickSchema } from '../players/schema.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Defaults to application/json when there is a schema. */
  readonly contentType?: string;
  readonly headers?: readonly string[];
}

export interface RouteInput<Q, B> {
  /** The validated :nick path parameter, for routes that have one. */
  readonly nick: string;
  readonly query: Q;
  readonly body: B;
}

export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: Method;
  /** Koa-style path: /v1/players/:nick */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly query?: Q;
  readonly body?: { readonly schema: B; readonly contentTypes: readonly string[] };
  /** Request headers the operation reads, documented as parameters. */
  readonly headers?: readonly { readonly name: string; readonly description: string }[];
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handle: (ctx: Context, input: RouteInput<z.output<Q>, z.output<B>>) => Promise<void> | void;
}

/** Type-checks a route's handler against its own schemas; the result is stored type-erased. */
export function defineRoute<Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<Q, B>): RouteSpec {
  return spec;
}

export function registerRoutes(router: Router, routes: readonly RouteSpec[]): void {
  for (const route of routes) {
    router[route.method](route.path, async (ctx) => {
      if (route.query === undefined) rejectAnyQuery(ctx);
      const input: RouteInput<unknown, unknown> = {
        nick: route.path.includes(':nick') ? parse(nickSchema, ctx.params.nick, 'path') : '',
        query: route.query === undefined ? undefined : parse(route.query, ctx.query, 'query'),
        body: route.body === undefined ? undefined : parseBody(ctx, route.body),
      };
      await route.handle(ctx, input);
    });
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

function parseBody(ctx: Context, body: NonNullable<RouteSpec['body']>): unknown {
  // is() answers null when there is no body at all; that is as unsupported as the wrong type.
  if (!ctx.is(...body.contentTypes)) {
    const accepted = body.contentTypes.join(', ');
    throw new AppError(415, {
      detail: `Send the body as ${accepted}${ctx.get('Content-Type') === '' ? '' : `, not ${ctx.get('Content-Type')}`}.`,
      headers: ctx.method === 'PATCH' ? { 'Accept-Patch': accepted } : { 'Accept-Post': accepted },
    });
  }
  return parse(body.schema, ctx.request.body, 'body');
}

/** Routes without query parameters still reject unknown ones, so typos and injected keys are not ignored. */
function rejectAnyQuery(ctx: Context): void {
  const [unknown] = Object.keys(ctx.query);
  if (unknown !== undefined) {
    throw new AppError(400, { detail: 'The request query is invalid.', errors: [{ pointer: unknown, detail: 'unknown query parameter' }] });
  }
}

/** /v1/players/:nick → /v1/players/{nick} */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
