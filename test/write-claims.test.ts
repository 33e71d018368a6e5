// Write claims (playerWrites) against the real server: a claim is taken over only once abandoned, which
// a write bounded by a long operation timeout is not yet, and a writer whose claim was taken over never
// releases its successor's.
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { MongoClient, MongoNetworkError, ObjectId } from 'mongodb';
import { WriteClaims } from '../src/players/write-claims.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { clientThroughProxy } from './helpers/tcp-proxy.ts';

let client: MongoClient;

test.before(async () => {
  client = new MongoClient(await databaseUri(uniqueDatabaseName('write_claims')));
});

test.after.always(async () => {
  await client.db().dropDatabase();
  await client.close();
});

const minute = 60_000;
const newPlayer = () => ({ _id: 'claimed', incarnation: new ObjectId(), version: 1 });
const storedClaims = (incarnation: ObjectId) => client.db().collection('playerWrites').find({ incarnation }).toArray();

test('a writer whose claim was taken over releases nothing of its successor', async (t) => {
  const claims = new WriteClaims(client.db(), 10_000);
  const player = newPlayer();
  const start = new Date();
  let successorReleased: (() => void) | undefined;
  let successorDone: Promise<string | undefined> | undefined;

  const first = await claims.whileClaimed(player, new Date(start.getTime() - 10 * minute), async () => {
    // The first writer stalls past the abandoned age; a second one takes the claim over and is mid-write
    // when the first one finishes and releases.
    const holding = new Promise<void>((resolve) => {
      successorDone = claims.whileClaimed(player, start, async () => {
        resolve();
        await new Promise<void>((release) => { successorReleased = release; });
        return 'second';
      });
    });
    await holding;
    return 'first';
  });
  t.is(first, 'first');
  const left = await storedClaims(player.incarnation);
  t.is(left.length, 1, 'the successor still holds the claim');
  t.deepEqual(left[0]?.at, start);

  // While it does, a third writer is turned away.
  t.is(await claims.whileClaimed(player, start, () => Promise.resolve('third')), undefined);
  successorReleased?.();
  t.is(await successorDone, 'second');
  t.deepEqual(await storedClaims(player.incarnation), []);
});

test('a claim is abandoned only after twice a long operation timeout', async (t) => {
  const operationTimeoutMs = 10 * minute;
  const claims = new WriteClaims(client.db(), operationTimeoutMs);
  const player = newPlayer();
  const start = Date.now();
  let attempts: (string | undefined)[] = [];

  await claims.whileClaimed(player, new Date(start), async () => {
    // 5 and 15 minutes on are past the 30 s floor, and 15 past one timeout, but within 2 x 10 minutes: the
    // first writer may still be at it.
    attempts.push(await claims.whileClaimed(player, new Date(start + 5 * minute), () => Promise.resolve('early')));
    attempts.push(await claims.whileClaimed(player, new Date(start + operationTimeoutMs + 5 * minute), () => Promise.resolve('early')));
    attempts.push(await claims.whileClaimed(player, new Date(start + 2 * operationTimeoutMs + minute), () => Promise.resolve('late')));
    return 'first';
  });
  t.deepEqual(attempts, [undefined, undefined, 'late']);
  t.deepEqual(await storedClaims(player.incarnation), []);
  attempts = [];

  // With a short timeout the 30 s floor holds: 20 s on is not abandoned, 31 s is.
  const quick = new WriteClaims(client.db(), 1000);
  await quick.whileClaimed(player, new Date(start), async () => {
    attempts.push(await quick.whileClaimed(player, new Date(start + 20_000), () => Promise.resolve('early')));
    attempts.push(await quick.whileClaimed(player, new Date(start + 31_000), () => Promise.resolve('late')));
    return 'first';
  });
  t.deepEqual(attempts, [undefined, 'late']);
});

test('two writers taking over the same abandoned claim: exactly one of them writes', async (t) => {
  const claims = new WriteClaims(client.db(), 10_000);
  const writes = client.db().collection<{ _id: string; incarnation: ObjectId; owner: string; at: Date }>('playerWrites');
  for (let round = 0; round < 10; round++) {
    const player = newPlayer();
    // Left by a writer that crashed ten minutes ago.
    await writes.insertOne({ _id: `${player.incarnation.toHexString()}:2`, incarnation: player.incarnation, owner: 'crashed', at: new Date(Date.now() - 10 * minute) });
    let writing = 0;
    let most = 0;
    let settled = 0;
    const write = async () => {
      writing += 1;
      most = Math.max(most, writing);
      // The write lasts until the other writer has given up, so the two always overlap; two writers at
      // once wait for each other until the bound.
      for (const bound = Date.now() + 2000; settled === 0 && Date.now() < bound; ) await sleep(10);
      writing -= 1;
      return 'written';
    };
    const writer = () => claims.whileClaimed(player, new Date(), write).finally(() => { settled += 1; });
    const results = await Promise.all([writer(), writer()]);
    t.is(results.filter((result) => result === 'written').length, 1, `round ${String(round)}`);
    t.is(most, 1, `round ${String(round)}`);
    t.deepEqual(await storedClaims(player.incarnation), [], `round ${String(round)}`);
  }
});

test('a taker that died mid-takeover blocks the abandoned claim only until its own record is abandoned', async (t) => {
  const claims = new WriteClaims(client.db(), 10_000);
  const writes = client.db().collection<{ _id: string; incarnation: ObjectId; owner: string; at: Date }>('playerWrites');
  const player = newPlayer();
  const claimId = `${player.incarnation.toHexString()}:2`;
  const start = Date.now();
  await writes.insertOne({ _id: claimId, incarnation: player.incarnation, owner: 'crashed', at: new Date(start - 10 * minute) });
  await writes.insertOne({ _id: `${claimId}:release:crashed`, incarnation: player.incarnation, owner: 'died taking over', at: new Date(start) });

  t.is(await claims.whileClaimed(player, new Date(start + 29_000), () => Promise.resolve('blocked')), undefined);
  t.is(await claims.whileClaimed(player, new Date(start + 31_000), () => Promise.resolve('written')), 'written');
  t.deepEqual(await storedClaims(player.incarnation), []);
});

test('a claim stored but whose answer was lost does not block the player\'s next write', async (t) => {
  const { proxy, client: viaProxy } = await clientThroughProxy(t, client.db().databaseName);
  const player = newPlayer();
  const claimId = Buffer.from(`${player.incarnation.toHexString()}:2`);
  const lost = proxy.loseAnswerTo((command) => command.includes('insert') && command.includes(claimId));
  await t.throwsAsync(new WriteClaims(viaProxy.db(), 10_000).whileClaimed(player, new Date(), () => Promise.resolve('never')), { instanceOf: MongoNetworkError });
  await lost;
  t.is(await new WriteClaims(client.db(), 10_000).whileClaimed(player, new Date(), () => Promise.resolve('written')), 'written');
  t.deepEqual(await storedClaims(player.incarnation), []);
});

test('a claim its writer could not remove while MongoDB was away is removed once MongoDB is back, not after the abandoned age', async (t) => {
  const { proxy, client: viaProxy } = await clientThroughProxy(t, client.db().databaseName, { serverSelectionTimeoutMS: 500 });
  const player = newPlayer();
  const outage = new WriteClaims(viaProxy.db(), 10_000).whileClaimed(player, new Date(), async () => {
    await proxy.close();
    throw new MongoNetworkError('MongoDB went away mid-write');
  });
  await t.throwsAsync(outage, { instanceOf: MongoNetworkError });
  t.is((await storedClaims(player.incarnation)).length, 1, 'the claim stayed: its removal could not reach MongoDB');

  await proxy.open();
  const deadline = Date.now() + 5000;
  while ((await storedClaims(player.incarnation)).length > 0 && Date.now() < deadline) await sleep(100);
  t.deepEqual(await storedClaims(player.incarnation), [], 'removed within seconds of MongoDB coming back');
  t.is(await new WriteClaims(client.db(), 10_000).whileClaimed(player, new Date(), () => Promise.resolve('written')), 'written');
});
