// Player data is personal: it is never cached by shared caches, no response lets a browser sniff its
// type, and the ETag reveals nothing of how the player is stored.
import test from 'ava';
import { MongoClient, type ObjectId } from 'mongodb';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { databaseUri } from './helpers/mongo.ts';
import { send, signUp, validPlayer } from './helpers/players.ts';

let api: TestApp;
let owner: Record<string, string>;

test.before(async () => {
  api = await startTestApp('private_data');
  ({ auth: owner } = await signUp(api.url, 'private_one'));
});

test.after.always(async () => {
  await api.close();
});

test('every response carries X-Content-Type-Options: nosniff', async (t) => {
  const requests: [string, string, Parameters<typeof send>[3]?][] = [
    ['GET', '/'],
    ['GET', '/status'],
    ['GET', '/openapi.json'],
    ['GET', '/metrics'],
    ['GET', '/healthz'],
    ['GET', '/readyz'],
    ['GET', '/v1/players/private_one'],
    ['GET', '/v1/players/nobody_here'],
    ['GET', '/v1/players?limit=1'],
    ['GET', '/v1/games'],
    ['POST', '/v1/players', { body: { nick: 'x' } }],
    ['POST', '/v1/players', { body: validPlayer('private_two') }],
    ['DELETE', '/v1/players'],
    ['GET', '/no/such/route'],
  ];
  for (const [method, path, options] of requests) {
    const response = await send(api.url, method, path, options);
    t.is(response.headers.get('x-content-type-options'), 'nosniff', `${method} ${path} (${String(response.status)})`);
  }
});

test('player data may be kept only by the client, and only to revalidate with its ETag', async (t) => {
  const read = await send(api.url, 'GET', '/v1/players/private_one');
  t.is(read.headers.get('cache-control'), 'private, no-cache');
  const etag = read.headers.get('etag') ?? '';
  const notModified = await send(api.url, 'GET', '/v1/players/private_one', { headers: { 'If-None-Match': etag } });
  t.is(notModified.status, 304);
  t.is(notModified.headers.get('cache-control'), 'private, no-cache');
  const patched = await send(api.url, 'PATCH', '/v1/players/private_one', { body: { age: 31 }, headers: { 'content-type': 'application/merge-patch+json', ...owner } });
  t.is(patched.status, 200);
  t.is(patched.headers.get('cache-control'), 'private, no-cache');
  const created = await send(api.url, 'POST', '/v1/players', { body: validPlayer('private_three') });
  t.is(created.headers.get('cache-control'), 'private, no-cache');
});

test('search results, which have no ETag, are not stored at all', async (t) => {
  const page = await send(api.url, 'GET', '/v1/players?limit=5');
  t.is(page.status, 200);
  t.is(page.headers.get('cache-control'), 'no-store');
});

test('the ETag is opaque: it reveals neither the stored ObjectId nor the version number', async (t) => {
  const { auth, etag } = await signUp(api.url, 'opaque_tag');
  t.regex(etag, /^"[A-Za-z0-9_-]{22}"$/);
  const client = new MongoClient(await databaseUri(api.databaseName));
  t.teardown(() => client.close());
  const stored = await client.db().collection<{ _id: string; incarnation: ObjectId }>('players').findOne({ _id: 'opaque_tag' });
  const hex = stored?.incarnation.toHexString() ?? '';
  t.is(hex.length, 24);
  t.false(etag.toLowerCase().includes(hex.slice(0, 8)), 'no timestamp bytes');
  t.false(etag.toLowerCase().includes(hex.slice(8)), 'no machine, process or counter bytes');

  const patched = await send(api.url, 'PATCH', '/v1/players/opaque_tag', { body: { age: 40 }, headers: { 'content-type': 'application/merge-patch+json', 'If-Match': etag, ...auth } });
  t.is(patched.status, 200);
  t.not(patched.headers.get('etag'), etag);
  t.notRegex(patched.headers.get('etag') ?? '', /-2"$/);
});
