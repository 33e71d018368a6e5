// A player deletion that stops between deleting the profile and removing what other domains keep of it
// (its process died, or the delete's answer was lost) is finished by the next upkeep: the deleted
// player's posts close, their slots in others' posts are freed and their passwords go. Upkeep runs every
// 200 ms here.
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { MongoClient, type Db, type ObjectId } from 'mongodb';
import { lfgPostSchema } from '../src/lfg/schema.ts';
import type { PendingDeletion } from '../src/players/deletions.ts';
import { PlayerRepository } from '../src/players/repository.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { validLfgPost } from './helpers/lfg.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, signUp, type JsonResponse } from './helpers/players.ts';
import { proxyToTestServer } from './helpers/tcp-proxy.ts';

const upkeep = { MONGODB_INDEX_CHECK_INTERVAL_MS: '200' };
const apps: TestApp[] = [];
const clients: MongoClient[] = [];

test.after.always(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(apps.map((app) => app.close()));
});

async function started(name: string, env: Record<string, string> = {}): Promise<{ app: TestApp; db: Db }> {
  const app = await startTestApp(name, { env: { ...upkeep, ...env } });
  apps.push(app);
  const client = new MongoClient(await databaseUri(app.databaseName));
  clients.push(client);
  return { app, db: client.db() };
}

async function publish(app: TestApp, auth: Record<string, string>): Promise<string> {
  const response = await send(app.url, 'POST', '/v1/lfg', { body: validLfgPost({ slots: 2 }), headers: auth });
  if (response.status !== 201) throw new Error(`publish: ${response.text}`);
  return lfgPostSchema.parse(response.body).id;
}

/** A host's post that `nick` has joined, and a post of `nick`'s own. */
async function playerWithPosts(app: TestApp, nick: string): Promise<{ auth: Record<string, string>; host: Record<string, string>; hosted: string; own: string }> {
  const { auth: host } = await signUp(app.url, `${nick}_host`);
  const hosted = await publish(app, host);
  const { auth } = await signUp(app.url, nick);
  const own = await publish(app, auth);
  const joined = await send(app.url, 'POST', `/v1/lfg/${hosted}/members`, { headers: auth });
  if (joined.status !== 200) throw new Error(`join: ${joined.text}`);
  return { auth, host, hosted, own };
}

const incarnationOf = async (db: Db, nick: string): Promise<ObjectId> => {
  const stored = await db.collection<{ _id: string; incarnation: ObjectId }>('players').findOne({ _id: nick });
  if (stored === null) throw new Error(`no player ${nick}`);
  return stored.incarnation;
};

async function eventually(t: ExecutionContext, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      t.fail(`not within 10 s: ${what}`);
      return;
    }
    await sleep(100);
  }
  t.pass(what);
}

const pendingDeletions = (db: Db) => db.collection<PendingDeletion>('playerDeletions');
const members = async (app: TestApp, post: string) => lfgPostSchema.parse((await send(app.url, 'GET', `/v1/lfg/${post}`)).body).members.map((member) => member.nick);
const status = async (response: Promise<JsonResponse>) => (await response).status;

test('a deletion whose process died after deleting the profile is finished: its posts close, its slots are freed', async (t) => {
  const { app, db } = await started('deletions_died');
  const { hosted, own } = await playerWithPosts(app, 'doomed');
  const incarnation = await incarnationOf(db, 'doomed');
  // What the dead process left: its record, and the profile gone, with nothing else removed. The profile
  // goes first: an old record beside a live profile is one whose deletion never happened.
  await db.collection<{ _id: string }>('players').deleteOne({ _id: 'doomed' });
  await pendingDeletions(db).insertOne({ _id: incarnation.toHexString(), nick: 'doomed', incarnation, gameKeys: ['rocket league'], at: new Date(Date.now() - 120_000) });

  // The record goes last, once every step of the cleanup is done.
  await eventually(t, 'the record is gone', async () => (await pendingDeletions(db).countDocuments()) === 0);
  t.is(await status(send(app.url, 'GET', `/v1/lfg/${own}`)), 404, 'their post is closed');
  t.deepEqual(await members(app, hosted), [], 'their slot is free');
  t.is(await db.collection('credentials').countDocuments({ incarnation }), 0, 'their passwords are gone');
});

test('a new player with the nick of one whose deletion is unfinished neither owns nor holds what it left, and joins and leaves those posts like anyone', async (t) => {
  const { app, db } = await started('deletions_reused');
  const { host, hosted, own } = await playerWithPosts(app, 'reborn');
  const incarnation = await incarnationOf(db, 'reborn');
  // A deletion whose process died a moment ago: the profile gone, its record too young for the upkeep to finish.
  await db.collection<{ _id: string }>('players').deleteOne({ _id: 'reborn' });
  await pendingDeletions(db).insertOne({ _id: incarnation.toHexString(), nick: 'reborn', incarnation, gameKeys: ['rocket league'], at: new Date() });
  const { auth } = await signUp(app.url, 'reborn');

  t.is(await status(send(app.url, 'DELETE', `/v1/lfg/${own}`, { headers: auth })), 403, 'the old post is not theirs to close');
  t.is(await status(send(app.url, 'POST', `/v1/lfg/${own}/members`, { headers: auth })), 200, 'nor their own post to be kept out of');
  t.is(await status(send(app.url, 'POST', `/v1/lfg/${hosted}/members`, { headers: auth })), 200, 'the old seat is not theirs');
  t.is(await status(send(app.url, 'POST', `/v1/lfg/${hosted}/members`, { headers: auth })), 409, 'the new one is');
  t.deepEqual(await members(app, hosted), ['reborn', 'reborn']);
  t.is(await status(send(app.url, 'DELETE', `/v1/lfg/${hosted}/members/reborn`, { headers: auth })), 204);
  t.is(await status(send(app.url, 'DELETE', `/v1/lfg/${hosted}/members/reborn`, { headers: auth })), 404, 'the old seat is not theirs to free');
  t.deepEqual(await members(app, hosted), ['reborn'], 'it waits for the deletion to be finished');
  t.is(await status(send(app.url, 'DELETE', `/v1/lfg/${hosted}/members/reborn`, { headers: host })), 204, 'or for the owner to remove it');
  t.deepEqual(await members(app, hosted), []);
});

test('a recorded deletion whose profile still exists never happened: the record goes, the player and posts stay', async (t) => {
  const { app, db } = await started('deletions_undone');
  const { hosted, own } = await playerWithPosts(app, 'spared');
  const incarnation = await incarnationOf(db, 'spared');
  await pendingDeletions(db).insertOne({ _id: incarnation.toHexString(), nick: 'spared', incarnation, gameKeys: ['rocket league'], at: new Date(Date.now() - 120_000) });

  await eventually(t, 'the record is gone', async () => (await pendingDeletions(db).countDocuments()) === 0);
  t.is(await status(send(app.url, 'GET', '/v1/players/spared')), 200);
  t.is(await status(send(app.url, 'GET', `/v1/lfg/${own}`)), 200);
  t.deepEqual(await members(app, hosted), ['spared']);
});

test('a deletion whose answer was lost is finished by the upkeep; a finished one leaves no record', async (t) => {
  const proxy = await proxyToTestServer(t);
  const { app, db } = await started('deletions_lost', { MONGODB_URI: proxy.uri(uniqueDatabaseName('deletions_lost')) });
  const { auth, hosted, own } = await playerWithPosts(app, 'unheard');
  const lost = proxy.loseAnswerTo((command) => command.includes('findAndModify') && command.includes(Buffer.from('unheard')));
  const deletion = await send(app.url, 'DELETE', '/v1/players/unheard', { headers: auth });
  await lost;
  t.is(deletion.status, 503, deletion.text);
  t.is(await status(send(app.url, 'GET', '/v1/players/unheard')), 404, 'the profile is gone all the same');
  // As if the minute after which a recorded deletion counts as stopped had passed.
  await pendingDeletions(db).updateMany({}, { $set: { at: new Date(Date.now() - 120_000) } });
  await eventually(t, 'the record is gone', async () => (await pendingDeletions(db).countDocuments()) === 0);
  t.is(await status(send(app.url, 'GET', `/v1/lfg/${own}`)), 404, 'their post is closed');
  t.deepEqual(await members(app, hosted), [], 'their slot is free');

  const { auth: second } = await signUp(app.url, 'heard');
  t.is(await status(send(app.url, 'DELETE', '/v1/players/heard', { headers: second })), 204);
  t.is(await pendingDeletions(db).countDocuments(), 0);
});

test('a deletion that loses the race to another leaves the winner\'s record, should the winner die before finishing', async (t) => {
  const { app, db } = await started('deletions_race');
  const { hosted, own } = await playerWithPosts(app, 'contested');
  const repository = new PlayerRepository(db, { operationTimeoutMs: 10_000 });
  const read = await repository.findByNick('contested');
  if (read === undefined) throw new Error('no player contested');
  // The winner, having read the same version: its record, then the profile gone; then its process died.
  const incarnation = read.version.incarnation;
  await pendingDeletions(db).insertOne({ _id: incarnation.toHexString(), nick: 'contested', incarnation, gameKeys: ['rocket league'], at: new Date(Date.now() - 120_000) });
  await db.collection<{ _id: string }>('players').deleteOne({ _id: 'contested' });

  t.is(await repository.delete(read, new Date(Date.now() - 120_000)), 'missing');
  await eventually(t, 'the record is gone', async () => (await pendingDeletions(db).countDocuments()) === 0);
  t.is(await status(send(app.url, 'GET', `/v1/lfg/${own}`)), 404, 'their post is closed');
  t.deepEqual(await members(app, hosted), [], 'their slot is free');
});
