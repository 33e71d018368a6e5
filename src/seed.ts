// `npm run seed [-- --players N]`, or `node dist/seed.js` in the image: signs up the demo players through the same
// validation and AccountService as POST /v1/players, against the MongoDB the service is configured with
// (same environment variables). Idempotent: the nicks are fixed, and a nick already there is left as is.
// Each demo player gets a random password that is neither printed nor kept: nobody can log in as one,
// and only the operator token can delete them.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { signUpSchema } from './auth/schema.ts';
import { ConfigError } from './config/error.ts';
import { loadConfig } from './config.ts';
import type { Database } from './db/database.ts';
import { configuredOrEmbeddedMongo } from './db/embedded.ts';
import { AppError } from './errors.ts';
import { createLogger } from './logger.ts';
import { demoPlayerCount, demoPlayers } from './players/demo-players.ts';
import type { PlayerInput } from './players/schema.ts';
import { openDomain, type Domain } from './service.ts';

const readyTimeoutMs = 60_000;
/** Sign-ups in flight at once: enough to keep every password hash slot (AUTH_HASH_CONCURRENCY) busy. */
const concurrentSignUps = 8;

async function seed(): Promise<void> {
  const count = playersToSeed(process.argv.slice(2));
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const { mongo, embedded } = await configuredOrEmbeddedMongo(config, process.env, logger);
  // The seed signs no token, so it needs no AUTH_SECRET: any key will do for the unused token issuer.
  const domain = openDomain(config, mongo, new Uint8Array(randomBytes(32)), logger);
  try {
    await untilReady(domain.database);
    const outcomes: ('created' | 'alreadyThere')[] = [];
    const queue = demoPlayers(count);
    await Promise.all(
      Array.from({ length: concurrentSignUps }, async () => {
        for (let candidate = queue.shift(); candidate !== undefined; candidate = queue.shift()) outcomes.push(await signUp(domain, candidate));
      }),
    );
    const created = outcomes.filter((outcome) => outcome === 'created').length;
    logger.info({ created, alreadyThere: outcomes.length - created, database: mongo.database }, 'demo players seeded');
  } finally {
    await domain.database.close();
    await embedded?.stop();
  }
}

/** `--players N`: the first N demo players (1-1000), default demoPlayerCount. */
function playersToSeed(args: string[]): number {
  const { values } = parseArgs({ args, options: { players: { type: 'string' } }, strict: true });
  if (values.players === undefined) return demoPlayerCount;
  const count = /^\d{1,4}$/.test(values.players) ? Number(values.players) : Number.NaN;
  if (!(count >= 1 && count <= 1000)) throw new ConfigError('invalid --players: must be a whole number from 1 to 1000');
  return count;
}

/** Looks first, so a second run hashes no password; a sign-up that loses a race to the same nick gets 409. */
async function signUp(domain: Domain, candidate: PlayerInput): Promise<'created' | 'alreadyThere'> {
  try {
    await domain.players.get(candidate.nick);
    return 'alreadyThere';
  } catch (error) {
    if (!(error instanceof AppError && error.status === 404)) throw error;
  }
  try {
    await domain.accounts.signUp(signUpSchema.parse({ ...candidate, password: randomBytes(24).toString('base64url') }));
    return 'created';
  } catch (error) {
    if (error instanceof AppError && error.status === 409) return 'alreadyThere';
    throw error;
  }
}

/** Waits, as /readyz does, until MongoDB answers and the indexes exist. */
async function untilReady(database: Database): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    try {
      await database.readiness();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`MongoDB was not usable within ${String(readyTimeoutMs / 1000)} s: ${String(error)}`, { cause: error });
      await sleep(250);
    }
  }
}

seed().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `playerfinder seed: ${error.message}` : `playerfinder seed: failed: ${String(error)}`;
  process.stderr.write(message + '\n');
  process.exit(1);
});
