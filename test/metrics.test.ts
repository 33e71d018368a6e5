// /metrics: valid exposition with the registry's exact Content-Type, route-template labels with bounded
// cardinality, MongoDB command and pool metrics, and one registry per app.
import test from 'ava';
import { closeIfStarted, startTestApp, type TestApp } from './helpers/app.ts';
import { send, validPlayer } from './helpers/players.ts';
import { declaredMetrics, parseExposition, type Sample } from './helpers/prometheus.ts';
import { exportedMetricNames } from './helpers/exported-metrics.ts';

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

test('durations are recorded in seconds', async (t) => {
  await send(api.url, 'GET', '/status');
  const samples = (await scrape()).samples.filter((sample) => sample.labels.route === '/status' && sample.labels.status === '200');
  const sum = samples.find((sample) => sample.name === 'http_request_duration_seconds_sum')?.value ?? Number.NaN;
  const count = samples.find((sample) => sample.name === 'http_request_duration_seconds_count')?.value ?? Number.NaN;
  // A /status call takes about a millisecond: recorded in milliseconds, the mean would be near 1, not 0.001.
  t.true(count >= 1);
  t.true(sum / count < 0.5, `mean ${String(sum / count)}`);
});

test('MongoDB command durations and pool gauges appear after queries', async (t) => {
  t.is((await send(api.url, 'POST', '/v1/players', { body: validPlayer('metrics_player') })).status, 201);
  await send(api.url, 'GET', '/v1/players/metrics_player');
  const { samples } = await scrape();
  const commands = seriesOf(samples, 'mongodb_command_duration_seconds_count');
  t.true((commands.find((sample) => sample.labels.command === 'insert')?.value ?? 0) >= 1);
  t.true((commands.find((sample) => sample.labels.command === 'find')?.value ?? 0) >= 1);
  const pool = seriesOf(samples, 'mongodb_pool_connections');
  t.true((pool.find((sample) => sample.labels.state === 'total')?.value ?? 0) >= 1);
  t.true((pool.find((sample) => sample.labels.state === 'checked_out')?.value ?? -1) >= 0);
  t.true((seriesOf(samples, 'playerfinder_players_registered_total')[0]?.value ?? 0) >= 1);
});

test('two apps in one process each own a registry', async (t) => {
  const second = await startTestApp('metrics_second');
  t.teardown(() => second.close());
  await send(second.url, 'POST', '/v1/players', { body: validPlayer('only_in_second') });
  t.is(seriesOf((await scrape(second)).samples, 'playerfinder_players_registered_total')[0]?.value, 1);
});

test('counters stay monotonic across scrapes', async (t) => {
  let previous = 0;
  for (let scrapeIndex = 0; scrapeIndex < 10; scrapeIndex++) {
    await send(api.url, 'GET', '/status');
    const total = seriesOf((await scrape()).samples, 'http_request_duration_seconds_count').reduce((sum, sample) => sum + sample.value, 0);
    t.true(total > previous);
    previous = total;
  }
});
