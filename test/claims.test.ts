// Claims (src/db/claims.ts) against the real server: one remover per claim, and a process that died
// holding a claim or its removal blocks others only until that is abandoned. The looking-for-group and
// player-write tests check the same through their own use (races.test.ts, write-claims.test.ts).
import test from 'ava';
import { MongoClient, MongoNetworkError, ObjectId, type Collection } from 'mongodb';
import { Claims, type Claim } from '../src/db/claims.ts';
import { LfgRepository, type ClaimDocument } from '../src/lfg/repository.ts';
import { storedLfgPost } from './helpers/lfg.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { clientThroughProxy } from './helpers/tcp-proxy.ts';

interface TestClaim extends Claim {
  group: string;
}

let client: MongoClient;
let collection: Collection<TestClaim>;

test.before(async () => {
  client = new MongoClient(await databaseUri(uniqueDatabaseName('claims')));
  collection = client.db().collection<TestClaim>('claims');
});

test.after.always(async () => {
  await client.db().dropDatabase();
  await client.close();
});

const second = 1000;
const group = () => new ObjectId().toHexString();
const stored = (of: string) => collection.find({ group: of }).sort({ _id: 1 }).toArray();

test('a remover that died blocks the claim\'s release only until its release record is abandoned', async (t) => {
  const claims = new Claims(collection, 10_000);
  const of = group();
  const start = Date.now();
  const claim: TestClaim = { _id: `${of}:held`, group: of, owner: 'holder', at: new Date(start - 60 * second) };
  await collection.insertMany([claim, { _id: `${of}:held:release:holder`, group: of, owner: 'died releasing', at: new Date(start) }]);

  t.false(await claims.release(claim, new Date(start + 29 * second)), 'another remover may still be at it');
  t.is((await stored(of)).length, 2);
  t.true(await claims.release(claim, new Date(start + 31 * second)));
  t.deepEqual(await stored(of), [], 'the claim, the dead remover\'s record and this remover\'s record are gone');
});

test('concurrent takers of a claim whose holder and whose remover both died: exactly one takes it', async (t) => {
  const claims = new Claims(collection, 10_000);
  for (let round = 0; round < 8; round++) {
    const of = group();
    const now = new Date();
    await collection.insertMany([
      { _id: `${of}:contested`, group: of, owner: 'crashed', at: new Date(now.getTime() - 600 * second) },
      { _id: `${of}:contested:release:crashed`, group: of, owner: 'died taking over', at: new Date(now.getTime() - 60 * second) },
    ]);
    const takers = Array.from({ length: 4 }, (_, index) => ({ _id: `${of}:contested`, group: of, owner: `taker ${String(index)}`, at: now }));
    const taken = await Promise.all(takers.map((taker) => claims.take(taker)));
    const left = await stored(of);
    t.is(taken.filter(Boolean).length, 1, `round ${String(round)}: ${JSON.stringify(taken)}`);
    t.deepEqual(left.map((claim) => claim.owner), [takers[taken.indexOf(true)]?.owner], `round ${String(round)}`);
  }
});

test('a claim recorded without an owner is released by its time, by one remover, never the claim that took its _id', async (t) => {
  const claims = new Claims(collection, 10_000);
  const later = group();
  const unowned: TestClaim = { _id: `${later}:unowned`, group: later, at: new Date(Date.now() - 60 * second) };
  await collection.insertOne({ ...unowned, at: new Date() });
  t.false(await claims.release(unowned, new Date()), 'a later claim with the same _id is not this one');
  t.is((await stored(later)).length, 1);

  // Three removers, and a newcomer inserting a claim of its own as soon as the _id is free.
  for (let round = 0; round < 16; round++) {
    const of = group();
    const old: TestClaim = { _id: `${of}:unowned`, group: of, at: new Date(Date.now() - 60 * second) };
    await collection.insertOne(old);
    const newcomer: TestClaim = { _id: old._id, group: of, owner: 'newcomer', at: new Date() };
    const taking = (async () => {
      for (let attempt = 0; attempt < 200; attempt++) if (await claims.insert(newcomer)) return true;
      return false;
    })();
    const [took, ...removed] = await Promise.all([taking, ...[0, 1, 2].map(() => claims.release(old, new Date()))]);
    const what = `round ${String(round)}: ${JSON.stringify({ took, removed })}`;
    t.is(removed.filter(Boolean).length, 1, what);
    t.deepEqual((await stored(of)).map((claim) => claim.owner), took ? ['newcomer'] : [], what);
  }
});

test('a member whose leave died midway can leave again once that leave is abandoned', async (t) => {
  const repository = new LfgRepository(client.db(), { operationTimeoutMs: 10_000 });
  const post = await storedLfgPost(repository, 1);
  const now = new Date();
  const seat = await repository.join(post, { key: 'stuck', nick: 'Stuck', profile: group() }, now);
  if (typeof seat === 'string') throw new Error(`the join failed: ${seat}`);
  const lfgClaims = client.db().collection<ClaimDocument>('lfgClaims');
  await lfgClaims.insertOne({ ...seat, _id: `${seat._id}:release:${String(seat.owner)}`, kind: 'release', owner: 'died leaving', at: now });

  t.false(await repository.leave(post._id, 'stuck', undefined, new Date(now.getTime() + 29 * second)));
  t.is((await repository.seats([post._id])).length, 1, 'the seat is still the member\'s');
  t.true(await repository.leave(post._id, 'stuck', undefined, new Date(now.getTime() + 31 * second)));
  t.deepEqual(await lfgClaims.find({ postId: post._id }).toArray(), [], 'seat, membership and release records are gone');
  t.not(await repository.join(post, { key: 'next', nick: 'next', profile: group() }, new Date()), 'full');
});

test('a member seated for longer than the abandoned age is still a member, not a join that died', async (t) => {
  const repository = new LfgRepository(client.db(), { operationTimeoutMs: 10_000 });
  const post = await storedLfgPost(repository, 3);
  const now = new Date();
  const member = { key: 'settled', nick: 'settled', profile: group() };
  t.is(typeof (await repository.join(post, member, now)), 'object');
  t.is(await repository.join(post, member, new Date(now.getTime() + 600 * second)), 'member');
  t.is((await repository.seats([post._id])).length, 1);
});

/** Joins while the proxy loses the answer to the insert of the join's `claim` (its seat or membership). */
const lostAnswerJoin = test.macro(async (t, claim: 'seat' | 'member') => {
  const { proxy, client: viaProxy } = await clientThroughProxy(t, client.db().databaseName);
  const repository = new LfgRepository(viaProxy.db(), { operationTimeoutMs: 10_000 });
  const post = await storedLfgPost(repository, 2);
  const member = { key: 'unlucky', nick: 'unlucky', profile: group() };
  const claimId = Buffer.from(`${post._id}:${claim}:`);
  const lost = proxy.loseAnswerTo((command) => command.includes('insert') && command.includes(claimId));

  await t.throwsAsync(repository.join(post, member, new Date()), { instanceOf: MongoNetworkError });
  await lost;
  const lfgClaims = client.db().collection<ClaimDocument>('lfgClaims');
  t.deepEqual(await lfgClaims.find({ postId: post._id }).toArray(), [], 'what the join stored is gone');
  t.is(typeof (await repository.join(post, member, new Date())), 'object', 'a retry joins');
  t.is(await lfgClaims.countDocuments({ postId: post._id, kind: 'seat' }), 1);
});

test('a join whose seat was stored but whose answer was lost gives it up, so its retry takes one seat', lostAnswerJoin, 'seat');
test('a join whose membership was stored but whose answer was lost gives it up, so its retry is no "member already"', lostAnswerJoin, 'member');

test('a leave whose release record was stored but whose answer was lost does not block the member\'s next leave', async (t) => {
  const { proxy, client: viaProxy } = await clientThroughProxy(t, client.db().databaseName);
  const repository = new LfgRepository(viaProxy.db(), { operationTimeoutMs: 10_000 });
  const post = await storedLfgPost(repository, 2);
  if (typeof (await repository.join(post, { key: 'leaver', nick: 'leaver', profile: group() }, new Date())) === 'string') throw new Error('the join failed');
  const releaseRecord = Buffer.from(`${post._id}:seat:0:release:`);
  const lost = proxy.loseAnswerTo((command) => command.includes('insert') && command.includes(releaseRecord));

  await t.throwsAsync(repository.leave(post._id, 'leaver', undefined, new Date()), { instanceOf: MongoNetworkError });
  await lost;
  t.true(await repository.leave(post._id, 'leaver', undefined, new Date()), 'the retry frees the seat');
  t.deepEqual(await client.db().collection<ClaimDocument>('lfgClaims').find({ postId: post._id }).toArray(), []);
});
