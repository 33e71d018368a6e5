// gameTitles holds the display spelling of titles that players play: only a write that lands records a
// title, and a title nobody plays any more is dropped.
import test from 'ava';
import { MongoClient, ObjectId } from 'mongodb';
import { GameTitles } from '../src/players/game-titles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send, signUp, validPlayer, validProfile } from './helpers/players.ts';

let api: TestApp;
let client: MongoClient;

test.before(async () => {
  api = await startTestApp('game_titles');
  client = new MongoClient(await databaseUri(api.databaseName));
});

test.after.always(async () => {
  await client.close();
  await api.close();
});

const game = (title: string) => ({ title, platform: 'pc', hoursPerWeek: 2, competitive: false });
const games = (...titles: string[]) => ({ games: titles.map(game) });
const call = (method: string, path: string, options?: Parameters<typeof send>[3]) => send(api.url, method, path, options);

async function storedTitles(): Promise<string[]> {
  const titles = await client.db().collection<{ _id: string; title: string }>('gameTitles').find({}).toArray();
  return titles.map((title) => title.title).sort();
}

test.serial('rejected writes record no title', async (t) => {
  const owner = await signUp(api.url, 't_owner', games('Owned Game'));
  const before = await storedTitles();
  const junk = Array.from({ length: 50 }, (_, index) => `Junk ${String(index)}`);
  for (let attempt = 0; attempt < 4; attempt++) {
    t.is((await call('POST', '/v1/players', { body: validPlayer('T_OWNER', games(...junk)) })).status, 409);
  }
  const stale = await call('PUT', '/v1/players/t_owner', { body: validProfile('t_owner', games('Stale Edit')), headers: { 'If-Match': '"not-the-current-version"', ...owner.auth } });
  t.is(stale.status, 412);
  t.deepEqual(await storedTitles(), before);
});

test.serial('the display spelling is the first one a stored player used', async (t) => {
  t.is((await call('POST', '/v1/players', { body: validPlayer('t_taken', games('Chess')) })).status, 201);
  t.is((await call('POST', '/v1/players', { body: validPlayer('T_TAKEN', games('SPELUNKY two')) })).status, 409);
  t.is((await call('POST', '/v1/players', { body: validPlayer('t_first', games('Spelunky Two')) })).status, 201);
  t.true((await storedTitles()).includes('Spelunky Two'));
  t.false((await storedTitles()).includes('SPELUNKY two'));
});

test.serial('titles nobody plays any more are dropped; titles others still play stay', async (t) => {
  const changer = await signUp(api.url, 't_changer', games('Fading Game', 'Shared Game'));
  t.is((await call('POST', '/v1/players', { body: validPlayer('t_keeper', games('Shared Game')) })).status, 201);
  t.true((await storedTitles()).includes('Fading Game'));

  t.is((await call('PATCH', '/v1/players/t_changer', { body: games('Shared Game', 'Next Game'), headers: { 'content-type': 'application/merge-patch+json', ...changer.auth } })).status, 200);
  t.false((await storedTitles()).includes('Fading Game'), 'replaced away');
  t.true((await storedTitles()).includes('Next Game'));

  t.is((await call('DELETE', '/v1/players/t_changer', { headers: changer.auth })).status, 204);
  t.false((await storedTitles()).includes('Next Game'), 'deleted with its only player');
  t.true((await storedTitles()).includes('Shared Game'), 'still played by t_keeper');
});

test('a title taken up by a player while it was being dropped comes back with its spelling', async (t) => {
  const db = client.db(uniqueDatabaseName('titles_dropped'));
  // The player's write lands between the check and the delete; on FerretDB the delete may then remove the
  // title even though that player's remember() changed it. Played again when asked after the delete.
  const answers = [false, true];
  const titles = new GameTitles(db, 10_000, () => Promise.resolve(answers.shift() ?? true));
  await db.collection<{ _id: string; title: string; lastUse: ObjectId }>('gameTitles').insertOne({ _id: 'spelunky two', title: 'Spelunky Two', lastUse: new ObjectId() });
  await titles.forgetUnlessPlayed(['spelunky two']);
  t.deepEqual(await titles.titlesOf(['spelunky two']), new Map([['spelunky two', 'Spelunky Two']]));
  t.deepEqual(answers, [], 'asked before and after the delete');
  await db.dropDatabase();
});

test('a title is one game however its characters are encoded: search, matches and /v1/games see one', async (t) => {
  // A composed "é" (U+00E9), then "e" followed by a combining acute accent, then full-width letters.
  const spellings = ['Pok\u00e9mon Unite', 'Poke\u0301mon Unite', '\uff30\uff4f\uff4b\u00e9mon Unite'];
  for (const [index, title] of spellings.entries()) {
    t.is((await call('POST', '/v1/players', { body: validPlayer(`t_unicode${String(index)}`, games(title)) })).status, 201);
  }
  for (const title of spellings) {
    const found = await call('GET', `/v1/players?game=${encodeURIComponent(title)}`);
    t.deepEqual((found.body as { items: { nick: string }[] }).items.map((player) => player.nick).sort(), ['t_unicode0', 't_unicode1', 't_unicode2'], title);
  }
  const matched = await call('GET', '/v1/players/t_unicode1/matches');
  t.deepEqual((matched.body as { items: { player: { nick: string } }[] }).items.map((match) => match.player.nick).sort(), ['t_unicode0', 't_unicode2']);
  const listed = (await call('GET', '/v1/games?limit=100')).body as { items: { title: string; players: number }[] };
  t.deepEqual(listed.items.filter((entry) => entry.title.normalize('NFKC').toLowerCase().includes('mon unite')), [{ title: 'Pok\u00e9mon Unite', players: 3 }]);
});
