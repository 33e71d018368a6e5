// Bad input of every kind gets a clear 4xx problem+json: never a stack trace, never a 5xx, never a
// MongoDB operator passed through. Also: request ids and the one-line-per-request log.
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { RawConnection } from './helpers/raw-http.ts';
import { send, signUp, validPlayer, type JsonResponse, type ProblemBody } from './helpers/players.ts';
import { histogram, parseExposition, type Sample } from './helpers/prometheus.ts';

let api: TestApp;
/** The token of `someone`, so writes to /v1/players/someone get past authorization to their input checks. */
let owner: Record<string, string>;

test.before(async () => {
  api = await startTestApp('bad_input', { env: { BODY_LIMIT_BYTES: '2048' } });
  owner = (await signUp(api.url, 'someone')).auth;
});

test.after.always(() => closeIfStarted(api));

const call = (method: string, path: string, options?: Parameters<typeof send>[3]) => send(api.url, method, path, options);

function assertProblem(t: import('ava').ExecutionContext, response: JsonResponse, status: number): ProblemBody {
  t.is(response.status, status, response.text);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  const problem = response.body as ProblemBody;
  t.like(problem, { type: 'about:blank', status });
  t.is(typeof problem.title, 'string');
  t.is(typeof problem.detail, 'string');
  t.notRegex(response.text, /\bat .+:\d+:\d+|node_modules|Error:/, 'no stack trace or internals');
  return problem;
}

async function scrape(): Promise<Sample[]> {
  return parseExposition(await (await fetch(`${api.url}/metrics`)).text());
}

const pointers = (problem: ProblemBody) => (problem.errors ?? []).map((error) => error.pointer);

test('unknown fields are a 400 naming each of them', async (t) => {
  const games = [{ title: 'Chess', platform: 'pc', hoursPerWeek: 1, competitive: false, elo: 1800 }];
  const problem = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('extra_field', { isAdmin: true, role: 'x', games }) }), 400);
  t.deepEqual(pointers(problem).sort(), ['/games/0/elo', '/isAdmin', '/role']);
  t.true(problem.errors?.every((error) => error.detail === 'unknown field'));
});

test('a body that is JSON but not an object points at the whole body, and is not called invalid JSON', async (t) => {
  for (const rawBody of ['[[[]]]', 'null', '"text"', '42', 'true']) {
    const problem = assertProblem(t, await call('POST', '/v1/players', { rawBody, headers: { 'content-type': 'application/json' } }), 400);
    t.deepEqual(pointers(problem), [''], rawBody);
    t.regex(problem.errors?.[0]?.detail ?? '', /expected object/, rawBody);
    t.notRegex(problem.detail, /not valid JSON/, rawBody);
  }
});

test('a write with a Content-Type but no body at all is a 400 saying the body is empty', async (t) => {
  // fetch always sends a length with a body, so the request goes out by hand: no Content-Length, no Transfer-Encoding.
  const connection = await RawConnection.open(Number(new URL(api.url).port));
  t.teardown(() => { connection.destroy(); });
  await connection.write(`PUT /v1/players/someone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: ${owner.Authorization ?? ''}\r\n\r\n`);
  const response = await connection.response();
  t.is(response?.status, 400);
  t.is(response?.headers['content-type'], 'application/problem+json');
  t.regex(response?.body ?? '', /The request body is empty/);
  const blank = assertProblem(t, await call('PUT', '/v1/players/someone', { rawBody: ' \n\t ', headers: { ...owner, 'content-type': 'application/json' } }), 400);
  t.regex(blank.detail, /The request body is empty/, 'whitespace only');
});

test('withdrawn ISO 639-1 codes are a 400 naming the code to use, so no language is listed twice', async (t) => {
  for (const [withdrawn, current] of [['iw', 'he'], ['in', 'id'], ['ji', 'yi'], ['jw', 'jv'], ['mo', 'ro'], ['sh', 'sr']]) {
    const problem = assertProblem(t, await call('PATCH', '/v1/players/someone', { body: { languages: [current, withdrawn] }, headers: { ...owner, 'content-type': 'application/merge-patch+json' } }), 400);
    t.deepEqual(pointers(problem), ['/languages/1'], withdrawn);
    t.is(problem.errors?.[0]?.detail, `withdrawn from ISO 639-1; use "${current}"`);
    assertProblem(t, await call('GET', `/v1/players?language=${withdrawn}`), 400);
  }
  t.is((await call('PATCH', '/v1/players/someone', { body: { languages: ['tl', 'he'] }, headers: owner })).status, 200, 'current codes Intl would rename (tl) stay valid');
});

test('wrong types and out-of-range values are a 400 with one error per field', async (t) => {
  const body = validPlayer('bad_values', {
    age: 12,
    platforms: ['pc', 'amiga'],
    games: [{ title: 'Chess', platform: 'pc', hoursPerWeek: 169, competitive: 'yes' }],
    languages: ['xx'],
    bio: 'x'.repeat(501),
    region: 'mars',
  });
  const problem = assertProblem(t, await call('POST', '/v1/players', { body }), 400);
  t.deepEqual(
    pointers(problem).sort(),
    ['/age', '/bio', '/games/0/competitive', '/games/0/hoursPerWeek', '/languages/0', '/platforms/1', '/region'].sort(),
  );
  t.true(problem.errors?.every((error) => error.detail.length > 0));
});

test('a language that is not even two letters is a 400 in the body, the patch and the query', async (t) => {
  for (const language of ['true', 'EN', 'e', '', 'english', '12']) {
    const body = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('lang_check', { languages: ['en', language] }) }), 400);
    t.deepEqual(pointers(body), ['/languages/1'], language);
    assertProblem(t, await call('PATCH', '/v1/players/someone', { body: { languages: [language] }, headers: owner }), 400);
    const query = assertProblem(t, await call('GET', `/v1/players?language=${encodeURIComponent(language)}`), 400);
    t.deepEqual(pointers(query), ['language'], language);
  }
});

test('control characters are a 400 in one-line text; a bio keeps its line breaks and tabs', async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ firstName: '\u0000' }, '/firstName'],
    [{ lastName: 'Love\u001b[31mlace' }, '/lastName'],
    [{ games: [{ title: 'Chess\n', platform: 'pc', hoursPerWeek: 1, competitive: false }, { title: 'Go\u0085', platform: 'pc', hoursPerWeek: 1, competitive: false }] }, '/games/1/title'],
    [{ contact: 'ada\u007f' }, '/contact'],
    [{ bio: 'line one\u0007' }, '/bio'],
    // Unicode's own line break, and a right-to-left override that would make the name read backwards.
    [{ firstName: 'Ada\u2028Lovelace' }, '/firstName'],
    [{ games: [{ title: 'Chess \u202egnp.exe', platform: 'pc', hoursPerWeek: 1, competitive: false }] }, '/games/0/title'],
    [{ bio: 'fine\n\u2066hidden\u2069' }, '/bio'],
  ];
  for (const [patch, pointer] of cases) {
    const problem = assertProblem(t, await call('PATCH', '/v1/players/someone', { body: patch, headers: owner }), 400);
    t.deepEqual(pointers(problem), [pointer], JSON.stringify(patch));
  }
  const emoji = await call('PATCH', '/v1/players/someone', { body: { firstName: 'Ada \u{1F469}\u200D\u{1F4BB}', lastName: '\u0641\u0627\u200C\u0631\u0633\u06CC' }, headers: owner });
  t.is(emoji.status, 200, 'joiners stay: emoji sequences and scripts need them');
  const bio = 'line one\n\tline two\r\nline three\u2029line four';
  const patched = await call('PATCH', '/v1/players/someone', { body: { bio: ` ${bio}\n` }, headers: owner });
  t.is(patched.status, 200);
  t.is((patched.body as { bio?: string }).bio, bio, 'trimmed at both ends, kept inside');
});

test('a game listed twice for one platform and mode is a 400 naming the repeat; another platform or mode is fine', async (t) => {
  const game = (title: string, platform: string, competitive = true) => ({ title, platform, hoursPerWeek: 168, competitive });
  const repeated = assertProblem(t, await call('PATCH', '/v1/players/someone', { body: { games: [game('Chess', 'pc'), game('Go', 'pc'), game(' CHESS ', 'pc')] }, headers: owner }), 400);
  t.deepEqual(repeated.errors, [{ pointer: '/games/2', detail: 'the same title, platform and mode (competitive or not) as /games/0; list each once' }]);
  const distinct = [game('Chess', 'pc'), game('Chess', 'switch'), game('Chess', 'pc', false)];
  t.is((await call('PATCH', '/v1/players/someone', { body: { games: distinct }, headers: owner })).status, 200);
});

test('a password is measured as it is compared: ten characters once normalised (NFKC)', async (t) => {
  // Twelve code points sent, six characters once composed; four ligatures sent, twelve letters once decomposed.
  const decomposed = 'e\u0301'.repeat(6);
  const problem = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('short_secret', { password: decomposed }) }), 400);
  t.deepEqual(problem.errors?.map((error) => error.pointer), ['/password'], 'one error');
  t.is((await call('POST', '/v1/players', { body: validPlayer('short_secret', { password: '\ufb03'.repeat(4) }) })).status, 201);
});

test('a query value whose percent-encoding is not UTF-8 is a 400 naming the parameter, as such a body is', async (t) => {
  for (const query of ['game=%E0%A4', 'game=ok&region=%FF', 'game=%EF%BF%BD']) {
    const problem = assertProblem(t, await call('GET', `/v1/players?${query}`), 400);
    t.regex(problem.errors?.[0]?.detail ?? '', /not UTF-8/, query);
  }
  t.is((await call('GET', '/v1/players?game=Pok%C3%A9mon')).status, 200, 'UTF-8 is fine');
});

test('an invalid nick is a 400 explaining the rule', async (t) => {
  const problem = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('no spaces allowed') }), 400);
  t.deepEqual(pointers(problem), ['/nick']);
  t.regex(problem.errors?.[0]?.detail ?? '', /3-24 characters/);
  const path = assertProblem(t, await call('GET', '/v1/players/a%20b'), 400);
  t.deepEqual(pointers(path), ['nick']);
});

test('malformed JSON and a non-object body are a 400', async (t) => {
  const headers = { 'content-type': 'application/json' };
  const malformed = assertProblem(t, await call('POST', '/v1/players', { rawBody: '{"nick": "x",', headers }), 400);
  t.regex(malformed.detail, /not valid JSON/);
  t.deepEqual(pointers(malformed), ['']);
  assertProblem(t, await call('POST', '/v1/players', { rawBody: '"just a string"', headers }), 400);
  assertProblem(t, await call('POST', '/v1/players', { rawBody: '[1,2]', headers }), 400);
  const empty = assertProblem(t, await call('PATCH', '/v1/players/someone', { rawBody: '', headers: { ...headers, ...owner } }), 400);
  t.regex(empty.detail, /empty/);
  t.deepEqual(pointers(empty), ['']);
});

test('a body that does not match its Content-Encoding is a 400 pointing at the whole body, an unknown encoding a 415', async (t) => {
  for (const encoding of ['gzip', 'deflate', 'br']) {
    const headers = { 'content-type': 'application/json', 'content-encoding': encoding };
    const corrupt = assertProblem(t, await call('POST', '/v1/players', { rawBody: '{"nick":"zipped"}', headers }), 400);
    t.regex(corrupt.detail, /Content-Encoding/, encoding);
    t.deepEqual(pointers(corrupt), [''], encoding);
  }
  const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  const unknown = await call('POST', '/v1/players', { rawBody: '{}', headers: { ...headers, 'content-encoding': 'compress' } });
  t.regex(assertProblem(t, unknown, 415).detail, /Content-Encoding: compress/);
  t.is(unknown.headers.get('accept-encoding'), 'gzip, deflate, br');
});

test('content codings are case-insensitive, and x-gzip is gzip', async (t) => {
  const patch = JSON.stringify({ age: 44 });
  for (const encoding of ['GZIP', 'Gzip', 'x-gzip', 'X-GZIP']) {
    const response = await fetch(`${api.url}/v1/players/someone`, { method: 'PATCH', headers: { ...owner, 'content-type': 'application/json', 'content-encoding': encoding }, body: gzipSync(patch) });
    t.is(response.status, 200, `${encoding}: ${await response.text()}`);
  }
});

test('only routes that take a body parse one', async (t) => {
  const response = await call('DELETE', '/v1/players/someone', { rawBody: '{not json', headers: { 'content-type': 'application/json', 'If-Match': '"not-current"', ...owner } });
  assertProblem(t, response, 412);
});

test.serial('a body over the limit is counted and logged under its route as a 413', async (t) => {
  const series = { route: '/v1/players', method: 'POST', status: '413' };
  const before = histogram(await scrape(), 'http_request_duration_seconds', series).count;
  await call('POST', '/v1/players', { body: validPlayer('too_big_for_route', { bio: 'x'.repeat(4000) }), headers: { 'X-Request-Id': 'big-body' } });
  t.is(histogram(await scrape(), 'http_request_duration_seconds', series).count - before, 1);
  t.like(api.logs.find((line) => line.requestId === 'big-body'), { route: '/v1/players', status: 413 });
});

test.serial('health probes carry no request id and stay out of the HTTP metrics and the request log', async (t) => {
  const requestsCounted = async () => (await scrape()).filter((sample) => sample.name === 'http_request_duration_seconds_count').reduce((sum, sample) => sum + sample.value, 0);
  const before = await requestsCounted();
  for (const path of ['/healthz', '/readyz']) {
    const response = await fetch(api.url + path, { headers: { 'X-Request-Id': 'probe-1' } });
    t.is(response.status, 200, path);
    t.is(response.headers.get('x-request-id'), null, path);
  }
  t.is(await requestsCounted() - before, 1, 'only the first scrape itself was counted');
  t.false(api.logs.some((line) => line.requestId === 'probe-1' || line.path === '/healthz' || line.path === '/readyz'));
});

test('a health check with a query string (which no probe sends) is a 400 saying so, not a 404', async (t) => {
  for (const path of ['/healthz', '/readyz']) {
    const problem = assertProblem(t, await call('GET', `${path}?verbose=1`), 400);
    t.is(problem.detail, `${path} is a health check and takes no query parameters.`);
    // However many there are: no list that grows with the query.
    const many = assertProblem(t, await call('GET', `${path}?${Array.from({ length: 300 }, (_, index) => `q${String(index)}=1`).join('&')}`), 400);
    t.is(many.errors, undefined);
  }
});

test.serial('operators are refused before any query: MongoDB sees no command at all', async (t) => {
  const commandsRun = async () => (await scrape()).filter((sample) => sample.name === 'mongodb_command_duration_seconds_count').reduce((sum, sample) => sum + sample.value, 0);
  const before = await commandsRun();
  assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('x', { nick: { $ne: null } }) }), 400);
  assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('op_in_field', { age: { $gt: 0 }, games: [{ $where: 'sleep(1000)' }] }) }), 400);
  assertProblem(t, await call('GET', '/v1/players?game[$ne]=x'), 400);
  assertProblem(t, await call('GET', '/v1/players?%24where=1'), 400);
  assertProblem(t, await call('GET', '/v1/players?minAge[$gt]=0'), 400);
  assertProblem(t, await call('GET', '/v1/games?limit[$gt]=0'), 400);
  t.is(await commandsRun(), before);
});

test('a body over the limit is a 413', async (t) => {
  const problem = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('too_big', { bio: 'x'.repeat(4000) }) }), 413);
  t.regex(problem.detail, /2048 bytes/);
});

test('a non-JSON content type on a write is a 415 that says what to send', async (t) => {
  const form = await call('POST', '/v1/players', { rawBody: 'nick=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assertProblem(t, form, 415);
  t.is(form.headers.get('accept-post'), 'application/json');
  assertProblem(t, await call('POST', '/v1/players', { rawBody: '' }), 415);
  const patch = await call('PATCH', '/v1/players/someone', { rawBody: '{}', headers: { 'content-type': 'text/plain', ...owner } });
  assertProblem(t, patch, 415);
  t.is(patch.headers.get('accept-patch'), 'application/merge-patch+json, application/json');
  const put = await call('PUT', '/v1/players/someone', { rawBody: '{}', headers: { 'content-type': 'text/plain', ...owner } });
  assertProblem(t, put, 415);
  t.is(put.headers.get('accept-post'), null, 'Accept-Post describes POST only');
});

test('operators in the body are a 400 and never reach MongoDB', async (t) => {
  const problem = assertProblem(t, await call('POST', '/v1/players', { body: validPlayer('x', { nick: { $ne: null } }) }), 400);
  t.deepEqual(pointers(problem), ['/nick']);
  assertProblem(t, await call('PATCH', '/v1/players/someone', { body: { age: { $gt: 0 } }, headers: owner }), 400);
  // Valid JSON, so not called invalid: the key itself is refused.
  const prototypeKey = assertProblem(t, await call('POST', '/v1/players', { rawBody: '{"games":[{"__proto__":{"admin":true}}]}', headers: { 'content-type': 'application/json' } }), 400);
  t.regex(prototypeKey.detail, /"__proto__" key/);
  t.deepEqual(pointers(prototypeKey), ['']);
});

test('operators and unknown keys in the query string are a 400', async (t) => {
  const bracket = assertProblem(t, await call('GET', '/v1/players?game[$ne]=x'), 400);
  t.deepEqual(pointers(bracket), ['game[$ne]']);
  // Repeated, each value valid or not: said as such, not as a wrong type or option; a repeated unknown one is unknown.
  const repeated = assertProblem(t, await call('GET', '/v1/players?game=a&game=b&region=eu&region=na&region=eu&x=1&x=2&limit=0'), 400);
  const details = Object.fromEntries((repeated.errors ?? []).map((error) => [error.pointer, error.detail]));
  t.like(details, { game: 'given 2 times; give it once', region: 'given 3 times; give it once', x: 'unknown field' });
  t.notRegex(details.limit ?? '', /given/);
  assertProblem(t, await call('GET', '/v1/players?%24where=1'), 400);
  assertProblem(t, await call('GET', '/v1/players?minAge=abc'), 400);
  assertProblem(t, await call('GET', '/v1/players?limit=0x2'), 400);
  assertProblem(t, await call('GET', '/v1/players?limit=1e1'), 400);
  const twoUnknown = assertProblem(t, await call('GET', '/v1/players?a=1&b=2'), 400);
  t.deepEqual(pointers(twoUnknown), ['a', 'b']);
  const ageRange = assertProblem(t, await call('GET', '/v1/players?minAge=40&maxAge=20&limit=0&platform=atari'), 400);
  t.deepEqual(pointers(ageRange).sort(), ['limit', 'minAge', 'platform'], 'the age range beside the other errors, at once');
  assertProblem(t, await call('GET', '/v1/players?cursor=not-a-cursor'), 400);
  assertProblem(t, await call('GET', '/status?debug=1'), 400);
});

test('an unknown route is a 404 problem', async (t) => {
  assertProblem(t, await call('GET', '/v2/anything'), 404);
});

test('OPTIONS answers 204 with the methods, as a 405 lists them, and what the writes take (RFC 5789)', async (t) => {
  const player = await fetch(`${api.url}/v1/players/someone`, { method: 'OPTIONS' });
  t.is(player.status, 204);
  t.is(player.headers.get('allow'), 'HEAD, GET, PUT, PATCH, DELETE, OPTIONS');
  t.is(player.headers.get('accept-patch'), 'application/merge-patch+json, application/json');
  t.is(player.headers.get('content-type'), null);
  t.is((await call('POST', '/v1/players/someone')).headers.get('allow'), player.headers.get('allow'));
  const collection = await fetch(`${api.url}/v1/players`, { method: 'OPTIONS' });
  t.is(collection.status, 204);
  t.is(collection.headers.get('allow'), 'POST, HEAD, GET, OPTIONS');
  t.is(collection.headers.get('accept-post'), 'application/json');
  t.is(collection.headers.get('accept-patch'), null);
  t.is((await fetch(`${api.url}/status`, { method: 'OPTIONS' })).headers.get('allow'), 'HEAD, GET, OPTIONS');
});

test('a wrong method is a 405 with Allow', async (t) => {
  const response = await call('DELETE', '/v1/players');
  assertProblem(t, response, 405);
  t.is(response.headers.get('allow'), 'POST, HEAD, GET, OPTIONS');
});

test('the request id is echoed when sane, generated otherwise, and logged once per request', async (t) => {
  const echoed = await call('GET', '/status', { headers: { 'X-Request-Id': 'trace-abc.123' } });
  t.is(echoed.headers.get('x-request-id'), 'trace-abc.123');
  const replaced = await call('GET', '/status', { headers: { 'X-Request-Id': 'bad id with spaces' } });
  const generated = replaced.headers.get('x-request-id') ?? '';
  t.regex(generated, /^[0-9a-f-]{36}$/);
  const failed = await call('GET', '/v1/players/nobody_at_all', { headers: { 'X-Request-Id': 'lookup-404' } });
  t.is((failed.body as ProblemBody).requestId, 'lookup-404');

  const lines = api.logs.filter((line) => line.msg === 'request' && ['trace-abc.123', generated, 'lookup-404'].includes(String(line.requestId)));
  t.is(lines.length, 3);
  t.like(lines.find((line) => line.requestId === 'lookup-404'), { method: 'GET', route: '/v1/players/:nick', status: 404 });
  t.true(lines.every((line) => typeof line.durationMs === 'number'));
});

test('while MongoDB is unreachable, data routes answer 503 problem+json within seconds and 5xx are logged with the request id', async (t) => {
  // Port 9 (discard) on loopback: nothing listens, so every connection is refused.
  const offline = await startTestApp('bad_input_offline', { env: { MONGODB_URI: 'mongodb://127.0.0.1:9/offline', MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1000' }, waitUntilReady: false });
  t.teardown(() => offline.close());
  const started = Date.now();
  const response = await send(offline.url, 'GET', '/v1/players/somebody', { headers: { 'X-Request-Id': 'offline-1' } });
  t.true(Date.now() - started < 5000);
  assertProblem(t, response, 503);
  t.is(response.headers.get('retry-after'), '5');
  t.is((await send(offline.url, 'GET', '/status')).status, 200);
  t.is((await fetch(`${offline.url}/healthz`)).status, 200);
  t.is((await fetch(`${offline.url}/readyz`)).status, 503);
  const errorLine = offline.logs.find((line) => line.level === 'error' && line.requestId === 'offline-1');
  t.truthy(errorLine);
  // The cause in one short line: the driver's message, without a stack or its topology description.
  t.is(typeof errorLine?.reason, 'string');
  t.false('err' in (errorLine ?? {}));
  t.true(JSON.stringify(errorLine).length < 1000, JSON.stringify(errorLine));
});

test('a MongoDB whose DNS name does not resolve (an SRV record, a host) is unreachable: 503, not 500', async (t) => {
  for (const uri of ['mongodb+srv://nosuch.invalid/offline', 'mongodb://nosuch.invalid:27017/offline']) {
    const unresolved = await startTestApp('bad_input_unresolved', { env: { MONGODB_URI: uri, MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1000' }, waitUntilReady: false });
    t.teardown(() => unresolved.close());
    const response = await send(unresolved.url, 'GET', '/v1/players?limit=1');
    assertProblem(t, response, 503);
    t.is(response.headers.get('retry-after'), '5', uri);
  }
});

test('a method no route takes (PROPFIND, PURGE, TRACE) is a 405 with Allow where the path exists, else a 404: the client\'s mistake, not a 5xx', async (t) => {
  const propfind = await call('PROPFIND', '/v1/players');
  assertProblem(t, propfind, 405);
  t.is(propfind.headers.get('allow'), 'POST, HEAD, GET, OPTIONS');
  t.is((await call('PURGE', '/status')).headers.get('allow'), 'HEAD, GET, OPTIONS');
  const nowhere = await call('PROPFIND', '/v2/anything');
  assertProblem(t, nowhere, 404);
  t.is(nowhere.headers.get('allow'), null);
  // fetch refuses to send TRACE.
  const connection = await RawConnection.open(Number(new URL(api.url).port));
  t.teardown(() => { connection.destroy(); });
  await connection.write('TRACE /status HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const trace = await connection.response();
  t.is(trace?.status, 405);
  t.is(trace?.headers['content-type'], 'application/problem+json');
  t.false(parseExposition(await (await fetch(`${api.url}/metrics`)).text()).some((sample) => sample.name === 'http_request_duration_seconds_count' && sample.labels.status?.startsWith('5') === true));
});

test('a body that is not UTF-8 is a 400, and nothing is stored with replacement characters', async (t) => {
  for (const bytes of [Buffer.from('{"firstName":"Jos\xe9"}', 'latin1'), Buffer.from([0x7b, 0x22, 0x62, 0x69, 0x6f, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])]) {
    const response = await fetch(`${api.url}/v1/players/someone`, { method: 'PATCH', headers: { ...owner, 'content-type': 'application/merge-patch+json' }, body: bytes });
    const problem = (await response.json()) as ProblemBody;
    t.is(response.status, 400);
    t.regex(problem.detail, /not UTF-8/);
    t.deepEqual(pointers(problem), ['']);
  }
  // Valid JSON, but half a surrogate pair is no character: stored as UTF-8 it would turn into U+FFFD.
  for (const escaped of ['{"firstName":"Ada\\ud800"}', '{"firstName":"\\udc00Ada"}', '{"games":[{"title":"\\ud83d"}]}']) {
    const response = await call('PATCH', '/v1/players/someone', { rawBody: escaped, headers: { ...owner, 'content-type': 'application/merge-patch+json' } });
    t.is(response.status, 400, escaped);
    t.regex((response.body as ProblemBody).detail, /surrogate/, escaped);
  }
  const stored = (await call('GET', '/v1/players/someone')).body as { firstName: string; bio?: string };
  t.false(JSON.stringify(stored).includes('\uFFFD'));
  t.is((await call('PATCH', '/v1/players/someone', { rawBody: '{"firstName":"Jos\\u00e9 \\ud83c\\udfae"}', headers: { ...owner, 'content-type': 'application/merge-patch+json' } })).status, 200, 'UTF-8 is fine');
});
