// Login benchmark: the built server as its own process on loopback, against the MongoDB-wire server in
// MONGODB_URI. Measures logins per second under sustained load, and the server's peak RSS during a burst
// of concurrent logins, against the API memory limit in the chart's values.
//   MONGODB_URI=mongodb://127.0.0.1:27017/ npm run bench:logins [-- --seconds 10 --concurrency 16 --burst 200]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { parse } from 'yaml';
import { PasswordHasher } from '../src/auth/passwords.ts';
import { waitForStatus } from '../test/helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from '../test/helpers/mongo.ts';
import { freePort } from '../test/helpers/net.ts';
import { send, testPassword, validPlayer } from '../test/helpers/players.ts';
import { startServerProcess } from '../test/helpers/server-process.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    burst: { type: 'string', default: '200' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const burst = Number(values.burst);
const accounts = 20;

const chartValues = parse(readFileSync(new URL('../chart/values.yaml', import.meta.url), 'utf8')) as { resources: { limits: { memory: string } } };
const limitMiB = Number(/^(\d+)Mi$/.exec(chartValues.resources.limits.memory)?.[1] ?? Number.NaN);
/** Room to spare: the burst must stay below this share of the limit. */
const maxShareOfLimit = 0.75;

/** Kernel counters of the server process: current and peak (high-water mark) resident set, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

const login = async (index: number): Promise<number> => {
  const response = await fetch(`${api.url}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nick: `login_${String(index % accounts)}`, password: testPassword }),
  });
  await response.arrayBuffer();
  return response.status;
};

/** One scrypt hash at a time in this process: the CPU cost of a login on this machine, without queueing. */
async function hashMs(): Promise<number> {
  const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 0 });
  const times: number[] = [];
  for (let index = 0; index < 5; index++) {
    const started = performance.now();
    await hasher.hash(testPassword);
    times.push(performance.now() - started);
  }
  return Math.round(times.sort((a, b) => a - b)[2] ?? Number.NaN);
}
const singleHashMs = await hashMs();

const databaseName = uniqueDatabaseName('bench_logins');
const mongoUri = await databaseUri(databaseName);
// Ten logins per nick at once would be throttled (attempts in flight count until they succeed); the
// throttle's queries still run for every login.
// The whole burst may queue for a hash (by default past 4 × AUTH_HASH_CONCURRENCY waiting they get 503),
// so the peak RSS is that of the most logins the server can hold at once.
const api = await startServerProcess({ MONGODB_URI: mongoUri, SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn', PORT: String(await freePort()), LOGIN_THROTTLE_LIMIT: '1000', AUTH_HASH_QUEUE_LIMIT: String(Math.max(burst, concurrency)) });
const pid = api.child.pid ?? Number.NaN;
await waitForStatus(`${api.url}/readyz`, 200);
for (let index = 0; index < accounts; index++) {
  const created = await send(api.url, 'POST', '/v1/players', { body: validPlayer(`login_${String(index)}`) });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.text}`);
}
const idle = memoryOf(pid);

// The burst first, so the peak it reports is the burst's and not the sustained run's.
const burstStarted = performance.now();
const burstStatuses = await Promise.all(Array.from({ length: burst }, (_, index) => login(index)));
const burstSeconds = (performance.now() - burstStarted) / 1000;
const afterBurst = memoryOf(pid);

const latencies: number[] = [];
let errors = burstStatuses.filter((status) => status !== 200).length;
const deadline = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async (_, worker) => {
    for (let iteration = 0; performance.now() < deadline; iteration++) {
      const started = performance.now();
      if ((await login(worker + iteration)) !== 200) errors++;
      latencies.push(performance.now() - started);
    }
  }),
);
latencies.sort((a, b) => a - b);

/** Median time of sequential wrong-password logins, for a known nick or an unknown one (the dummy hash). */
async function wrongLoginMs(nickOf: (round: number) => string): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = performance.now();
    const response = await fetch(`${api.url}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nick: nickOf(round), password: 'wrong password' }) });
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  return Math.round(times.sort((a, b) => a - b)[3] ?? Number.NaN);
}
const unknownNickMs = await wrongLoginMs((round) => `nobody_${String(round)}`);
const wrongPasswordMs = await wrongLoginMs(() => 'login_0');
const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN);

api.child.kill('SIGTERM');
await api.exited;
const client = new MongoClient(mongoUri);
await client.db(databaseName).dropDatabase();
await client.close();

console.table([
  { scenario: `burst: ${String(burst)} concurrent logins`, logins: burst, perSecond: Math.round(burst / burstSeconds), seconds: Math.round(burstSeconds * 10) / 10 },
  { scenario: `sustained: ${String(concurrency)} clients, ${String(seconds)} s`, logins: latencies.length, perSecond: Math.round(latencies.length / seconds), p50ms: percentile(50), p95ms: percentile(95), p99ms: percentile(99) },
]);
console.log(`one scrypt hash (median of 5, alone): ${String(singleHashMs)} ms; the server runs AUTH_HASH_CONCURRENCY (default 2) at once`);
console.log(`wrong-password login (median of 7, one at a time): ${String(wrongPasswordMs)} ms for a known nick, ${String(unknownNickMs)} ms for an unknown one`);
console.log(`server RSS: ${String(idle.rss)} MiB idle, ${String(afterBurst.peak)} MiB peak during the burst; chart API memory limit ${String(limitMiB)} MiB`);
const met = errors === 0 && afterBurst.peak <= limitMiB * maxShareOfLimit;
console.log(`targets (no errors, burst peak RSS <= ${String(maxShareOfLimit * 100)}% of the limit): ${met ? 'met' : 'NOT met'}${errors === 0 ? '' : ` (${String(errors)} errors)`}`);
process.exitCode = met ? 0 : 1;
