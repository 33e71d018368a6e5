// Latency of match suggestions and looking-for-group search with many stored players: the built server
// as its own process on loopback, against the MongoDB-wire server in MONGODB_URI. For each size it seeds
// players in bulk through the repositories, then sends requests one at a time and reports the latency
// the client saw, the server's own time (http_request_duration_seconds) and the part of it spent in
// database commands (mongodb_command_duration_seconds), both read from the server's /metrics.
// The database part is the sum of the command durations the driver saw: for match suggestions, whose
// per-title queries run concurrently, it can exceed the server's time, so the service's own part (scoring
// and sorting the candidates) is also timed directly, in this process, on the same candidates.
//   MONGODB_URI=mongodb://127.0.0.1:27017/ npm run bench:teammates [-- --players 10000,100000 --requests 10 --posts 1000]
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { LfgRepository } from '../src/lfg/repository.ts';
import { lfgLimits } from '../src/lfg/service.ts';
import { MatchRepository } from '../src/matches/repository.ts';
import { matchScorer } from '../src/matches/scoring.ts';
import { random as seededRandom } from '../src/players/demo-players.ts';
import { normaliseKey } from '../src/players/keys.ts';
import { PlayerRepository } from '../src/players/repository.ts';
import { platforms, regions, type PlayerInput } from '../src/players/schema.ts';
import { waitForStatus } from '../test/helpers/app.ts';
import { databaseUri, uniqueDatabaseName } from '../test/helpers/mongo.ts';
import { freePort } from '../test/helpers/net.ts';
import { histogram, parseExposition, type Sample } from '../test/helpers/prometheus.ts';
import { startServerProcess } from '../test/helpers/server-process.ts';

const { values } = parseArgs({
  options: {
    players: { type: 'string', default: '10000,100000' },
    requests: { type: 'string', default: '10' },
    posts: { type: 'string', default: '1000' },
  },
});
const sizes = values.players.split(',').map(Number);
const requests = Number(values.requests);
const postCount = Number(values.posts);
const seedBatch = 1000;

const titles = Array.from({ length: 200 }, (_, index) => `Game ${String(index)}`);
const spoken = ['en', 'es', 'de', 'fr', 'pt', 'ja', 'ko'];
const ranks = ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Squaring skews popularity: "Game 0" is played by about one player in six, most titles by few. */
const popularTitle = (random: () => number) => titles[Math.floor(titles.length * random() ** 2)] as string;

function playerAt(index: number, random: () => number): PlayerInput {
  const games: PlayerInput['games'] = [];
  const wanted = 1 + Math.floor(random() * 4);
  while (games.length < wanted) {
    const title = popularTitle(random);
    if (games.some((game) => game.title === title)) continue;
    const rank = random() < 0.5 ? { rank: pick(random, ranks) } : {};
    games.push({ title, platform: pick(random, platforms), hoursPerWeek: 1 + Math.floor(random() * 30), competitive: random() < 0.5, ...rank });
  }
  const languages = [...new Set([pick(random, spoken), pick(random, spoken)])];
  return {
    nick: `p${String(index)}`,
    firstName: 'Bench',
    lastName: 'Player',
    age: 13 + Math.floor(random() * 50),
    platforms: [...new Set(games.map((game) => game.platform))],
    games,
    region: pick(random, regions),
    languages,
    contact: `p${String(index)}#0001`,
  };
}

interface Row {
  players: number;
  scenario: string;
  requests: number;
  'client p50 ms': number;
  'client p95 ms': number;
  'server mean ms': number;
  'database mean ms': number;
}

const round = (value: number) => Math.round(value * 10) / 10;

async function scrape(url: string): Promise<Sample[]> {
  return parseExposition(await (await fetch(`${url}/metrics`)).text());
}

/** Seconds spent in database commands, over every command name. */
const databaseSeconds = (samples: readonly Sample[]) =>
  samples.filter((sample) => sample.name === 'mongodb_command_duration_seconds_sum').reduce((sum, sample) => sum + sample.value, 0);

async function measure(url: string, size: number, scenario: string, route: string, paths: readonly string[]): Promise<Row> {
  const before = await scrape(url);
  const latencies: number[] = [];
  for (const path of paths) {
    const started = performance.now();
    const response = await fetch(url + path);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path}: HTTP ${String(response.status)}`);
    latencies.push(performance.now() - started);
  }
  const after = await scrape(url);
  const server = (samples: Sample[]) => histogram(samples, 'http_request_duration_seconds', { method: 'GET', route, status: '200' }).sum;
  const serverMs = ((server(after) - server(before)) * 1000) / paths.length;
  const databaseMs = ((databaseSeconds(after) - databaseSeconds(before)) * 1000) / paths.length;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  return {
    players: size,
    scenario,
    requests: paths.length,
    'client p50 ms': round(percentile(50)),
    'client p95 ms': round(percentile(95)),
    'server mean ms': round(serverMs),
    'database mean ms': round(databaseMs),
  };
}

/** Milliseconds to score and sort the subjects' candidates (the service's own work), median of the subjects. */
async function scoringMs(candidatesOf: MatchRepository, subjects: readonly PlayerInput[]): Promise<number> {
  const timings: number[] = [];
  for (const subject of subjects) {
    const candidates = await candidatesOf.sharingGames([...new Set(subject.games.map((game) => normaliseKey(game.title)))], normaliseKey(subject.nick), 1000);
    const started = performance.now();
    const score = matchScorer({ ...subject, createdAt: '', updatedAt: '' });
    candidates.flatMap((candidate) => score(candidate) ?? []).sort((a, b) => b.score - a.score);
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  return round(timings[Math.floor(timings.length / 2)] ?? Number.NaN);
}

async function benchmarkSize(size: number): Promise<{ rows: Row[]; seedSeconds: number; postSeconds: number; scoringMs: number }> {
  const databaseName = uniqueDatabaseName(`bench_teammates_${String(size)}`);
  const mongoUri = await databaseUri(databaseName);
  const api = await startServerProcess({ MONGODB_URI: mongoUri, SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn', PORT: String(await freePort()), AUTH_SECRET: 'bench-signing-key-at-least-32-bytes-long' });
  const client = new MongoClient(mongoUri);
  try {
    // Ready means the server created the indexes, so seeding below maintains them as it goes.
    await waitForStatus(`${api.url}/readyz`, 200, 60_000);
    const db = client.db(databaseName);
    const limits = { operationTimeoutMs: 60_000 };
    const players = new PlayerRepository(db, limits);
    const posts = new LfgRepository(db, limits);
    const random = seededRandom(size);
    const seeded: PlayerInput[] = [];
    const seedStarted = performance.now();
    for (let index = 0; index < size; index += seedBatch) {
      const batch = Array.from({ length: Math.min(seedBatch, size - index) }, (_, offset) => playerAt(index + offset, random));
      await players.insertMany(batch, new Date());
      seeded.push(...batch);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const postStarted = performance.now();
    const now = Date.now();
    for (let index = 0; index < postCount; index++) {
      const owner = pick(random, seeded);
      const startsAt = new Date(now + random() * lfgLimits.maxAheadMs);
      await posts.insert({
        ownerKey: normaliseKey(owner.nick),
        owner: owner.nick,
        game: popularTitle(random),
        platform: pick(random, platforms),
        region: pick(random, regions),
        languages: owner.languages,
        competitive: random() < 0.5,
        slots: 1 + Math.floor(random() * 9),
        startsAt,
        expiresAt: new Date(startsAt.getTime() + lfgLimits.defaultDurationMs),
        createdAt: new Date(now),
      });
    }
    const postSeconds = (performance.now() - postStarted) / 1000;

    const subjects = Array.from({ length: requests }, () => pick(random, seeded));
    const matchesPath = (player: PlayerInput, query = '') => `/v1/players/${player.nick}/matches?limit=20${query}`;
    const rows = [
      await measure(api.url, size, 'matches', '/v1/players/:nick/matches', subjects.map((player) => matchesPath(player))),
      await measure(api.url, size, 'matches?game=', '/v1/players/:nick/matches', subjects.map((player) => matchesPath(player, `&game=${encodeURIComponent(player.games[0]?.title ?? '')}`))),
      await measure(api.url, size, 'lfg?game=Game 0', '/v1/lfg', subjects.map(() => '/v1/lfg?game=game%200&limit=20')),
      await measure(api.url, size, 'lfg?region=', '/v1/lfg', subjects.map((player) => `/v1/lfg?region=${player.region}&limit=20`)),
    ];
    return { rows, seedSeconds, postSeconds, scoringMs: await scoringMs(new MatchRepository(db, limits), subjects) };
  } finally {
    api.child.kill('SIGTERM');
    await api.exited;
    await client.db(databaseName).dropDatabase().catch(() => undefined);
    await client.close();
  }
}

const rows: Row[] = [];
for (const size of sizes) {
  const result = await benchmarkSize(size);
  rows.push(...result.rows);
  console.log(`${String(size)} players seeded in ${result.seedSeconds.toFixed(1)} s (insertMany, ${String(seedBatch)} a call); ${String(postCount)} posts in ${result.postSeconds.toFixed(1)} s (one insert each); scoring and sorting one player's candidates: ${String(result.scoringMs)} ms (median)`);
}
console.table(rows);
