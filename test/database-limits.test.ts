// Bounded database work per request: /v1/games shares one aggregation between concurrent and repeated
// calls, and a query that outlives MONGODB_OPERATION_TIMEOUT_MS is stopped by the server itself.
import test from 'ava';
import { MongoClient } from 'mongodb';
import type { Metrics } from '../src/metrics.ts';
import { startTestApp } from './helpers/app.ts';
import { databaseUri } from './helpers/mongo.ts';
import { send, validPlayer, type ProblemBody } from './helpers/players.ts';

async function commandCount(metrics: Metrics, command: string, metric: 'mongoCommandDuration' | 'mongoCommandFailures'): Promise<number> {
  // A histogram's values are its buckets, sum and count, told apart by metricName.
  const { values } = (await metrics[metric].get()) as { values: { labels: { command?: string }; value: number; metricName?: string }[] };
  return values
    .filter((value) => value.labels.command === command && (metric === 'mongoCommandFailures' || value.metricName?.endsWith('_count') === true))
    .reduce((sum, value) => sum + value.value, 0);
}

test('concurrent and repeated GET /v1/games share one aggregation', async (t) => {
  const api = await startTestApp('games_shared');
  t.teardown(() => api.close());
  for (const nick of ['g_one', 'g_two']) t.is((await send(api.url, 'POST', '/v1/players', { body: validPlayer(nick) })).status, 201);

  const before = await commandCount(api.metrics, 'aggregate', 'mongoCommandDuration');
  const responses = await Promise.all(Array.from({ length: 20 }, () => send(api.url, 'GET', '/v1/games?limit=5')));
  responses.push(await send(api.url, 'GET', '/v1/games?limit=1'));
  t.true(responses.every((response) => response.status === 200));
  t.deepEqual(responses[0]?.body, { items: [{ title: 'Rocket League', players: 2 }] });
  t.deepEqual(responses.at(-1)?.body, { items: [{ title: 'Rocket League', players: 2 }] });
  t.is((await commandCount(api.metrics, 'aggregate', 'mongoCommandDuration')) - before, 1, 'one aggregation for 21 calls');
});

test('a query running longer than MONGODB_OPERATION_TIMEOUT_MS is stopped by the server: 503 with Retry-After', async (t) => {
  const api = await startTestApp('slow_query', { env: { MONGODB_OPERATION_TIMEOUT_MS: '1' } });
  t.teardown(() => api.close());
  // Enough players that counting their games takes far longer than 1 ms on any server.
  const client = new MongoClient(await databaseUri(api.databaseName));
  t.teardown(() => client.close());
  const players = client.db().collection<{ _id: string; gameKeys: string[] }>('players');
  for (let batch = 0; batch < 10; batch++) {
    await players.insertMany(Array.from({ length: 1000 }, (_, index) => ({ _id: `p${String(batch)}_${String(index)}`, gameKeys: [`game ${String(index % 97)}`, `game ${String(index % 89)}`] })));
  }

  const started = Date.now();
  const response = await send(api.url, 'GET', '/v1/games');
  t.is(response.status, 503, response.text);
  t.is(response.headers.get('retry-after'), '5');
  t.regex((response.body as ProblemBody).detail, /time limit/);
  t.true(await commandCount(api.metrics, 'aggregate', 'mongoCommandFailures') >= 1, 'the server refused to go on');
  t.log(`answered in ${String(Date.now() - started)} ms`);
});
