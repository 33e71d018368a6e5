// Requests that race each other, over real HTTP against two instances of the service on one real
// MongoDB-wire database (as two pods would be): a token revoked while its request's body is still on the
// way, joins and leaves of one member, joins racing a close, a player deleted while publishing, joining
// or changing their password, password changes overtaken by later ones, and (through the use cases
// themselves) writes that carry the token of a deleted profile past the token check. Each race runs several
// rounds: the interleavings that broke these invariants showed up in most rounds, not in all.
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import type { PlayerCaller } from '../src/auth/caller.ts';
import { AccountRepository, CredentialTakenError } from '../src/auth/repository.ts';
import { AppError, tokenRevoked } from '../src/errors.ts';
import { LfgRepository, type ClaimDocument } from '../src/lfg/repository.ts';
import { lfgPostSchema, type LfgInput } from '../src/lfg/schema.ts';
import { LfgService } from '../src/lfg/service.ts';
import { PlayerRepository } from '../src/players/repository.ts';
import { PlayerService } from '../src/players/service.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { storedLfgPost, validLfgPost } from './helpers/lfg.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { RawConnection } from './helpers/raw-http.ts';
import { clientThroughProxy } from './helpers/tcp-proxy.ts';
import { bearer, login, send, signUp, testPassword, type JsonResponse } from './helpers/players.ts';

const operatorToken = 'operator-token-for-race-tests-0123456789abcdef';
const operator = bearer(operatorToken);
const rounds = 8;

let first: TestApp;
let second: TestApp;
let db: Db;
let client: MongoClient;

test.before(async () => {
  const uri = await databaseUri(uniqueDatabaseName('races'));
  const env = { MONGODB_URI: uri, OPERATOR_TOKEN: operatorToken };
  first = await startTestApp('races', { env });
  second = await startTestApp('races', { env });
  client = new MongoClient(uri);
  db = client.db();
});

test.after.always(async () => {
  await client.close();
  await second.close();
  await first.close();
});

/** Alternates between the two instances, as a load balancer would. */
const instance = (index: number) => (index % 2 === 0 ? first : second).url;
const call = (index: number, method: string, path: string, options?: Parameters<typeof send>[3]) => send(instance(index), method, path, options);

async function publish(auth: Record<string, string>, slots: number): Promise<string> {
  const response = await call(0, 'POST', '/v1/lfg', { body: validLfgPost({ slots }), headers: auth });
  if (response.status !== 201) throw new Error(`publish: ${response.text}`);
  return lfgPostSchema.parse(response.body).id;
}

/** How the requests of a round were answered, e.g. {"join 200":1,"join 409":7}, for failure messages. */
function tally(responses: readonly { label: string; response: JsonResponse }[]): string {
  const counts: Record<string, number> = {};
  for (const { label, response } of responses) counts[`${label} ${String(response.status)}`] = (counts[`${label} ${String(response.status)}`] ?? 0) + 1;
  return JSON.stringify(counts);
}

async function incarnationOf(nick: string): Promise<ObjectId> {
  const stored = await db.collection<{ _id: string; incarnation: ObjectId }>('players').findOne({ _id: nick });
  if (stored === null) throw new Error(`${nick} is not stored`);
  return stored.incarnation;
}

/**
 * Sends a request's head now, and resolves once the server has accepted its token and asks for the body
 * (100 Continue); the returned function sends the body and resolves to the response.
 */
async function sendHeadFirst(app: TestApp, method: string, path: string, token: string, contentType: string, body: unknown): Promise<() => Promise<{ status: number; headers: Record<string, string> }>> {
  const payload = JSON.stringify(body);
  const connection = await RawConnection.open(Number(new URL(app.url).port));
  await connection.write(
    `${method} ${path} HTTP/1.1\r\nHost: playerfinder\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${contentType}\r\nContent-Length: ${String(Buffer.byteLength(payload))}\r\nExpect: 100-continue\r\n\r\n`,
  );
  const asked = await connection.response();
  if (asked?.status !== 100) throw new Error(`the token was not accepted before the body: ${JSON.stringify(asked)}`);
  return async () => {
    await connection.write(payload);
    const response = await connection.response();
    connection.destroy();
    if (response === undefined) throw new Error('no response');
    return response;
  };
}

function assertRevoked(t: ExecutionContext, response: { status: number; headers: Record<string, string> }, what: string): void {
  t.is(response.status, 401, what);
  t.regex(response.headers['www-authenticate'] ?? '', /error="invalid_token"/, what);
}

test('a write whose body arrives after its profile was deleted and its nick taken by someone else: 401, and nothing lands on the new profile', async (t) => {
  const { token } = await signUp(first.url, 'Stale_Owner', { contact: 'old#1' });
  const patch = await sendHeadFirst(first, 'PATCH', '/v1/players/stale_owner', token, 'application/merge-patch+json', { contact: 'written with the old token' });
  const publishing = await sendHeadFirst(second, 'POST', '/v1/lfg', token, 'application/json', validLfgPost({ slots: 3 }));
  t.is((await call(1, 'DELETE', '/v1/players/stale_owner', { headers: bearer(token) })).status, 204);
  const { auth: newOwner } = await signUp(second.url, 'STALE_OWNER', { contact: 'new#2', password: 'the new owner passphrase' });

  assertRevoked(t, await patch(), 'PATCH');
  assertRevoked(t, await publishing(), 'POST /v1/lfg');
  const profile = await call(0, 'GET', '/v1/players/stale_owner', { headers: newOwner });
  t.like(profile.body, { nick: 'STALE_OWNER', contact: 'new#2' });
  t.is(await db.collection('lfgPosts').countDocuments({ ownerKey: 'stale_owner' }), 0);
});

test('a write whose body arrives after a password change: 401, and nothing changes', async (t) => {
  const { token } = await signUp(first.url, 'slow_writer', { contact: 'before#1' });
  const patch = await sendHeadFirst(second, 'PATCH', '/v1/players/slow_writer', token, 'application/merge-patch+json', { contact: 'after the change' });
  const changed = await call(0, 'PUT', '/v1/players/slow_writer/password', { body: { currentPassword: testPassword, newPassword: 'a brand new passphrase' }, headers: bearer(token) });
  t.is(changed.status, 204, changed.text);

  assertRevoked(t, await patch(), 'PATCH');
  const newToken = bearer(await login(first.url, 'slow_writer', 'a brand new passphrase'));
  t.like((await call(1, 'GET', '/v1/players/slow_writer', { headers: newToken })).body, { contact: 'before#1' });
});

test('one member joining and leaving a post from many requests at once never holds two seats', async (t) => {
  const { auth: owner } = await signUp(first.url, 'seat_owner');
  const { auth: member } = await signUp(first.url, 'seat_hopper');
  let contested = 0;
  for (let round = 0; round < rounds; round++) {
    const id = await publish(owner, 5);
    // Seated first, so that leaves free the seat while joins try to take it again.
    t.is((await call(round, 'POST', `/v1/lfg/${id}/members`, { headers: member })).status, 200);
    const { promise: freed, resolve: seatFreed } = Promise.withResolvers<undefined>();
    const responses = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const label = index % 2 === 1 ? 'leave' : 'join';
        // Leaves at once, racing each other; joins spread wider each round, and one waits for the first leave
        // that freed the seat, so that on any machine's timing some arrive while slower leaves still run.
        if (index === 0) await Promise.race([freed, sleep(2000)]);
        else if (label === 'join') await sleep(index * round * 2);
        const response = await (label === 'leave' ? call(index, 'DELETE', `/v1/lfg/${id}/members/seat_hopper`, { headers: member }) : call(index, 'POST', `/v1/lfg/${id}/members`, { headers: member }));
        if (label === 'leave' && response.status === 204) seatFreed(undefined);
        return { label, response };
      }),
    );
    const seats = await db.collection('lfgClaims').countDocuments({ postId: id, kind: 'seat', memberKey: 'seat_hopper' });
    t.true(seats <= 1, `round ${String(round)}: ${String(seats)} seats after ${tally(responses)}`);
    const post = lfgPostSchema.parse((await call(round, 'GET', `/v1/lfg/${id}`)).body);
    t.is(post.freeSlots, 5 - seats, `round ${String(round)}`);
    t.is(post.members.length, seats, `round ${String(round)}`);
    const answered = (label: string, status: number) => responses.filter((entry) => entry.label === label && entry.response.status === status).length;
    // Each 200 took a seat and each 204 freed one: a leave that found its seat gone is a 404.
    t.is(seats, 1 + answered('join', 200) - answered('leave', 204), `round ${String(round)}: ${tally(responses)}`);
    if (answered('leave', 204) > 0 && answered('join', 200) > 0) contested += 1;
  }
  // Otherwise the race above never ran: no round saw the seat freed and taken again.
  t.log(`${String(contested)} of ${String(rounds)} rounds contested the seat`);
  t.true(contested > 0, 'no round had both a leave that freed the seat and a join that took it');
});

test('a member leaving while the owner removes them, as others join: one leave frees the seat, and every 200 join holds one', async (t) => {
  const { auth: owner } = await signUp(first.url, 'removing_owner');
  const { auth: leaver } = await signUp(first.url, 'double_leaver');
  const joiners = await Promise.all(Array.from({ length: 4 }, async (_, index) => ({ nick: `eager_joiner_${String(index)}`, auth: (await signUp(second.url, `eager_joiner_${String(index)}`)).auth })));
  let retaken = 0;
  for (let round = 0; round < rounds; round++) {
    const id = await publish(owner, 1);
    t.is((await call(round, 'POST', `/v1/lfg/${id}/members`, { headers: leaver })).status, 200);
    // The last joiner follows the leave that freed the seat, so that on any timing a join can retake it.
    const { promise: freed, resolve: seatFreed } = Promise.withResolvers<undefined>();
    const leaves = [owner, leaver].map(async (auth, index) => {
      const response = await call(index, 'DELETE', `/v1/lfg/${id}/members/double_leaver`, { headers: auth });
      if (response.status === 204) seatFreed(undefined);
      return { label: 'leave', response };
    });
    const joins = joiners.map(async ({ nick, auth }, index) => {
      if (index === joiners.length - 1) await Promise.race([freed, sleep(2000)]);
      return { label: nick, response: await call(index + 1, 'POST', `/v1/lfg/${id}/members`, { headers: auth }) };
    });
    const responses = await Promise.all([...leaves, ...joins]);
    const what = `round ${String(round)}: ${tally(responses)}`;
    t.deepEqual(responses.filter(({ label }) => label === 'leave').map(({ response }) => response.status).sort(), [204, 404], what);
    // FerretDB deletes by _id what it matched on a snapshot: the slower of two leaves could delete the seat a joiner had just taken.
    const joined = responses.filter(({ label, response }) => label !== 'leave' && response.status === 200).map(({ label }) => label);
    const post = lfgPostSchema.parse((await call(round, 'GET', `/v1/lfg/${id}`)).body);
    t.deepEqual(post.members.map((member) => member.nick), joined, what);
    if (joined.length > 0) retaken += 1;
  }
  t.true(retaken > 0, 'no round had a join take the seat the leave freed');
});

test('a post closed while players join keeps no seat, and no more joins succeed than it has slots', async (t) => {
  const { auth: owner } = await signUp(first.url, 'closing_owner');
  const joiners = await Promise.all(Array.from({ length: 8 }, async (_, index) => (await signUp(second.url, `late_joiner_${String(index)}`)).auth));
  let contested = 0;
  for (let round = 0; round < rounds; round++) {
    const id = await publish(owner, 3);
    // The close follows the first join that got a seat (a little later each round) while the others are
    // under way, and the last join follows the close: on any machine's timing the close lands among joins.
    const { promise: seated, resolve: joinSeated } = Promise.withResolvers<undefined>();
    const { promise: closed, resolve: closeAnswered } = Promise.withResolvers<undefined>();
    const joins = joiners.map(async (auth, index) => {
      if (index === joiners.length - 1) await Promise.race([closed, sleep(2000)]);
      const response = await call(index, 'POST', `/v1/lfg/${id}/members`, { headers: auth });
      if (response.status === 200) joinSeated(undefined);
      return { label: 'join', response };
    });
    const close = (async () => {
      await Promise.race([seated, sleep(2000)]);
      await sleep(round * 2);
      const response = await call(round, 'DELETE', `/v1/lfg/${id}`, { headers: owner });
      closeAnswered(undefined);
      return { label: 'close', response };
    })();
    const responses = await Promise.all([...joins, close]);
    t.is((await close).response.status, 204);
    t.true(responses.filter(({ label, response }) => label === 'join' && response.status === 200).length <= 3, tally(responses));
    t.is(await db.collection('lfgClaims').countDocuments({ postId: id }), 0, `round ${String(round)}: ${tally(responses)}`);
    const joinsAnswered = (status: number) => responses.some(({ label, response }) => label === 'join' && response.status === status);
    if (joinsAnswered(200) && joinsAnswered(404)) contested += 1;
  }
  // Otherwise the close never landed among the joins: no round had joins both before and after it.
  t.true(contested > 0, 'no round had a join answered before the close and one after it');
});

test('a player deleted while publishing and joining keeps no post and no seat, and a new player with the nick inherits none', async (t) => {
  for (let round = 0; round < rounds; round++) {
    // A host per round: a player may have only 10 open posts.
    const { auth: host } = await signUp(first.url, `race_host_${String(round)}`);
    const nick = `doomed_${String(round)}`;
    const { auth } = await signUp(second.url, nick, { contact: 'doomed#1' });
    const hosted = await Promise.all([publish(host, 5), publish(host, 5), publish(host, 5)]);
    const requests = [
      ...Array.from({ length: 4 }, (_, index) => async () => ({ label: 'publish', response: await call(index, 'POST', '/v1/lfg', { body: validLfgPost({ slots: 3 }), headers: auth }) })),
      ...hosted.map((id, index) => async () => ({ label: 'join', response: await call(index, 'POST', `/v1/lfg/${id}/members`, { headers: auth }) })),
      async () => {
        await sleep(round * 4);
        return { label: 'delete', response: await call(round, 'DELETE', `/v1/players/${nick}`, { headers: operator }) };
      },
    ];
    const responses = await Promise.all(requests.map((request) => request()));
    t.is(responses.at(-1)?.response.status, 204);
    const what = `round ${String(round)}: ${tally(responses)}`;
    t.is(await db.collection('lfgPosts').countDocuments({ ownerKey: nick }), 0, what);
    t.is(await db.collection('lfgClaims').countDocuments({ memberKey: nick }), 0, what);

    const { auth: successor } = await signUp(first.url, nick, { contact: 'successor#2' });
    for (const id of hosted) {
      const post = lfgPostSchema.parse((await call(round, 'GET', `/v1/lfg/${id}`, { headers: successor })).body);
      t.false(post.members.some((member) => member.nick === nick), what);
    }
  }
});

test('a password change racing the deletion of its profile leaves no password behind', async (t) => {
  for (let round = 0; round < rounds; round++) {
    const nick = `vanishing_${String(round)}`;
    const { auth } = await signUp(first.url, nick);
    const incarnation = await incarnationOf(nick);
    // The change hashes twice (the current password, then the new one); the deletion lands somewhere in between or after.
    const change = call(round, 'PUT', `/v1/players/${nick}/password`, { body: { currentPassword: testPassword, newPassword: 'a brand new passphrase' }, headers: auth });
    await sleep(40 + round * 60);
    t.is((await call(round + 1, 'DELETE', `/v1/players/${nick}`, { headers: operator })).status, 204);
    const changed = await change;
    t.true([204, 401].includes(changed.status), changed.text);
    t.is(await db.collection('credentials').countDocuments({ incarnation }), 0, `round ${String(round)}: change answered ${String(changed.status)}`);
  }
});

test('a password change overtaken by two later ones is refused, though the later cleanup freed its version', async (t) => {
  const accounts = new AccountRepository(db, { operationTimeoutMs: 10_000 });
  await signUp(first.url, 'overtaken');
  const incarnation = await incarnationOf('overtaken');
  const original = await accounts.current('overtaken', incarnation);
  if (original === undefined) throw new Error('no password');
  // B and then C land while A, started from the same password as B, is still hashing.
  const afterB = await accounts.replace(original, 'hash-b', new Date());
  const afterC = await accounts.replace(afterB, 'hash-c', new Date());
  await t.throwsAsync(accounts.replace(original, 'hash-a', new Date()), { instanceOf: CredentialTakenError });
  t.like(await accounts.current('overtaken', incarnation), { id: afterC.id, hash: 'hash-c' });
});

test('a post that lands after its player\'s deletion has cleaned up is withdrawn: 401, and no post outlives the player', async (t) => {
  const { proxy, client: proxied } = await clientThroughProxy(t, db.databaseName);
  const limits = { operationTimeoutMs: 10_000 };
  const lfg = new LfgService(new LfgRepository(proxied.db(), limits), new PlayerRepository(proxied.db(), limits));
  await signUp(first.url, 'late_poster');
  const owner: PlayerCaller = { kind: 'player', nick: 'late_poster', profile: (await incarnationOf('late_poster')).toHexString() };
  // The publish has found its profile alive; its insert waits while the deletion runs and finds no post to close.
  const held = proxy.holdFrom((command) => command.includes('insert') && command.includes('lfgPosts'));
  const publishing = lfg.create(owner, validLfgPost({ slots: 2 }) as LfgInput);
  await held;
  t.is((await call(1, 'DELETE', '/v1/players/late_poster', { headers: operator })).status, 204);
  proxy.release();
  t.like(await t.throwsAsync(publishing, { instanceOf: AppError }), { status: 401, detail: tokenRevoked });
  t.is(await db.collection('lfgPosts').countDocuments({ ownerKey: 'late_poster' }), 0);
});

test('past the token check, a player\'s write still lands only on the profile the token was issued for', async (t) => {
  const limits = { operationTimeoutMs: 10_000 };
  const players = new PlayerService(new PlayerRepository(db, limits));
  const lfg = new LfgService(new LfgRepository(db, limits), new PlayerRepository(db, limits));
  const { auth: host } = await signUp(first.url, 'rebound_host');
  const hosted = await publish(host, 3);
  await signUp(first.url, 'rebound');
  const stale: PlayerCaller = { kind: 'player', nick: 'rebound', profile: (await incarnationOf('rebound')).toHexString() };
  t.is((await call(0, 'DELETE', '/v1/players/rebound', { headers: operator })).status, 204);
  const { auth: successor } = await signUp(second.url, 'Rebound', { contact: 'successor#2' });

  const revoked = { instanceOf: AppError, message: tokenRevoked };
  await t.throwsAsync(players.patch('rebound', { contact: 'stale' }, undefined, stale.profile), revoked);
  await t.throwsAsync(players.delete('rebound', undefined, stale.profile), revoked);
  await t.throwsAsync(lfg.create(stale, validLfgPost({ slots: 2 }) as LfgInput), revoked);
  await t.throwsAsync(lfg.join(hosted, stale), revoked);
  t.like((await call(1, 'GET', '/v1/players/rebound', { headers: successor })).body, { nick: 'Rebound', contact: 'successor#2' });
  t.is(await db.collection('lfgPosts').countDocuments({ ownerKey: 'rebound' }), 0);
  t.is(await db.collection('lfgClaims').countDocuments({ memberKey: 'rebound' }), 0);
});

test('a join that took longer than half the abandoned age gives its seat up (503): a retry may have taken its membership for dead', async (t) => {
  const limits = { operationTimeoutMs: 10_000 };
  const { auth: host } = await signUp(first.url, 'slow_join_host');
  const hosted = await publish(host, 2);
  const { auth: joinerAuth } = await signUp(first.url, 'slow_joiner');
  const member: PlayerCaller = { kind: 'player', nick: 'slow_joiner', profile: (await incarnationOf('slow_joiner')).toHexString() };
  // The join starts; by the time it holds a seat, 16 s have passed (the abandoned age is 30 s here).
  const started = Date.now();
  const times = [started, started + 16_000];
  const outcomes: string[] = [];
  const lfg = new LfgService(new LfgRepository(db, limits), new PlayerRepository(db, limits), { now: () => new Date(times.shift() ?? started + 16_000), onJoin: (outcome) => outcomes.push(outcome) });

  const slow = await t.throwsAsync(lfg.join(hosted, member), { instanceOf: AppError });
  t.like(slow, { status: 503, headers: { 'Retry-After': '1' } });
  t.deepEqual(outcomes, ['too_slow']);
  t.deepEqual(await db.collection<ClaimDocument>('lfgClaims').find({ postId: hosted, kind: { $in: ['seat', 'membership'] } }).toArray(), [], 'its seat and membership are given up');
  t.is((await call(1, 'POST', `/v1/lfg/${hosted}/members`, { headers: joinerAuth })).status, 200, 'a join in time goes through');
});

const joiner = (key: string) => ({ key, nick: key, profile: new ObjectId().toHexString() });

test('concurrent joins of a member whose membership was abandoned take one seat', async (t) => {
  const repository = new LfgRepository(db, { operationTimeoutMs: 10_000 });
  for (let round = 0; round < rounds; round++) {
    const post = await storedLfgPost(repository, 5);
    // Left by a join whose process died half a minute ago.
    await db.collection<ClaimDocument>('lfgClaims').insertOne({ _id: `${post._id}:member:revenant`, kind: 'membership', postId: post._id, memberKey: 'revenant', member: 'revenant', owner: 'dead', at: new Date(Date.now() - 31_000), expiresAt: post.expiresAt });
    const member = joiner('revenant');
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => repository.join(post, member, new Date())));
    const seats = await db.collection('lfgClaims').countDocuments({ postId: post._id, kind: 'seat', memberKey: 'revenant' });
    t.is(seats, 1, `round ${String(round)}: ${JSON.stringify(outcomes.map((outcome) => (typeof outcome === 'string' ? outcome : 'seat')))}`);
  }
});

test('a late join of a deleted profile leaves the membership of the new player with its nick alone', async (t) => {
  const repository = new LfgRepository(db, { operationTimeoutMs: 10_000 });
  const post = await storedLfgPost(repository, 3);
  const current = joiner('reused_nick');
  const deleted = { ...current, profile: new ObjectId().toHexString() };
  await db.collection<{ _id: string; incarnation: ObjectId }>('players').insertOne({ _id: 'reused_nick', incarnation: new ObjectId(current.profile) });
  t.is(typeof (await repository.join(post, current, new Date())), 'object');
  t.is(await repository.join(post, deleted, new Date()), 'member', 'the current player\'s membership is not the deleted profile\'s to release');
  t.is(await repository.join(post, current, new Date()), 'member');
  t.is(await db.collection('lfgClaims').countDocuments({ postId: post._id, kind: 'seat' }), 1);
});

test('three removers of one seat racing others\' joins: one frees it, and no joiner loses the seat it was given', async (t) => {
  const repository = new LfgRepository(db, { operationTimeoutMs: 10_000 });
  for (let round = 0; round < 3 * rounds; round++) {
    const post = await storedLfgPost(repository, 1);
    if (typeof (await repository.join(post, joiner('removed'), new Date())) === 'string') throw new Error('the first join failed');
    const removals = Array.from({ length: 3 }, () => repository.leave(post._id, 'removed', undefined, new Date()));
    const joins = Array.from({ length: 4 }, (_, index) => repository.join(post, joiner(`newcomer_${String(index)}`), new Date()));
    const [freed, outcomes] = await Promise.all([Promise.all(removals), Promise.all(joins)]);
    const seated = outcomes.flatMap((outcome) => (typeof outcome === 'object' ? [outcome.memberKey] : []));
    const seats = await db.collection<ClaimDocument>('lfgClaims').find({ postId: post._id, kind: { $in: ['seat', 'membership'] } }).toArray();
    const what = `round ${String(round)}: ${JSON.stringify({ freed, seated })}`;
    t.is(freed.filter(Boolean).length, 1, what);
    t.deepEqual(seats.filter((claim) => claim.kind === 'seat').map((seat) => seat.memberKey), seated, what);
    t.deepEqual(seats.filter((claim) => claim.kind === 'membership').map((membership) => membership.memberKey), seated, what);
  }
});

test('a deleted player\'s seat freed while others join: no joiner loses the seat it was given', async (t) => {
  const repository = new LfgRepository(db, { operationTimeoutMs: 10_000 });
  for (let round = 0; round < rounds; round++) {
    const post = await storedLfgPost(repository, 1);
    const leaving = joiner('forgotten');
    if (typeof (await repository.join(post, leaving, new Date())) === 'string') throw new Error('the first join failed');
    const joins = Array.from({ length: 4 }, (_, index) => repository.join(post, joiner(`newcomer_${String(index)}`), new Date()));
    const [, , ...outcomes] = await Promise.all([repository.leave(post._id, 'forgotten', undefined, new Date()), repository.forgetPlayer('forgotten', leaving.profile, new Date()), ...joins]);
    const seated = outcomes.flatMap((outcome) => (typeof outcome === 'object' ? [outcome.memberKey] : []));
    const seats = await db.collection<ClaimDocument>('lfgClaims').find({ postId: post._id, kind: 'seat' }).toArray();
    t.deepEqual(seats.map((seat) => seat.memberKey), seated, `round ${String(round)}`);
  }
});
