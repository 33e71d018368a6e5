// Accounts over real HTTP against a real MongoDB-wire server: sign-up, tokens (missing, malformed,
// expired, wrongly signed, revoked, someone else's), the operator, password changes, legacy profiles,
// login throttling, the bounded hashing queue, contact privacy and its ETags, metrics, and a password
// that never leaves the server.
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { decodeJwt, SignJWT } from 'jose';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { PlayerRepository } from '../src/players/repository.ts';
import { playerPageSchema, playerSchema, type PlayerInput } from '../src/players/schema.ts';
import { startTestApp, testAuthSecret, type TestApp } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { parseExposition } from './helpers/prometheus.ts';
import { proxyToTestServer } from './helpers/tcp-proxy.ts';
import { bearer, login, send, signUp, testPassword, validPlayer, validProfile, type JsonResponse, type ProblemBody, type SendOptions } from './helpers/players.ts';

const operatorToken = 'operator-token-for-moderation-0123456789abcdef';
const newPassword = 'a brand new passphrase';
// Long enough for three scrypt hashes on a busy machine, short enough to wait out.
const throttle = { LOGIN_THROTTLE_LIMIT: '3', LOGIN_THROTTLE_WINDOW_SECONDS: '15' };

let api: TestApp;
/** Every app and response body of this file, scanned at the end for the passwords. */
const apps: TestApp[] = [];
const responseTexts: string[] = [];

async function startApp(name: string, env: Record<string, string>): Promise<TestApp> {
  const app = await startTestApp(name, { env });
  apps.push(app);
  return app;
}

/** The app's database, through a client of the test's own that closes when the test ends. */
async function appDatabase(t: ExecutionContext, app: TestApp = api): Promise<Db> {
  const client = new MongoClient(await databaseUri(app.databaseName));
  t.teardown(() => client.close());
  return client.db();
}

/** Writes players around the API, as an older version of the service or a failed cleanup would have. */
const playerRepository = (db: Db) => new PlayerRepository(db, { operationTimeoutMs: 10_000 });

test.before(async () => {
  api = await startApp('accounts_api', { OPERATOR_TOKEN: operatorToken });
});

test.after.always('no password ever appears in a response body or a log line', (t) => {
  const logs = apps.flatMap((app) => app.logs).map((line) => JSON.stringify(line)).join('\n');
  for (const password of [testPassword, newPassword, 'first concurrent pass', 'second concurrent pass', 'the new owner passphrase', operatorToken]) {
    t.false(responseTexts.some((text) => text.includes(password)), password);
    t.false(logs.includes(password), password);
  }
  t.true(responseTexts.length > 0 && logs.length > 0, 'something was scanned');
});

test.after.always(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

async function call(method: string, path: string, options?: SendOptions, app: TestApp = api): Promise<JsonResponse> {
  const response = await send(app.url, method, path, options);
  responseTexts.push(response.text);
  return response;
}

const problem = (response: JsonResponse) => response.body as ProblemBody;
const operator = bearer(operatorToken);

/** The claims of a real token (with `changes`), signed again as the test likes; no expiry when `expiresAt` is undefined. */
async function forge(token: string, key: Uint8Array, expiresAt: number | undefined, changes: Record<string, string> = {}): Promise<string> {
  const { iat: _iat, exp: _exp, ...claims } = decodeJwt(token);
  const jwt = new SignJWT({ ...claims, ...changes }).setProtectedHeader({ alg: 'HS256' });
  return (expiresAt === undefined ? jwt.setIssuedAt() : jwt.setIssuedAt(expiresAt - 3600).setExpirationTime(expiresAt)).sign(key);
}

test('sign-up needs a password of 10-128 characters', async (t) => {
  const { password: _password, ...withoutPassword } = validPlayer('no_password');
  const missing = await call('POST', '/v1/players', { body: withoutPassword });
  t.is(missing.status, 400);
  t.is(problem(missing).errors?.[0]?.pointer, '/password');
  t.is((await call('POST', '/v1/players', { body: validPlayer('short_password', { password: 'too short' }) })).status, 400);
  t.is((await call('POST', '/v1/players', { body: validPlayer('long_password', { password: 'x'.repeat(129) }) })).status, 400);
});

test('login answers a JWT for the normalised nick, expiring in an hour, not to be cached', async (t) => {
  t.is((await call('POST', '/v1/players', { body: validPlayer('Token_Owner', { contact: 'owner#1' }) })).status, 201);
  const response = await call('POST', '/v1/auth/token', { body: { nick: 'TOKEN_owner', password: testPassword } });
  t.is(response.status, 200);
  t.is(response.headers.get('cache-control'), 'no-store');
  const { token, expiresIn } = response.body as { token: string; expiresIn: number };
  t.is(expiresIn, 3600);
  const claims = decodeJwt(token);
  t.is(claims.sub, 'token_owner');
  t.is((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
});

test('PUT, PATCH and DELETE without a token: 401 with a Bearer challenge and nothing changes', async (t) => {
  await signUp(api.url, 'no_token');
  const { nick: _nick, ...profile } = validProfile('no_token', { age: 99 });
  for (const response of [
    await call('PUT', '/v1/players/no_token', { body: profile }),
    await call('PATCH', '/v1/players/no_token', { body: { age: 99 } }),
    await call('DELETE', '/v1/players/no_token'),
  ]) {
    t.is(response.status, 401);
    t.is(response.headers.get('www-authenticate'), 'Bearer realm="playerfinder"');
    t.is(response.headers.get('content-type'), 'application/problem+json');
  }
  t.is(playerSchema.parse((await call('GET', '/v1/players/no_token')).body).age, 30);
});

test('malformed, wrongly signed and expired tokens: 401 invalid_token', async (t) => {
  const { token } = await signUp(api.url, 'bad_tokens');
  const wrongKey = new TextEncoder().encode('another-key-that-is-also-32-bytes-long!!');
  const now = Math.floor(Date.now() / 1000);
  const cases: Record<string, string> = {
    'not a JWT': 'Bearer not-a-jwt',
    'an empty bearer token': 'Bearer ',
    'a tampered payload': `Bearer ${token.slice(0, -4)}AAAA`,
    'wrongly signed': `Bearer ${await forge(token, wrongKey, now + 600)}`,
    'expired': `Bearer ${await forge(token, new TextEncoder().encode(testAuthSecret), now - 60)}`,
    // Signed with the service's own key, so only the claims can give them away.
    'from another issuer': `Bearer ${await forge(token, new TextEncoder().encode(testAuthSecret), now + 600, { iss: 'elsewhere' })}`,
    'without an expiry': `Bearer ${await forge(token, new TextEncoder().encode(testAuthSecret), undefined)}`,
  };
  for (const [name, authorization] of Object.entries(cases)) {
    const response = await call('PATCH', '/v1/players/bad_tokens', { body: { age: 40 }, headers: { Authorization: authorization } });
    t.is(response.status, 401, name);
    t.regex(response.headers.get('www-authenticate') ?? '', /^Bearer realm="playerfinder", error="invalid_token", error_description="[^"]+"$/, name);
  }
  t.regex((await call('PATCH', '/v1/players/bad_tokens', { body: { age: 40 }, headers: { Authorization: cases.expired ?? '' } })).headers.get('www-authenticate') ?? '', /expired/);
  // Another scheme is no bearer credential at all: the plain challenge, without an error code (RFC 6750 §3.1).
  const basic = await call('PATCH', '/v1/players/bad_tokens', { body: { age: 40 }, headers: { Authorization: `Basic ${Buffer.from('bad_tokens:x').toString('base64')}` } });
  t.is(basic.status, 401);
  t.is(basic.headers.get('www-authenticate'), 'Bearer realm="playerfinder"');
  // Reads with a bad token are refused too, rather than silently served as anonymous.
  t.is((await call('GET', '/v1/players/bad_tokens', { headers: { Authorization: 'Bearer not-a-jwt' } })).status, 401);
  // The same claims signed with the right key and a future expiry do work: the cases failed for their flaw.
  const fresh = await forge(token, new TextEncoder().encode(testAuthSecret), now + 600);
  t.is((await call('PATCH', '/v1/players/bad_tokens', { body: { age: 40 }, headers: bearer(fresh) })).status, 200);
});

test('another player\'s token: 403 insufficient_scope on PUT, PATCH, DELETE and password change', async (t) => {
  await signUp(api.url, 'victim_player');
  const { auth } = await signUp(api.url, 'intruder');
  const { nick: _nick, ...profile } = validProfile('victim_player');
  for (const response of [
    await call('PUT', '/v1/players/victim_player', { body: profile, headers: auth }),
    await call('PATCH', '/v1/players/victim_player', { body: { age: 99 }, headers: auth }),
    await call('DELETE', '/v1/players/victim_player', { headers: auth }),
    await call('PUT', '/v1/players/victim_player/password', { body: { currentPassword: testPassword, newPassword }, headers: auth }),
  ]) {
    t.is(response.status, 403);
    t.regex(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  }
  t.is((await call('GET', '/v1/players/victim_player')).status, 200);
});

test('the owner\'s token works in any letter case of the nick', async (t) => {
  const { auth } = await signUp(api.url, 'Case_Owner');
  t.is((await call('PATCH', '/v1/players/CASE_OWNER', { body: { age: 31 }, headers: auth })).status, 200);
});

test('the operator token deletes any profile, but edits none', async (t) => {
  await signUp(api.url, 'moderated');
  const etag = (await call('GET', '/v1/players/moderated')).headers.get('etag') ?? '';
  t.is((await call('PATCH', '/v1/players/moderated', { body: { age: 20 }, headers: operator })).status, 403);
  t.is((await call('DELETE', '/v1/players/moderated', { headers: { Authorization: 'Bearer operator-token-for-moderation-0123456789abcdeX' } })).status, 401);
  t.is((await call('DELETE', '/v1/players/moderated', { headers: operator })).status, 204);
  t.is((await call('GET', '/v1/players/moderated')).status, 404);
  t.is((await call('DELETE', '/v1/players/moderated', { headers: operator })).status, 404);
  // Gone: a 404 whatever the preconditions, which would be a 404 without them (RFC 9110 §13.2.1).
  t.is((await call('DELETE', '/v1/players/moderated', { headers: { ...operator, 'If-Match': etag } })).status, 404);
});

test('a re-created nick does not honour tokens of the deleted player', async (t) => {
  const { auth } = await signUp(api.url, 'reborn');
  t.is((await call('DELETE', '/v1/players/reborn', { headers: operator })).status, 204);
  await signUp(api.url, 'reborn');
  t.is((await call('PATCH', '/v1/players/reborn', { body: { age: 22 }, headers: auth })).status, 401);
});

test('a sign-up whose profile was stored but whose answer was lost can log in; its retry is told the nick is taken', async (t) => {
  const proxy = await proxyToTestServer(t);
  const app = await startApp('accounts_lost_answer', { MONGODB_URI: proxy.uri(uniqueDatabaseName('accounts_lost_answer')) });
  const profileInsert = [Buffer.from('players'), Buffer.from('answer_lost')];
  const lost = proxy.loseAnswerTo((command) => command.includes('insert') && profileInsert.every((part) => command.includes(part)));
  const first = await call('POST', '/v1/players', { body: validPlayer('answer_lost') }, app);
  await lost;
  t.is(first.status, 503, first.text);
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'answer_lost', password: testPassword } }, app)).status, 200, 'the profile has its password');
  t.is((await call('POST', '/v1/players', { body: validPlayer('answer_lost') }, app)).status, 409);
});

/** Signs `nick` up, then logs in while the proxy to MongoDB cuts the connection before the answer to a delete of login attempts that `matches`. */
async function loginLosingAttemptDelete(t: ExecutionContext, nick: string, matches: (command: Buffer) => boolean): Promise<JsonResponse> {
  const proxy = await proxyToTestServer(t);
  const app = await startApp(`accounts_${nick}`, { MONGODB_URI: proxy.uri(uniqueDatabaseName(`accounts_${nick}`)) });
  t.is((await call('POST', '/v1/players', { body: validPlayer(nick) }, app)).status, 201);
  const attemptsDelete = [Buffer.from('delete'), Buffer.from('loginAttempts')];
  const lost = proxy.loseAnswerTo((command) => attemptsDelete.every((part) => command.includes(part)) && matches(command));
  const response = await call('POST', '/v1/auth/token', { body: { nick, password: testPassword } }, app);
  await lost;
  return response;
}

test('a login whose pruning of old attempts fails still logs in', async (t) => {
  // The app's first login prunes, by time.
  const response = await loginLosingAttemptDelete(t, 'pruner', (command) => command.includes(Buffer.from('$lt')));
  t.is(response.status, 200, response.text);
});

test('a login with the right password whose attempt record cannot be forgotten still logs in', async (t) => {
  // The delete of this attempt's own record: by _id, unlike the prune's by time.
  const response = await loginLosingAttemptDelete(t, 'unforgotten', (command) => command.includes(Buffer.from('_id')) && !command.includes(Buffer.from('$lt')));
  t.is(response.status, 200, response.text);
});

test('a password change stored but whose answer was lost is reported as made', async (t) => {
  const proxy = await proxyToTestServer(t);
  const app = await startApp('accounts_change_lost', { MONGODB_URI: proxy.uri(uniqueDatabaseName('accounts_change_lost')) });
  const { auth } = await signUp(app.url, 'changed_unheard');
  const lost = proxy.loseAnswerTo((command) => command.includes('insert') && command.includes(Buffer.from('credentials')));
  const change = await call('PUT', '/v1/players/changed_unheard/password', { body: { currentPassword: testPassword, newPassword }, headers: auth }, app);
  await lost;
  t.is(change.status, 204, change.text);
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'changed_unheard', password: newPassword } }, app)).status, 200);
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'changed_unheard', password: testPassword } }, app)).status, 401);
});

test('a profile stored before accounts existed stays readable, cannot log in, and only the operator deletes it', async (t) => {
  const { password: _password, ...profile } = validPlayer('legacy_player', { contact: 'old#1' });
  await playerRepository(await appDatabase(t)).insert(profile as PlayerInput, new ObjectId(), new Date());
  t.is((await call('GET', '/v1/players/legacy_player')).status, 200);
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'legacy_player', password: testPassword } })).status, 401);
  t.is((await call('DELETE', '/v1/players/legacy_player')).status, 401);
  t.is((await call('DELETE', '/v1/players/legacy_player', { headers: operator })).status, 204);
});

test('a password change retires every older token; the new password works, the old one no longer', async (t) => {
  const first = await signUp(api.url, 'changer');
  const second = bearer(await login(api.url, 'changer', testPassword));
  const wrong = await call('PUT', '/v1/players/changer/password', { body: { currentPassword: 'not the password', newPassword }, headers: first.auth });
  t.is(wrong.status, 403);
  const changed = await call('PUT', '/v1/players/changer/password', { body: { currentPassword: testPassword, newPassword }, headers: first.auth });
  t.is(changed.status, 204);
  for (const auth of [first.auth, second]) {
    const response = await call('PATCH', '/v1/players/changer', { body: { age: 44 }, headers: auth });
    t.is(response.status, 401);
    t.regex(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  }
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'changer', password: testPassword } })).status, 401);
  const renewed = bearer(await login(api.url, 'changer', newPassword));
  t.is((await call('PATCH', '/v1/players/changer', { body: { age: 44 }, headers: renewed })).status, 200);
});

test('two concurrent password changes: one lands, the other is refused, and only the winner\'s password works', async (t) => {
  const { auth } = await signUp(api.url, 'race_changer');
  const passwords = ['first concurrent pass', 'second concurrent pass'];
  const responses = await Promise.all(passwords.map((password) => call('PUT', '/v1/players/race_changer/password', { body: { currentPassword: testPassword, newPassword: password }, headers: auth })));
  // 409, not the 401 of a token the first change had already retired: the two changes overlapped.
  const statuses = responses.map((response) => response.status).sort();
  t.deepEqual(statuses, [204, 409]);
  const logins = await Promise.all(passwords.map((password) => call('POST', '/v1/auth/token', { body: { nick: 'race_changer', password } })));
  const working = logins.filter((response) => response.status === 200).length;
  t.is(working, 1, 'exactly one new password is in force');
});

test('contact is shown to players with a token and to the operator, never to anonymous readers', async (t) => {
  const { auth } = await signUp(api.url, 'Private_Contact', { contact: 'secret#42', bio: 'public bio' });
  const { auth: reader } = await signUp(api.url, 'contact_reader');
  const anonymousGet = playerSchema.parse((await call('GET', '/v1/players/private_contact')).body);
  t.false('contact' in anonymousGet);
  t.is(anonymousGet.bio, 'public bio');
  for (const headers of [auth, reader, operator]) {
    const response = await call('GET', '/v1/players/private_contact', { headers });
    t.is(playerSchema.parse(response.body).contact, 'secret#42');
    t.regex(response.headers.get('vary') ?? '', /authorization/i);
  }
  const find = async (headers?: Record<string, string>) =>
    playerPageSchema.parse((await call('GET', '/v1/players?region=eu&limit=100', headers === undefined ? {} : { headers })).body).items.find((player) => player.nick === 'Private_Contact');
  t.false('contact' in (await find() ?? {}));
  t.is((await find(reader))?.contact, 'secret#42');
});

// Serial: the other tests' hashes would slow its attempts towards the end of the window.
test.serial('login throttling: after the limit, 429 with Retry-After even for the right password, until the window passes', async (t) => {
  const app = await startApp('accounts_throttle', throttle);
  await signUp(app.url, 'throttled');
  const attempt = (password: string, nick = 'throttled') => call('POST', '/v1/auth/token', { body: { nick, password } }, app);
  // Case variants name the same player, so their failures count together.
  t.is((await attempt('wrong password', 'THROTTLED')).status, 401);
  await sleep(3000);
  for (const nick of ['Throttled', 'throttled']) t.is((await attempt('wrong password', nick)).status, 401);
  const refused = await attempt(testPassword);
  t.is(refused.status, 429);
  t.regex(problem(refused).detail, /failed logins/);
  // Until the oldest failure leaves the 15 s window: 3 s of it are gone.
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 13, String(retryAfter));
  // Throttled attempts do not count, so the lock lasts one window, not for ever.
  await sleep(retryAfter * 1000 + 200);
  t.is((await attempt(testPassword)).status, 200);
  const metrics = parseExposition((await send(app.url, 'GET', '/metrics')).text).filter((sample) => sample.name === 'playerfinder_logins_total');
  const count = (outcome: string) => metrics.find((sample) => sample.labels.outcome === outcome)?.value;
  // signUp logs in once, then the test's own attempts.
  t.deepEqual([count('success'), count('failure'), count('throttled')], [2, 3, 1]);
});

test('concurrent wrong guesses: at most the limit of them are judged, and every one judged is counted', async (t) => {
  const app = await startApp('accounts_burst', { LOGIN_THROTTLE_LIMIT: '3', LOGIN_THROTTLE_WINDOW_SECONDS: '60' });
  await signUp(app.url, 'burst_target');
  const responses = await Promise.all(Array.from({ length: 12 }, () => call('POST', '/v1/auth/token', { body: { nick: 'burst_target', password: 'wrong password' } }, app)));
  const statuses = responses.map((response) => response.status);
  t.true(statuses.every((status) => status === 401 || status === 429), String(statuses));
  const judged = statuses.filter((status) => status === 401).length;
  t.true(judged <= 3, String(statuses));
  // Attempts seen together are turned away together; the failures among them all count towards the limit.
  const guess = (password: string) => call('POST', '/v1/auth/token', { body: { nick: 'burst_target', password } }, app);
  for (let failures = judged; failures < 3; failures++) t.is((await guess('wrong password')).status, 401);
  t.is((await guess(testPassword)).status, 429);
  // Unknown nicks are throttled alike, so a 429 does not tell that a nick exists.
  const unknown = () => call('POST', '/v1/auth/token', { body: { nick: 'nobody_known', password: 'wrong password' } }, app);
  for (let failures = 0; failures < 3; failures++) t.is((await unknown()).status, 401);
  t.is((await unknown()).status, 429);
});

test('concurrent logins with the right password are never taken for failed ones: no lock, Retry-After 1', async (t) => {
  const app = await startApp('accounts_concurrent_logins', { LOGIN_THROTTLE_LIMIT: '2', LOGIN_THROTTLE_WINDOW_SECONDS: '600' });
  await signUp(app.url, 'busy_player');
  const login = () => call('POST', '/v1/auth/token', { body: { nick: 'busy_player', password: testPassword } }, app);
  const responses = await Promise.all(Array.from({ length: 10 }, login));
  const refused = responses.filter((response) => response.status === 429);
  t.true(responses.every((response) => response.status === 200 || response.status === 429), String(responses.map((response) => response.status)));
  // More checks at once than the limit: the attempts still being checked see each other.
  t.true(refused.length > 0);
  for (const response of refused) {
    t.is(response.headers.get('retry-after'), '1');
    t.regex(problem(response).detail, /at once/);
  }
  t.is((await login()).status, 200);
});

test('attempts left unjudged by a process that died count as failed logins once a minute old', async (t) => {
  const app = await startApp('accounts_abandoned_attempts', { LOGIN_THROTTLE_LIMIT: '2', LOGIN_THROTTLE_WINDOW_SECONDS: '600' });
  await signUp(app.url, 'abandoned');
  const attempts = (await appDatabase(t, app)).collection('loginAttempts');
  // Recorded before they were judged, never judged: two minutes ago, and just now.
  const started = Date.now();
  await attempts.insertMany([0, 1].map(() => ({ nick: 'abandoned', at: new Date(started - 120_000) })));
  const locked = await call('POST', '/v1/auth/token', { body: { nick: 'abandoned', password: testPassword } }, app);
  t.is(locked.status, 429);
  t.regex(problem(locked).detail, /failed logins/);
  const retryAfter = Number(locked.headers.get('retry-after'));
  t.true(retryAfter > 470 && retryAfter <= 480, String(retryAfter));
  await attempts.deleteMany({ nick: 'abandoned' });
  await attempts.insertMany([0, 1].map(() => ({ nick: 'abandoned', at: new Date() })));
  const checking = await call('POST', '/v1/auth/token', { body: { nick: 'abandoned', password: testPassword } }, app);
  t.is(checking.status, 429);
  t.is(checking.headers.get('retry-after'), '1');
  // Locked by failures, with one more being checked: still the lock, not "at once".
  await attempts.deleteMany({ nick: 'abandoned' });
  await attempts.insertMany([{ nick: 'abandoned', at: new Date(Date.now() - 20_000), failed: true }, { nick: 'abandoned', at: new Date(Date.now() - 10_000), failed: true }, { nick: 'abandoned', at: new Date() }]);
  const lockedWhileChecking = await call('POST', '/v1/auth/token', { body: { nick: 'abandoned', password: testPassword } }, app);
  t.is(lockedWhileChecking.status, 429);
  t.regex(problem(lockedWhileChecking).detail, /failed logins/);
  t.true(Number(lockedWhileChecking.headers.get('retry-after')) > 500);
});

/** Sends `count` requests at once; their statuses, and every 503 among them. */
async function burst(count: number, request: (index: number) => Promise<JsonResponse>): Promise<{ statuses: number[]; unavailable: JsonResponse[] }> {
  const responses = await Promise.all(Array.from({ length: count }, (_, index) => request(index)));
  return { statuses: responses.map((response) => response.status), unavailable: responses.filter((response) => response.status === 503) };
}

// One hash at a time and none waiting: a request that needs a hash while another runs is turned away.
const oneHashAtATime = { AUTH_HASH_CONCURRENCY: '1', AUTH_HASH_QUEUE_LIMIT: '0', LOGIN_THROTTLE_LIMIT: '1000' };

test('an unknown nick gets the same 401 as a wrong password, after a real hash that holds a hashing slot', async (t) => {
  const app = await startApp('accounts_unknown_nick', oneHashAtATime);
  await signUp(app.url, 'known_player');
  const attempt = (nick: string) => call('POST', '/v1/auth/token', { body: { nick, password: 'wrong password' } }, app);
  const unknown = await attempt('nobody_here');
  const wrong = await attempt('known_player');
  t.is(unknown.status, 401);
  t.deepEqual({ ...problem(unknown), requestId: '', instance: '' }, { ...problem(wrong), requestId: '', instance: '' });
  // Were an unknown nick answered without hashing, these would all be 401: none would find the slot taken.
  const { statuses, unavailable } = await burst(10, (index) => attempt(`nobody_${String(index)}`));
  t.true(statuses.every((status) => status === 401 || status === 503), String(statuses));
  t.true(unavailable.length > 0, String(statuses));
});

test('past AUTH_HASH_QUEUE_LIMIT waiting hashes, sign-ups, logins and password changes get 503 with Retry-After', async (t) => {
  const app = await startApp('accounts_hash_queue', oneHashAtATime);
  const { auth } = await signUp(app.url, 'queue_owner');
  const cases: Record<string, (index: number) => Promise<JsonResponse>> = {
    'sign-up': (index) => call('POST', '/v1/players', { body: validPlayer(`queued_${String(index)}`) }, app),
    'login': (index) => call('POST', '/v1/auth/token', { body: { nick: `random_${String(index)}`, password: 'wrong password' } }, app),
    'password change': () => call('PUT', '/v1/players/queue_owner/password', { body: { currentPassword: 'not the password', newPassword }, headers: auth }, app),
  };
  for (const [name, request] of Object.entries(cases)) {
    const { statuses, unavailable } = await burst(10, request);
    t.true(unavailable.length > 0, `${name}: ${String(statuses)}`);
    for (const response of unavailable) {
      t.is(response.headers.get('content-type'), 'application/problem+json', name);
      t.is(response.headers.get('retry-after'), '1', name);
      t.regex(problem(response).detail, /retry/, name);
    }
  }
  // Turned away unjudged, so not counted as failures: the owner still logs in (throttle limit 1000 aside).
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'queue_owner', password: testPassword } }, app)).status, 200);
});

test('passwords and tokens outliving their profile (a failed cleanup) never work for it or for a re-created nick', async (t) => {
  const { auth: oldToken } = await signUp(api.url, 'Outlived', { contact: 'old#1' });
  await signUp(api.url, 'outlived_friend', { contact: 'friend#1' });
  // The profile goes, its password stays: as if removing the credentials had failed after the delete.
  const db = await appDatabase(t);
  const players = playerRepository(db);
  const stored = await players.findByNick('outlived');
  if (stored === undefined) throw new Error('not stored');
  t.is(await players.delete(stored, new Date()), 'deleted');
  t.is((await call('GET', '/v1/players/outlived_friend', { headers: oldToken })).status, 401, 'no reading contacts with it');
  // The leftover looks newer than the new profile, as when the pod that wrote it had a clock ahead.
  await db.collection('credentials').updateMany({ nick: 'outlived' }, { $set: { at: new Date(Date.now() + 3_600_000) } });
  const newOwnerPassword = 'the new owner passphrase';
  const created = await call('POST', '/v1/players', { body: validPlayer('outlived', { password: newOwnerPassword }) });
  t.is(created.status, 201, created.text);
  t.is((await call('POST', '/v1/auth/token', { body: { nick: 'outlived', password: testPassword } })).status, 401, 'the old password');
  t.is((await call('PATCH', '/v1/players/outlived', { body: { age: 50 }, headers: oldToken })).status, 401, 'the old token');
  const newToken = bearer(await login(api.url, 'outlived', newOwnerPassword));
  t.is((await call('PATCH', '/v1/players/outlived', { body: { age: 50 }, headers: newToken })).status, 200);
});

test('the ETag tells the copy without contact from the full one; If-Match takes either', async (t) => {
  const { auth } = await signUp(api.url, 'tagged_contact', { contact: 'tag#7' });
  const anonymousGet = await call('GET', '/v1/players/tagged_contact');
  const anonymousTag = anonymousGet.headers.get('etag') ?? '';
  // A client that has the anonymous copy and now logs in gets the contact, not a 304.
  const withToken = await call('GET', '/v1/players/tagged_contact', { headers: { ...auth, 'If-None-Match': anonymousTag } });
  t.is(withToken.status, 200);
  t.is(playerSchema.parse(withToken.body).contact, 'tag#7');
  const fullTag = withToken.headers.get('etag') ?? '';
  t.not(fullTag, anonymousTag);
  for (const [headers, tag] of [[auth, fullTag], [{}, anonymousTag]] as const) {
    const notModified = await call('GET', '/v1/players/tagged_contact', { headers: { ...headers, 'If-None-Match': tag } });
    t.is(notModified.status, 304);
    t.is(notModified.headers.get('etag'), tag);
    t.regex(notModified.headers.get('vary') ?? '', /authorization/i);
  }
  t.is((await call('GET', '/v1/players/tagged_contact', { headers: { 'If-None-Match': fullTag } })).status, 200, 'anonymous with the full tag');
  // Both tags name the stored version a write must still find.
  const patched = await call('PATCH', '/v1/players/tagged_contact', { body: { age: 33 }, headers: { ...auth, 'If-Match': anonymousTag } });
  t.is(patched.status, 200);
  t.is((await call('PATCH', '/v1/players/tagged_contact', { body: { age: 34 }, headers: { ...auth, 'If-Match': fullTag } })).status, 412);
  t.is((await call('PATCH', '/v1/players/tagged_contact', { body: { age: 34 }, headers: { ...auth, 'If-Match': patched.headers.get('etag') ?? '' } })).status, 200);
});

test('sign-up answers its creator with the whole profile, contact included', async (t) => {
  const created = await call('POST', '/v1/players', { body: validPlayer('shown_to_creator', { contact: 'mine#9' }) });
  t.is(created.status, 201);
  t.is(playerSchema.parse(created.body).contact, 'mine#9');
  const fetched = await call('GET', '/v1/players/shown_to_creator', { headers: bearer(await login(api.url, 'shown_to_creator', testPassword)) });
  t.is(created.headers.get('etag'), fetched.headers.get('etag'));
});

test('account queries carry MONGODB_OPERATION_TIMEOUT_MS: a login whose attempts take long to count gets 503', async (t) => {
  const app = await startApp('accounts_slow_query', { MONGODB_OPERATION_TIMEOUT_MS: '1', LOGIN_THROTTLE_LIMIT: '1000' });
  // Enough recent attempts that counting them takes far longer than 1 ms.
  const attempts = (await appDatabase(t, app)).collection('loginAttempts');
  const now = Date.now();
  for (let batch = 0; batch < 10; batch++) {
    await attempts.insertMany(Array.from({ length: 1000 }, (_, index) => ({ nick: 'slow_nick', at: new Date(now - batch * 1000 - index) })));
  }
  const response = await call('POST', '/v1/auth/token', { body: { nick: 'slow_nick', password: 'wrong password' } }, app);
  t.is(response.status, 503, response.text);
  t.regex(problem(response).detail, /time limit/);
});

test('the OpenAPI document declares the bearer scheme and which operations need it', async (t) => {
  const document = (await call('GET', '/openapi.json')).body as {
    components: { securitySchemes: Record<string, unknown> };
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  };
  t.deepEqual(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /v1/auth/token; the operator token also goes here' });
  const required = [{ bearerAuth: [] }];
  const player = document.paths['/v1/players/{nick}'] ?? {};
  for (const method of ['put', 'patch', 'delete']) {
    t.deepEqual(player[method]?.security, required, method);
    t.truthy(player[method]?.responses['401'], method);
    t.truthy(player[method]?.responses['403'], method);
  }
  t.deepEqual(document.paths['/v1/players/{nick}/password']?.put?.security, required);
  t.deepEqual(player.get?.security, [{}, { bearerAuth: [] }]);
  t.is(document.paths['/v1/players']?.post?.security, undefined);
  t.truthy(document.paths['/v1/auth/token']?.post?.responses['429']);
});
