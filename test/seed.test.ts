// `node dist/seed.js` (what `npm run seed` and the image run): a few hundred valid, searchable demo players
// across games, regions, platforms and languages; a second run adds none and changes nothing.
import test from 'ava';
import { playerSchema, type Player } from '../src/players/schema.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { send } from './helpers/players.ts';
import { runServerToExit } from './helpers/server-process.ts';

let api: TestApp | undefined;

test.after.always(async () => {
  await api?.close();
});

interface SeedRun {
  readonly code: number | null;
  readonly summary: Record<string, unknown> | undefined;
  readonly stderr: string;
}

async function runSeed(databaseName: string): Promise<SeedRun> {
  const { code, stdout, stderr } = await runServerToExit({ MONGODB_URI: await databaseUri(databaseName) }, 'seed.js');
  const lines = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, summary: lines.find((line) => line.msg === 'demo players seeded'), stderr };
}

async function allPlayers(url: string): Promise<Player[]> {
  const players: Player[] = [];
  let cursor: string | null = null;
  do {
    const page = await send(url, 'GET', `/v1/players?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
    const body = page.body as { items: Player[]; nextCursor: string | null };
    players.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return players;
}

test.serial('seeding twice creates the demo players once; they are valid and searchable', async (t) => {
  const databaseName = uniqueDatabaseName('seed');
  const first = await runSeed(databaseName);
  t.is(first.code, 0, first.stderr);
  t.like(first.summary, { alreadyThere: 0 });
  const created = first.summary?.created as number;
  t.true(created >= 200, String(created));

  api = await startTestApp('seed', { env: { MONGODB_URI: await databaseUri(databaseName) } });
  const players = await allPlayers(api.url);
  t.is(players.length, created);

  const second = await runSeed(databaseName);
  t.is(second.code, 0, second.stderr);
  t.like(second.summary, { created: 0, alreadyThere: created });
  t.deepEqual(await allPlayers(api.url), players, 'the second run changed nothing');

  for (const player of players) t.true(playerSchema.safeParse(player).success, player.nick);
  const distinct = (values: string[]) => new Set(values).size;
  t.true(distinct(players.map((player) => player.region)) >= 6, 'regions');
  t.is(distinct(players.flatMap((player) => player.platforms)), 5, 'platforms');
  t.true(distinct(players.flatMap((player) => player.languages)) >= 15, 'languages');
  t.true(distinct(players.flatMap((player) => player.games.map((game) => game.title))) >= 15, 'games');

  const games = (await send(api.url, 'GET', '/v1/games?limit=100')).body as { items: { title: string; players: number }[] };
  t.true(games.items.length >= 15);
  for (const query of ['game=rocket%20league&competitive=true', 'region=asia', 'platform=switch', 'language=es', 'minAge=30&region=eu']) {
    const page = (await send(api.url, 'GET', `/v1/players?${query}`)).body as { items: Player[] };
    t.true(page.items.length > 0, query);
  }
});
