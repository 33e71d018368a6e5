// Readiness means MongoDB answers and the indexes exist, and the indexes are the ones the README's
// "collections and indexes" table lists.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { closeIfStarted, startTestApp, waitForStatus, type TestApp } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, validPlayer } from './helpers/players.ts';

/** collection → index name → key fields in order (undefined where the docs give no key) */
type IndexTable = Map<string, Map<string, string[] | undefined>>;

/** The "collections and indexes" table, from the README or the docs it links to. */
function documentedIndexes(): IndexTable {
  const docs = ['README.md', ...readdirSafe('docs').map((file) => `docs/${file}`)].map((file) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
  const table: IndexTable = new Map();
  for (const text of docs) {
    const section = /^#+ .*collections and indexes.*$([^]*?)(?=^#+ |$(?![^]))/im.exec(text)?.[1] ?? '';
    for (const [, collection = '', indexes = ''] of section.matchAll(/^\| `(\w+)` \| (.+?) \|/gm)) {
      const entries = table.get(collection) ?? new Map<string, string[] | undefined>();
      for (const [, name = '', key] of indexes.matchAll(/`(\w+)`(?: `\{([^}]*)\}`)?/g)) {
        entries.set(name === '_id' ? '_id_' : name, name === '_id' ? ['_id'] : key?.split(',').map((field) => field.trim()));
      }
      table.set(collection, entries);
    }
  }
  return table;
}

function readdirSafe(folder: string): string[] {
  try {
    return readdirSync(new URL(`../${folder}`, import.meta.url)).filter((file) => file.endsWith('.md'));
  } catch {
    return [];
  }
}

async function actualIndexes(client: MongoClient, database: string): Promise<IndexTable> {
  const db = client.db(database);
  const table: IndexTable = new Map();
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    const indexes = (await db.collection(name).listIndexes().toArray()) as { name: string; key: Record<string, unknown>; expireAfterSeconds?: number }[];
    // TTL indexes exist only where the server has them (not on FerretDB); the README says so below its table.
    const everywhere = indexes.filter((index) => index.expireAfterSeconds === undefined);
    table.set(name, new Map(everywhere.map((index) => [index.name, Object.keys(index.key)])));
  }
  return table;
}

const plain = (table: IndexTable) => Object.fromEntries([...table].map(([collection, indexes]) => [collection, Object.fromEntries(indexes)]));

let api: TestApp | undefined;
test.after.always(() => closeIfStarted(api));

test('/readyz stays 503 while an index cannot be created, though MongoDB answers, and turns 200 once it can', async (t) => {
  const database = uniqueDatabaseName('readiness');
  const uri = await databaseUri(database);
  const client = new MongoClient(uri);
  t.teardown(() => client.close());
  // An index on age_nick's fields under another name: creating age_nick fails (IndexOptionsConflict) on
  // MongoDB and FerretDB alike, until it is dropped.
  const players = client.db(database).collection('players');
  await players.createIndexes([{ key: { age: 1, _id: 1 }, name: 'in_the_way' }]);

  api = await startTestApp('readiness', { env: { MONGODB_URI: uri }, waitUntilReady: false });
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    t.is((await fetch(`${api.url}/readyz`)).status, 503);
    await sleep(100);
  }
  t.is((await send(api.url, 'GET', '/v1/players/nobody')).status, 404, 'MongoDB itself answers');
  t.is((await fetch(`${api.url}/healthz`)).status, 200);

  await players.dropIndex('in_the_way');
  await waitForStatus(`${api.url}/readyz`, 200, 20_000);
  t.is((await send(api.url, 'POST', '/v1/players', { body: validPlayer('index_check') })).status, 201);
  const documented = documentedIndexes();
  t.true(documented.has('players'), 'the README lists the players indexes');
  t.deepEqual(plain(await actualIndexes(client, database)), plain(documented));
});

test('indexes dropped under a running service (a database dropped or restored) are created again, and the log says which', async (t) => {
  const database = uniqueDatabaseName('index_check');
  const uri = await databaseUri(database);
  const client = new MongoClient(uri);
  t.teardown(() => client.close());
  const checked = await startTestApp('index_check', { env: { MONGODB_URI: uri, MONGODB_INDEX_CHECK_INTERVAL_MS: '200' } });
  t.teardown(() => checked.close());
  t.is((await send(checked.url, 'POST', '/v1/players', { body: validPlayer('before_drop') })).status, 201);
  const documented = plain(documentedIndexes());
  t.deepEqual(plain(await actualIndexes(client, database)), documented);

  // A check can run while the drop is half done (FerretDB on PostgreSQL drops one table at a time), so
  // the indexes may come back over more than one check, each logging its own.
  const recreated = () =>
    checked.logs
      .filter((line) => line.level === 'warn' && /indexes were missing/.test(String(line.msg)))
      .flatMap((line) => line.indexes as string[]);
  // Several checks with nothing dropped: nothing reported missing, nothing created.
  await sleep(1000);
  t.deepEqual(recreated(), []);
  await client.db(database).dropDatabase();
  const deadline = Date.now() + 15_000;
  while (!recreated().includes('players.game_nick') && Date.now() < deadline) await sleep(100);
  t.true(recreated().includes('players.game_nick'), JSON.stringify(recreated()));
  t.is((await send(checked.url, 'POST', '/v1/players', { body: validPlayer('before_drop') })).status, 201, 'the nick is free again');
  t.is((await send(checked.url, 'POST', '/v1/players', { body: validPlayer('before_drop') })).status, 409, 'and taken once');
  // Collections dropped after that check get their indexes from the next one.
  const complete = Date.now() + 15_000;
  while (!isDeepStrictEqual(plain(await actualIndexes(client, database)), documented) && Date.now() < complete) await sleep(200);
  t.deepEqual(plain(await actualIndexes(client, database)), documented);
});
