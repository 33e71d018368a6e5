// Looking-for-group posts over real HTTP against a real MongoDB-wire server: publishing and its time
// limits, search and paging, joining (also 20 players at once for 3 slots), leaving, closing, expiry on
// a clock the test moves, contact privacy, a deleted player's posts and seats, metrics, bad input.
import test from 'ava';
import { MongoClient } from 'mongodb';
import { lfgPageSchema, lfgPostSchema, type LfgPost } from '../src/lfg/schema.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { validLfgPost as post } from './helpers/lfg.ts';
import { databaseUri } from './helpers/mongo.ts';
import { allPages, cursorParameter } from './helpers/pages.ts';
import { parseExposition } from './helpers/prometheus.ts';
import { bearer, send, signUp, type JsonResponse, type ProblemBody } from './helpers/players.ts';

const operatorToken = 'operator-token-for-lfg-tests-0123456789abcdef';
const minute = 60_000;
const hour = 60 * minute;

let api: TestApp;
/** Added to the real time by the clock of the expiry test's app. */
let expiryOffsetMs = 0;

test.before(async () => {
  api = await startTestApp('lfg_api', { env: { OPERATOR_TOKEN: operatorToken } });
});

test.after.always(async () => {
  await api.close();
});

const call = (method: string, path: string, options?: Parameters<typeof send>[3]) => send(api.url, method, path, options);
const inHours = (hours: number) => new Date(Date.now() + hours * hour).toISOString();

/** Signs a player up (with a contact) and returns their Authorization header. */
async function player(nick: string): Promise<Record<string, string>> {
  return (await signUp(api.url, nick, { contact: `${nick}#0001` })).auth;
}

async function publish(auth: Record<string, string>, overrides: Record<string, unknown> = {}): Promise<LfgPost> {
  const response = await call('POST', '/v1/lfg', { body: post(overrides), headers: auth });
  if (response.status !== 201) throw new Error(`publish: ${response.text}`);
  return lfgPostSchema.parse(response.body);
}

const pointers = (response: JsonResponse) => ((response.body as ProblemBody).errors ?? []).map((error) => error.pointer).sort();

test('publishing needs a token; the post belongs to the caller and lasts 2 h after its start by default', async (t) => {
  t.is((await call('POST', '/v1/lfg', { body: post() })).status, 401);
  const auth = await player('lfg_owner');
  const startsAt = inHours(2);
  const response = await call('POST', '/v1/lfg', { body: post({ startsAt, note: 'chill ranked' }), headers: auth });
  t.is(response.status, 201);
  const created = lfgPostSchema.parse(response.body);
  t.is(response.headers.get('location'), `/v1/lfg/${created.id}`);
  t.like(created, { owner: { nick: 'lfg_owner', contact: 'lfg_owner#0001' }, slots: 3, freeSlots: 3, members: [], note: 'chill ranked' });
  t.is(created.startsAt, startsAt);
  t.is(Date.parse(created.expiresAt) - Date.parse(startsAt), 2 * hour);
  const fetched = await call('GET', `/v1/lfg/${created.id}`);
  t.is(fetched.status, 200);
  t.is(fetched.headers.get('cache-control'), 'no-store');
  t.false('contact' in lfgPostSchema.parse(fetched.body).owner, 'no contact for anonymous readers');
});

test('start and expiry times are checked: one error per field, with the other fields\' errors', async (t) => {
  const auth = await player('lfg_timing');
  const cases: [overrides: Record<string, unknown>, pointers: string[]][] = [
    [{ startsAt: inHours(7 * 24 + 1) }, ['/startsAt']],
    [{ startsAt: new Date(Date.now() - 10 * minute).toISOString() }, ['/startsAt']],
    [{ startsAt: inHours(1), expiresAt: inHours(26) }, ['/expiresAt']],
    [{ startsAt: inHours(2), expiresAt: inHours(1) }, ['/expiresAt']],
    // Started within the grace period, but over already.
    [{ startsAt: new Date(Date.now() - 3 * minute).toISOString(), expiresAt: new Date(Date.now() - minute).toISOString() }, ['/expiresAt']],
    [{ startsAt: 'tonight', slots: 10, platform: 'amiga' }, ['/platform', '/slots', '/startsAt']],
    [{ slots: 0, languages: [], owner: 'someone_else' }, ['/languages', '/owner', '/slots']],
    [{ note: 'bring snacks\u0000', game: 'Chess\u001b' }, ['/game', '/note']],
    // The limits on times beside the other fields' errors, all in one answer.
    [{ slots: 0, startsAt: inHours(8 * 24), expiresAt: inHours(8 * 24 - 1) }, ['/expiresAt', '/slots', '/startsAt']],
    [{ startsAt: inHours(8 * 24), expiresAt: 'tomorrow' }, ['/expiresAt', '/startsAt']],
  ];
  for (const [overrides, expected] of cases) {
    const response = await call('POST', '/v1/lfg', { body: post(overrides), headers: auth });
    t.is(response.status, 400, JSON.stringify(overrides));
    t.deepEqual(pointers(response), expected, JSON.stringify(overrides));
  }
  t.is((await call('POST', '/v1/lfg', { body: post({ startsAt: new Date(Date.now() - 2 * minute).toISOString(), expiresAt: inHours(23) }), headers: auth })).status, 201);
});

test('search: open posts soonest first, every filter, pages that never repeat or skip', async (t) => {
  const auth = await player('lfg_searcher');
  const game = 'Search Test Game';
  const published = [
    await publish(auth, { game, startsAt: inHours(5) }),
    await publish(auth, { game, startsAt: inHours(1) }),
    await publish(auth, { game, startsAt: inHours(3), region: 'na' }),
    await publish(auth, { game: 'search test GAME', startsAt: inHours(1), platform: 'xbox', languages: ['de', 'en'] }),
    await publish(auth, { game, startsAt: inHours(2), competitive: false }),
  ];
  const soonestFirst = [...published].sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id)).map((item) => item.id);
  const search = async (query: string) => {
    const response = await call('GET', `/v1/lfg?game=search%20test%20game${query}`);
    t.is(response.status, 200, response.text);
    return lfgPageSchema.parse(response.body);
  };
  t.deepEqual((await search('&limit=100')).items.map((item) => item.id), soonestFirst);
  const ids = (page: { items: LfgPost[] }) => page.items.map((item) => item.id);
  t.deepEqual(ids(await search('&region=na')), [published[2]?.id]);
  t.deepEqual(ids(await search('&platform=xbox')), [published[3]?.id]);
  t.deepEqual(ids(await search('&language=de')), [published[3]?.id]);
  t.deepEqual(ids(await search('&competitive=false')), [published[4]?.id]);

  const pages = await allPages((cursor) => search(`&limit=2${cursorParameter(cursor)}`));
  // Full pages, then the rest: no empty page behind the last one.
  t.deepEqual(pages.map((page) => page.items.length), [2, 2, 1]);
  t.deepEqual(pages.flatMap(ids), soonestFirst);
});

test('joining takes a free slot; joining twice, your own post or a full one is a 409', async (t) => {
  const owner = await player('lfg_host');
  const [first, second, third] = [await player('lfg_first'), await player('lfg_second'), await player('lfg_third')];
  const created = await publish(owner, { slots: 2 });
  const join = (auth: Record<string, string>) => call('POST', `/v1/lfg/${created.id}/members`, { headers: auth });

  t.is((await call('POST', `/v1/lfg/${created.id}/members`)).status, 401);
  const joined = await join(first);
  t.is(joined.status, 200);
  t.like(lfgPostSchema.parse(joined.body), { freeSlots: 1, members: [{ nick: 'lfg_first' }] });
  const twice = await join(first);
  t.is(twice.status, 409);
  t.regex((twice.body as ProblemBody).detail, /member/);
  const own = await join(owner);
  t.is(own.status, 409);
  t.regex((own.body as ProblemBody).detail, /own post/);
  t.is((await join(second)).status, 200);
  const full = await join(third);
  t.is(full.status, 409);
  t.regex((full.body as ProblemBody).detail, /no free slot/);
  t.is((await call('POST', '/v1/lfg/0123456789abcdef01234567/members', { headers: third })).status, 404);
});

test('a player has at most 10 open posts; past that a publish is a 409 that leaves nothing, also when several race', async (t) => {
  const prolific = await player('lfg_prolific');
  const open = async () => lfgPageSchema.parse((await call('GET', '/v1/lfg?limit=100')).body).items.filter((item) => item.owner.nick === 'lfg_prolific');
  for (let index = 0; index < 8; index++) await publish(prolific, { note: `session ${String(index)}` });
  const racing = await Promise.all(Array.from({ length: 6 }, () => call('POST', '/v1/lfg', { body: post(), headers: prolific })));
  const statuses = racing.map((response) => response.status);
  t.true(statuses.every((status) => status === 201 || status === 409), JSON.stringify(statuses));
  t.true(statuses.filter((status) => status === 201).length <= 2, JSON.stringify(statuses));
  const afterRace = await open();
  t.true(afterRace.length <= 10, `${String(afterRace.length)} open posts`);
  while ((await open()).length < 10) await publish(prolific);

  const refused = await call('POST', '/v1/lfg', { body: post(), headers: prolific });
  t.is(refused.status, 409);
  t.regex((refused.body as ProblemBody).detail, /10 open posts/);
  t.is((await open()).length, 10, 'the refused post was not kept');
  t.is((await call('DELETE', `/v1/lfg/${afterRace[0]?.id ?? ''}`, { headers: prolific })).status, 204);
  t.is((await call('POST', '/v1/lfg', { body: post(), headers: prolific })).status, 201, 'a closed post frees its place');
});

test('20 players joining 3 free slots at once: exactly 3 join, 17 get 409', async (t) => {
  const owner = await player('lfg_race_host');
  const created = await publish(owner, { slots: 3 });
  const joiners = await Promise.all(Array.from({ length: 20 }, (_, index) => player(`lfg_racer_${String(index)}`)));
  const responses = await Promise.all(joiners.map((auth) => call('POST', `/v1/lfg/${created.id}/members`, { headers: auth })));
  t.deepEqual(responses.map((response) => response.status).sort(), [...Array<number>(3).fill(200), ...Array<number>(17).fill(409)]);
  const after = lfgPostSchema.parse((await call('GET', `/v1/lfg/${created.id}`)).body);
  t.is(after.members.length, 3);
  t.is(after.freeSlots, 0);
  t.is(new Set(after.members.map((member) => member.nick)).size, 3);
  // Joins the server handled one after another would prove nothing: their log lines (end time and duration)
  // must show some of them running at once.
  const joins = api.logs
    .filter((line) => line.msg === 'request' && line.path === `/v1/lfg/${created.id}/members`)
    .map((line) => ({ end: Date.parse(String(line.time)), start: Date.parse(String(line.time)) - Number(line.durationMs) }))
    .sort((a, b) => a.start - b.start);
  t.is(joins.length, 20);
  t.true(joins.some((join, index) => index > 0 && joins.slice(0, index).some((earlier) => earlier.end > join.start)), 'the joins overlapped');
});

test('contacts are shown to the owner and the members only', async (t) => {
  const owner = await player('lfg_private_host');
  const member = await player('lfg_private_member');
  const outsider = await player('lfg_outsider');
  const created = await publish(owner);
  await call('POST', `/v1/lfg/${created.id}/members`, { headers: member });
  const seenBy = async (headers: Record<string, string>) => lfgPostSchema.parse((await call('GET', `/v1/lfg/${created.id}`, { headers })).body);
  for (const insider of [owner, member]) {
    t.like(await seenBy(insider), { owner: { contact: 'lfg_private_host#0001' }, members: [{ nick: 'lfg_private_member', contact: 'lfg_private_member#0001' }] });
  }
  for (const other of [outsider, {}, bearer(operatorToken)]) {
    const view = await seenBy(other);
    t.false('contact' in view.owner);
    t.false(view.members.some((entry) => 'contact' in entry));
  }
});

test('a member leaves, the owner removes a member, nobody else can; the slot is free again', async (t) => {
  const owner = await player('lfg_leave_host');
  const [stays, goes, stranger] = [await player('lfg_stays'), await player('lfg_goes'), await player('lfg_stranger')];
  const created = await publish(owner, { slots: 2 });
  const members = (nick: string) => `/v1/lfg/${created.id}/members/${nick}`;
  for (const auth of [stays, goes]) await call('POST', `/v1/lfg/${created.id}/members`, { headers: auth });
  const removedByStranger = await call('DELETE', members('lfg_stays'), { headers: stranger });
  t.is(removedByStranger.status, 403);
  t.regex(removedByStranger.headers.get('www-authenticate') ?? '', /^Bearer .*error="insufficient_scope"/);
  t.is((await call('DELETE', members('lfg_stays'))).status, 401);
  t.is((await call('DELETE', members('lfg_goes'), { headers: goes })).status, 204);
  t.is((await call('DELETE', members('lfg_goes'), { headers: goes })).status, 404, 'not a member any more');
  t.is((await call('DELETE', members('LFG_STAYS'), { headers: owner })).status, 204);
  const empty = lfgPostSchema.parse((await call('GET', `/v1/lfg/${created.id}`)).body);
  t.like(empty, { freeSlots: 2, members: [] });
  t.is((await call('POST', `/v1/lfg/${created.id}/members`, { headers: stranger })).status, 200);
});

test('the owner or the operator closes a post; then it is gone', async (t) => {
  const owner = await player('lfg_closer');
  const other = await player('lfg_not_closer');
  const [mine, moderated] = [await publish(owner), await publish(owner)];
  const closedByOther = await call('DELETE', `/v1/lfg/${mine.id}`, { headers: other });
  t.is(closedByOther.status, 403);
  t.regex(closedByOther.headers.get('www-authenticate') ?? '', /^Bearer .*error="insufficient_scope"/);
  t.is((await call('DELETE', `/v1/lfg/${mine.id}`, { headers: owner })).status, 204);
  t.is((await call('GET', `/v1/lfg/${mine.id}`)).status, 404);
  t.is((await call('POST', `/v1/lfg/${mine.id}/members`, { headers: other })).status, 404);
  t.is((await call('DELETE', `/v1/lfg/${moderated.id}`, { headers: bearer(operatorToken) })).status, 204);
  t.is((await call('DELETE', `/v1/lfg/${moderated.id}`, { headers: owner })).status, 404);
});

test('deleting a player closes their posts and frees their seats in others\' posts', async (t) => {
  const leaving = await player('lfg_leaving');
  const host = await player('lfg_staying_host');
  const theirs = await publish(leaving);
  const hosted = await publish(host);
  t.is((await call('POST', `/v1/lfg/${hosted.id}/members`, { headers: leaving })).status, 200);
  t.is((await call('DELETE', '/v1/players/lfg_leaving', { headers: leaving })).status, 204);
  t.is((await call('GET', `/v1/lfg/${theirs.id}`)).status, 404);
  t.like(lfgPostSchema.parse((await call('GET', `/v1/lfg/${hosted.id}`)).body), { freeSlots: 3, members: [] });
});

test('an expired post disappears at once: not found, not listed, not joinable', async (t) => {
  const expiring = await startTestApp('lfg_expiry', { clock: () => new Date(Date.now() + expiryOffsetMs) });
  t.teardown(() => expiring.close());
  const owner = (await signUp(expiring.url, 'lfg_soon_over')).auth;
  const joiner = (await signUp(expiring.url, 'lfg_too_late')).auth;
  const created = await send(expiring.url, 'POST', '/v1/lfg', { body: post({ startsAt: inHours(1) }), headers: owner });
  const { id } = lfgPostSchema.parse(created.body);
  t.is(lfgPageSchema.parse((await send(expiring.url, 'GET', '/v1/lfg')).body).items.length, 1);

  expiryOffsetMs = 3 * hour + minute;
  t.is((await send(expiring.url, 'GET', `/v1/lfg/${id}`)).status, 404);
  t.deepEqual(lfgPageSchema.parse((await send(expiring.url, 'GET', '/v1/lfg')).body).items, []);
  const late = await send(expiring.url, 'POST', `/v1/lfg/${id}/members`, { headers: joiner });
  t.is(late.status, 409);
  t.regex((late.body as ProblemBody).detail, /expired/);
  t.is((await send(expiring.url, 'POST', `/v1/lfg/${id}/members`, { headers: { ...joiner, 'If-Match': '"any"' } })).status, 409, 'as without If-Match');
  t.is((await send(expiring.url, 'DELETE', `/v1/lfg/${id}`, { headers: owner })).status, 404);

  // Cleanup: a TTL index where the server has them (MongoDB), else a sweep whenever a post is published.
  await send(expiring.url, 'POST', '/v1/lfg', { body: post({ startsAt: new Date(Date.now() + expiryOffsetMs).toISOString() }), headers: owner });
  const client = new MongoClient(await databaseUri(expiring.databaseName));
  t.teardown(() => client.close());
  const posts = client.db().collection<{ _id: string }>('lfgPosts');
  const expiry = (await posts.indexes()).find((index) => index.name === 'expiry');
  if (expiry === undefined) t.is(await posts.countDocuments({ _id: id }), 0, 'swept');
  else t.like(expiry, { key: { expiresAt: 1 }, expireAfterSeconds: 0 });
});

// Serial, so no other test's posts and joins land between the two scrapes.
test.serial('metrics count created posts, and joins by outcome', async (t) => {
  const owner = await player('lfg_metrics_host');
  const joiner = await player('lfg_metrics_joiner');
  const latecomer = await player('lfg_metrics_late');
  const counters = async () => {
    const samples = parseExposition((await call('GET', '/metrics')).text);
    const value = (name: string, outcome?: string) =>
      samples.find((sample) => sample.name === name && (outcome === undefined || sample.labels.outcome === outcome))?.value ?? 0;
    return {
      created: value('playerfinder_lfg_posts_created_total'),
      ...Object.fromEntries(['joined', 'already_member', 'full', 'own_post', 'not_found'].map((outcome) => [outcome, value('playerfinder_lfg_joins_total', outcome)])),
    };
  };
  const before = await counters();
  const created = await publish(owner, { slots: 1 });
  const join = (headers: Record<string, string>, id = created.id) => call('POST', `/v1/lfg/${id}/members`, { headers });
  t.is((await join(joiner)).status, 200);
  t.is((await join(joiner)).status, 409);
  t.is((await join(latecomer)).status, 409);
  t.is((await join(owner)).status, 409);
  t.is((await join(joiner, '0123456789abcdef01234567')).status, 404);
  const after = await counters();
  t.deepEqual(Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - before[name as keyof typeof before]])), {
    created: 1, joined: 1, already_member: 1, full: 1, own_post: 1, not_found: 1,
  });
});

test('bad input is a 400 naming each field; no operator reaches MongoDB', async (t) => {
  const auth = await player('lfg_bad_input');
  const injected = await call('POST', '/v1/lfg', { body: post({ game: { $ne: null }, region: { $gt: '' } }), headers: auth });
  t.is(injected.status, 400);
  t.deepEqual(pointers(injected), ['/game', '/region']);
  const query = await call('GET', '/v1/lfg?game[$ne]=x&limit=0&competitive=yes');
  t.is(query.status, 400);
  t.deepEqual(pointers(query), ['competitive', 'game[$ne]', 'limit']);
  t.is((await call('GET', '/v1/lfg?cursor=bm90LWEtY3Vyc29y')).status, 400);
  t.deepEqual(pointers(await call('GET', '/v1/lfg/not-an-id')), ['id']);
  t.is((await call('DELETE', '/v1/lfg/0123456789abcdef01234567/members/x', { headers: auth })).status, 400);
});
