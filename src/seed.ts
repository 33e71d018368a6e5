// `npm run seed`, or `node dist/seed.js` in the image: publishes the demo players through the same
// validation and PlayerService as POST /v1/players, against the MongoDB the service is configured with
// (same environment variables). Idempotent: the nicks are fixed, and a nick already there is left as is.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { configuredOrEmbeddedMongo } from './db/embedded.ts';
import { AppError } from './errors.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { demoPlayers } from './players/demo-players.ts';
import { playerInputSchema } from './players/schema.ts';
import { PlayerService } from './players/service.ts';

const readyTimeoutMs = 60_000;

async function seed(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const { mongo, embedded } = await configuredOrEmbeddedMongo(config, process.env, logger);
  const database = openDatabase(mongo, createMetrics(), logger);
  try {
    await untilReady(database);
    const players = new PlayerService(database.players);
    let created = 0;
    let alreadyThere = 0;
    for (const candidate of demoPlayers()) {
      try {
        await players.create(playerInputSchema.parse(candidate));
        created++;
      } catch (error) {
        if (!(error instanceof AppError && error.status === 409)) throw error;
        alreadyThere++;
      }
    }
    logger.info({ created, alreadyThere, database: mongo.database }, 'demo players seeded');
  } finally {
    await database.close();
    await embedded?.stop();
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
