// Property: whatever a client sends, the answer is below 500, a 4xx is problem+json, and the service is
// still ready afterwards. Requests are mutations of valid ones, built from the request schemas' own
// fields: wrong types, MongoDB operators, unknown fields, huge and empty values, odd encodings and media
// types. `npm test` runs a short round; `npm run fuzz` a long one (FUZZ_RUNS requests).
import { gzipSync } from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { playerInputSchema, playerPatchSchema, playerSearchSchema } from '../src/players/schema.ts';
import { startTestApp, waitForStatus, type TestApp } from './helpers/app.ts';
import { send, signUp, validPlayer } from './helpers/players.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 300);

let api: TestApp;
/** The owner's token of fuzz_target, sent on some requests so writes get past authorization. */
let owner: Record<string, string>;

test.before(async () => {
  api = await startTestApp('fuzz', { env: { BODY_LIMIT_BYTES: '8192' } });
  owner = (await signUp(api.url, 'fuzz_target')).auth;
  await signUp(api.url, 'Fuzz_Other');
});

test.after.always(async () => {
  await api.close();
});

const operator = fc.constantFrom({ $ne: null }, { $gt: '' }, { $where: '1' }, { $regex: '.*' }, ['$in', 1], { __proto__: { admin: true } });
/** Any value, weighted toward what breaks validators: wrong types, operators, huge and empty strings. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  operator,
  fc.constantFrom('', ' ', 'true', 'null', '0x10', '1e3', '-1', 'NaN', '\u0000', '💥', 'x'.repeat(10_000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer(),
);

/** A valid player with some of its schema's fields replaced, removed or joined by unknown ones. */
const mutatedBody = (fields: readonly string[]) =>
  fc
    .record({
      changes: fc.dictionary(fc.constantFrom(...fields), oddValue, { maxKeys: 3 }),
      removed: fc.subarray([...fields], { maxLength: 2 }),
      unknown: fc.dictionary(fc.string({ maxLength: 10 }), oddValue, { maxKeys: 2 }),
    })
    .map(({ changes, removed, unknown }) => {
      const body: Record<string, unknown> = { ...validPlayer('fuzz_target'), ...unknown, ...changes };
      for (const field of removed) Reflect.deleteProperty(body, field);
      return JSON.stringify(body);
    });

const playerFields = Object.keys(playerInputSchema.shape);
const patchFields = Object.keys(playerPatchSchema.shape);
const searchFields = Object.keys(playerSearchSchema.shape);

const rawBody = fc.oneof(
  mutatedBody(playerFields),
  mutatedBody(patchFields),
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '{', '[]', 'null', '{"a":1}{"b":2}', '"\\ud800"', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"bio":"' + 'x'.repeat(9000) + '"}'),
);

const queryString = fc
  .array(
    fc.tuple(fc.oneof(fc.constantFrom(...searchFields), fc.constantFrom('game[$ne]', '$where', 'limit[]', 'cursor'), fc.string({ maxLength: 8 })), fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('true', '0', '1e3', '0x10', '%', '%zz', '%E0%A4%A', 'x'.repeat(300)))),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([key, value]) => `${encodeURIComponent(key)}=${value.startsWith('%') ? value : encodeURIComponent(value)}`).join('&'));

const nick = fc.oneof(fc.constantFrom('fuzz_target', 'FUZZ_OTHER', 'nobody_here', 'a', '%', '%zz', '..', 'x'.repeat(300), '%24ne'), fc.string({ maxLength: 30 }).map(encodeURIComponent));

const mutatedRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
  path: fc.oneof(fc.constant('/v1/players'), nick.map((value) => `/v1/players/${value}`), fc.constant('/v1/games'), fc.constant('/status')),
  query: fc.option(queryString, { nil: undefined }),
  body: fc.option(rawBody, { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'application/merge-patch+json', 'application/json; charset=latin1', 'text/plain', 'application/json; charset=utf-16', ''),
  contentEncoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, br'),
  compress: fc.boolean(),
  ifMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"x"', '', '"' + 'a'.repeat(500) + '"'), { nil: undefined }),
  authorization: fc.option(fc.oneof(fc.constant('owner'), fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic eDp5', 'bearer ' + 'a'.repeat(5000), 'Bearer ey$ne')), { nil: undefined }),
});

test('no mutated request gets a 5xx; every 4xx is problem+json; the service stays ready', async (t) => {
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(mutatedRequest, async (request) => {
      const headers: Record<string, string> = {};
      if (request.contentType !== '') headers['content-type'] = request.contentType;
      if (request.contentEncoding !== undefined) headers['content-encoding'] = request.contentEncoding;
      if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
      if (request.authorization !== undefined) headers.authorization = request.authorization === 'owner' ? (owner.Authorization ?? '') : request.authorization;
      const hasBody = request.body !== undefined && request.method !== 'GET';
      const body = hasBody ? (request.compress && request.contentEncoding === 'gzip' ? gzipSync(request.body ?? '') : request.body) : undefined;
      const response = await fetch(`${api.url}${request.path}${request.query === undefined ? '' : `?${request.query}`}`, { method: request.method, headers, body });
      await response.arrayBuffer();
      const contentType = response.headers.get('content-type');
      const ok = response.status < 500 && (response.status < 400 || contentType === 'application/problem+json');
      if (!ok) failures.push(`${String(response.status)} ${String(contentType)} for ${JSON.stringify({ ...request, body: request.body?.slice(0, 200) })}`);
      return ok;
    }),
    { numRuns: runs },
  );
  t.deepEqual(failures, []);
  await waitForStatus(`${api.url}/readyz`, 200, 5000);
  t.is((await send(api.url, 'GET', '/v1/players?limit=5')).status, 200, 'still serving data');
});
