// A validation rule that throws on input it did not expect is still the input's fault: a 400, never a 500.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Router from '@koa/router';
import test from 'ava';
import Koa from 'koa';
import { z } from 'zod';
import { requestEnvelope } from '../src/http/envelope.ts';
import { defineRoute, registerRoutes } from '../src/http/route.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { send, type ProblemBody } from './helpers/players.ts';

test('a refinement that throws answers 400 problem+json pointing at the input, and is logged as a warning', async (t) => {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); } });
  const router = new Router();
  const throwing = z.strictObject({ code: z.string().refine(() => { throw new RangeError('invalid_argument'); }) });
  registerRoutes(router, [defineRoute({ method: 'get', path: '/check', operationId: 'check', summary: 'check', tag: 'test', query: throwing, responses: {}, handle: (ctx) => { ctx.body = {}; } })], { parse: (_ctx, next) => next(), limitBytes: 0 }, (_ctx, next) => next());
  const koa = new Koa();
  koa.silent = true;
  koa.use(requestEnvelope(createLogger('info', sink), createMetrics())).use(router.routes());
  const callback = koa.callback();
  const server = createServer((request, response) => { void callback(request, response); }).listen(0, '127.0.0.1');
  t.teardown(() => { server.close(); });
  await once(server, 'listening');
  const response = await send(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, 'GET', '/check?code=true');
  t.is(response.status, 400);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.deepEqual((response.body as ProblemBody).errors?.map((error) => error.pointer), ['']);
  t.true(logs.some((line) => line.level === 'warn' && line.msg === 'validation threw'));
});
