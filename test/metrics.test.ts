// /metrics: valid exposition with the registry's exact Content-Type, route-template labels with bounded
// cardinality, MongoDB command and pool metrics, and one registry per app.
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { send, validPlayer } from './helpers/players.ts';
import { declaredMetrics, histogram, parseExposition, type Sample } from './helpers/prometheus.ts';
import { exportedMetricNames } from './helpers/exported-metrics.ts';
import { serverUri, uniqueDatabaseName } from './helpers/mongo.ts';
import { startSlowPost } from './helpers/net.ts';
import { firstHost, TcpProxy } from './helpers/tcp-proxy.ts';

let api: TestApp;

test.before(async () => {
  api = await startTestApp('metrics');
});

test.after.always(() => closeIfStarted(api));

async function scrape(app: TestApp = api): Promise<{ samples: Sample[]; text: string; contentType: string | null }> {
  const response = await fetch(`${app.url}/metrics`);
  const text = await response.text();
  return { samples: parseExposition(text), text, contentType: response.headers.get('content-type') };
}

const seriesOf = (samples: Sample[], name: string) => samples.filter((sample) => sample.name === name);

test('/metrics parses as Prometheus text with exactly the registry Content-Type', async (t) => {
  const { samples, contentType } = await scrape();
  t.is(contentType, api.metrics.registry.contentType);
  t.true(seriesOf(samples, 'process_cpu_user_seconds_total').length === 1, 'default process metrics');
  t.true(seriesOf(samples, 'nodejs_eventloop_lag_seconds').length === 1, 'default Node.js metrics');
});

test('every metric the dashboards and docs rely on is exported', async (t) => {
  await send(api.url, 'GET', '/v1/players/someone_else');
  const declared = declaredMetrics((await scrape()).text);
  for (const name of exportedMetricNames) t.true(declared.has(name), name);
});

test.serial('HTTP durations are labelled by route template, so 1,000 distinct nicks add no series', async (t) => {
  const durationSeries = (samples: Sample[]) => seriesOf(samples, 'http_request_duration_seconds_count');
  await send(api.url, 'GET', '/v1/players/warmup_nick');
  await send(api.url, 'GET', '/no/such/path/warmup');
  await scrape(); // the scrape itself is a request with a series of its own
  const before = durationSeries((await scrape()).samples).length;
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, async (_, index) => {
        await send(api.url, 'GET', `/v1/players/nick_${String(batch)}_${String(index)}`);
        await send(api.url, 'GET', `/no/such/path/${String(batch)}/${String(index)}`);
      }),
    );
  }
  const after = durationSeries((await scrape()).samples);
  t.is(after.length, before);
  const routes = new Set(after.map((sample) => sample.labels.route));
  t.true(routes.has('/v1/players/:nick'));
  t.true(routes.has('unmatched'));
  t.false([...routes].some((route) => route?.includes('nick_') === true));
  const lookups = after.find((sample) => sample.labels.route === '/v1/players/:nick' && sample.labels.status === '404' && sample.labels.method === 'GET');
  t.true((lookups?.value ?? 0) >= 1000);
});

test.serial('a request is timed from its first byte to its response, in seconds', async (t) => {
  const series = { route: '/v1/players', method: 'POST', status: '201' };
  const before = histogram((await scrape()).samples, 'http_request_duration_seconds', series);
  // Half the body now, the rest 400 ms later: the request takes at least that long to serve.
  const slow = await startSlowPost(Number(new URL(api.url).port), '/v1/players', JSON.stringify(validPlayer('slow_timed')));
  await sleep(400);
  slow.finish();
  t.regex(await slow.response, /^HTTP\/1\.1 201 /);
  const after = histogram((await scrape()).samples, 'http_request_duration_seconds', series);
  t.is(after.count - before.count, 1);
  const seconds = after.sum - before.sum;
  t.true(seconds >= 0.4 && seconds < 5, `recorded ${String(seconds)} s`);
  t.is(after.buckets.get('0.25') ?? 0, before.buckets.get('0.25') ?? 0, 'not in a bucket below its duration');
  t.is((after.buckets.get('5') ?? 0) - (before.buckets.get('5') ?? 0), 1);
});

test.serial('the in-flight gauge counts the requests being served, the scrape itself included', async (t) => {
  const inFlight = async () => seriesOf((await scrape()).samples, 'http_requests_in_flight')[0]?.value;
  t.is(await inFlight(), 1, 'only the scrape');
  const slow = await startSlowPost(Number(new URL(api.url).port), '/v1/players', JSON.stringify(validPlayer('slow_in_flight')));
  // Counted once its headers are read, which a loaded machine may take a while to get to.
  let seen = await inFlight();
  for (const deadline = Date.now() + 5000; seen !== 2 && Date.now() < deadline; seen = await inFlight()) await sleep(50);
  t.is(seen, 2, 'the scrape and the POST still reading its body');
  slow.finish();
  t.regex(await slow.response, /^HTTP\/1\.1 201 /);
  t.is(await inFlight(), 1, 'only the scrape again');
});

test.serial('the pool gauge counts connections in use: one while a query waits on MongoDB, none once it is answered', async (t) => {
  const target = firstHost(await serverUri());
  const proxy = new TcpProxy(target.host, target.port);
  await proxy.open();
  t.teardown(() => proxy.close());
  const proxied = await startTestApp('metrics_pool', { env: { MONGODB_URI: proxy.uri(uniqueDatabaseName('metrics_pool')) } });
  t.teardown(() => proxied.close());
  const pool = async (state: string) => seriesOf((await scrape(proxied)).samples, 'mongodb_pool_connections').find((sample) => sample.labels.state === state)?.value;

  t.is((await send(proxied.url, 'GET', '/v1/players/warm_up')).status, 404);
  t.is(await pool('checked_out'), 0, 'idle');
  t.true((await pool('total') ?? 0) >= 1);

  proxy.hold();
  const lookup = send(proxied.url, 'GET', '/v1/players/held_up');
  while (proxy.heldBytes === 0) await sleep(10);
  t.is(await pool('checked_out'), 1, 'the held query has its connection');
  proxy.release();
  t.is((await lookup).status, 404);
  t.is(await pool('checked_out'), 0, 'given back');
});

test('MongoDB command durations and the registration counter appear after queries', async (t) => {
  t.is((await send(api.url, 'POST', '/v1/players', { body: validPlayer('metrics_player') })).status, 201);
  await send(api.url, 'GET', '/v1/players/metrics_player');
  const { samples } = await scrape();
  const commands = seriesOf(samples, 'mongodb_command_duration_seconds_count');
  t.true((commands.find((sample) => sample.labels.command === 'insert')?.value ?? 0) >= 1);
  t.true((commands.find((sample) => sample.labels.command === 'find')?.value ?? 0) >= 1);
  t.true((seriesOf(samples, 'playerfinder_players_registered_total')[0]?.value ?? 0) >= 1);
});

test('two apps in one process each own a registry', async (t) => {
  const second = await startTestApp('metrics_second');
  t.teardown(() => second.close());
  await send(second.url, 'POST', '/v1/players', { body: validPlayer('only_in_second') });
  t.is(seriesOf((await scrape(second)).samples, 'playerfinder_players_registered_total')[0]?.value, 1);
});

test.serial('counters only grow: each scrape counts exactly the requests served since the last one', async (t) => {
  const statusCount = async () => histogram((await scrape()).samples, 'http_request_duration_seconds', { route: '/status', method: 'GET', status: '200' }).count;
  let previous = await statusCount();
  for (let round = 1; round <= 10; round++) {
    for (let call = 0; call < round; call++) await send(api.url, 'GET', '/status');
    const current = await statusCount();
    t.is(current - previous, round);
    previous = current;
  }
});
