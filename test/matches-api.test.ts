// Match suggestions over real HTTP against a real MongoDB-wire server: ranking on a hand-built fixture,
// reasons, the game filter, paging, the candidate bound, and bad input.
import test from 'ava';
import { matchPageSchema, type Match } from '../src/matches/schema.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { allPages, cursorParameter } from './helpers/pages.ts';
import { bearer, login, send, testPassword, validPlayer, type ProblemBody } from './helpers/players.ts';

let api: TestApp;

const game = (title: string, platform: string, hoursPerWeek: number, competitive: boolean, rank?: string) => ({
  title,
  platform,
  hoursPerWeek,
  competitive,
  ...(rank === undefined ? {} : { rank }),
});

/**
 * The player asking for matches: 25, in Europe, speaks English and German, plays Rocket League and
 * Valorant on PC, competitively, with a rank in each.
 */
const seeker = validPlayer('Seeker', {
  age: 25,
  region: 'eu',
  languages: ['en', 'de'],
  games: [game('Rocket League', 'pc', 10, true, 'Diamond II'), game('Valorant', 'pc', 8, true, 'Gold 1')],
});

/**
 * Each player below has less in common with Seeker than the one before, so the expected order is the
 * order of this list (scores from the README's weights):
 * - twin: both games, each on PC, competitive, same rank ("gold 1" equals "Gold 1"); same age, region
 *   and languages. Rocket League 10+10+10+5+5, Valorant 10+8+10+5+5, languages 10, region 15, age 10.
 * - rl_twin: only Rocket League, but everything about it and the profile matches: 40 + 10 + 15 + 10.
 * - rl_far: Rocket League matched fully, but in North America, English only, 15 years older: 40 + 5.
 * - rl_couch: Rocket League on Xbox, casually, 2 h a week, no rank; same age, region, English:
 *   (10+2) + 5 + 15 + 10.
 * - tie_a and tie_b: identical; Valorant on Xbox, casually, 1 h, nothing else in common: 10+1 each, so
 *   their order is by nick.
 * - loner plays only Chess, which Seeker does not: never suggested.
 */
const expectedOrder: [nick: string, score: number][] = [
  ['twin', 113],
  ['rl_twin', 75],
  ['rl_far', 45],
  ['rl_couch', 42],
  ['tie_a', 11],
  ['tie_b', 11],
];

const others = [
  validPlayer('twin', {
    contact: 'twin#0001',
    age: 25,
    region: 'eu',
    languages: ['de', 'en'],
    games: [game('Valorant', 'pc', 8, true, 'gold 1'), game('rocket league', 'pc', 10, true, 'Diamond II')],
  }),
  validPlayer('rl_twin', { age: 25, region: 'eu', languages: ['en', 'de'], games: [game('Rocket League', 'pc', 10, true, 'Diamond II')] }),
  validPlayer('rl_far', { age: 40, region: 'na', languages: ['en'], games: [game('Rocket League', 'pc', 10, true, 'Diamond II')] }),
  validPlayer('rl_couch', { age: 25, region: 'eu', languages: ['en'], platforms: ['xbox'], games: [game('Rocket League', 'xbox', 2, false)] }),
  validPlayer('tie_b', { age: 60, region: 'asia', languages: ['fr'], platforms: ['xbox'], games: [game('Valorant', 'xbox', 1, false)] }),
  validPlayer('tie_a', { age: 60, region: 'asia', languages: ['fr'], platforms: ['xbox'], games: [game('Valorant', 'xbox', 1, false)] }),
  validPlayer('loner', { age: 25, region: 'eu', languages: ['en', 'de'], games: [game('Chess', 'pc', 10, true)] }),
];

test.before(async () => {
  api = await startTestApp('matches_api');
  for (const player of [seeker, ...others]) {
    const created = await send(api.url, 'POST', '/v1/players', { body: player });
    if (created.status !== 201) throw new Error(`fixture: ${created.text}`);
  }
});

test.after.always(async () => {
  await api.close();
});

const matches = async (path: string) => {
  const response = await send(api.url, 'GET', path);
  if (response.status !== 200) throw new Error(`${path}: ${String(response.status)} ${response.text}`);
  return matchPageSchema.parse(response.body);
};
const ranking = (items: Match[]) => items.map((item): [string, number] => [item.player.nick, item.score]);

test('players are ranked by what they have in common, best first; equal scores in nick order', async (t) => {
  const page = await matches('/v1/players/seeker/matches');
  t.deepEqual(ranking(page.items), expectedOrder);
  t.is(page.nextCursor, null);
});

test('the score is the sum of the reasons, and the reasons say what is shared', async (t) => {
  const { items } = await matches('/v1/players/Seeker/matches');
  for (const item of items) t.is(item.score, item.reasons.reduce((sum, reason) => sum + reason.points, 0), item.player.nick);

  const twin = items.find((item) => item.player.nick === 'twin');
  t.deepEqual(twin?.reasons, [
    { reason: 'sharedGame', game: 'Rocket League', hoursPerWeek: 10, points: 20 },
    { reason: 'samePlatform', game: 'Rocket League', platforms: ['pc'], points: 10 },
    { reason: 'sameIntent', game: 'Rocket League', competitive: true, points: 5 },
    { reason: 'sameRank', game: 'Rocket League', rank: 'Diamond II', points: 5 },
    { reason: 'sharedGame', game: 'Valorant', hoursPerWeek: 8, points: 18 },
    { reason: 'samePlatform', game: 'Valorant', platforms: ['pc'], points: 10 },
    { reason: 'sameIntent', game: 'Valorant', competitive: true, points: 5 },
    { reason: 'sameRank', game: 'Valorant', rank: 'Gold 1', points: 5 },
    { reason: 'sharedLanguages', languages: ['de', 'en'], points: 10 },
    { reason: 'sameRegion', region: 'eu', points: 15 },
    { reason: 'similarAge', ageGap: 0, points: 10 },
  ]);
  const couch = items.find((item) => item.player.nick === 'rl_couch');
  t.deepEqual(
    couch?.reasons.map((reason) => reason.reason),
    ['sharedGame', 'sharedLanguages', 'sameRegion', 'similarAge'],
    'no platform, intent or rank in common',
  );
  t.like(twin?.player, { nick: 'twin', region: 'eu' });
});

test('the matched players\' contact is shown only to callers with a token', async (t) => {
  const anonymous = await matches('/v1/players/seeker/matches?limit=1');
  t.false('contact' in (anonymous.items[0]?.player ?? {}));
  const token = await login(api.url, 'seeker', testPassword);
  const response = await send(api.url, 'GET', '/v1/players/seeker/matches?limit=1', { headers: bearer(token) });
  t.is(response.headers.get('cache-control'), 'no-store');
  t.is(matchPageSchema.parse(response.body).items[0]?.player.contact, 'twin#0001');
});

test('game= counts only that game and suggests only its players', async (t) => {
  // twin's Valorant alone: 38 + languages 10 + region 15 + age 10.
  t.deepEqual(ranking((await matches('/v1/players/seeker/matches?game=VALORANT')).items), [
    ['twin', 73],
    ['tie_a', 11],
    ['tie_b', 11],
  ]);
  // On Rocket League alone twin (40 + 35) ties with rl_twin, and the nick decides.
  t.deepEqual(ranking((await matches('/v1/players/seeker/matches?game=rocket%20league')).items), [
    ['rl_twin', 75],
    ['twin', 75],
    ['rl_far', 45],
    ['rl_couch', 42],
  ]);
  const valorant = await matches('/v1/players/seeker/matches?game=valorant');
  t.true(valorant.items.every((item) => item.reasons.every((reason) => !('game' in reason) || reason.game === 'Valorant')));
});

test('no shared game, or a game the player does not play, is an empty list', async (t) => {
  t.deepEqual(await matches('/v1/players/loner/matches'), { items: [], nextCursor: null });
  t.deepEqual(await matches('/v1/players/seeker/matches?game=chess'), { items: [], nextCursor: null });
});

test('paging through the cursor returns every match once, in order, whatever the page size', async (t) => {
  for (const limit of [1, 2, 4]) {
    const pages = await allPages((cursor) => matches(`/v1/players/seeker/matches?limit=${String(limit)}${cursorParameter(cursor)}`));
    t.true(pages.every((page) => page.items.length <= limit));
    t.deepEqual(pages.flatMap((page) => ranking(page.items)), expectedOrder, `limit ${String(limit)}`);
  }
});

test("one list's cursor is refused by another: 400 on cursor, not a page from the wrong place", async (t) => {
  const matchesCursor = (await matches('/v1/players/seeker/matches?limit=1')).nextCursor;
  const playersCursor = ((await send(api.url, 'GET', '/v1/players?limit=1')).body as { nextCursor: string | null }).nextCursor;
  if (matchesCursor === null || playersCursor === null) throw new Error('both lists have a second page');
  for (const path of [`/v1/players?cursor=${matchesCursor}`, `/v1/lfg?cursor=${matchesCursor}`, `/v1/players/seeker/matches?cursor=${playersCursor}`]) {
    const response = await send(api.url, 'GET', path);
    t.is(response.status, 400, path);
    t.deepEqual((response.body as ProblemBody).errors?.map((error) => error.pointer), ['cursor'], path);
  }
});

test('an unknown nick is 404', async (t) => {
  const response = await send(api.url, 'GET', '/v1/players/nobody_here/matches');
  t.is(response.status, 404);
  t.is(response.headers.get('content-type'), 'application/problem+json');
});

test('bad parameters are a 400 naming each of them', async (t) => {
  const cases: [query: string, pointers: string[]][] = [
    ['?cursor=bm90LWEtY3Vyc29y', ['cursor']],
    ['?limit=0&game=', ['game', 'limit']],
    ['?game[$ne]=x', ['game[$ne]']],
    ['?sort=score', ['sort']],
  ];
  for (const [query, pointers] of cases) {
    const response = await send(api.url, 'GET', `/v1/players/seeker/matches${query}`);
    t.is(response.status, 400, query);
    t.deepEqual((response.body as ProblemBody).errors?.map((error) => error.pointer).sort(), pointers, query);
  }
  t.is((await send(api.url, 'GET', '/v1/players/x/matches')).status, 400, 'nick too short');
});

test('each of the player\'s titles brings its first MATCH_CANDIDATE_LIMIT / titles players in nick order', async (t) => {
  const bounded = await startTestApp('matches_bound', { env: { MATCH_CANDIDATE_LIMIT: '10' } });
  t.teardown(() => bounded.close());
  const chess = game('Chess', 'pc', 5, false);
  const go = game('Go', 'pc', 5, false);
  await send(bounded.url, 'POST', '/v1/players', { body: validPlayer('asker', { games: [chess, go] }) });
  // Two titles share a bound of 10: five players each. a0…a6 play Chess, b0…b6 Go, all alike except
  // a6 and b6, perfect matches whom the bound leaves out: the ranking is then plain nick order.
  const stranger = { age: 60, region: 'asia', languages: ['fr'] };
  for (const [prefix, title] of [['a', chess], ['b', go]] as const) {
    for (let index = 0; index < 7; index++) {
      const overrides = index === 6 ? { games: [title] } : { ...stranger, games: [title] };
      await send(bounded.url, 'POST', '/v1/players', { body: validPlayer(`${prefix}${String(index)}_player`, overrides) });
    }
  }
  const page = matchPageSchema.parse((await send(bounded.url, 'GET', '/v1/players/asker/matches?limit=100')).body);
  t.deepEqual(
    page.items.map((item) => item.player.nick),
    ['a', 'b'].flatMap((prefix) => Array.from({ length: 5 }, (_, index) => `${prefix}${String(index)}_player`)),
  );
});
