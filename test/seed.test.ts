// The demo players, and `node dist/seed.js` (what `npm run seed` and the image run): valid, varied sign-ups;
// the seed creates them once, a second run adds none and changes nothing, and they are searchable.
import test from 'ava';
import { signUpSchema } from '../src/auth/schema.ts';
import { demoPlayerCount, demoPlayers } from '../src/players/demo-players.ts';
import { playerSchema, type Player } from '../src/players/schema.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { allPages, cursorParameter } from './helpers/pages.ts';
import { send } from './helpers/players.ts';
import { runServerToExit } from './helpers/server-process.ts';

let api: TestApp | undefined;

test.after.always(async () => {
  await api?.close();
});

const distinct = (values: string[]) => new Set(values).size;

test('a few hundred demo players, valid sign-ups with distinct nicks, across games, regions, platforms and languages', (t) => {
  const players = demoPlayers();
  t.is(players.length, demoPlayerCount);
  t.true(players.length >= 200);
  for (const player of players) t.true(signUpSchema.safeParse({ ...player, password: 'a demo password' }).success, player.nick);
  t.is(distinct(players.map((player) => player.nick.toLowerCase())), players.length);
  t.is(distinct(players.map((player) => player.region)), 7);
  t.is(distinct(players.flatMap((player) => player.platforms)), 5);
  t.true(distinct(players.flatMap((player) => player.languages)) >= 20);
  t.true(distinct(players.flatMap((player) => player.games.map((game) => game.title))) >= 20);
  t.deepEqual(demoPlayers(), players, 'the same players on every run');
});

interface SeedRun {
  readonly code: number | null;
  readonly summary: Record<string, unknown> | undefined;
  readonly stderr: string;
}

// Each sign-up hashes a password (about 0.1-0.3 s), so the process runs seed the first 60 demo players.
const seeded = 60;

async function runSeed(databaseName: string): Promise<SeedRun> {
  const { code, stdout, stderr } = await runServerToExit({ MONGODB_URI: await databaseUri(databaseName) }, 'seed.js', ['--players', String(seeded)]);
  const lines = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, summary: lines.find((line) => line.msg === 'demo players seeded'), stderr };
}

async function allPlayers(url: string): Promise<Player[]> {
  const pages = await allPages(async (cursor) => (await send(url, 'GET', `/v1/players?limit=100${cursorParameter(cursor)}`)).body as { items: Player[]; nextCursor: string | null });
  return pages.flatMap((page) => page.items);
}

test.serial('seeding twice creates the demo players once; they are valid and searchable', async (t) => {
  const databaseName = uniqueDatabaseName('seed');
  const first = await runSeed(databaseName);
  t.is(first.code, 0, first.stderr);
  t.like(first.summary, { created: seeded, alreadyThere: 0 });

  api = await startTestApp('seed', { env: { MONGODB_URI: await databaseUri(databaseName) } });
  const players = await allPlayers(api.url);
  t.deepEqual(players.map((player) => player.nick).sort(), demoPlayers(seeded).map((player) => player.nick).sort());

  const second = await runSeed(databaseName);
  t.is(second.code, 0, second.stderr);
  t.like(second.summary, { created: 0, alreadyThere: seeded });
  t.deepEqual(await allPlayers(api.url), players, 'the second run changed nothing');

  for (const player of players) t.true(playerSchema.safeParse(player).success, player.nick);
  const games = (await send(api.url, 'GET', '/v1/games?limit=100')).body as { items: { title: string; players: number }[] };
  t.true(games.items.length >= 10);
  for (const query of ['game=fortnite', 'region=eu', 'platform=pc', 'language=en', 'minAge=20&maxAge=30']) {
    const page = (await send(api.url, 'GET', `/v1/players?${query}`)).body as { items: Player[] };
    t.true(page.items.length > 0, query);
  }
});

test('a bad --players is one line naming the option', async (t) => {
  const { code, stderr } = await runServerToExit({ MONGODB_URI: 'mongodb://127.0.0.1:9/seed' }, 'seed.js', ['--players', '0x10']);
  t.is(code, 1);
  t.is(stderr, 'playerfinder seed: invalid --players: must be a whole number from 1 to 1000\n');
});
