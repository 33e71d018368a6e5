// JSON response bodies, serialized here with their Content-Type set directly. Given an object, Koa's
// ctx.body looks the type up in the MIME database and sizes the body twice, on every response.
import type { Context } from 'koa';

/** What Koa's `ctx.type = 'json'` sets. */
const jsonContentType = 'application/json; charset=utf-8';

/** Sends `value` as the JSON body; an error thrown later still replaces it with a problem (problem.ts). */
export function sendJson(ctx: Context, value: object, contentType: string = jsonContentType): void {
  ctx.set('Content-Type', contentType);
  ctx.body = JSON.stringify(value);
}
