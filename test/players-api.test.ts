// The player API over real HTTP against a real MongoDB-wire server: create, read, replace, patch, delete,
// preconditions, concurrency, search and game statistics.
import test from 'ava';
import { playerPageSchema, playerSchema } from '../src/players/schema.ts';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { allPages, cursorParameter } from './helpers/pages.ts';
import { send, signUp, validPlayer, validProfile, type ProblemBody } from './helpers/players.ts';

let api: TestApp;

test.before(async () => {
  api = await startTestApp('players_api');
});

test.after.always(() => closeIfStarted(api));

const call = (method: string, path: string, options?: Parameters<typeof send>[3]) => send(api.url, method, path, options);

test('POST creates a player: 201, Location, ETag and the stored fields', async (t) => {
  const response = await call('POST', '/v1/players', { body: validPlayer('Create_Me', { bio: 'Support main', contact: 'ada#1815' }) });
  t.is(response.status, 201);
  t.is(response.headers.get('location'), '/v1/players/Create_Me');
  t.regex(response.headers.get('etag') ?? '', /^"[^"]+"$/);
  const player = playerSchema.parse(response.body);
  t.like(player, { nick: 'Create_Me', age: 30, bio: 'Support main', region: 'eu' });
  t.is(player.createdAt, player.updatedAt);
});

test('GET finds a player by nick in any letter case, with the same ETag', async (t) => {
  const { auth, etag } = await signUp(api.url, 'MiXeD_Case');
  // The same representation as the creator got: the whole profile, as any token shows it.
  const found = await call('GET', '/v1/players/mixed_case', { headers: auth });
  t.is(found.status, 200);
  t.is((found.body as { nick: string }).nick, 'MiXeD_Case');
  t.is(found.headers.get('etag'), etag);
});

test('GET with a current If-None-Match answers 304', async (t) => {
  t.is((await call('POST', '/v1/players', { body: validPlayer('cached_one') })).status, 201);
  const etag = (await call('GET', '/v1/players/cached_one')).headers.get('etag') ?? '';
  const response = await call('GET', '/v1/players/cached_one', { headers: { 'If-None-Match': `W/${etag}` } });
  t.is(response.status, 304);
});

test('GET of an unknown nick is 404 problem+json', async (t) => {
  const response = await call('GET', '/v1/players/nobody_here');
  t.is(response.status, 404);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.like(response.body, { status: 404, title: 'Not Found' });
});

test('a nick differing only in letter case is taken: 409', async (t) => {
  t.is((await call('POST', '/v1/players', { body: validPlayer('Unique_Nick') })).status, 201);
  const duplicate = await call('POST', '/v1/players', { body: validPlayer('UNIQUE_nick') });
  t.is(duplicate.status, 409);
  t.like(duplicate.body, { status: 409, title: 'Conflict' });
});

test('20 concurrent identical POSTs give exactly one 201 and nineteen 409s', async (t) => {
  const responses = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/v1/players', { body: validPlayer('race_winner') })));
  const statuses = responses.map((response) => response.status).sort();
  t.deepEqual(statuses, [201, ...Array<number>(19).fill(409)]);
});

test('PUT replaces every field, removes omitted optional ones and keeps nick and createdAt', async (t) => {
  const { auth } = await signUp(api.url, 'replace_me', { bio: 'old bio' });
  const created = playerSchema.parse((await call('GET', '/v1/players/replace_me')).body);
  const { nick: _nick, ...withoutNick } = validProfile('replace_me', { age: 41, region: 'na', platforms: ['xbox', 'pc'] });
  const replaced = await call('PUT', '/v1/players/REPLACE_ME', { body: withoutNick, headers: auth });
  t.is(replaced.status, 200);
  const player = playerSchema.parse(replaced.body);
  t.like(player, { nick: 'replace_me', age: 41, region: 'na', createdAt: created.createdAt });
  t.deepEqual(player.platforms, ['xbox', 'pc']);
  t.false('bio' in player);
  t.not(player.updatedAt, created.createdAt);
});

test('PUT or PATCH that tries to change the nick is a 400', async (t) => {
  const { auth } = await signUp(api.url, 'keeps_nick');
  const put = await call('PUT', '/v1/players/keeps_nick', { body: validProfile('other_nick'), headers: auth });
  t.is(put.status, 400);
  t.is((put.body as ProblemBody).errors?.[0]?.pointer, '/nick');
  const patch = await call('PATCH', '/v1/players/keeps_nick', { rawBody: '{"nick":"other_nick"}', headers: { 'content-type': 'application/merge-patch+json', ...auth } });
  t.is(patch.status, 400);
  t.is((await call('GET', '/v1/players/other_nick')).status, 404);
});

test('PUT and PATCH of an unknown player need its token, which nobody has: 401', async (t) => {
  const { nick: _nick, ...body } = validProfile('ghost_player');
  t.is((await call('PUT', '/v1/players/ghost_player', { body })).status, 401);
  t.is((await call('PATCH', '/v1/players/ghost_player', { body: { age: 20 } })).status, 401);
});

test('PATCH merges (RFC 7396): changes given fields, null removes, the rest stays', async (t) => {
  const { auth } = await signUp(api.url, 'patch_me', { bio: 'hello', contact: 'me#1' });
  const patched = await call('PATCH', '/v1/players/patch_me', {
    rawBody: JSON.stringify({ age: 35, bio: null, languages: ['en', 'es'] }),
    headers: { 'content-type': 'application/merge-patch+json', ...auth },
  });
  t.is(patched.status, 200);
  const player = playerSchema.parse(patched.body);
  t.like(player, { age: 35, contact: 'me#1', firstName: 'Ada' });
  t.deepEqual(player.languages, ['en', 'es']);
  t.false('bio' in player);
});

test('PATCH whose result is invalid is a 400 naming the field, and changes nothing', async (t) => {
  const { auth } = await signUp(api.url, 'patch_invalid');
  const response = await call('PATCH', '/v1/players/patch_invalid', { body: { games: [] }, headers: auth });
  t.is(response.status, 400);
  t.is((response.body as ProblemBody).errors?.[0]?.pointer, '/games');
  const stored = playerSchema.parse((await call('GET', '/v1/players/patch_invalid')).body);
  t.is(stored.games.length, 1);
});

test('If-Match: the current ETag lets a write through, a stale one gets 412 and changes nothing', async (t) => {
  const { auth, etag: firstTag } = await signUp(api.url, 'guarded');
  const first = await call('PATCH', '/v1/players/guarded', { body: { age: 50 }, headers: { 'If-Match': firstTag, ...auth } });
  t.is(first.status, 200);
  t.not(first.headers.get('etag'), firstTag);
  const stale = await call('PATCH', '/v1/players/guarded', { body: { age: 60 }, headers: { 'If-Match': firstTag, ...auth } });
  t.is(stale.status, 412);
  const { nick: _nick, ...body } = validProfile('guarded', { age: 70 });
  t.is((await call('PUT', '/v1/players/guarded', { body, headers: { 'If-Match': firstTag, ...auth } })).status, 412);
  t.is((await call('DELETE', '/v1/players/guarded', { headers: { 'If-Match': firstTag, ...auth } })).status, 412);
  t.is(playerSchema.parse((await call('GET', '/v1/players/guarded')).body).age, 50);
  t.is((await call('PUT', '/v1/players/guarded', { body, headers: { 'If-Match': '*', ...auth } })).status, 200);
});

test('concurrent edits from the same version: one wins, the others get 412, and the winner\'s edit stands', async (t) => {
  const { auth } = await signUp(api.url, 'contested');
  // Four at once, several times: two requests alone often arrive one after the other, and the second then
  // fails the plain version check rather than racing the first to the write.
  for (let round = 0; round < 5; round++) {
    const { headers } = await call('GET', '/v1/players/contested', { headers: auth });
    const ages = [20, 21, 22, 23].map((age) => age + round * 10);
    const responses = await Promise.all(ages.map((age) => call('PATCH', '/v1/players/contested', { body: { age }, headers: { 'If-Match': headers.get('etag') ?? '', ...auth } })));
    t.deepEqual(responses.map((response) => response.status).sort(), [200, 412, 412, 412], `round ${String(round)}`);
    const winner = ages[responses.findIndex((response) => response.status === 200)];
    t.like((await call('GET', '/v1/players/contested', { headers: auth })).body, { age: winner });
  }
});

test('concurrent PATCHes of different fields without If-Match both survive', async (t) => {
  const { auth } = await signUp(api.url, 'many_editors');
  const edits = [{ age: 44 }, { bio: 'edited' }, { contact: 'new#2' }, { region: 'asia' }, { firstName: 'Grace' }];
  const responses = await Promise.all(edits.map((body) => call('PATCH', '/v1/players/many_editors', { body, headers: auth })));
  t.deepEqual(responses.map((response) => response.status), edits.map(() => 200));
  const player = playerSchema.parse((await call('GET', '/v1/players/many_editors', { headers: auth })).body);
  t.like(player, { age: 44, bio: 'edited', contact: 'new#2', region: 'asia', firstName: 'Grace' });
});

test('DELETE by the owner removes a player: 204, then 404, and the token dies with it', async (t) => {
  const { auth } = await signUp(api.url, 'delete_me');
  t.is((await call('DELETE', '/v1/players/DELETE_ME', { headers: auth })).status, 204);
  t.is((await call('GET', '/v1/players/delete_me')).status, 404);
  t.is((await call('DELETE', '/v1/players/delete_me', { headers: auth })).status, 401);
});

test('GET /status keeps the original contract; GET / names the service', async (t) => {
  t.deepEqual((await call('GET', '/status')).body, { status: 'OK' });
  t.deepEqual((await call('GET', '/')).body, { name: 'playerfinder', version: 'test' });
});

test.serial('search filters combine and pages follow nextCursor in a stable order', async (t) => {
  const searchApi = await startTestApp('players_search');
  t.teardown(() => searchApi.close());
  const nicks = ['s_alpha', 's_bravo', 's_charlie', 's_delta', 's_echo'];
  for (const [index, nick] of nicks.entries()) {
    const competitive = index % 2 === 0;
    const body = validPlayer(nick, {
      age: 20 + index * 5,
      platforms: index < 3 ? ['pc'] : ['playstation'],
      region: index === 4 ? 'na' : 'eu',
      languages: index === 1 ? ['es'] : ['en'],
      games: [{ title: index === 3 ? 'Tetris' : 'Rocket League', platform: 'pc', hoursPerWeek: 3, competitive }],
    });
    t.is((await send(searchApi.url, 'POST', '/v1/players', { body })).status, 201);
  }
  const search = async (query: string) => {
    const response = await send(searchApi.url, 'GET', `/v1/players?${query}`);
    t.is(response.status, 200, query);
    return playerPageSchema.parse(response.body);
  };
  const nicksOf = (page: { items: { nick: string }[] }) => page.items.map((player) => player.nick);

  t.deepEqual(nicksOf(await search('game=rocket%20LEAGUE')), ['s_alpha', 's_bravo', 's_charlie', 's_echo']);
  t.deepEqual(nicksOf(await search('game=Rocket%20League&competitive=true')), ['s_alpha', 's_charlie', 's_echo']);
  t.deepEqual(nicksOf(await search('competitive=false')), ['s_bravo', 's_delta']);
  // Both on the same game: casual Rocket League players, not Rocket League players who are casual at anything.
  t.deepEqual(nicksOf(await search('game=Rocket%20League&competitive=false')), ['s_bravo']);
  t.deepEqual(nicksOf(await search('platform=playstation')), ['s_delta', 's_echo']);
  t.deepEqual(nicksOf(await search('region=na')), ['s_echo']);
  t.deepEqual(nicksOf(await search('language=es')), ['s_bravo']);
  t.deepEqual(nicksOf(await search('minAge=25&maxAge=35')), ['s_bravo', 's_charlie', 's_delta']);
  t.deepEqual(nicksOf(await search('platform=pc&region=eu&competitive=true')), ['s_alpha', 's_charlie']);

  const pages = await allPages((cursor) => search(`limit=2${cursorParameter(cursor)}`));
  t.deepEqual(pages.map(nicksOf), [['s_alpha', 's_bravo'], ['s_charlie', 's_delta'], ['s_echo']]);

  const games = await send(searchApi.url, 'GET', '/v1/games');
  t.deepEqual(games.body, { items: [{ title: 'Rocket League', players: 4 }, { title: 'Tetris', players: 1 }] });
});
