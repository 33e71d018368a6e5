// Load benchmark against baselines, in one run: the built server, a bare node:http server and the bare
// framework (Koa and @koa/router with the service's route table) run as their own processes on loopback,
// against the same database and data in MONGODB_URI, all answering as bench/baseline.ts says; autocannon,
// as a further process, drives each. Reports each scenario as playerfinder / bare, the framework's own
// ratio (the ceiling of the stack), the server's memory, and whether the README targets hold.
//   MONGODB_URI=mongodb://127.0.0.1:27017/ npm run bench [-- --seconds 10 --connections 32 --players 2000 --rounds 3]
// With --image TAG the service runs as that container image instead, with --memory (default 512m, the
// chart's limit) as its memory limit, on the host network; its RSS is reported idle and after the load.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { PlayerRepository } from '../src/players/repository.ts';
import type { PlayerInput } from '../src/players/schema.ts';
import { waitForStatus } from '../test/helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from '../test/helpers/mongo.ts';
import { validProfile } from '../test/helpers/players.ts';
import { freePort } from '../test/helpers/net.ts';
import { parseExposition } from '../test/helpers/prometheus.ts';
import { startServerProcess } from '../test/helpers/server-process.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    players: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    image: { type: 'string' },
    memory: { type: 'string', default: '512m' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const playerCount = Number(values.players);
const rounds = Number(values.rounds);

/** The README's targets: how close the service comes to its bare stack, and its memory in the image. */
const targets = { rssMiB: 320 };
const scenarios = [
  { name: 'GET /status', path: '/status', minRatio: 0.7 },
  { name: 'GET /v1/players/{nick}', path: '/v1/players/bench_42', minRatio: 0.9 },
] as const;

interface Load {
  perSecond: number;
  p50: number;
  p99: number;
  /** Errors, timeouts and non-2xx answers. */
  failures: number;
}

const autocannonBin = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));

/** One autocannon run as its own process; a one-second run first warms the server up. */
async function load(url: string): Promise<Load> {
  await autocannon(url, 1);
  const result = await autocannon(url, seconds);
  return { perSecond: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, failures: result.errors + result.timeouts + result.non2xx };
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function autocannon(url: string, duration: number): Promise<AutocannonResult> {
  const child = spawn(autocannonBin, ['-c', String(connections), '-d', String(duration), '-j', '-n', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`autocannon exited ${String(code)}`);
  return JSON.parse(output) as AutocannonResult;
}

/** A baseline server (bare-server.ts or framework-server.ts) as its own process. */
async function startBaseline(file: string, env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const entry = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', entry], { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const listening = /listening (\d+)/.exec(chunk);
      if (listening?.[1] !== undefined) resolve(listening[1]);
    });
    child.once('exit', () => { reject(new Error(`${file} exited before listening`)); });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The service's route table, from its own OpenAPI document: what the framework baseline registers. */
async function routeTable(url: string): Promise<{ method: string; path: string }[]> {
  const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ method, path: path.replaceAll(/\{(\w+)\}/g, ':$1') })),
  );
}

interface Service {
  readonly url: string;
  stop(): Promise<void>;
}

/** The built server as a child process. */
async function startLocal(env: Record<string, string>): Promise<Service> {
  const server = await startServerProcess(env);
  return {
    url: server.url,
    stop: async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    },
  };
}

const docker = async (...args: string[]) => (await promisify(execFile)('docker', args)).stdout.trim();

/** The container image, as the chart runs it: with a memory limit, so V8 sizes its heap from it. */
async function startContainer(image: string, memory: string, env: Record<string, string>): Promise<Service> {
  const id = await docker('run', '-d', '--rm', '--network', 'host', '--memory', memory, ...Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]), image);
  return {
    url: `http://127.0.0.1:${env.PORT ?? ''}`,
    stop: async () => {
      await docker('stop', id);
    },
  };
}

async function rssMiB(url: string): Promise<{ rss: number; heapUsed: number }> {
  const metrics = parseExposition(await (await fetch(`${url}/metrics`)).text());
  const mebibytes = (name: string) => Math.round((metrics.find((sample) => sample.name === name)?.value ?? Number.NaN) / 2 ** 20);
  return { rss: mebibytes('process_resident_memory_bytes'), heapUsed: mebibytes('nodejs_heap_size_used_bytes') };
}

const databaseName = uniqueDatabaseName('bench');
const mongoUri = await databaseUri(databaseName);
// Request logs off: the load generator reading them through a pipe would become the bottleneck.
const serviceEnv = { MONGODB_URI: mongoUri, SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn', PORT: String(await freePort()), AUTH_SECRET: 'bench-signing-key-at-least-32-bytes-long' };
const api = values.image === undefined ? await startLocal(serviceEnv) : await startContainer(values.image, values.memory, serviceEnv);
await waitForStatus(`${api.url}/readyz`, 200);
const idle = await rssMiB(api.url);
// Seeded straight into the database: through the API every player would cost a password hash (bench/logins.ts measures those).
const client = new MongoClient(mongoUri);
const seeder = new PlayerRepository(client.db(databaseName), { operationTimeoutMs: 60_000 });
for (let index = 0; index < playerCount; index += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, playerCount - index) }, (_, offset) =>
      seeder.insert(validProfile(`bench_${String(index + offset)}`, { age: 13 + ((index + offset) % 60) }) as PlayerInput, new ObjectId(), new Date()),
    ),
  );
}
const bare = await startBaseline('bare-server.ts', { MONGODB_URI: mongoUri });
const framework = await startBaseline('framework-server.ts', { MONGODB_URI: mongoUri, ROUTES: JSON.stringify(await routeTable(api.url)) });

const rows = [];
let ratiosMet = true;
/** The better of `rounds` alternating runs of each server: on a shared machine, the least disturbed one. */
async function bestOf(urls: readonly string[]): Promise<Load[]> {
  const best: Load[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [index, url] of urls.entries()) {
      const run = await load(url);
      const previous = best[index];
      best[index] = previous === undefined || run.perSecond > previous.perSecond ? run : previous;
    }
  }
  return best;
}
const ratio = (a: Load, b: Load) => Math.round((a.perSecond / b.perSecond) * 100) / 100;

for (const scenario of scenarios) {
  const [service, baseline, koa] = await bestOf([api.url, bare.url, framework.url].map((url) => url + scenario.path));
  if (service === undefined || baseline === undefined || koa === undefined) throw new Error('--rounds must be at least 1');
  if (ratio(service, baseline) < scenario.minRatio) ratiosMet = false;
  rows.push({
    scenario: scenario.name,
    'req/s': service.perSecond,
    'p50 ms': service.p50,
    'p99 ms': service.p99,
    failures: service.failures + baseline.failures + koa.failures,
    'bare req/s': baseline.perSecond,
    ratio: ratio(service, baseline),
    target: `>= ${String(scenario.minRatio)}`,
    'Koa+router req/s': koa.perSecond,
    'Koa+router ratio': ratio(koa, baseline),
  });
}
const loaded = await rssMiB(api.url);
await bare.stop();
await framework.stop();
await api.stop();
await client.db(databaseName).dropDatabase();
await client.close();

console.table(rows);
const where = values.image === undefined ? 'process' : `image ${values.image}, --memory ${values.memory}`;
console.log(`server (${where}): RSS ${String(idle.rss)} MiB idle, ${String(loaded.rss)} MiB after the load (heap used ${String(loaded.heapUsed)} MiB)`);
console.log(`${String(playerCount)} players seeded; ${String(connections)} keep-alive connections, ${String(seconds)} s per scenario`);
// Memory is judged in the image only: under the chart's memory limit V8 sizes its heap from the limit,
// while a bare process on a large host sizes its young generation from the host's RAM.
const memoryMet = values.image === undefined || loaded.rss <= targets.rssMiB;
const met = ratiosMet && memoryMet && rows.every((row) => row.failures === 0);
const memoryTarget = values.image === undefined ? 'memory judged with --image only' : `server RSS <= ${String(targets.rssMiB)} MiB`;
console.log(`targets (ratios as listed, ${memoryTarget}, no failures): ${met ? 'met' : 'NOT met'}`);
process.exitCode = met ? 0 : 1;
