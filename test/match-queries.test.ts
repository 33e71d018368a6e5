// The title queries of match suggestions as MongoDB receives them: at most 4 of one request at a time, and
// at most half the connection pool for all requests together, however many titles the players have, so
// the other routes always find a connection.
import test from 'ava';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { MatchRepository } from '../src/matches/repository.ts';
import { databaseUri, uniqueDatabaseName } from './helpers/mongo.ts';

test('match requests for players with 50 titles each hold at most 4 queries each, and half the pool in all', async (t) => {
  const client = new MongoClient(await databaseUri(uniqueDatabaseName('match_queries')), { maxPoolSize: 12, monitorCommands: true });
  t.teardown(() => client.close());
  const repository = new MatchRepository(client.db(), { operationTimeoutMs: 10_000 });

  // In flight, by the player each request excludes (its own nick), from the commands' start and end.
  const inFlight = new Map<string, number>();
  const requestOf = new Map<number, string>();
  let total = 0;
  let peakTotal = 0;
  const peakPerRequest = new Map<string, number>();
  client.on('commandStarted', (event: CommandStartedEvent) => {
    if (event.commandName !== 'find') return;
    const seeker = (event.command.filter as { _id: { $ne: string } })._id.$ne;
    requestOf.set(event.requestId, seeker);
    inFlight.set(seeker, (inFlight.get(seeker) ?? 0) + 1);
    peakPerRequest.set(seeker, Math.max(peakPerRequest.get(seeker) ?? 0, inFlight.get(seeker) ?? 0));
    peakTotal = Math.max(peakTotal, ++total);
  });
  const ended = ({ requestId }: { requestId: number }) => {
    const seeker = requestOf.get(requestId);
    if (seeker === undefined) return;
    requestOf.delete(requestId);
    inFlight.set(seeker, (inFlight.get(seeker) ?? 1) - 1);
    total -= 1;
  };
  client.on('commandSucceeded', ended).on('commandFailed', ended);

  const titles = Array.from({ length: 50 }, (_, index) => `game ${String(index)}`);
  const seekers = Array.from({ length: 5 }, (_, index) => `seeker_${String(index)}`);
  await Promise.all(seekers.map((seeker) => repository.sharingGames(titles, seeker, 1000)));

  t.is(requestOf.size, 0, 'every query has ended');
  t.deepEqual([...peakPerRequest.keys()].sort(), seekers, 'every request queried');
  t.true(Math.max(...peakPerRequest.values()) <= 4, JSON.stringify(Object.fromEntries(peakPerRequest)));
  t.true(peakTotal <= 6, `${String(peakTotal)} queries at once with a pool of 12`);
});
