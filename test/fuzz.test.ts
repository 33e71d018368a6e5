// Property: whatever a client sends, the answer is below 500, a 4xx is problem+json, and the service is
// still ready afterwards. Requests are mutations of valid ones, built from the request schemas' own
// fields: wrong types, MongoDB operators, unknown fields, huge and empty values, odd encodings and media
// types. Most are well-formed writes with a mutated body, so that they get past the method, path, query,
// media type and token checks to the body's schema and the use cases behind it; the rest mutate the
// request itself. `npm test` runs a short round; `npm run fuzz` a long one (FUZZ_RUNS requests).
import { gzipSync } from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import { tokenRequestSchema } from '../src/auth/schema.ts';
import { lfgSearchSchema } from '../src/lfg/schema.ts';
import { playerInputSchema, playerPatchSchema, playerSearchSchema } from '../src/players/schema.ts';
import { startTestApp, waitForStatus, type TestApp } from './helpers/app.ts';
import { validLfgPost } from './helpers/lfg.ts';
import { send, signUp, testPassword, validPlayer, validProfile } from './helpers/players.ts';

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

/** A valid body with some of its fields replaced, removed or joined by unknown ones (often none of them). */
const mutatedBody = (valid: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[]) =>
  fc
    .record({
      valid,
      changes: fc.dictionary(fc.constantFrom(...fields), oddValue, { maxKeys: 3 }),
      removed: fc.subarray([...fields], { maxLength: 2 }),
      unknown: fc.dictionary(fc.string({ maxLength: 10 }), oddValue, { maxKeys: 2 }),
    })
    .map(({ valid: base, changes, removed, unknown }) => {
      const body: Record<string, unknown> = { ...base, ...unknown, ...changes };
      for (const field of removed) Reflect.deleteProperty(body, field);
      return JSON.stringify(body);
    });

const playerFields = Object.keys(playerInputSchema.shape);
const patchFields = Object.keys(playerPatchSchema.shape);
const searchFields = Object.keys(playerSearchSchema.shape);
/** Starts in an hour from when it is generated, as the schema wants a time ahead. */
const lfgPost = fc.constant(undefined).map(() => validLfgPost({ note: 'gg' }));
const lfgFields = ['game', 'platform', 'region', 'languages', 'competitive', 'slots', 'startsAt', 'note'];

const rawBody = fc.oneof(
  mutatedBody(fc.constant(validPlayer('fuzz_target')), playerFields),
  mutatedBody(fc.constant(validProfile('fuzz_target')), patchFields),
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

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: string | undefined;
  readonly body?: string | undefined;
  readonly contentType: string;
  readonly contentEncoding?: string | undefined;
  readonly compress: boolean;
  readonly ifMatch?: string | undefined;
  /** 'owner': the token of fuzz_target. */
  readonly authorization?: string | undefined;
}

/** A write as a client would send it, with only its body mutated: it reaches the body's schema. */
const write = (method: string, path: string, body: fc.Arbitrary<string>, contentType: string, authorization?: string): fc.Arbitrary<FuzzRequest> =>
  body.map((text) => ({ method, path, body: text, contentType, compress: false, authorization }));

const wellFormedWrite = fc.oneof(
  write('POST', '/v1/players', mutatedBody(fc.nat().map((number) => validPlayer(`fuzz_${String(number)}`)), [...playerFields, 'password']), 'application/json'),
  write('PUT', '/v1/players/fuzz_target', mutatedBody(fc.constant(validProfile('fuzz_target')), playerFields), 'application/json', 'owner'),
  write('PATCH', '/v1/players/fuzz_target', mutatedBody(fc.constant({ bio: 'fuzzing' }), patchFields), 'application/merge-patch+json', 'owner'),
  write('POST', '/v1/lfg', mutatedBody(lfgPost, lfgFields), 'application/json', 'owner'),
  // A wrong password: a right one is never generated, and throttling answers 429 once there were many.
  write('POST', '/v1/auth/token', mutatedBody(fc.constant({ nick: 'Fuzz_Other', password: `${testPassword}!` }), Object.keys(tokenRequestSchema.shape)), 'application/json'),
);

const searches = fc.oneof(
  fc.tuple(fc.constantFrom('/v1/players', '/v1/players/fuzz_target/matches'), fc.constantFrom(...searchFields)),
  fc.tuple(fc.constant('/v1/lfg'), fc.constantFrom(...Object.keys(lfgSearchSchema.shape))),
);
/** A search with one known parameter and an odd value. */
const search: fc.Arbitrary<FuzzRequest> = fc
  .tuple(searches, fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('true', '0', '-1', '1e3', '[$ne]', 'x'.repeat(300))))
  .map(([[path, key], value]) => ({ method: 'GET', path, query: `${key}=${encodeURIComponent(value)}`, contentType: '', compress: false, authorization: 'owner' }));

const mutatedRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
  path: fc.oneof(
    fc.constantFrom('/v1/players', '/v1/games', '/status', '/v1/lfg', '/v1/auth/token', '/v1/lfg/0123456789abcdef01234567/members'),
    nick.map((value) => `/v1/players/${value}`),
    nick.map((value) => `/v1/players/${value}/matches`),
  ),
  query: fc.option(queryString, { nil: undefined }),
  body: fc.option(rawBody, { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'application/merge-patch+json', 'application/json; charset=latin1', 'text/plain', 'application/json; charset=utf-16', ''),
  contentEncoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, br'),
  compress: fc.boolean(),
  ifMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"x"', '', '"' + 'a'.repeat(500) + '"'), { nil: undefined }),
  authorization: fc.option(fc.oneof(fc.constant('owner'), fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic eDp5', 'bearer ' + 'a'.repeat(5000), 'Bearer ey$ne')), { nil: undefined }),
})
  // The target deleted by its own token would turn every later write into a 404.
  .filter((request) => !(request.method === 'DELETE' && request.authorization === 'owner' && request.path === '/v1/players/fuzz_target'));

/** Which check answered: the body's schema or a use case (2xx, or a 4xx about the body), or an earlier one. */
function reached(method: string, status: number, detail: string): 'body' | 'earlier' {
  if (method !== 'GET' && status < 300) return 'body';
  return detail.startsWith('The request body is invalid') || status === 409 || status === 429 ? 'body' : 'earlier';
}

test('no mutated request gets a 5xx; every 4xx is problem+json; the service stays ready', async (t) => {
  const failures: string[] = [];
  const answers: Record<string, number> = {};
  const reachedBody: number[] = [];
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: wellFormedWrite, weight: 3 }, { arbitrary: search, weight: 1 }, { arbitrary: mutatedRequest, weight: 2 }), async (request) => {
      const headers: Record<string, string> = {};
      if (request.contentType !== '') headers['content-type'] = request.contentType;
      if (request.contentEncoding !== undefined) headers['content-encoding'] = request.contentEncoding;
      if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
      if (request.authorization !== undefined) headers.authorization = request.authorization === 'owner' ? (owner.Authorization ?? '') : request.authorization;
      const hasBody = request.body !== undefined && request.method !== 'GET';
      const body = hasBody ? (request.compress && request.contentEncoding === 'gzip' ? gzipSync(request.body ?? '') : request.body) : undefined;
      const response = await fetch(`${api.url}${request.path}${request.query === undefined ? '' : `?${request.query}`}`, { method: request.method, headers, body });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      const detail = contentType === 'application/problem+json' ? String((JSON.parse(text) as { detail?: unknown }).detail) : '';
      answers[`${request.method} ${String(response.status)}`] = (answers[`${request.method} ${String(response.status)}`] ?? 0) + 1;
      if (reached(request.method, response.status, detail) === 'body') reachedBody.push(response.status);
      const ok = response.status < 500 && (response.status < 400 || contentType === 'application/problem+json');
      if (!ok) failures.push(`${String(response.status)} ${String(contentType)} for ${JSON.stringify({ ...request, body: request.body?.slice(0, 200) })}`);
      return ok;
    }),
    { numRuns: runs },
  );
  t.deepEqual(failures, []);
  t.log(`answers: ${JSON.stringify(answers)}; ${String(reachedBody.length)} of ${String(runs)} reached a body's schema or a use case`);
  // Otherwise the property says little: most requests must get past the checks before the body, and some writes land.
  t.true(reachedBody.length >= runs / 4, JSON.stringify(answers));
  t.true(reachedBody.some((status) => status < 300), JSON.stringify(answers));
  await waitForStatus(`${api.url}/readyz`, 200, 5000);
  t.is((await send(api.url, 'GET', '/v1/players?limit=5')).status, 200, 'still serving data');
});
