// The baseline with the service's framework and nothing else: Koa and @koa/router with the service's
// own route table (ROUTES: the JSON list of {method, path} the benchmark reads from its /openapi.json),
// answering as baseline.ts says. What separates playerfinder from it is what the service adds: request
// id, log line, metrics, security headers, problem+json, validation, health checks and draining.
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { playerAnswer, serve, statusAnswer, type Answer } from './baseline.ts';

interface Operation {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
}

function answer(ctx: Context, { status, body }: Answer): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = body;
}

const answers: Readonly<Record<string, (ctx: Context) => Promise<void> | void>> = {
  'get /status': (ctx) => { answer(ctx, statusAnswer); },
  'get /v1/players/:nick': async (ctx) => { answer(ctx, await playerAnswer((ctx.params as Record<string, string>).nick ?? '')); },
};

const router = new Router();
for (const { method, path } of JSON.parse(process.env.ROUTES ?? '[]') as Operation[]) {
  router[method](path, answers[`${method} ${path}`] ?? ((ctx: Context) => { answer(ctx, { status: 404, body: '{}' }); }));
}
const koa = new Koa();
koa.use(router.routes()).use(router.allowedMethods());
const callback = koa.callback();
serve(createServer((request, response) => { void callback(request, response); }));
