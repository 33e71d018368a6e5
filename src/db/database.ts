// Owns the MongoDB client for the process: repository access, readiness, and index creation that keeps
// retrying in the background, so the service can start (and answer /healthz) while MongoDB is down.
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUri, type MongoSettings } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { PlayerRepository } from '../players/repository.ts';
import { createMongoClient, ping } from './mongo.ts';

export interface Database {
  readonly players: PlayerRepository;
  /** Resolves when MongoDB answers and the indexes exist; rejects with the reason otherwise. */
  readiness(): Promise<void>;
  /** Stops the index retries and closes the client; call after the HTTP server has drained. */
  close(): Promise<void>;
}

const maxRetryDelayMs = 10_000;

export function openDatabase(settings: MongoSettings, metrics: Metrics, logger: Logger): Database {
  const client = createMongoClient(settings, metrics);
  const players = new PlayerRepository(client.db(settings.database));
  const stopping = new AbortController();
  let indexesReady = false;
  logger.info({ mongodb: redactUri(settings.uri), database: settings.database }, 'using MongoDB');

  void ensureIndexes(players, logger, stopping.signal).then((done) => {
    indexesReady = done;
  });

  return {
    players,
    async readiness() {
      if (!indexesReady) throw new Error('indexes are not created yet');
      await ping(client, settings.serverSelectionTimeoutMs);
    },
    async close() {
      stopping.abort();
      await client.close();
    },
  };
}

async function ensureIndexes(players: PlayerRepository, logger: Logger, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await players.ensureIndexes();
      logger.info('indexes ready');
      return true;
    } catch (error) {
      const delayMs = Math.min(500 * 2 ** attempt, maxRetryDelayMs);
      logger.warn({ err: error, attempt, retryInMs: delayMs }, 'cannot create indexes yet; retrying');
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
