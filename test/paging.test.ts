// Page sizes as the README promises them, on data big enough to prove them: /v1/players pages of 20 by
// default (at most 100), /v1/games 50 titles by default (at most 100).
import test from 'ava';
import { gameStatsSchema, playerPageSchema } from '../src/players/schema.ts';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { send, validPlayer } from './helpers/players.ts';

let api: TestApp;
const playerCount = 23;
/** Titles played by one player each, besides one that everybody plays. */
const rareTitles = 54;

test.before(async () => {
  api = await startTestApp('paging');
  for (let index = 0; index < playerCount; index++) {
    const nick = `page_${String(index).padStart(2, '0')}`;
    // The first two players carry the rare titles (at most 50 games each); everybody plays "Common".
    const rare = Array.from({ length: rareTitles }, (_, title) => title).filter((title) => Math.floor(title / 27) === index);
    const games = ['Common', ...rare.map((title) => `Rare ${String(title)}`)].map((title) => ({ title, platform: 'pc', hoursPerWeek: 1, competitive: false }));
    const created = await send(api.url, 'POST', '/v1/players', { body: validPlayer(nick, { games }) });
    if (created.status !== 201) throw new Error(`seeding ${nick}: ${String(created.status)} ${created.text}`);
  }
});

test.after.always(() => closeIfStarted(api));

const get = async (path: string) => {
  const response = await send(api.url, 'GET', path);
  return { status: response.status, body: response.body };
};

test('/v1/players: 20 per page by default, then the rest, and a null cursor on the last page', async (t) => {
  const first = await get('/v1/players');
  t.is(first.status, 200);
  const page = playerPageSchema.parse(first.body);
  t.is(page.items.length, 20);
  t.is(page.items[0]?.nick, 'page_00');
  t.not(page.nextCursor, null);
  const second = playerPageSchema.parse((await get(`/v1/players?cursor=${page.nextCursor ?? ''}`)).body);
  t.deepEqual(second.items.map((player) => player.nick), ['page_20', 'page_21', 'page_22']);
  t.is(second.nextCursor, null);
});

test('/v1/players: limit 1 gives one, 100 is the most, 101 and 0 are refused', async (t) => {
  t.is(playerPageSchema.parse((await get('/v1/players?limit=1')).body).items.length, 1);
  t.is(playerPageSchema.parse((await get('/v1/players?limit=100')).body).items.length, playerCount);
  t.is((await get('/v1/players?limit=101')).status, 400);
  t.is((await get('/v1/players?limit=0')).status, 400);
});

test('/v1/games: 50 titles by default, most played first; limit 1 gives one, 100 is the most, 101 is refused', async (t) => {
  const all = gameStatsSchema.parse((await get('/v1/games?limit=100')).body).items;
  t.is(all.length, rareTitles + 1);
  t.deepEqual(all[0], { title: 'Common', players: playerCount });
  // Equally played titles come in title order, so the cut at `limit` is the same on every call.
  t.deepEqual(all.slice(1).map((game) => game.title), Array.from({ length: rareTitles }, (_, title) => `Rare ${String(title)}`).sort());
  const byDefault = gameStatsSchema.parse((await get('/v1/games')).body).items;
  t.is(byDefault.length, 50);
  t.deepEqual(byDefault, all.slice(0, 50));
  t.deepEqual(gameStatsSchema.parse((await get('/v1/games?limit=1')).body).items, [{ title: 'Common', players: playerCount }]);
  t.is((await get('/v1/games?limit=101')).status, 400);
  t.is((await get('/v1/games?limit=0')).status, 400);
});
