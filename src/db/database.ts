// Owns the MongoDB client for the process: repository access, readiness, and a connect-and-create-indexes
// loop that keeps retrying in the background, so the service starts (and answers /healthz) while MongoDB
// is down and turns ready when it comes up, without a restart.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MongoClient } from 'mongodb';
import { redactUri, type MongoSettings } from '../config.ts';
import { failureLog } from '../failure-log.ts';
import { LfgRepository } from '../lfg/repository.ts';
import type { Logger } from '../logger.ts';
import { AccountRepository } from '../auth/repository.ts';
import { MatchRepository } from '../matches/repository.ts';
import type { Metrics } from '../metrics.ts';
import { PlayerRepository } from '../players/repository.ts';
import { createMongoClient, ping } from './mongo.ts';

export interface Database {
  readonly players: PlayerRepository;
  readonly accounts: AccountRepository;
  readonly matches: MatchRepository;
  readonly lfg: LfgRepository;
  /** Resolves when MongoDB answers and the indexes exist; rejects with the reason otherwise. */
  readiness(): Promise<void>;
  /** Stops the index retries and closes the client; call after the HTTP server has drained. */
  close(): Promise<void>;
}

const maxRetryDelayMs = 5000;

export function openDatabase(settings: MongoSettings, metrics: Metrics, logger: Logger): Database {
  const client = createMongoClient(settings, metrics);
  const db = client.db(settings.database);
  const limits = { operationTimeoutMs: settings.operationTimeoutMs };
  const players = new PlayerRepository(db, limits);
  const accounts = new AccountRepository(db, limits);
  const matches = new MatchRepository(db, limits);
  const lfg = new LfgRepository(db, limits);
  const stopping = new AbortController();
  let indexesReady = false;
  logger.info({ mongodb: redactUri(settings.uri), database: settings.database }, 'using MongoDB');

  void prepare(client, [players, accounts, lfg], logger, stopping.signal).then((done) => {
    indexesReady = done;
  });

  return {
    players,
    accounts,
    matches,
    lfg,
    async readiness() {
      if (!indexesReady) throw new Error('indexes are not created yet');
      await ping(client, settings.operationTimeoutMs);
    },
    async close() {
      stopping.abort();
      await client.close();
    },
  };
}

async function prepare(client: MongoClient, repositories: readonly { ensureIndexes(): Promise<void> }[], logger: Logger, signal: AbortSignal): Promise<boolean> {
  const failures = failureLog(logger, 'MongoDB not usable yet; retrying');
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      // Explicitly: after a failed first connection the driver's implicit connect leaves the client
      // closed for good ("Topology is closed"), while connect() tries again.
      await client.connect();
      for (const repository of repositories) await repository.ensureIndexes();
      logger.info('MongoDB connected; indexes ready');
      return true;
    } catch (error) {
      const delayMs = Math.min(250 * 2 ** attempt, maxRetryDelayMs);
      failures.failed(error, { attempt, retryInMs: delayMs });
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
