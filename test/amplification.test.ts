// No request costs more than a small multiple of its own size: every array in every body schema has
// the same bounds, and a problem lists at most 20 errors, saying how many there were.
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { send, signUp, validPlayer, type JsonResponse, type ProblemBody } from './helpers/players.ts';

let api: TestApp;
/** The owner's token: what an attacker with an account of their own can send. */
let auth: Record<string, string>;

test.before(async () => {
  api = await startTestApp('amplification', { env: { BODY_LIMIT_BYTES: '65536' } });
  ({ auth } = await signUp(api.url, 'target'));
});

test.after.always(async () => {
  await api.close();
});

const maxReportedErrors = 20;
/** What a problem listing 20 errors can reasonably take, whatever the request. */
const maxProblemBytes = 8 * 1024;

/** A JSON array of `count` copies of `item`, as text. */
const repeated = (item: string, count: number) => `[${Array.from({ length: count }, () => item).join(',')}]`;

/** As many copies of `item` in `field` as fit in 64 KB. */
const floodBody = (field: string, item: string) => `{"${field}":${repeated(item, Math.floor((65_536 - field.length - 8) / (item.length + 1)))}}`;

function assertBounded(t: import('ava').ExecutionContext, response: JsonResponse): ProblemBody {
  t.is(response.status, 400, response.text.slice(0, 500));
  t.true(Buffer.byteLength(response.text) <= maxProblemBytes, `problem of ${String(Buffer.byteLength(response.text))} bytes`);
  const problem = response.body as ProblemBody;
  t.true((problem.errors ?? []).length <= maxReportedErrors);
  return problem;
}

const mergePatch = (): Record<string, string> => ({ 'content-type': 'application/merge-patch+json', ...auth });

for (const [field, item] of [['games', '{}'], ['platforms', '"pc"'], ['languages', '"xx"']] as const) {
  for (const method of ['PATCH', 'PUT'] as const) {
    test(`${method} with ${field} as long as the body limit allows is a small 400`, async (t) => {
      const rawBody = floodBody(field, item);
      t.true(rawBody.length > 60_000 && rawBody.length <= 65_536);
      const problem = assertBounded(t, await send(api.url, method, '/v1/players/target', { rawBody, headers: method === 'PATCH' ? mergePatch() : { 'content-type': 'application/json', ...auth } }));
      t.true((problem.errors ?? []).some((error) => error.pointer === `/${field}`), JSON.stringify(problem.errors));
    });
  }
  test(`POST with ${field} over its bound is a small 400`, async (t) => {
    const body = validPlayer('flooder');
    const rawBody = JSON.stringify(body).replace(/}$/, '').replace(new RegExp(`"${field}":\\[[^\\]]*\\]`), `"${field}":${repeated(item, 2000)}`) + '}';
    const problem = assertBounded(t, await send(api.url, 'POST', '/v1/players', { rawBody, headers: { 'content-type': 'application/json' } }));
    // The bound itself is reported, not only the errors of its items.
    t.true((problem.errors ?? []).some((error) => error.pointer === `/${field}`), JSON.stringify(problem.errors));
  });
}

test('thousands of unknown fields: 20 are listed, and the detail says how many there were', async (t) => {
  const fields = Array.from({ length: 6000 }, (_, index) => `"f${String(index)}":0`);
  const problem = assertBounded(t, await send(api.url, 'PATCH', '/v1/players/target', { rawBody: `{${fields.join(',')}}`, headers: mergePatch() }));
  t.is(problem.errors?.length, maxReportedErrors);
  t.regex(problem.detail, /6,?000 errors/);
});

test('a gzipped body that decompresses to a flood answers as small as any other 400', async (t) => {
  const compressed = gzipSync(floodBody('games', '{}'));
  t.true(compressed.length < 500);
  const response = await fetch(`${api.url}/v1/players/target`, { method: 'PATCH', headers: { ...mergePatch(), 'content-encoding': 'gzip' }, body: compressed });
  const text = await response.text();
  t.is(response.status, 400);
  t.true(Buffer.byteLength(text) <= maxProblemBytes, `problem of ${String(Buffer.byteLength(text))} bytes`);
});

test('a merged PATCH result with many invalid games still lists at most 20 errors', async (t) => {
  const games = Array.from({ length: 50 }, () => ({}));
  const problem = assertBounded(t, await send(api.url, 'PATCH', '/v1/players/target', { body: { games }, headers: mergePatch() }));
  t.is(problem.errors?.length, maxReportedErrors);
  t.regex(problem.detail, /errors/);
});

test('a body nested deeper than the call stack is a 400 like any other, with or without escapes', async (t) => {
  for (const value of ['"A"', '"\\u0041"']) {
    const deep = `{"nick":${'['.repeat(30_000)}${value}${']'.repeat(30_000)}}`;
    for (const path of ['/v1/players', '/v1/auth/token']) {
      const response = await send(api.url, 'POST', path, { rawBody: deep, headers: { 'content-type': 'application/json' } });
      assertBounded(t, response);
      t.is(response.headers.get('content-type'), 'application/problem+json', path);
    }
  }
});
