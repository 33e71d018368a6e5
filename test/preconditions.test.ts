// Conditional requests and write conflicts as the README promises them: If-None-Match answers 304 only for
// the current version and keeps a write off a version it names, If-Match compares strongly (on GET too), the nick in a body may differ in letter case only, and
// a write that keeps losing the race ends in 409 with nothing changed.
import test from 'ava';
import { MongoClient } from 'mongodb';
import { playerSchema } from '../src/players/schema.ts';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { databaseUri } from './helpers/mongo.ts';
import { login, send, testPassword, validPlayer, validProfile, type ProblemBody } from './helpers/players.ts';

let api: TestApp;

test.before(async () => {
  api = await startTestApp('preconditions');
});

test.after.always(() => closeIfStarted(api));

/** Owner tokens by normalised nick: every write here is the owner's, so only the preconditions decide. */
const tokens = new Map<string, string>();

const call = (method: string, path: string, options: Parameters<typeof send>[3] = {}) => {
  const token = tokens.get(path.split('/')[3]?.toLowerCase() ?? '');
  return send(api.url, method, path, token === undefined ? options : { ...options, headers: { Authorization: `Bearer ${token}`, ...options.headers } });
};

async function create(nick: string): Promise<string> {
  const created = await call('POST', '/v1/players', { body: validPlayer(nick) });
  if (created.status !== 201) throw new Error(`POST ${nick}: ${String(created.status)} ${created.text}`);
  tokens.set(nick.toLowerCase(), await login(api.url, nick, testPassword));
  return created.headers.get('etag') ?? '';
}

test('If-None-Match with a stale or an unrelated tag gets 200, the body and the current ETag', async (t) => {
  const stale = await create('inm_player');
  const patched = await call('PATCH', '/v1/players/inm_player', { body: { age: 40 } });
  t.is(patched.status, 200);
  const current = patched.headers.get('etag') ?? '';
  t.not(current, stale);
  for (const tag of [stale, `W/${stale}`, '"unrelated"', `"${current.replaceAll('"', '')}x"`]) {
    const response = await call('GET', '/v1/players/inm_player', { headers: { 'If-None-Match': tag } });
    t.is(response.status, 200, tag);
    t.is(response.headers.get('etag'), current, tag);
    t.is(playerSchema.parse(response.body).age, 40, tag);
  }
  const listed = await call('GET', '/v1/players/inm_player', { headers: { 'If-None-Match': `"unrelated", ${current}` } });
  t.is(listed.status, 304, 'one current tag in a list is enough');
  t.is(listed.text, '');
});

test('a write that changes nothing writes nothing: the ETag and updatedAt stay, so no client\'s copy goes stale', async (t) => {
  const created = await create('idle_writer');
  const before = playerSchema.parse((await call('GET', '/v1/players/idle_writer')).body);
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...sameProfile } = before;
  const unchanged = [
    await call('PATCH', '/v1/players/idle_writer', { body: {} }),
    await call('PATCH', '/v1/players/idle_writer', { body: { age: before.age, firstName: ` ${before.firstName} ` } }),
    // The nick keeps its first spelling: one differing in letter case only is no change either.
    await call('PATCH', '/v1/players/idle_writer', { body: { nick: 'IDLE_Writer' } }),
    await call('PUT', '/v1/players/idle_writer', { body: sameProfile, headers: { 'If-Match': created } }),
  ];
  for (const response of unchanged) {
    t.is(response.status, 200);
    t.is(response.headers.get('etag'), created);
    t.is(playerSchema.parse(response.body).updatedAt, before.updatedAt);
  }
  const changed = await call('PATCH', '/v1/players/idle_writer', { body: { age: before.age + 1 } });
  t.not(changed.headers.get('etag'), created);
});

test('a weak tag in If-Match never matches (strong comparison): 412, and nothing changes', async (t) => {
  const etag = await create('weak_match');
  for (const [method, body] of [['PATCH', { age: 77 }], ['PUT', validProfile('weak_match', { age: 77 })], ['DELETE', undefined]] as const) {
    const response = await call(method, '/v1/players/weak_match', { headers: { 'If-Match': `W/${etag}` }, ...(body === undefined ? {} : { body }) });
    t.is(response.status, 412, method);
  }
  const stored = await call('GET', '/v1/players/weak_match');
  t.is(stored.headers.get('etag'), etag);
  t.is(playerSchema.parse(stored.body).age, 30);
});

test('a body nick that differs from the path only in letter case is accepted on PUT and PATCH; the stored nick stays', async (t) => {
  await create('Case_Body');
  const put = await call('PUT', '/v1/players/case_body', { body: validProfile('CASE_BODY', { age: 31 }) });
  t.is(put.status, 200, put.text);
  t.like(put.body, { nick: 'Case_Body', age: 31 });
  const patch = await call('PATCH', '/v1/players/CASE_body', { body: { nick: 'case_BODY', age: 32 } });
  t.is(patch.status, 200, patch.text);
  t.like(patch.body, { nick: 'Case_Body', age: 32 });
});

test('a write on a resource without an ETag, sent with If-Match listing tags, gets 412 and changes nothing; If-Match: * goes through', async (t) => {
  await create('tagless_writer');
  const auth = { Authorization: `Bearer ${tokens.get('tagless_writer') ?? ''}` };
  const startsAt = new Date(Date.now() + 3_600_000).toISOString();
  const published = await send(api.url, 'POST', '/v1/lfg', { body: { game: 'Chess', platform: 'pc', region: 'eu', languages: ['en'], competitive: false, slots: 2, startsAt }, headers: auth });
  t.is(published.status, 201, published.text);
  const post = `/v1/lfg/${(published.body as { id: string }).id}`;

  const newPassword = 'a tagless new passphrase';
  const refused = [
    await send(api.url, 'DELETE', post, { headers: { ...auth, 'If-Match': '"anything"' } }),
    await send(api.url, 'PUT', '/v1/players/tagless_writer/password', { body: { currentPassword: testPassword, newPassword }, headers: { ...auth, 'If-Match': 'W/"x", "y"' } }),
  ];
  for (const response of refused) {
    t.is(response.status, 412, response.text);
    t.regex((response.body as ProblemBody).detail, /has none/);
  }
  t.is((await send(api.url, 'GET', post, { headers: auth })).status, 200, 'the post is still open');
  t.is(typeof (await login(api.url, 'tagless_writer', testPassword)), 'string', 'the password is unchanged');

  const changed = await send(api.url, 'PUT', '/v1/players/tagless_writer/password', { body: { currentPassword: testPassword, newPassword }, headers: { ...auth, 'If-Match': '*' } });
  t.is(changed.status, 204, changed.text);
});

test('If-Match listing tags gets the 404, 403 or 409 a write on a post would get without it, where that is known before the write (RFC 9110 §13.2.1)', async (t) => {
  await create('tagless_missing');
  const auth = { Authorization: `Bearer ${tokens.get('tagless_missing') ?? ''}`, 'If-Match': '"anything"' };
  const absent = '/v1/lfg/0123456789abcdef01234567';
  for (const [method, path] of [['DELETE', absent], ['POST', `${absent}/members`], ['DELETE', `${absent}/members/tagless_missing`]] as const) {
    const response = await send(api.url, method, path, { headers: auth });
    t.is(response.status, 404, `${method} ${path}: ${response.text}`);
  }
  const startsAt = new Date(Date.now() + 3_600_000).toISOString();
  const published = await send(api.url, 'POST', '/v1/lfg', { body: { game: 'Go', platform: 'pc', region: 'eu', languages: ['en'], competitive: false, slots: 2, startsAt }, headers: { Authorization: auth.Authorization } });
  const post = `/v1/lfg/${(published.body as { id: string }).id}`;
  t.is((await send(api.url, 'DELETE', `${post}/members/nobody_here`, { headers: auth })).status, 404, 'not a member');
  await create('tagless_joiner');
  const joiner = { Authorization: `Bearer ${tokens.get('tagless_joiner') ?? ''}`, 'If-Match': '"anything"' };
  t.is((await send(api.url, 'POST', `${post}/members`, { headers: joiner })).status, 412, 'the post exists, the join would succeed: the condition decides');
  t.is((await send(api.url, 'POST', `${post}/members`, { headers: auth })).status, 409, 'one\'s own post');
  t.is((await send(api.url, 'DELETE', post, { headers: joiner })).status, 403, 'not the owner');
  t.is((await send(api.url, 'DELETE', `${post}/members/tagless_missing`, { headers: joiner })).status, 403, 'neither that member nor the owner');
  t.is((await send(api.url, 'DELETE', post, { headers: auth })).status, 412, 'the owner\'s close would succeed: the condition decides');
});

test('a write that runs out of retries gets 409 and changes nothing', async (t) => {
  const etag = await create('pile_up');
  const { nick: _nick, ...replacement } = validProfile('pile_up', { age: 99 });
  // Another writer holds the claim on the next version (README, "How a write is made safe") and never lets
  // go within the retries: every attempt loses.
  const client = new MongoClient(await databaseUri(api.databaseName));
  t.teardown(() => client.close());
  const db = client.db(api.databaseName);
  const stored = await db.collection<{ _id: string; incarnation: unknown; version: number }>('players').findOne({ _id: 'pile_up' });
  if (stored === null) throw new Error('the player is stored under its normalised nick');
  const claims = db.collection<{ _id: string; incarnation: unknown; at: Date }>('playerWrites');
  const claim = await claims.insertOne({ _id: `${String(stored.incarnation)}:${String(stored.version + 1)}`, incarnation: stored.incarnation, at: new Date() });

  for (const [method, body] of [['PATCH', { age: 98 }], ['PUT', replacement], ['DELETE', undefined]] as const) {
    const response = await call(method, '/v1/players/pile_up', body === undefined ? {} : { body });
    t.is(response.status, 409, `${method}: ${response.text}`);
    t.is(response.headers.get('content-type'), 'application/problem+json');
    t.regex((response.body as ProblemBody).detail, /retry/);
  }
  const unchanged = await call('GET', '/v1/players/pile_up');
  t.is(unchanged.headers.get('etag'), etag);
  t.is(playerSchema.parse(unchanged.body).age, 30);

  await claims.deleteOne({ _id: claim.insertedId });
  t.is((await call('PATCH', '/v1/players/pile_up', { body: { age: 98 } })).status, 200, 'the write lands once the other writer is gone');
});

test('If-None-Match on a write: a current tag (weak or not) or * gets 412 and changes nothing; a stale one lets it through', async (t) => {
  const etag = await create('inm_writer');
  const writes = [['PATCH', { age: 77 }], ['PUT', validProfile('inm_writer', { age: 77 })], ['DELETE', undefined]] as const;
  for (const tag of [etag, `W/${etag}`, `"stale", ${etag}`, '*']) {
    for (const [method, body] of writes) {
      const response = await call(method, '/v1/players/inm_writer', { headers: { 'If-None-Match': tag }, ...(body === undefined ? {} : { body }) });
      t.is(response.status, 412, `${method} ${tag}`);
      t.is(response.headers.get('content-type'), 'application/problem+json');
    }
  }
  const stored = await call('GET', '/v1/players/inm_writer');
  t.is(stored.headers.get('etag'), etag, 'unchanged');
  const patched = await call('PATCH', '/v1/players/inm_writer', { body: { age: 41 }, headers: { 'If-None-Match': '"stale"' } });
  t.is(patched.status, 200);
  t.is(playerSchema.parse(patched.body).age, 41);
  t.is((await call('DELETE', '/v1/players/inm_writer', { headers: { 'If-None-Match': etag } })).status, 204, 'the tag went stale with the PATCH');
});

test('If-Match on GET: the current tag or * gets the player, any other 412', async (t) => {
  const etag = await create('im_reader');
  t.is((await call('GET', '/v1/players/im_reader', { headers: { 'If-Match': etag } })).status, 200);
  t.is((await call('GET', '/v1/players/im_reader', { headers: { 'If-Match': '*' } })).status, 200);
  const stale = await call('GET', '/v1/players/im_reader', { headers: { 'If-Match': '"stale"' } });
  t.is(stale.status, 412);
  t.is((stale.body as ProblemBody).status, 412);
  t.is((await call('GET', '/v1/players/no_such_reader', { headers: { 'If-Match': '*' } })).status, 404);
});
